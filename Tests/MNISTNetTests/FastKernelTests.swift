// The fast kernel against the reference kernel: weights after N steps within a Float tolerance
// derived below, the same test-set predictions, mini-batches, raw-pixel safety, divergence,
// stopping, and the sparse evaluation that must equal the dense one bit for bit.

import Foundation
import LabSupport
@testable import MNISTData
@testable import MNISTNet
@testable import SGDKernel
import XCTest

final class FastKernelTests: XCTestCase {
    /// Float's unit roundoff u = 2⁻²⁴ ≈ 6.0e-8.
    static let u = Double(Float.ulpOfOne) / 2

    /// The tolerance on weights after `steps` SGD steps:
    /// ```
    /// |θ_fast − θ_reference| ≤ 2 · steps · u · max(1, max|w|)
    /// ```
    /// Where it comes from: the fast kernel rounds to Float what the reference computes in
    /// Double. Per step and weight that is the rounding of w − η·x·δ (≤ u|w|), of the update
    /// product (≤ 2u·|η x δ|, and |η x δ| ≪ |w| at η = 0.003) and the forward-pass error carried
    /// into the update (η·x·Δδ with Δδ ~ n·u: again scaled down by η); the start weights are
    /// rounded once (≤ u|w|). Errors already in θ feed back only through η·∇, which at these step
    /// sizes does not amplify them. So each step adds at most about u·|w| and, added up
    /// linearly (the worst case), C = 2 covers the small terms. Measured on MNIST after 2,000
    /// homework steps: 1.2e-6 against this bound of 2.4e-4 (roundings mostly cancel, growing
    /// like √steps). A bug — a row not updated, a wrong sign — moves weights by η·|∇|, and the
    /// tests also require the weights to have moved 100× the tolerance, so it cannot hide.
    static func weightTolerance(steps: Int, network: MLP) -> Double {
        let largest = network.layers.flatMap(\.weights).map(abs).max() ?? 1
        return 2 * Double(steps) * u * max(largest, 1)
    }

    /// Largest |a − b| over every weight and bias.
    static func maxDifference(_ a: MLP, _ b: MLP) -> Double {
        var worst = 0.0
        for (x, y) in zip(a.layers, b.layers) {
            for (p, q) in zip(x.weights, y.weights) { worst = max(worst, abs(p - q)) }
            for (p, q) in zip(x.biases, y.biases) { worst = max(worst, abs(p - q)) }
        }
        return worst
    }

    /// Every parameter's bit pattern (NaN-safe equality).
    static func bits(_ net: MLP) -> [UInt64] {
        net.layers.flatMap { $0.weights.map(\.bitPattern) + $0.biases.map(\.bitPattern) }
    }

    static func train(_ start: MLP, _ data: ImageDataset, _ kernel: TrainingKernelKind, lr: Double = 0.003,
                      epochs: Int = 1, batchSize: Int = 1, limit: Int? = nil, scaling: InputScaling = .unit)
        throws -> TrainingResult
    {
        try Training.train(start, on: data, options: TrainingOptions(
            learningRate: lr, epochs: epochs, batchSize: batchSize, inputScaling: scaling,
            trainLimit: limit, kernel: kernel))
    }

    /// Random images with about 20 % non-zero pixels (like MNIST) for small nets.
    static func sparseData(count: Int, rows: Int, columns: Int, classes: Int, seed: UInt64) -> ImageDataset {
        var generator = SeededGenerator(seed: seed)
        let pixels = (0 ..< count * rows * columns).map { _ -> UInt8 in
            generator.next() % 5 == 0 ? UInt8(truncatingIfNeeded: generator.next() | 1) : 0
        }
        let labels = (0 ..< count).map { _ in UInt8(generator.next() % UInt64(classes)) }
        return ImageDataset(pixels: pixels, labels: labels, rows: rows, columns: columns)
    }

    func testDefaultKernelIsFast() {
        XCTAssertEqual(TrainingOptions().kernel, .fast)
        XCTAssertEqual(TrainingOptions.homework.kernel, .fast)
        XCTAssertEqual(Set(TrainingKernelKind.allCases), [.fast, .fastBaseline, .reference])
    }

