// The Float32 full-batch gradient against its Double twin (the reference backpropagation summed)
// and against the per-sample gradients summed one by one and through the fast SGD kernel's own
// mini-batch sum, both compiled copies, within a tolerance derived below.

import Foundation
import LabSupport
import MNISTData
@testable import MNISTNet
import XCTest

final class FullBatchGradientTests: XCTestCase {
    static let u = Double(Float.ulpOfOne) / 2

    /// Per tensor T, the tolerance on |ḡ_fast − ḡ_double| for every entry:
    /// ```
    /// τ_T = (n₀ + B) · u · max_{e ∈ T} (1/N) Σ_n |g_{n,e}|
    /// ```
    /// Where it comes from: each image's gradient entry is a product of a Float input or
    /// activation with a Float δ; δ carries the rounding of the first layer's dot products (up
    /// to n₀ terms: γ_{n₀} ≈ n₀·u relative to Σ|x_i W_ij|, which the sigmoid's slope ≤ ¼ does not
    /// amplify), of the layer-2…L sums (n₁, n₂ ≪ n₀ terms) and of σ and softmax (a few ulp). A
    /// block of B = 256 images is summed in Float (error ≤ (B − 1)·u·Σ|g_{n,e}| over the block);
    /// the block sums in Double add nothing visible. Errors of entries that cancel in the sum
    /// are measured against the tensor's typical magnitude, hence the maximum over the tensor.
    /// Measured on 600 MNIST images: the largest ratio |error| / τ is about 0.002 (roundings
    /// cancel); a missing image changes some entry by ≈ |g_n|/N, about 100 τ (checked below).
    static func tolerances(perSample: [Gradients], layerSizes: [Int]) -> (weights: [Double], biases: [Double]) {
        let n = Double(perSample.count), factor = Double(layerSizes[0] + 256) * u
        func scale(_ tensors: (Gradients) -> [[Double]]) -> [Double] {
            tensors(perSample[0]).indices.map { l in
                var sums = [Double](repeating: 0, count: tensors(perSample[0])[l].count)
                for g in perSample { for (k, v) in tensors(g)[l].enumerated() { sums[k] += abs(v) } }
                return factor * (sums.max() ?? 0) / n
            }
        }
        return (scale(\.weights), scale(\.biases))
    }

    /// Each image's gradient by the public per-sample API: `backward(forward(x))`.
    static func perSample(_ network: MLP, _ data: ImageDataset, scaling: InputScaling) -> [Gradients] {
        (0 ..< data.count).map { network.backward(network.forward(data, at: $0, scaling: scaling), label: Int(data.labels[$0])) }
    }

    /// Largest |a − b| / τ over every entry of every tensor.
    static func worstRatio(_ a: Gradients, _ b: Gradients, _ tau: (weights: [Double], biases: [Double])) -> Double {
        var worst = 0.0
        for l in a.weights.indices {
            for (x, y) in zip(a.weights[l], b.weights[l]) { worst = max(worst, abs(x - y) / tau.weights[l]) }
            for (x, y) in zip(a.biases[l], b.biases[l]) { worst = max(worst, abs(x - y) / tau.biases[l]) }
        }
        return worst
    }

    static func scaled(_ g: Gradients, by factor: Double) -> Gradients {
        var out = g
        for l in out.weights.indices {
            out.weights[l] = out.weights[l].map { $0 * factor }
            out.biases[l] = out.biases[l].map { $0 * factor }
        }
        return out
    }

    /// 600 real MNIST images (two whole blocks of 256 and a partial one) at the seeded start:
    /// the Float gradient against the Double twin and against the per-sample gradients summed.
    func testMatchesDoubleTwinOnMNIST() throws {
        let data = try MNISTSets.train.get().prefix(600)
        let network = try MLP()
        let (sumLoss, sum) = network.lossAndGradients(on: data, indices: Array(0 ..< data.count))
        let reference = Self.scaled(sum, by: 1 / Double(data.count))
        let samples = Self.perSample(network, data, scaling: .unit)
        var added = Gradients(zerosLike: network)
        for g in samples {
            for l in added.weights.indices {
                for k in added.weights[l].indices { added.weights[l][k] += g.weights[l][k] }
                for k in added.biases[l].indices { added.biases[l][k] += g.biases[l][k] }
            }
        }
        let tau = Self.tolerances(perSample: samples, layerSizes: network.layerSizes)
        // The per-sample sum is the Double twin up to Double rounding.
        XCTAssertLessThan(Self.worstRatio(Self.scaled(added, by: 1 / Double(data.count)), reference, tau), 1e-6)
        for set in FastKernel.InstructionSet.allCases {
            let fast = FullBatchGradient(data: data, layerSizes: network.layerSizes, scaling: .unit, instructionSet: set)
            let (loss, gradient) = fast.lossAndGradient(at: network)
            XCTAssertEqual(loss, sumLoss / Double(data.count), accuracy: 784 * Self.u * loss, "\(set)")
            let ratio = Self.worstRatio(gradient, reference, tau)
            print("full-batch gradient \(set) vs Double twin on 600 images: worst |error| / τ = \(ratio)")
            XCTAssertLessThanOrEqual(ratio, 1, "\(set)")
        }
        // The check can fail: leaving one image out moves some entry by far more than τ.
        let fewer = FullBatchGradient(data: data.prefix(599), layerSizes: network.layerSizes, scaling: .unit)
        let partial = Self.scaled(fewer.lossAndGradient(at: network).gradient, by: 599 / 600)
        XCTAssertGreaterThan(Self.worstRatio(partial, reference, tau), 10)
    }

