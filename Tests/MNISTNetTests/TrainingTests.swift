// Training: the kernel against the public forward/backward/step, mini-batches as summed
// gradients, seeded shuffling, validation, divergence, stopping, and a short real run.

import Foundation
import LabSupport
import MNISTData
import MNISTNet
import XCTest

final class TrainingTests: XCTestCase {
    /// 20 random 2×3 images with labels 0…2 for a 6-5-4-3 net.
    func tinyData(seed: UInt64 = 9) -> ImageDataset {
        var generator = SeededGenerator(seed: seed)
        let pixels = (0 ..< 20 * 6).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let labels = (0 ..< 20).map { _ in UInt8(generator.next() % 3) }
        return ImageDataset(pixels: pixels, labels: labels, rows: 2, columns: 3)
    }

    /// Per-sample SGD done by hand with the public API, for comparison with the driver.
    func manualSGD(_ start: MLP, _ data: ImageDataset, order: [Int], batchSize: Int, lr: Double, scaling: InputScaling) -> MLP {
        var net = start
        var k = 0
        while k < order.count {
            let batch = Array(order[k ..< min(k + batchSize, order.count)])
            net.step(along: net.lossAndGradients(on: data, indices: batch, scaling: scaling).gradients, learningRate: lr)
            k += batchSize
        }
        return net
    }

    /// Per-sample SGD by the driver equals forward/backward/step by hand, bit for bit
    /// (same operations in the same order), over 2 epochs.
    func testPerSampleSGDMatchesTheDefinition() throws {
        let data = tinyData()
        let start = try MLP(layerSizes: [6, 5, 4, 3], seed: 1)
        let options = TrainingOptions(learningRate: 0.01, epochs: 2, inputScaling: .unit, reportInterval: 7, kernel: .reference)
        let result = try Training.train(start, on: data, options: options)
        let order = Array(0 ..< 20) + Array(0 ..< 20)
        XCTAssertEqual(result.network, manualSGD(start, data, order: order, batchSize: 1, lr: 0.01, scaling: .unit))
        XCTAssertEqual(result.outcome, .completed)
        XCTAssertEqual(result.samplesSeen, 40)
        XCTAssertEqual(result.epochs.count, 2)
        // One-sample backward agrees with the dataset path.
        let pass = start.forward(data, at: 3)
        XCTAssertEqual(start.backward(pass, label: Int(data.labels[3])),
                       start.lossAndGradients(on: data, indices: [3]).gradients)
    }

    /// Mini-batches: the step uses the SUM of the per-sample gradients; the last batch may be short.
    func testMiniBatchUsesTheSummedGradient() throws {
        let data = tinyData()
        let start = try MLP(layerSizes: [6, 5, 4, 3], seed: 2)
        let options = TrainingOptions(learningRate: 0.02, epochs: 1, batchSize: 6, inputScaling: .raw, reportInterval: 1, kernel: .reference)
        let result = try Training.train(start, on: data, options: options)
        // 20 samples in batches 6, 6, 6, 2.
        XCTAssertEqual(result.network, manualSGD(start, data, order: Array(0 ..< 20), batchSize: 6, lr: 0.02, scaling: .raw))
        XCTAssertEqual(result.lossCurve.map(\.samplesSeen), [6, 12, 18, 20])
        XCTAssertNotEqual(result.network, manualSGD(start, data, order: Array(0 ..< 20), batchSize: 1, lr: 0.02, scaling: .raw))
        // A single batch of everything is one gradient-descent step on the summed loss.
        let full = try Training.train(start, on: data, options: TrainingOptions(learningRate: 0.02, epochs: 1, batchSize: 100, kernel: .reference))
        var expected = start
        expected.step(along: start.lossAndGradients(on: data, indices: Array(0 ..< 20)).gradients, learningRate: 0.02)
        XCTAssertEqual(full.network, expected)
    }

    func testShuffleIsSeededAndChangesTheOrder() throws {
        let data = tinyData()
        let start = try MLP(layerSizes: [6, 5, 4, 3], seed: 1)
        func run(_ shuffle: Bool, _ seed: UInt64) throws -> MLP {
            try Training.train(start, on: data, options: TrainingOptions(epochs: 2, shuffle: shuffle, shuffleSeed: seed)).network
        }
        XCTAssertEqual(try run(true, 5), try run(true, 5))
        XCTAssertNotEqual(try run(true, 5), try run(true, 6))
        XCTAssertNotEqual(try run(true, 5), try run(false, 5))
    }