    /// The two compiled copies: `.fast` runs the best one the processor has, `.fastBaseline`
    /// the baseline; an instruction set the processor lacks falls back to the baseline.
    func testInstructionSetSelection() throws {
        let net = try MLP(layerSizes: [12, 5, 3], seed: 2)
        XCTAssertTrue(FastKernel.InstructionSet.available.contains(.baseline))
        XCTAssertEqual(FastKernel.InstructionSet.detected, FastKernel.InstructionSet.available[0])
        XCTAssertEqual(FastKernel(network: net, learningRate: 0.1, scaling: .unit).instructionSet, .detected)
        for set in FastKernel.InstructionSet.allCases {
            let kernel = FastKernel(network: net, learningRate: 0.1, scaling: .unit, instructionSet: set)
            XCTAssertEqual(kernel.instructionSet, FastKernel.InstructionSet.available.contains(set) ? set : .baseline)
        }
        #if arch(x86_64)
        // CI's machines have AVX2: there, a build that lost the compiler flags would pass every
        // other test while running the slow copy.
        if ProcessInfo.processInfo.environment["GDLAB_EXPECT_AVX2"] == "1" {
            XCTAssertEqual(FastKernel.InstructionSet.detected, .avx2)
        }
        #endif
    }

    /// The list of non-zero pixels the fast kernel reads: exactly each image's non-zero bytes,
    /// in order, for image sizes that do and do not fill whole eight-byte words; made once and
    /// shared by copies of the dataset.
    func testSparsePixelsListEveryNonZeroPixel() throws {
        for (rows, columns) in [(28, 28), (3, 5), (1, 1), (7, 9)] {
            let data = Self.sparseData(count: 40, rows: rows, columns: columns, classes: 3, seed: UInt64(rows * columns))
            let list = data.sparsePixels
            let n0 = data.pixelsPerImage
            XCTAssertEqual(list.starts[0], 0)
            for n in 0 ..< data.count {
                let expected = (0 ..< n0).filter { data.pixels[n * n0 + $0] != 0 }
                let listed = (list.starts[n] ..< list.starts[n + 1]).map { Int(list.indices[$0]) }
                XCTAssertEqual(listed, expected, "\(rows)×\(columns) image \(n)")
                XCTAssertEqual((list.starts[n] ..< list.starts[n + 1]).map { list.bytes[$0] },
                               expected.map { data.pixels[n * n0 + $0] })
            }
            let copy = data
            XCTAssertTrue(copy.sparsePixels === list, "made once, kept with the dataset")
        }
        // Images of more than 65,536 pixels (possible only through `MLP(layers:)`: the checked
        // initialiser stops at 16,384 units) go to the reference kernel.
        let wide = MLP(layers: [
            DenseLayer(inputCount: 70_000, outputCount: 2, weights: [Double](repeating: 0, count: 140_000), biases: [0, 0]),
            DenseLayer(inputCount: 2, outputCount: 2, weights: [0, 0, 0, 0], biases: [0, 0]),
        ])
        XCTAssertTrue(TrainingKernelKind.fast.makeKernel(network: wide, learningRate: 0.1, scaling: .unit) is ReferenceKernel)
        XCTAssertTrue(TrainingKernelKind.fast.makeKernel(network: try MLP(), learningRate: 0.1, scaling: .unit) is FastKernel)
    }

    /// Both compiled copies of the fast kernel (the same one twice where AVX2 is missing).
    static let fastKinds: [TrainingKernelKind] = [.fast, .fastBaseline]

    /// The kernel holds Float parameters: handing them back widens Float(w) exactly.
    func testNetworkRoundTripsThroughFloat() throws {
        for sizes in [[784, 32, 32, 10], [6, 5, 4, 3], [10, 17, 9, 8, 2]] {
            let net = try MLP(layerSizes: sizes, seed: 4)
            let kernel = FastKernel(network: net, learningRate: 0.1, scaling: .unit)
            let back = kernel.network
            XCTAssertEqual(back.layerSizes, sizes)
            for (a, b) in zip(net.layers, back.layers) {
                XCTAssertEqual(a.weights.map { Double(Float($0)) }, b.weights)
                XCTAssertEqual(a.biases.map { Double(Float($0)) }, b.biases)
            }
        }
    }

