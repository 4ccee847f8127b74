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
    /// The parameters, laid out as `FastLayout` says.
    private var parameters: [SGDKernel.FastLanes]
    /// Σ of per-sample gradients in a mini-batch (same layout); all zero between batches.
    private var gradients: [SGDKernel.FastLanes]
    /// Activations and deltas of the current sample.
    private var work: [SGDKernel.FastLanes]
    /// [0, n₀): indices of the non-zero pixels of the current sample; [n₀, 2n₀): the rows of
    /// W¹ with a gradient in the current batch; [2n₀, 3n₀): 1 for such a row, else 0.
    private var indices: [Int]
    /// [0, n₀): the input values of the non-zero pixels; [n₀, n₀ + 256): the input value of
    /// each pixel byte (byte / 255, or the byte itself for raw pixels).
    private var values: [Float]
    private let learningRate: Float

    /// A kernel that starts from `network` (its weights rounded to Float).
    ///
    /// - Parameters:
    ///   - learningRate: η; rounded to Float (0.003 becomes 0.003000000026…).
    ///   - scaling: how pixel bytes become inputs.
    ///   - instructionSet: the copy of the step to run; the best this processor has by default.
    ///     Asking for one it cannot run gives the baseline.
    public init(network: MLP, learningRate: Double, scaling: InputScaling,
                instructionSet: InstructionSet = .detected) {
        layout = SGDKernel.FastLayout(sizes: network.layerSizes)
        self.instructionSet = InstructionSet.available.contains(instructionSet) ? instructionSet : .baseline
        let n0 = layout.sizes[0]
        parameters = [SGDKernel.FastLanes](repeating: .zero, count: layout.parameterCount)
        gradients = parameters
        work = [SGDKernel.FastLanes](repeating: .zero, count: layout.workCount)
        indices = [Int](repeating: 0, count: 3 * n0)
        values = [Float](repeating: 0, count: n0 + 256)
        for byte in 0 ... 255 { values[n0 + byte] = Float(Double(byte) * scaling.factor) }
        self.learningRate = Float(learningRate)
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

    public mutating func train(_ data: ImageDataset, order: ArraySlice<Int>, batchSize: Int) -> KernelReport {
        precondition(batchSize >= 1, "batch size must be positive")
        precondition(data.pixelsPerImage == layout.sizes[0], "the images must have one pixel per network input")
        // Move the buffers out of `self` so that the closures below borrow locals, not `self`.
        var parameters = self.parameters, gradients = self.gradients, work = self.work
        var indices = self.indices, values = self.values
        self.parameters = []; self.gradients = []; self.work = []; self.indices = []; self.values = []
        defer {
            self.parameters = parameters; self.gradients = gradients; self.work = work
            self.indices = indices; self.values = values
        }
        let layout = self.layout, learningRate = self.learningRate, instructionSet = self.instructionSet
        return data.pixels.withUnsafeBufferPointer { pixels in
            data.labels.withUnsafeBufferPointer { labels in
                parameters.withUnsafeMutableBufferPointer { p in
                    gradients.withUnsafeMutableBufferPointer { g in
                        work.withUnsafeMutableBufferPointer { w in
                            indices.withUnsafeMutableBufferPointer { index in
                                values.withUnsafeMutableBufferPointer { value in
                                    let (p, g, w) = (p.baseAddress!, g.baseAddress!, w.baseAddress!)
                                    let (index, value) = (index.baseAddress!, value.baseAddress!)
                                    let (pixels, labels) = (pixels.baseAddress!, labels.baseAddress!)
                                    if instructionSet == .avx2 {
                                        let run = SGDKernelAVX2.SparseSGD.train(
                                            sizes: layout.sizes, parameters: p, gradients: g, work: w, indices: index,
                                            values: value, learningRate: learningRate, pixels: pixels, labels: labels,
                                            order: order, batchSize: batchSize)
                                        return KernelReport(lossSum: run.lossSum, trained: run.trained,
                                                            divergedAt: run.divergedAt, divergedLoss: run.divergedLoss)
                                    }
                                    let run = SGDKernel.SparseSGD.train(
                                        sizes: layout.sizes, parameters: p, gradients: g, work: w, indices: index,
                                        values: value, learningRate: learningRate, pixels: pixels, labels: labels,
                                        order: order, batchSize: batchSize)
                                    return KernelReport(lossSum: run.lossSum, trained: run.trained,
                                                        divergedAt: run.divergedAt, divergedLoss: run.divergedLoss)
                                }
                            }
                        }
                    }
                }
            }
        }
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
