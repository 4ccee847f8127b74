// Tests for gradient descent on the quadratic: the simulated iterate against the closed form
// ρᵗ·w(0), the stopping rules, and heavy ball reducing to plain descent at β = 0.

import LabSupport
import Quadratic
import XCTest

final class GradientDescentTests: XCTestCase {
    /// Random (a, b, η, w0) with every |ρᵢ| in [0.05, 1.5]: the iterate of the gradient run
    /// equals ρᵢᵗ·wᵢ(0) within 1e−12 relative for 100 steps. Each step rounds once or twice,
    /// amplified by at most 1/|ρᵢ| ≤ 20 through the cancellation in wᵢ − η·aᵢ·wᵢ, so the error
    /// after t steps is ≲ t·20·2⁻⁵² ≈ 4e−13.
    func testIterateEqualsClosedForm() throws {
        var random = SeededGenerator(seed: 1)
        var cases = 0
        while cases < 300 {
            let a = Foundation.pow(10, Double.random(in: -2...3, using: &random))
            let b = Foundation.pow(10, Double.random(in: -2...3, using: &random))
            let q = try DiagonalQuadratic(a: a, b: b)
            let eta = Double.random(in: 0.01...1.25, using: &random) * q.stabilityThreshold
            let rho = q.contractionFactors(learningRate: eta)
            guard rho.allSatisfy({ abs($0) >= 0.05 && abs($0) <= 1.5 }) else { continue }
            cases += 1
            let w0 = [random.nextGaussian(), random.nextGaussian()]
            let run = q.descend(from: w0, learningRate: eta, maxSteps: 100)
            XCTAssertEqual(run.stepsTaken, 100)
            for t in 0...run.stepsTaken {
                let exact = q.closedFormIterate(from: w0, learningRate: eta, step: t)
                let simulated = Array(run.iterate(t))
                for i in 0..<2 {
                    XCTAssertEqual(simulated[i], exact[i], accuracy: 1e-12 * abs(exact[i]),
                                   "a=\(a) b=\(b) η=\(eta) t=\(t) i=\(i)")
                }
            }
        }
    }

    func testStopsAtTheTolerance() throws {
        let q = try DiagonalQuadratic(a: 10, b: 1)
        let run = q.descend(from: [1, 1], learningRate: 0.15, maxSteps: 10_000, tolerance: 1e-6)
        XCTAssertEqual(run.stopReason, .reachedTolerance)
        XCTAssertLessThanOrEqual(run.finalLoss, 1e-6)
        XCTAssertGreaterThan(run.losses[run.stepsTaken - 1], 1e-6)
        XCTAssertEqual(run.firstStep(atOrBelow: 1e-6), run.stepsTaken)
    }

    /// Divergence is a result: the run reports the step at which the loss overflowed.
    func testDivergenceStopsAtTheFirstNonFiniteLoss() throws {
        let q = try DiagonalQuadratic(a: 10, b: 1)
        let run = q.descend(from: [1, 1], learningRate: 0.5, maxSteps: 100_000)  // ρ₁ = −4
        XCTAssertEqual(run.stopReason, .lossNotFinite)
        XCTAssertFalse(run.finalLoss.isFinite)
        XCTAssertTrue(run.losses.dropLast().allSatisfy(\.isFinite))
        // ½·10·16ᵗ overflows 1.8e308 at t = ⌈log(3.6e307)/log 16⌉ = 256.
        XCTAssertEqual(run.stepsTaken, Int((Foundation.log(Double.greatestFiniteMagnitude / 5) / Foundation.log(16.0)).rounded(.up)))
    }

    func testStepLimitAndDroppedIterates() throws {
        let q = try DiagonalQuadratic(a: 2, b: 1)
        let run = q.descend(from: [1, -1], learningRate: 0.1, maxSteps: 7, keepIterates: false)
        XCTAssertEqual(run.stopReason, .stepLimit)
        XCTAssertEqual(run.stepsTaken, 7)
        XCTAssertFalse(run.hasIterates)
        let kept = q.descend(from: [1, -1], learningRate: 0.1, maxSteps: 7)
        XCTAssertEqual(Array(kept.iterate(7)), run.finalIterate)
        XCTAssertEqual(kept.losses, run.losses)
    }

    func testHeavyBallWithZeroMomentumIsGradientDescent() throws {
        let q = try DiagonalQuadratic(coefficients: [3, 0.5, 7])
        let plain = q.descend(from: [1, 2, 3], learningRate: 0.2, maxSteps: 50)
        let ball = q.descend(from: [1, 2, 3], learningRate: 0.2, momentum: 0, maxSteps: 50)
        XCTAssertEqual(plain, ball)
    }
}
