// Backpropagation against central finite differences in Double, on a small net with random
// data and on the default 784-32-32-10 net with real MNIST samples.

import Foundation
import LabSupport
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