    /// Odd shapes (padding lanes, the generic first-layer path, three hidden layers), raw and
    /// scaled inputs, N = 700 (blocks of 256, 256, 188), both compiled copies.
    func testOddShapesMatchPerSampleSums() throws {
        for (sizes, scaling) in [([12, 5, 4, 3], InputScaling.unit), ([20, 17, 9, 8, 2], .unit), ([12, 40, 3], .raw),
                                 ([16, 8, 8], .unit)] {
            let data = FastKernelTests.sparseData(count: 700, rows: sizes[0] / 4, columns: 4, classes: sizes.last!, seed: 5)
            let network = try MLP(layerSizes: sizes, seed: 9)
            let samples = Self.perSample(network, data, scaling: scaling)
            var reference = Gradients(zerosLike: network)
            for g in samples {
                for l in reference.weights.indices {
                    for k in reference.weights[l].indices { reference.weights[l][k] += g.weights[l][k] / 700 }
                    for k in reference.biases[l].indices { reference.biases[l][k] += g.biases[l][k] / 700 }
                }
            }
            let tau = Self.tolerances(perSample: samples, layerSizes: sizes)
            for set in FastKernel.InstructionSet.allCases {
                let fast = FullBatchGradient(data: data, layerSizes: sizes, scaling: scaling, instructionSet: set)
                XCTAssertLessThanOrEqual(Self.worstRatio(fast.lossAndGradient(at: network).gradient, reference, tau), 1,
                                         "\(sizes) \(scaling) \(set)")
            }
        }
    }

    /// A second, independent Float path: the fast SGD kernel with one mini-batch of all N
    /// images takes θ − η Σ_n ∇_n; full-batch gradient descent takes θ − η·N·ḡ. One step of
    /// each agrees to Float rounding of the update (the tolerance of `FastKernelTests` for one
    /// step, plus η·N·τ for the two gradients' own rounding).
    func testOneStepEqualsTheFastKernelsWholeBatchStep() throws {
        let data = try MNISTSets.train.get().prefix(512)
        let network = try MLP()
        let eta = 0.5 / 512  // a mean-loss step of 0.5
        var kernel = FastKernel(network: network, learningRate: eta, scaling: .unit)
        _ = kernel.train(data, order: Array(0 ..< 512)[...], batchSize: 512)
        let fast = FullBatchGradient(data: data, layerSizes: network.layerSizes, scaling: .unit)
        var stepped = network
        stepped.step(along: fast.lossAndGradient(at: network).gradient, learningRate: 0.5)
        let samples = Self.perSample(network, data, scaling: .unit)
        let tau = Self.tolerances(perSample: samples, layerSizes: network.layerSizes)
        let bound = FastKernelTests.weightTolerance(steps: 1, network: network)
            + 0.5 * (tau.weights + tau.biases).max()! * 2
        let difference = FastKernelTests.maxDifference(kernel.network, stepped)
        XCTAssertLessThanOrEqual(difference, bound)
        XCTAssertGreaterThan(FastKernelTests.maxDifference(stepped, network), 100 * bound, "the step must move the weights")
    }

    /// Weights beyond Float's range (1e300 rounds to +∞) give a non-finite loss (divergence),
    /// not a crash.
    func testOverflowGivesNonFiniteLoss() throws {
        let data = FastKernelTests.sparseData(count: 10, rows: 3, columns: 4, classes: 3, seed: 1)
        var network = try MLP(layerSizes: [12, 4, 3], seed: 2)
        network.layers[1].weights = network.layers[1].weights.map { _ in 1e300 }
        let fast = FullBatchGradient(data: data, layerSizes: network.layerSizes, scaling: .raw)
        XCTAssertFalse(fast.lossAndGradient(at: network).loss.isFinite)
    }
}
