// Sigmoid, softmax and cross-entropy at extreme inputs: no overflow, no NaN the mathematics
// does not have, NaN propagated.

import Foundation
import MNISTNet
import XCTest

final class ActivationTests: XCTestCase {
    func testSigmoidAtExtremes() {
        XCTAssertEqual(Activation.sigmoid(0), 0.5)
        XCTAssertEqual(Activation.sigmoid(1e308), 1)
        XCTAssertEqual(Activation.sigmoid(-1e308), 0)
        XCTAssertEqual(Activation.sigmoid(.infinity), 1)
        XCTAssertEqual(Activation.sigmoid(-.infinity), 0)
        XCTAssertEqual(Activation.sigmoid(.greatestFiniteMagnitude), 1)
        XCTAssertEqual(Activation.sigmoid(-.greatestFiniteMagnitude), 0)
        XCTAssertTrue(Activation.sigmoid(.nan).isNaN)
        // Far in the left tail the result is tiny but not flushed to zero: σ(−700) = e^−700 / (1 + e^−700).
        XCTAssertEqual(Activation.sigmoid(-700), exp(-700), accuracy: exp(-700) * 1e-15)
        XCTAssertGreaterThan(Activation.sigmoid(-700), 0)
    }

    /// σ(x) + σ(−x) = 1 and σ(x) = 1/(1 + e^−x) on a grid, to a few ulps (the two branches agree).
    func testSigmoidIdentities() {
        for k in -400 ... 400 {
            let x = Double(k) / 10
            let s = Activation.sigmoid(x)
            XCTAssertEqual(s + Activation.sigmoid(-x), 1, accuracy: 4 * Double.ulpOfOne)
            XCTAssertEqual(s, 1 / (1 + exp(-x)), accuracy: 4 * Double.ulpOfOne)
            XCTAssertTrue((0 ... 1).contains(s))
        }
    }

    func testSoftmaxIsStableForHugeLogits() {
        let p = Activation.softmax([1000, 1000, -1000])
        XCTAssertEqual(p[0], 0.5, accuracy: 1e-15)
        XCTAssertEqual(p[1], 0.5, accuracy: 1e-15)
        XCTAssertEqual(p[2], 0)
        let q = Activation.softmax([1e307, 0, -1e307])
        XCTAssertEqual(q, [1, 0, 0])
        let r = Activation.softmax([1, 2, 3])
        let e = [exp(1.0), exp(2.0), exp(3.0)]
        for k in 0 ..< 3 { XCTAssertEqual(r[k], e[k] / e.reduce(0, +), accuracy: 4 * Double.ulpOfOne) }
        XCTAssertEqual(r.reduce(0, +), 1, accuracy: 1e-15)
    }

    func testCrossEntropyStaysFiniteWhenTheProbabilityUnderflows() {
        // p_1 = e^−2000 underflows to 0, yet −log p_1 = 2000 exactly.
        XCTAssertEqual(Activation.crossEntropy(logits: [1000, -1000], label: 1), 2000)
        XCTAssertEqual(Activation.crossEntropy(logits: [1000, -1000], label: 0), 0)
        XCTAssertEqual(Activation.crossEntropy(logits: [0, 0, 0, 0], label: 2), log(4), accuracy: 1e-15)
        XCTAssertEqual(Activation.crossEntropy(logits: [1e300, -1e300], label: 1), 2e300)
    }

    func testNaNAndInfiniteLogitsPropagateAsNaN() {
        XCTAssertTrue(Activation.logSoftmax([0, .nan, 1]).allSatisfy(\.isNaN))
        XCTAssertTrue(Activation.logSoftmax([0, .infinity]).allSatisfy(\.isNaN))
        XCTAssertTrue(Activation.crossEntropy(logits: [.nan, 0], label: 1).isNaN)
        // −∞ for one class only is fine: that class has probability 0.
        XCTAssertEqual(Activation.softmax([-.infinity, 0]), [0, 1])
    }
}