    func testTrainLimitUsesTheFirstSamples() throws {
        let data = tinyData()
        let start = try MLP(layerSizes: [6, 5, 4, 3], seed: 1)
        let result = try Training.train(start, on: data, options: TrainingOptions(epochs: 1, trainLimit: 5, kernel: .reference))
        XCTAssertEqual(result.samplesSeen, 5)
        XCTAssertEqual(result.network, manualSGD(start, data, order: Array(0 ..< 5), batchSize: 1, lr: 0.003, scaling: .unit))
        // A limit beyond the data uses all of it.
        XCTAssertEqual(try Training.train(start, on: data, options: TrainingOptions(epochs: 1, trainLimit: 1000)).samplesSeen, 20)
    }

    func testInvalidOptionsAreTypedErrorsSayingWhatToPass() throws {
        let data = tinyData()
        let net = try MLP(layerSizes: [6, 5, 4, 3])
        let cases: [(TrainingOptions, ConfigurationError)] = [
            (TrainingOptions(learningRate: 0), .learningRate(0)),
            (TrainingOptions(learningRate: -1), .learningRate(-1)),
            (TrainingOptions(learningRate: .infinity), .learningRate(.infinity)),
            (TrainingOptions(epochs: 0), .epochs(0)),
            (TrainingOptions(batchSize: 0), .batchSize(0)),
            (TrainingOptions(trainLimit: 0), .trainLimit(0)),
            (TrainingOptions(reportInterval: 0), .reportInterval(0)),
        ]
        for (options, expected) in cases {
            XCTAssertThrowsError(try Training.train(net, on: data, options: options)) {
                XCTAssertEqual($0 as? ConfigurationError, expected)
            }
        }
        XCTAssertThrowsError(try TrainingOptions(learningRate: .nan).validate())
        XCTAssertTrue("\(ConfigurationError.learningRate(-1))".contains("0.003"))
        // Data that does not fit the network.
        XCTAssertThrowsError(try Training.train(try MLP(), on: data))
    }

    /// A learning rate far too large overflows the weights; training stops at the first
    /// non-finite loss and says where, instead of crashing or returning NaN weights silently.
    func testDivergenceIsAnOutcomeNamingTheSample() throws {
        let data = tinyData()
        let net = try MLP(layerSizes: [6, 5, 4, 3])
        let result = try Training.train(net, on: data, options: TrainingOptions(learningRate: 1e308, epochs: 3, inputScaling: .raw))
        guard case let .diverged(epoch, sampleIndex, samplesSeen, loss) = result.outcome else {
            return XCTFail("expected divergence, got \(result.outcome)")
        }
        XCTAssertEqual(epoch, 1)
        XCTAssertEqual(sampleIndex, samplesSeen, "no shuffling: the n-th sample trained is index n")
        XCTAssertFalse(loss.isFinite)
        XCTAssertGreaterThan(samplesSeen, 0)
        XCTAssertTrue(result.epochs.isEmpty)
    }

    func testObserverCanStopTraining() throws {
        let data = tinyData()
        let net = try MLP(layerSizes: [6, 5, 4, 3])
        var reports: [TrainingProgress] = []
        let result = try Training.train(net, on: data, options: TrainingOptions(epochs: 3, reportInterval: 4)) { event in
            guard case .progress(let progress) = event else { return .proceed }
            reports.append(progress)
            return progress.samplesSeen >= 8 ? .stop : .proceed
        }
        XCTAssertEqual(result.outcome, .stopped(samplesSeen: 8))
        XCTAssertEqual(reports.map(\.samplesSeen), [4, 8])
        XCTAssertEqual(reports.map(\.epochSize), [20, 20])
    }

    /// A short real run: the first 5,000 training images, one epoch, learning rate 0.03.
    /// Far better than chance on the test set (> 70 %; this code reaches 81.8 %), and the
    /// loss curve goes down.
    ///
    /// Why not the homework's 0.003: per-sample SGD at 0.003 first crawls along a plateau —
    /// after 5,000 samples the test accuracy is 16.6 % (an independent numpy run of the same
    /// algorithm from the same weights gives the same weights to 2e-16) and it passes 70 % only
    /// after about 25,000 samples. The full homework run is `HeavyTrainingTests`.
    func testShortRealTrainingRunBeatsChance() throws {
        let train = try MNISTSets.train.get(), test = try MNISTSets.test.get()
        var epochsSeen = 0
        let result = try Training.train(
            try MLP(), on: train, test: test, options: TrainingOptions(learningRate: 0.03, epochs: 1, trainLimit: 5000)
        ) { event in
            if case .epochFinished = event { epochsSeen += 1 }
            return .proceed
        }
        XCTAssertEqual(result.outcome, .completed)
        XCTAssertEqual(epochsSeen, 1)
        let accuracy = try XCTUnwrap(result.epochs.first?.testAccuracy)
        XCTAssertGreaterThan(accuracy, 0.7)
        XCTAssertEqual(result.lossCurve.count, 5)
        XCTAssertLessThan(result.lossCurve.last!.meanLoss, result.lossCurve.first!.meanLoss)
        print("5,000 samples, 1 epoch, lr 0.03: test accuracy \(accuracy)")
    }
}
