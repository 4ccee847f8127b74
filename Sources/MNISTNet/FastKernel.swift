// The fast SGD kernel (Question 2, fast-training issue): the homework's per-sample SGD — and
// mini-batch SGD on the summed loss — in Float32 with SIMD8 rows. The first layer reads and
// updates only the rows of the non-zero pixels (about 19 % of MNIST's); layers 2…L are small,
// dense and SIMD. Nothing is allocated inside a step. `ReferenceKernel` is the yardstick.
//
// The arithmetic lives in `SGDKernel` (SparseSGD.swift), compiled a second time as
// `SGDKernelAVX2` with AVX2 and FMA; this type owns the buffers and picks the copy the
// processor can run. The names of the two modules are spelled out: they declare the same types.

import CPUFeatures
import Foundation
import MNISTData
import SGDKernel
import SGDKernelAVX2

/// Float32 SGD with a sparse first layer; same contract as `TrainingKernel` (see there).
///
/// Per-sample step (batch size 1), with S = {i : x_i ≠ 0} the non-zero pixels:
/// ```
/// z¹ = b¹ + Σ_{i∈S} x_i W¹[i, :]               only |S| rows of W¹ are read
/// aˡ = σ(zˡ),  z^{l+1} = b^{l+1} + aˡ W^{l+1}   dense, l = 1 … L−1
/// δᴸ = softmax(zᴸ) − onehot(y)
/// δˡ = (W^{l+1} δ^{l+1}) ⊙ aˡ ⊙ (1 − aˡ)        with W^{l+1} before its update
/// W^{l+1} −= η (aˡ)ᵀ δ^{l+1},  b^{l+1} −= η δ^{l+1}
/// W¹[i, :] −= η x_i δ¹  for i ∈ S only           (rows of zero pixels have zero gradient)
/// ```
/// Mini-batches sum the same per-sample gradients (W¹ only over the union of the samples'
/// non-zero rows) and apply them once at the end of the batch.
///
/// Precision: parameters, activations and updates are Float (unit roundoff u = 2⁻²⁴ ≈ 6e-8);
/// the loss is reported in Double. The tests bound the difference from `ReferenceKernel`
/// (`FastKernelTests`): after N steps the weights agree to a few N·u relative to their size.
public struct FastKernel: TrainingKernel {
    let layout: SGDKernel.FastLayout
    /// Which copy of the step runs.
    public let instructionSet: InstructionSet
    /// Parameters and scratch memory; copied before a write when another kernel shares it.
    private var storage: FastStorage
    private let learningRate: Float

    /// The largest image the kernel takes: pixel indices are stored in 16 bits.
    public static let maximumInputCount = 1 << 16

    /// A kernel that starts from `network` (its weights rounded to Float).
    ///
    /// - Parameters:
    ///   - network: the starting weights and biases.
    ///   - learningRate: η; rounded to Float (0.003 becomes 0.003000000026…).
    ///   - scaling: how pixel bytes become inputs.
    ///   - instructionSet: the copy of the step to run; the best this processor has by default.
    ///     Asking for one it cannot run gives the baseline.
    /// - Precondition: at most `maximumInputCount` inputs (`TrainingKernelKind` checks).
    public init(network: MLP, learningRate: Double, scaling: InputScaling,
                instructionSet: InstructionSet = .detected) {
        precondition(network.inputCount <= Self.maximumInputCount, "the fast kernel takes at most 65,536 inputs")
        layout = SGDKernel.FastLayout(sizes: network.layerSizes)
        self.instructionSet = InstructionSet.available.contains(instructionSet) ? instructionSet : .baseline
        storage = FastStorage(layout: layout)
        for byte in 0 ... 255 { storage.table[byte] = Float(Double(byte) * scaling.factor) }
        self.learningRate = Float(learningRate)
        let parameters = storage.parameters
        for (l, layer) in network.layers.enumerated() {
            let c = layout.chunks[l + 1], w = layout.weights[l], b = layout.biases[l]
            for i in 0 ..< layer.inputCount {
                for j in 0 ..< layer.outputCount {
                    parameters[w + i * c + j >> 3][j & 7] = Float(layer.weights[i * layer.outputCount + j])
                }
            }
            for j in 0 ..< layer.outputCount { parameters[b + j >> 3][j & 7] = Float(layer.biases[j]) }
        }
    }

    /// The current parameters, widened exactly to Double.
    public var network: MLP {
        let parameters = storage.parameters
        var layers: [DenseLayer] = []
        for l in 0 ..< layout.layerCount {
            let nIn = layout.sizes[l], nOut = layout.sizes[l + 1]
            let c = layout.chunks[l + 1], w = layout.weights[l], b = layout.biases[l]
            var weights = [Double](repeating: 0, count: nIn * nOut)
            for i in 0 ..< nIn {
                for j in 0 ..< nOut { weights[i * nOut + j] = Double(parameters[w + i * c + j >> 3][j & 7]) }
            }
            let biases = (0 ..< nOut).map { Double(parameters[b + $0 >> 3][$0 & 7]) }
            layers.append(DenseLayer(inputCount: nIn, outputCount: nOut, weights: weights, biases: biases))
        }
        return MLP(layers: layers)
    }