    /// The homework setting on real MNIST: 2,000 per-sample steps from the seeded start.
    func testPerSampleWeightsMatchReferenceOnMNIST() throws {
        let train = try MNISTSets.train.get()
        let start = try MLP()
        let steps = 2000
        let reference = try Self.train(start, train, .reference, limit: steps)
        let tolerance = Self.weightTolerance(steps: steps, network: reference.network)
        XCTAssertGreaterThan(Self.maxDifference(reference.network, start), 100 * tolerance,
                             "training must move the weights far more than the tolerance")
        for kind in Self.fastKinds {
            let fast = try Self.train(start, train, kind, limit: steps)
            let difference = Self.maxDifference(fast.network, reference.network)
            XCTAssertLessThanOrEqual(difference, tolerance, "\(kind)")
            print("\(kind) vs reference after \(steps) steps: max |Δθ| = \(difference), tolerance \(tolerance), moved \(Self.maxDifference(reference.network, start))")
            XCTAssertEqual(fast.lossCurve.count, reference.lossCurve.count)
            for (a, b) in zip(fast.lossCurve, reference.lossCurve) {
                XCTAssertEqual(a.meanLoss, b.meanLoss, accuracy: 1e-4 * b.meanLoss, "\(kind)")
            }
        }
    }

    /// Odd sizes (padding lanes, the generic first-layer path, three hidden layers), raw and
    /// scaled inputs, several epochs.
    func testPerSampleWeightsMatchReferenceForOddShapes() throws {
        for (sizes, scaling) in [([12, 5, 4, 3], InputScaling.unit), ([20, 17, 9, 8, 2], .unit), ([12, 40, 3], .raw)] {
            let data = Self.sparseData(count: 50, rows: sizes[0] / 4, columns: 4, classes: sizes.last!, seed: 3)
            let start = try MLP(layerSizes: sizes, seed: 8)
            let lr = scaling == .raw ? 0.0005 : 0.05
            let reference = try Self.train(start, data, .reference, lr: lr, epochs: 4, scaling: scaling)
            for kind in Self.fastKinds {
                let fast = try Self.train(start, data, kind, lr: lr, epochs: 4, scaling: scaling)
                XCTAssertEqual(fast.outcome, .completed)
                let steps = 200
                XCTAssertLessThanOrEqual(Self.maxDifference(fast.network, reference.network),
                                         Self.weightTolerance(steps: steps, network: reference.network), "\(kind) \(sizes) \(scaling)")
            }
            XCTAssertGreaterThan(Self.maxDifference(reference.network, start), 1e-3, "\(sizes): the weights moved")
        }
    }

    /// Mini-batches: the summed gradient of B samples applied once, on real MNIST and on an
    /// odd shape with a short last batch.
    func testMiniBatchMatchesReference() throws {
        let train = try MNISTSets.train.get()
        let start = try MLP()
        let reference = try Self.train(start, train, .reference, lr: 0.003, batchSize: 64, limit: 3000)
        XCTAssertGreaterThan(Self.maxDifference(reference.network, start), 1e-2)
        let data = Self.sparseData(count: 23, rows: 3, columns: 4, classes: 3, seed: 5)
        let small = try MLP(layerSizes: [12, 9, 3], seed: 1)
        let b = try Self.train(small, data, .reference, lr: 0.02, epochs: 3, batchSize: 5)
        for kind in Self.fastKinds {
            let fast = try Self.train(start, train, kind, lr: 0.003, batchSize: 64, limit: 3000)
            let batches = (3000 + 63) / 64
            XCTAssertLessThanOrEqual(Self.maxDifference(fast.network, reference.network),
                                     Self.weightTolerance(steps: batches * 64, network: reference.network), "\(kind)")
            XCTAssertEqual(fast.lossCurve.map(\.samplesSeen), reference.lossCurve.map(\.samplesSeen))

            let a = try Self.train(small, data, kind, lr: 0.02, epochs: 3, batchSize: 5)
            XCTAssertLessThanOrEqual(Self.maxDifference(a.network, b.network), Self.weightTolerance(steps: 69, network: b.network))
            // And differs from per-sample SGD by far more than the tolerance: the batch is honoured.
            let perSample = try Self.train(small, data, kind, lr: 0.02, epochs: 3)
            XCTAssertGreaterThan(Self.maxDifference(a.network, perSample.network), 1e-3)
        }
    }

