// HEAVY: the full homework run on real MNIST — 3 epochs of per-sample SGD over 60,000 images,
// scaled and raw — as an end-to-end check. About 25 s in a release build (CI runs
// `swift test -c release`); skipped in debug builds unless GDLAB_HEAVY_TESTS=1.

import Foundation
import MNISTNet
import XCTest

final class HeavyTrainingTests: XCTestCase {
    func requireReleaseOrOptIn() throws {
        #if DEBUG
        if ProcessInfo.processInfo.environment["GDLAB_HEAVY_TESTS"] != "1" {
            throw XCTSkip("heavy: runs with `swift test -c release`, or set GDLAB_HEAVY_TESTS=1")
        }
        #endif
    }

    /// The homework as specified (seed 80085, lr 0.003, no shuffling, 3 epochs, inputs ÷255):
    /// ≥ 90 % test accuracy after 3 epochs (the issue's bar; measured 92.1 %, an independent
    /// numpy implementation of the same algorithm reaches 92.8 % from its own initialisation),
    /// accuracy rising every epoch, and the first layer mostly unsaturated.
    func testHeavyFullHomeworkRunScaled() throws {
        try requireReleaseOrOptIn()
        let train = try MNISTSets.train.get(), test = try MNISTSets.test.get()
        let start = try MLP()
        let before = try start.evaluate(on: test)
        let clock = ContinuousClock()
        var epochStart = clock.now
        var seconds: [Double] = []
        let result = try Training.train(start, on: train, test: test, options: .homework) { event in
            if case .epochFinished = event {
                let elapsed = clock.now - epochStart
                seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
                epochStart = clock.now
            }
            return .proceed
        }
        XCTAssertEqual(result.outcome, .completed)
        XCTAssertEqual(result.samplesSeen, 180_000)
        let accuracies = result.epochs.compactMap(\.testAccuracy)
        XCTAssertEqual(accuracies.count, 3)
        XCTAssertGreaterThanOrEqual(accuracies[2], 0.90)
        XCTAssertLessThan(accuracies[0], accuracies[2])
        let after = try XCTUnwrap(result.epochs.last?.test)
        XCTAssertLessThan(after.saturation.fraction, 0.3)
        print(String(format: "scaled: before %.4f (sat %.4f); epochs %@; test loss %@; train loss %@; sat after %.4f; s/epoch (incl. test eval) %@",
                     before.accuracy, before.saturation.fraction,
                     accuracies.map { String(format: "%.4f", $0) }.joined(separator: " "),
                     result.epochs.map { String(format: "%.4f", $0.testLoss!) }.joined(separator: " "),
                     result.epochs.map { String(format: "%.4f", $0.trainLoss) }.joined(separator: " "),
                     after.saturation.fraction, seconds.map { String(format: "%.2f", $0) }.joined(separator: " ")))
    }

    /// The homework as written, with raw 0…255 pixels: the first sigmoid layer saturates
    /// (most outputs outside (0.01, 0.99) before and after training) and accuracy plateaus far
    /// below the scaled run (the issue expects about 70 %). The band 55–85 % is wide because the
    /// plateau is noisy and rounding-sensitive: after epoch 3 the Double reference gives 74.0 %,
    /// the Float kernel 65.5 % (SSE2) or 60.5 % (AVX2+FMA), and lr 0.0030001 gives 72.0 %.
    func testHeavyFullHomeworkRunRawPixels() throws {
        try requireReleaseOrOptIn()
        let train = try MNISTSets.train.get(), test = try MNISTSets.test.get()
        let start = try MLP()
        let before = try start.evaluate(on: test, scaling: .raw)
        let result = try Training.train(start, on: train, test: test, options: TrainingOptions(inputScaling: .raw))
        XCTAssertEqual(result.outcome, .completed)
        let after = try XCTUnwrap(result.epochs.last?.test)
        XCTAssertGreaterThan(after.accuracy, 0.55)
        XCTAssertLessThan(after.accuracy, 0.85)
        XCTAssertGreaterThan(before.saturation.fraction, 0.9)
        XCTAssertGreaterThan(after.saturation.fraction, 0.9)
        print(String(format: "raw: before %.4f (sat %.4f); epochs %@; sat after %.4f",
                     before.accuracy, before.saturation.fraction,
                     result.epochs.map { String(format: "%.4f", $0.testAccuracy!) }.joined(separator: " "),
                     after.saturation.fraction))
    }
}
