// The full-batch gradient (Question 2, sharpness issue): the mean cross-entropy over a whole
// dataset and its gradient, for full-batch gradient descent. The arithmetic is Float32 with the
// sparse first layer (`SparseGradient` in SGDKernel, compiled baseline and AVX2+FMA); its plain
// Double twin is the reference backpropagation summed, `MLP.lossAndGradients(on:indices:)`.

import MNISTData
import SGDKernel
import SGDKernelAVX2

/// The mean loss over a fixed set of images and its gradient, for any parameters θ:
/// ```
/// L(θ) = (1/N) Σ_{n=1}^{N} −log p_{y_n}(x_n; θ),     ∇L(θ) = (1/N) Σ_n ∇(−log p_{y_n})
/// ```
/// The parameters are rounded to Float, each image's gradient is computed in Float (the fast
/// kernel's forward and backward pass), the per-image gradients are summed in Float over blocks
/// of 256 images, and the block sums in Double.
///
/// Precision: with u = 2⁻²⁴, each entry differs from the Double reference by about
/// (n₀ + 256)·u times the mean of |per-image gradient| over the tensor — the first layer's
/// sums have up to n₀ terms, a block up to 256 (`FullBatchGradientTests` derives and checks
/// the bound). The Double reference takes about 45 times as long (`lab bench`).
///
/// Not thread-safe: one value per thread (each owns its Float copy of the parameters and its
/// scratch memory; the dataset's pixel list is shared read-only).
public struct FullBatchGradient {
    /// The images the loss averages over.
    public let data: ImageDataset
    public let scaling: InputScaling
    /// Which compiled copy of the kernel runs.
    public let instructionSet: FastKernel.InstructionSet
    let layout: SGDKernel.FastLayout
    private let storage: FullBatchStorage

    /// A full-batch gradient over every image of `data` for networks of `layerSizes`.
    ///
    /// - Parameters:
    ///   - data: the images and labels the loss averages over.
    ///   - layerSizes: the network's layer sizes, input first (784, 32, 32, 10 for Question 2).
    ///   - scaling: how pixels become inputs (`.unit` for x = pixel/255).
    ///   - instructionSet: the copy to run; one this processor lacks gives the baseline.
    /// - Precondition: at least one image, one pixel per network input, at most
    ///   `FastKernel.maximumInputCount` inputs, every label below the last size.
    public init(data: ImageDataset, layerSizes: [Int], scaling: InputScaling,
                instructionSet: FastKernel.InstructionSet = .detected) {
        precondition(data.count > 0, "the full batch needs at least one image")
        precondition(layerSizes.count >= 2 && data.pixelsPerImage == layerSizes[0], "one pixel per network input")
        precondition(layerSizes[0] <= FastKernel.maximumInputCount, "the fast kernel takes at most 65,536 inputs")
        precondition((data.labels.max().map { Int($0) } ?? 0) < layerSizes[layerSizes.count - 1], "labels must be class indices")
        self.data = data
        self.scaling = scaling
        self.instructionSet = FastKernel.InstructionSet.available.contains(instructionSet) ? instructionSet : .baseline
        layout = SGDKernel.FastLayout(sizes: layerSizes)
        storage = FullBatchStorage(layout: layout)
        for byte in 0 ... 255 { storage.table[byte] = Float(Double(byte) * scaling.factor) }
        data.prepareSparsePixels()
    }

