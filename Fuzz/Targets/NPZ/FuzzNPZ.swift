// libFuzzer target for the weights reader (`lab q2-train --load`): NPZ.decode on untrusted
// bytes, through ZIPFoundation and the .npy header parser. A network that decodes must be
// usable: it is run forward once on a zero input.

import Foundation
import FuzzSupport
import MNISTData
import MNISTNet

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPZ(_ bytes: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = FuzzInput.data(bytes, count)
    if let network = try? NPZ.decode(data) {
        let pass = network.forward([Double](repeating: 0, count: network.layerSizes[0]))
        precondition(pass.probabilities.count == network.layerSizes.last!)
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initializeNPZ(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzSeeds.writeIfRequested(npzSeeds)
    return 0
}

/// Small networks written by NPZ.encode (one and two hidden layers), so ZIP, .npy headers and
/// shapes all start valid.
func npzSeeds() throws -> [(String, Data)] {
    [
        ("mlp-3-2-2.npz", try NPZ.encode(MLP(layerSizes: [3, 2, 2], seed: 1))),
        ("mlp-4-3-3-2.npz", try NPZ.encode(MLP(layerSizes: [4, 3, 3, 2], seed: 2))),
        ("mlp-8-4-10.npz", try NPZ.encode(MLP(layerSizes: [8, 4, 10], seed: 3))),
    ]
}