    /// After a short real run, both kernels classify the test set the same way (up to the few
    /// samples whose top two probabilities are within rounding of each other).
    func testSamePredictionsOnTheTestSet() throws {
        let train = try MNISTSets.train.get(), test = try MNISTSets.test.get()
        let start = try MLP()
        let reference = try Self.train(start, train, .reference, lr: 0.03, limit: 3000)
        let b = try reference.network.evaluate(on: test)
        for kind in Self.fastKinds {
            let fast = try Self.train(start, train, kind, lr: 0.03, limit: 3000)
            let a = try fast.network.evaluate(on: test)
            let agree = zip(a.predictions, b.predictions).filter { $0 == $1 }.count
            XCTAssertGreaterThanOrEqual(Double(agree) / Double(test.count), 0.999, "\(kind)")
            XCTAssertEqual(a.accuracy, b.accuracy, accuracy: 0.002, "\(kind)")
            XCTAssertGreaterThan(a.accuracy, 0.7)
        }
    }

    /// Raw 0…255 pixels drive the first layer deep into saturation; nothing overflows to NaN.
    func testRawPixelsStayFinite() throws {
        let train = try MNISTSets.train.get()
        var big = try MLP()
        for l in big.layers.indices { big.layers[l].weights = big.layers[l].weights.map { $0 * 1000 } }
        for kind in Self.fastKinds {
            let result = try Self.train(try MLP(), train, kind, limit: 3000, scaling: .raw)
            XCTAssertEqual(result.outcome, .completed)
            XCTAssertTrue(result.lossCurve.allSatisfy { $0.meanLoss.isFinite })
            XCTAssertTrue(result.network.layers.allSatisfy { $0.weights.allSatisfy(\.isFinite) && $0.biases.allSatisfy(\.isFinite) })
            // Weights blown up 1000×: pre-activations of ±1e5 and more, still finite losses.
            let saturated = try Self.train(big, train, kind, lr: 1e-6, limit: 200, scaling: .raw)
            XCTAssertEqual(saturated.outcome, .completed)
            XCTAssertTrue(saturated.lossCurve.allSatisfy { $0.meanLoss.isFinite })
        }
    }

    /// The lane-wise sigmoid: within a few Float ulps of the Double one, exact at the ends,
    /// NaN in, NaN out.
    func testSigmoidLanesAtExtremes() {
        let inputs: [Float] = [-.infinity, -1e30, -1000, -88.8, -30, -1, -1e-8, 0, 1e-8, 0.5, 17, 88.8, 1000, 1e30, .infinity]
        for start in stride(from: 0, to: inputs.count, by: 8) {
            var lanes = SIMD8<Float>()
            for k in 0 ..< 8 { lanes[k] = inputs[min(start + k, inputs.count - 1)] }
            let s = FastMath.sigmoid(lanes)
            for k in 0 ..< 8 {
                let expected = Activation.sigmoid(Double(lanes[k]))
                XCTAssertTrue(s[k] >= 0 && s[k] <= 1, "σ(\(lanes[k])) = \(s[k])")
                XCTAssertEqual(Double(s[k]), expected, accuracy: 4 * Double(Float.ulpOfOne) * expected + Double(Float.leastNormalMagnitude),
                               "σ(\(lanes[k]))")
            }
        }
        var nan = SIMD8<Float>(repeating: 1)
        nan[3] = .nan
        let s = FastMath.sigmoid(nan)
        XCTAssertTrue(s[3].isNaN)
        XCTAssertEqual(s[0], 1 / (1 + exp(Float(-1))), accuracy: 1e-6)
    }

