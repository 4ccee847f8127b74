// Backpropagation against central finite differences in Double, on a small net with random
// data and on the default 784-32-32-10 net with real MNIST samples.

import Foundation
import LabSupport
import MNISTData
import MNISTNet
import XCTest

final class GradientCheckTests: XCTestCase {
    /// A 6-5-4-3 net (two hidden layers) on 4 random samples, every entry of every tensor.
    func testSmallNetEveryEntry() throws {
        var generator = SeededGenerator(seed: 3)
        let pixels = (0 ..< 4 * 6).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let data = ImageDataset(pixels: pixels, labels: [0, 2, 1, 2], rows: 2, columns: 3)
        var net = try MLP(layerSizes: [6, 5, 4, 3], seed: 11)
        // Non-zero biases so their gradient paths are exercised with generic values.
        for l in net.layers.indices { net = net.withBiases(l, (0 ..< net.layers[l].outputCount).map { 0.1 * Double($0) - 0.2 }) }
        let rows = GradientCheck.run(net, data: data, indices: [0, 1, 2, 3], entriesPerTensor: 1000, seed: 5)
        XCTAssertEqual(rows.map(\.name), ["w1", "b1", "w2", "b2", "w3", "b3"])
        XCTAssertEqual(rows.map(\.checked), [30, 5, 20, 4, 12, 3])
        for row in rows {
            XCTAssertLessThanOrEqual(row.maxRelativeError, 1e-6, "\(row)")
            XCTAssertGreaterThan(row.largestGradient, 0, "\(row.name) was not exercised")
        }
    }

    func testRelativeErrorDefinition() {
        XCTAssertEqual(GradientCheck.relativeError(1, 1), 0)
        XCTAssertEqual(GradientCheck.relativeError(0, 0), 0)
        XCTAssertEqual(GradientCheck.relativeError(1, 2), 0.5)
        XCTAssertEqual(GradientCheck.relativeError(-1, 1), 2)
        XCTAssertEqual(GradientCheck.relativeError(0, 1e-20), 1e-8)  // the 1e-12 floor
    }

    /// The check can fail: with a step far too large (h = 1) the finite differences are wrong
    /// by O(h²) and the table shows it.
    func testCheckCanFail() throws {
        let test = try MNISTSets.test.get()
        let rows = GradientCheck.run(try MLP(), data: test, indices: [0, 1], entriesPerTensor: 10, seed: 1, step: 1)
        XCTAssertGreaterThan(rows.map(\.maxRelativeError).max()!, 1e-3)
    }

    /// The default 784-32-32-10 net on 10 real test images, 30 entries per tensor: max relative
    /// error ≤ 1e-6 (the target) for every tensor. With the default step 1e-4 the measured
    /// worst case over 100 entries per tensor is 3.5e-7 (see `GradientCheck`), so 1e-6 leaves a
    /// margin of about 3 while still failing for any real backpropagation error (those are O(1)).
    func testDefaultNetOnRealMNIST() throws {
        let test = try MNISTSets.test.get()
        let rows = GradientCheck.run(try MLP(), data: test, indices: Array(0 ..< 10), entriesPerTensor: 30, seed: 1)
        XCTAssertEqual(rows.map(\.shape), [[784, 32], [32], [32, 32], [32], [32, 10], [10]])
        for row in rows {
            XCTAssertLessThanOrEqual(row.maxRelativeError, 1e-6, "\(row)")
        }
    }
}

extension MLP {
    func withBiases(_ layer: Int, _ biases: [Double]) -> MLP {
        var layers = self.layers
        layers[layer].biases = biases
        return MLP(layers: layers)
    }
}

final class GradientCheckStepTests: XCTestCase {
    /// A weight of 1e300 makes the loss about 1e300: the step of that weight vanishes in
    /// rounding (θ + h = θ − h, so its difference is NaN), every other difference rounds to 0,
    /// and the check fails instead of reporting errors of 0 (Swift's max(x, NaN) is x) and PASS.
    func testHugeWeightsFailTheCheck() throws {
        let test = try MNISTSets.test.get()
        var layers = try MLP().layers
        layers[2].biases[0] = 1e300
        let network = MLP(layers: layers)
        let rows = GradientCheck.run(network, data: test, indices: [0, 1], entriesPerTensor: 10, seed: 1)
        XCTAssertTrue(rows[5].maxRelativeError.isNaN, "b3 holds the huge entry: \(rows[5])")
        XCTAssertFalse(rows[0].isResolvable, "w1's differences are lost in a loss of 1e300: \(rows[0])")
        XCTAssertFalse(rows.contains { $0.passes(tolerance: 1e-6) })
        XCTAssertTrue(GradientCheck.relativeError(.nan, 1).isNaN)
        XCTAssertTrue(GradientCheck.relativeError(1, .infinity).isNaN)
    }

    /// Raw pixels: the first layer's inputs reach 255, so its step is h₀/255 and every tensor
    /// passes; with h₀ itself, W¹'s truncation error (≈ h²·x³·L'''/6) is far above the
    /// scaled case's, and falls a hundredfold per tenfold smaller h — the finite difference's
    /// error, not backpropagation's.
    func testRawPixelsPassWithAStepScaledByTheInputs() throws {
        let test = try MNISTSets.test.get()
        let network = try MLP()
        let rows = GradientCheck.run(network, data: test, indices: Array(0 ..< 10), scaling: .raw, entriesPerTensor: 20, seed: 1)
        XCTAssertEqual(rows[0].step, GradientCheck.defaultStep / 255, accuracy: 1e-18)
        XCTAssertEqual(rows[2].step, GradientCheck.defaultStep, "sigmoid inputs stay ≤ 1")
        for row in rows { XCTAssertTrue(row.passes(tolerance: 1e-6), "\(row)") }
        let errors = GradientCheck.errorAgainstStep(network, data: test, indices: Array(0 ..< 10), scaling: .raw,
                                                    entriesPerTensor: 20, seed: 1, steps: [1e-4, 1e-5])
        XCTAssertGreaterThan(errors[0][0], 1e-6, "W¹ at h = 1e-4 with raw pixels")
        XCTAssertEqual(errors[0][0] / errors[0][1], 100, accuracy: 5, "truncation error ∝ h²")
    }
}