    /// Trains as `TrainingKernel` says, reading the images through their list of non-zero
    /// pixels (`ImageDataset.nonZeroPixels`, made on first use and kept with the dataset).
    public mutating func train(_ data: ImageDataset, order: ArraySlice<Int>, batchSize: Int) -> KernelReport {
        precondition(batchSize >= 1, "batch size must be positive")
        precondition(data.pixelsPerImage == layout.sizes[0], "the images must have one pixel per network input")
        if !isKnownUniquelyReferenced(&storage) { storage = FastStorage(copying: storage, layout: layout) }
        let sparse = data.nonZeroPixels
        let s = storage, sizes = layout.sizes, learningRate = learningRate, avx2 = instructionSet == .avx2
        return data.labels.withUnsafeBufferPointer { labels in
            if avx2 {
                let run = SGDKernelAVX2.SparseSGD.train(
                    sizes: sizes, parameters: s.parameters, gradients: s.gradients, work: s.work, rows: s.rows,
                    table: s.table, learningRate: learningRate, starts: sparse.starts, pixelIndices: sparse.indices,
                    pixelBytes: sparse.bytes, labels: labels.baseAddress!, order: order, batchSize: batchSize)
                return KernelReport(lossSum: run.lossSum, trained: run.trained,
                                    divergedAt: run.divergedAt, divergedLoss: run.divergedLoss)
            }
            let run = SGDKernel.SparseSGD.train(
                sizes: sizes, parameters: s.parameters, gradients: s.gradients, work: s.work, rows: s.rows,
                table: s.table, learningRate: learningRate, starts: sparse.starts, pixelIndices: sparse.indices,
                pixelBytes: sparse.bytes, labels: labels.baseAddress!, order: order, batchSize: batchSize)
            return KernelReport(lossSum: run.lossSum, trained: run.trained,
                                divergedAt: run.divergedAt, divergedLoss: run.divergedLoss)
        }
    }
}

/// A `FastKernel`'s memory, allocated once so that a `train` call reaches it through plain
/// pointers: parameters and gradient sums (`FastLayout`), work (activations and deltas), the
/// rows of W¹ touched in a mini-batch and their flags (2·n₀), and the input value of each pixel
/// byte (256). Gradient sums and flags are zero between batches.
final class FastStorage {
    let parameters: UnsafeMutablePointer<SGDKernel.FastLanes>
    let gradients: UnsafeMutablePointer<SGDKernel.FastLanes>
    let work: UnsafeMutablePointer<SGDKernel.FastLanes>
    let rows: UnsafeMutablePointer<Int>
    let table: UnsafeMutablePointer<Float>
    private let lanes: Int, workLanes: Int, rowCount: Int

    /// Zeroed memory for `layout`.
    init(layout: SGDKernel.FastLayout) {
        lanes = layout.parameterCount
        workLanes = layout.workCount
        rowCount = 2 * layout.sizes[0]
        parameters = .allocate(capacity: lanes)
        parameters.initialize(repeating: .zero, count: lanes)
        gradients = .allocate(capacity: lanes)
        gradients.initialize(repeating: .zero, count: lanes)
        work = .allocate(capacity: workLanes)
        work.initialize(repeating: .zero, count: workLanes)
        rows = .allocate(capacity: rowCount)
        rows.initialize(repeating: 0, count: rowCount)
        table = .allocate(capacity: 256)
        table.initialize(repeating: 0, count: 256)
    }

    /// A copy of `other` (same layout).
    convenience init(copying other: FastStorage, layout: SGDKernel.FastLayout) {
        self.init(layout: layout)
        parameters.update(from: other.parameters, count: lanes)
        gradients.update(from: other.gradients, count: lanes)
        work.update(from: other.work, count: workLanes)
        rows.update(from: other.rows, count: rowCount)
        table.update(from: other.table, count: 256)
    }

    deinit {
        parameters.deallocate()
        gradients.deallocate()
        work.deallocate()
        rows.deallocate()
        table.deallocate()
    }
}

extension FastKernel {
    /// The two compiled copies of the SGD step.
    public enum InstructionSet: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
        /// 256-bit lanes and fused multiply-add (x86-64 processors since about 2013–2015).
        case avx2 = "avx2-fma"
        /// The target's baseline: SSE2 on x86-64, NEON on arm64; runs everywhere.
        case baseline

        /// The best copy this processor can run.
        public static let detected: InstructionSet = available.contains(.avx2) ? .avx2 : .baseline

        /// The copies this processor can run: the AVX2 one only when it was compiled with AVX2
        /// (x86-64 builds) and the processor and operating system support AVX2 and FMA.
        public static let available: [InstructionSet] =
            SGDKernelAVX2.SparseSGD.instructionSet == "AVX2+FMA" && gdlab_cpu_has_avx2_fma() != 0
                ? [.avx2, .baseline] : [.baseline]

        public var description: String {
            switch self {
            case .avx2: return "AVX2+FMA"
            case .baseline:
                #if arch(x86_64)
                return "SSE2"
                #elseif arch(arm64)
                return "NEON"
                #else
                return "baseline SIMD"
                #endif
            }
        }
    }
}