    /// A learning rate far too large: the fast kernel stops at the first non-finite loss and
    /// names the sample, per sample and in mini-batches (the failing batch is not applied).
    func testDivergenceIsDetected() throws {
        let data = Self.sparseData(count: 40, rows: 3, columns: 4, classes: 3, seed: 2)
        let net = try MLP(layerSizes: [12, 8, 8, 3], seed: 3)
        let cases = Self.fastKinds.flatMap { kind in [(kind, 1, 1e38), (kind, 4, 1e38), (kind, 1, 1e308)] }  // 1e308: +∞ as a Float
        for (kind, batchSize, lr) in cases {
            let result = try Self.train(net, data, kind, lr: lr, epochs: 3, batchSize: batchSize, scaling: .raw)
            guard case let .diverged(epoch, sampleIndex, samplesSeen, loss) = result.outcome else {
                return XCTFail("\(kind), batch \(batchSize): expected divergence, got \(result.outcome)")
            }
            XCTAssertEqual(epoch, 1)
            XCTAssertFalse(loss.isFinite)
            XCTAssertGreaterThan(samplesSeen, 0)
            XCTAssertEqual(samplesSeen % batchSize, 0, "whole batches only")
            XCTAssertGreaterThanOrEqual(sampleIndex, samplesSeen)
            XCTAssertLessThan(sampleIndex, samplesSeen + batchSize)
            // The returned weights are those after the last applied batch.
            let before = try Self.train(net, data, kind, lr: lr, batchSize: batchSize, limit: samplesSeen, scaling: .raw)
            XCTAssertEqual(before.outcome, .completed)
            XCTAssertEqual(Self.bits(result.network), Self.bits(before.network))
        }
    }

    /// Progress reports and stop requests work the same with the fast kernel.
    func testObserverCanStopFastTraining() throws {
        let data = Self.sparseData(count: 20, rows: 3, columns: 4, classes: 3, seed: 1)
        let net = try MLP(layerSizes: [12, 5, 3])
        var reports: [Int] = []
        let options = TrainingOptions(epochs: 3, reportInterval: 4, kernel: .fast)
        let result = try Training.train(net, on: data, options: options) { event in
            guard case .progress(let progress) = event else { return .proceed }
            reports.append(progress.samplesSeen)
            return progress.samplesSeen >= 8 ? .stop : .proceed
        }
        XCTAssertEqual(result.outcome, .stopped(samplesSeen: 8))
        XCTAssertEqual(reports, [4, 8])
        // The weights are those after exactly 8 samples.
        XCTAssertEqual(result.network, try Self.train(net, data, .fast, limit: 8).network)
    }

    /// `MLP.evaluate` (sparse first layer, four-lane sums) equals the dense reference
    /// `evaluateDense` bit for bit.
    func testSparseEvaluationEqualsDenseEvaluation() throws {
        let test = try MNISTSets.test.get().prefix(2000)
        let train = try MNISTSets.train.get()
        let trained = try Self.train(try MLP(), train, .fast, lr: 0.03, limit: 1000).network
        // Also unit counts that leave 1, 2 and 3 lanes in a group of four (17, 5, 10 units).
        let odd = try MLP(layerSizes: [784, 17, 5, 10], seed: 3)
        for (net, scaling) in [(try MLP(), InputScaling.unit), (trained, .unit), (trained, .raw), (odd, .unit), (odd, .raw)] {
            let dense = try net.evaluateDense(on: test, scaling: scaling)
            for set in FastKernel.InstructionSet.allCases {
                let sparse = try net.evaluate(on: test, scaling: scaling, instructionSet: set)
                XCTAssertEqual(sparse.predictions, dense.predictions, "\(set)")
                XCTAssertEqual(sparse.averageLoss, dense.averageLoss, "\(set)")
                XCTAssertEqual(sparse.maxProbabilities, dense.maxProbabilities, "\(set)")
                XCTAssertEqual(sparse.trueClassProbabilities, dense.trueClassProbabilities, "\(set)")
                XCTAssertEqual(sparse.confusion, dense.confusion, "\(set)")
                XCTAssertEqual(sparse.saturation, dense.saturation, "\(set)")
            }
        }
        XCTAssertThrowsError(try MLP(layerSizes: [6, 4, 3]).evaluate(on: test))
    }
}
