// Network weights as a NumPy .npz (Question 2's --save / --load): arrays w1, b1, w2, b2, … in
// float64, weights shaped (n_in, n_out) and biases (n_out,), so `numpy.load` reads them
// directly. The archive and its arrays are MNISTData's `NPZ` / `NPZReader`; this file says
// which arrays a network is and checks that they chain into one.

import Foundation
import MNISTData

extension NPZ {
    // MARK: Writing

    /// The .npz bytes for `network`: arrays w1, b1, …, wL, bL (stored, not compressed, as
    /// `numpy.savez` does), each a version 1.0 .npy of little-endian float64.
    ///
    /// - Throws: ZIPFoundation's error if the in-memory archive cannot be built (not expected).
    public static func encode(_ network: MLP) throws -> Data {
        try encode(network.layers.enumerated().flatMap { l, layer in
            [(name: "w\(l + 1)", shape: [layer.inputCount, layer.outputCount], values: layer.weights),
             (name: "b\(l + 1)", shape: [layer.outputCount], values: layer.biases)]
        })
    }

    // MARK: Reading

    /// The network stored in an .npz file.
    ///
    /// Checks, in order: what `NPZReader(contentsOf:)` checks (a readable ZIP archive within the
    /// size limit); the members are exactly w1, b1, …, wL, bL (L ≥ 2) as .npy files; then layer
    /// by layer, what `NPZReader.array(_:rank:expectedShape:)` checks (a '<f8' C-order array of
    /// the right rank, every value finite) and that the shapes chain (w_l is (n_{l−1}, n_l),
    /// b_l is (n_l,)) within `MLP.maximumLayerSize`.
    ///
    /// - Throws: `NPZError` saying exactly what is wrong.
    public static func decode(contentsOf url: URL) throws -> MLP {
        var reader = try NPZReader(contentsOf: url)
        let names = reader.names
        let layerCount = names.count / 2
        let expected = (1 ... max(1, layerCount)).flatMap { ["w\($0)", "b\($0)"] }
        guard names.count >= 4, names.count % 2 == 0, names == Set(expected) else {
            let found = names.sorted().joined(separator: ", ")
            throw NPZError.badNetwork(
                "expected arrays w1, b1, w2, b2, … (at least one hidden layer) but found [\(found)]")
        }

        var layers: [DenseLayer] = []
        for l in 1 ... layerCount {
            let weights = try reader.array("w\(l)", rank: 2, expectedShape: "(n_in, n_out)")
            let biases = try reader.array("b\(l)", rank: 1, expectedShape: "(n_out,)")
            let (nIn, nOut) = (weights.shape[0], weights.shape[1])
            guard biases.shape[0] == nOut else {
                throw NPZError.badNetwork("w\(l) has shape (\(nIn), \(nOut)) so b\(l) must have shape (\(nOut),), but it has (\(biases.shape[0]),)")
            }
            if let previous = layers.last, previous.outputCount != nIn {
                throw NPZError.badNetwork(
                    "w\(l - 1) has \(previous.outputCount) outputs but w\(l) has shape (\(nIn), \(nOut)); its first dimension must be \(previous.outputCount)")
            }
            guard nIn <= MLP.maximumLayerSize, nOut <= MLP.maximumLayerSize else {
                throw NPZError.badNetwork("w\(l) has shape (\(nIn), \(nOut)); layers are limited to \(MLP.maximumLayerSize) units")
            }
            layers.append(DenseLayer(inputCount: nIn, outputCount: nOut, weights: weights.values, biases: biases.values))
        }
        return MLP(layers: layers)
    }

    /// The network stored in .npz bytes (see `decode(contentsOf:)` for the checks), read through
    /// a private temporary file (`NPZ.withArchiveFile(holding:_:)` says why).
    ///
    /// - Throws: `NPZError` saying exactly what is wrong.
    public static func decode(_ data: Data) throws -> MLP {
        try withArchiveFile(holding: data) { try decode(contentsOf: $0) }
    }
}