    /// The mean loss at `network` and its gradient, written into `gradient` (shaped like the
    /// network: `Gradients(zerosLike:)`).
    ///
    /// - Returns: L(θ); not finite when some image's loss is not finite (the network has
    ///   diverged), and `gradient` is then meaningless.
    /// - Complexity: O(N · (non-zero pixels · n₁ + weights of layers 2 … L)); no allocation.
    public func lossAndGradient(at network: MLP, into gradient: inout Gradients) -> Double {
        precondition(network.layerSizes == layout.sizes, "the network must have the layer sizes given at init")
        let s = storage, sizes = layout.sizes, parameters = s.parameters
        for (l, layer) in network.layers.enumerated() {  // θ → Float lanes (padding stays 0)
            let c = layout.chunks[l + 1], w = layout.weights[l], b = layout.biases[l], nOut = layer.outputCount
            layer.weights.withUnsafeBufferPointer { weights in
                for i in 0 ..< layer.inputCount {
                    for j in 0 ..< nOut { parameters[w + i * c + j >> 3][j & 7] = Float(weights[i * nOut + j]) }
                }
            }
            for j in 0 ..< nOut { parameters[b + j >> 3][j & 7] = Float(layer.biases[j]) }
        }
        s.totals.update(repeating: 0, count: 8 * layout.parameterCount)
        let sparse = data.nonZeroPixels, images = 0 ..< data.count
        let report = data.labels.withUnsafeBufferPointer { labels in
            if instructionSet == .avx2 {
                let r = SGDKernelAVX2.SparseGradient.accumulate(
                    sizes: sizes, parameters: parameters, blockSums: s.blockSums, work: s.work, totals: s.totals,
                    table: s.table, starts: sparse.starts, pixelIndices: sparse.indices, pixelBytes: sparse.bytes,
                    labels: labels.baseAddress!, images: images)
                return (r.lossSum, r.nonFiniteAt)
            }
            let r = SGDKernel.SparseGradient.accumulate(
                sizes: sizes, parameters: parameters, blockSums: s.blockSums, work: s.work, totals: s.totals,
                table: s.table, starts: sparse.starts, pixelIndices: sparse.indices, pixelBytes: sparse.bytes,
                labels: labels.baseAddress!, images: images)
            return (r.lossSum, r.nonFiniteAt)
        }
        guard report.1 == nil else { return .nan }
        let inverse = 1 / Double(data.count)
        for l in 0 ..< layout.layerCount {  // Double lanes → mean gradient
            let nIn = layout.sizes[l], nOut = layout.sizes[l + 1], c = layout.chunks[l + 1]
            let w = 8 * layout.weights[l], b = 8 * layout.biases[l], totals = s.totals
            gradient.weights[l].withUnsafeMutableBufferPointer { g in
                for i in 0 ..< nIn {
                    for j in 0 ..< nOut { g[i * nOut + j] = totals[w + 8 * c * i + j] * inverse }
                }
            }
            gradient.biases[l].withUnsafeMutableBufferPointer { g in
                for j in 0 ..< nOut { g[j] = totals[b + j] * inverse }
            }
        }
        return report.0 * inverse
    }

    /// The mean loss and gradient at `network` as a new value.
    public func lossAndGradient(at network: MLP) -> (loss: Double, gradient: Gradients) {
        var gradient = Gradients(zerosLike: network)
        let loss = lossAndGradient(at: network, into: &gradient)
        return (loss, gradient)
    }
}

/// A `FullBatchGradient`'s memory: Float parameters, block sums and work in `FastLayout`'s lanes,
/// the Double totals (8 per lane), and the byte → input table.
final class FullBatchStorage {
    let parameters: UnsafeMutablePointer<SGDKernel.FastLanes>
    let blockSums: UnsafeMutablePointer<SGDKernel.FastLanes>
    let work: UnsafeMutablePointer<SGDKernel.FastLanes>
    let totals: UnsafeMutablePointer<Double>
    let table: UnsafeMutablePointer<Float>

    init(layout: SGDKernel.FastLayout) {
        let lanes = layout.parameterCount
        parameters = .allocate(capacity: lanes)
        parameters.initialize(repeating: .zero, count: lanes)
        blockSums = .allocate(capacity: lanes)
        blockSums.initialize(repeating: .zero, count: lanes)
        work = .allocate(capacity: layout.workCount)
        work.initialize(repeating: .zero, count: layout.workCount)
        totals = .allocate(capacity: 8 * lanes)
        totals.initialize(repeating: 0, count: 8 * lanes)
        table = .allocate(capacity: 256)
        table.initialize(repeating: 0, count: 256)
    }

    deinit {
        parameters.deallocate()
        blockSums.deallocate()
        work.deallocate()
        totals.deallocate()
        table.deallocate()
    }
}
