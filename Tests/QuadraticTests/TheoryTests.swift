// Theory as executable assertions: convergence exactly below 2/max aᵢ, exact oscillation at
// the threshold, iterations-to-ε equal to the prediction, η* minimising max|ρᵢ|, and Polyak's
// heavy-ball rate, each over many seeded random problems.

import LabSupport
import Quadratic
import XCTest

final class TheoryTests: XCTestCase {
    private func randomProblem(_ random: inout SeededGenerator) throws -> (DiagonalQuadratic, [Double]) {
        let a = Foundation.pow(10, Double.random(in: -1...3, using: &random))
        let b = Foundation.pow(10, Double.random(in: -1...3, using: &random))
        let w0 = [random.nextGaussian(), random.nextGaussian()]
        return (try DiagonalQuadratic(a: a, b: b), w0)
    }

    /// converges ⇔ η < 2/max(a, b), checked by running: below, the loss reaches 1e−20·L₀;
    /// above, it overflows. η stays ≥ 1% away from the threshold so runs stay short.
    func testConvergesExactlyBelowTheThreshold() throws {
        var random = SeededGenerator(seed: 2)
        for _ in 0..<150 {
            let (q, w0) = try randomProblem(&random)
            var ratio = Double.random(in: 0.05...1.5, using: &random)
            if abs(ratio - 1) < 0.01 { ratio += 0.02 }
            let eta = ratio * q.stabilityThreshold
            let expected: Convergence = eta < 2 / max(q.coefficients[0], q.coefficients[1]) ? .converges : .diverges
            XCTAssertEqual(q.convergence(learningRate: eta), expected)
            let run = q.descend(from: w0, learningRate: eta, maxSteps: 1_000_000,
                                tolerance: 1e-20 * q.value(at: w0), keepIterates: false)
            XCTAssertEqual(run.stopReason, expected == .converges ? .reachedTolerance : .lossNotFinite,
                           "η/η_max = \(ratio)")
            XCTAssertEqual(q.spectralRadius(learningRate: eta) < 1, expected == .converges)
        }
    }

    /// At η = 2/max aᵢ the stiff coordinate flips sign with unchanged size (|ρ| = 1) while the
    /// other decays; the loss tends to ½·max a·w_stiff(0)², neither 0 nor ∞.
    func testOscillatesExactlyAtTheThreshold() throws {
        var random = SeededGenerator(seed: 3)
        for _ in 0..<100 {
            var (q, w0) = try randomProblem(&random)
            if q.coefficients[0] == q.coefficients[1] { continue }
            let stiff = q.coefficients[0] > q.coefficients[1] ? 0 : 1
            let eta = q.stabilityThreshold
            XCTAssertEqual(q.convergence(learningRate: eta), .oscillates)
            XCTAssertEqual(q.spectralRadius(learningRate: eta), 1, accuracy: 4 * Double.ulpOfOne)
            w0[stiff] = w0[stiff] == 0 ? 1 : w0[stiff]
            let run = q.descend(from: w0, learningRate: eta, maxSteps: 1000)
            XCTAssertEqual(run.stopReason, .stepLimit)
            for t in stride(from: 0, through: 1000, by: 37) {
                let w = run.iterate(t)[stiff]
                // t roundings of relative size ≤ 2⁻⁵² each: ≤ 1000·2.2e−16 ≈ 2.2e−13.
                XCTAssertEqual(w, (t % 2 == 0 ? 1 : -1) * w0[stiff], accuracy: 1e-12 * abs(w0[stiff]))
            }
        }
    }

    /// The measured first step with L ≤ ε equals the exact prediction, ±1 for rounding of a
    /// loss that lands within a few ulps of ε.
    func testIterationsToToleranceMatchPrediction() throws {
        var random = SeededGenerator(seed: 4)
        for _ in 0..<300 {
            let (q, w0) = try randomProblem(&random)
            let eta = Double.random(in: 0.02...0.99, using: &random) * q.stabilityThreshold
            let epsilon = q.value(at: w0) * Foundation.pow(10, -Double.random(in: 1...14, using: &random))
            guard let predicted = q.predictedIterations(from: w0, learningRate: eta, tolerance: epsilon) else {
                return XCTFail("a converging η must have a prediction")
            }
            let run = q.descend(from: w0, learningRate: eta, maxSteps: predicted + 10,
                                tolerance: epsilon, keepIterates: false)
            XCTAssertEqual(run.stopReason, .reachedTolerance)
            XCTAssertLessThanOrEqual(abs(run.stepsTaken - predicted), 1, "η=\(eta) ε=\(epsilon)")
        }
    }

    func testPredictionEdgeCases() throws {
        let q = try DiagonalQuadratic(a: 10, b: 1)
        XCTAssertEqual(q.predictedIterations(from: [1, 1], learningRate: 0.1, tolerance: 100), 0)
        XCTAssertNil(q.predictedIterations(from: [1, 1], learningRate: 0.3, tolerance: 1e-6))   // diverges
        XCTAssertNil(q.predictedIterations(from: [1, 1], learningRate: 0.2, tolerance: 1e-6))   // oscillates: L → 5
        // Oscillating but with the stiff coordinate at 0: the other axis converges.
        XCTAssertEqual(q.predictedIterations(from: [0, 1], learningRate: 0.2, tolerance: 0.33),
                       1)
        // η = 1/a zeroes coordinate 1 in one step; only coordinate 2 (ρ = 0.9) is left.
        let t = try XCTUnwrap(q.predictedIterations(from: [1, 1], learningRate: 0.1, tolerance: 1e-6))
        XCTAssertEqual(t, Int((Foundation.log(2e-6) / (2 * Foundation.log(0.9))).rounded(.up)))
    }

    /// η* = 2/(a+b) minimises max|ρᵢ(η)|: no η on a fine grid or near η* does better, and the
    /// minimum equals (κ−1)/(κ+1).
    func testOptimalLearningRateMinimisesTheSpectralRadius() throws {
        var random = SeededGenerator(seed: 5)
        for _ in 0..<100 {
            let (q, _) = try randomProblem(&random)
            let best = q.spectralRadius(learningRate: q.optimalLearningRate)
            XCTAssertEqual(best, q.optimalRate, accuracy: 1e-14)
            for k in 1...400 {
                let eta = Double(k) / 400 * q.stabilityThreshold
                XCTAssertGreaterThanOrEqual(q.spectralRadius(learningRate: eta), best - 1e-14)
            }
            for nudge in [1 - 1e-6, 1 + 1e-6] {
                XCTAssertGreaterThan(q.spectralRadius(learningRate: q.optimalLearningRate * nudge), best)
            }
        }
    }

    /// Heavy ball with Polyak's (η, β): the error shrinks by r = (√κ−1)/(√κ+1) per step. In 2-D
    /// both coordinates sit on double roots ±r, so wᵢ(t) = wᵢ(0)·(1 + (1 ∓ r)·t)·(±r)ᵗ exactly and
    /// the mean ratio (‖w(T)‖/‖w(T/2)‖)^(2/T) lies in [r, r·2^(2/T)]: the polynomial factor can
    /// at most double over the window (1e−7 slack: in floating point the double roots split by ≈ √ε_mach). T is chosen so the decay spans e⁻³⁰⁰.
    func testHeavyBallRate() throws {
        var random = SeededGenerator(seed: 6)
        for _ in 0..<60 {
            let kappa = Foundation.pow(10, Double.random(in: 0.3...3, using: &random))
            let q = try DiagonalQuadratic(a: kappa, b: 1)
            let p = q.heavyBall
            let r = (kappa.squareRoot() - 1) / (kappa.squareRoot() + 1)
            XCTAssertEqual(p.rate, r, accuracy: 1e-14)
            XCTAssertEqual(p.momentum, r * r, accuracy: 1e-14)
            XCTAssertLessThan(p.rate, q.optimalRate)   // and it beats plain descent at η*
            let steps = 2 * Int((150 / -Foundation.log(r)).rounded(.up))
            let start = [1e150 * random.nextGaussian(), 1e150 * random.nextGaussian()]
            let run = q.descend(from: start, learningRate: p.learningRate, momentum: p.momentum, maxSteps: steps)
            func norm(_ t: Int) -> Double { let w = run.iterate(t); return (w[0] * w[0] + w[1] * w[1]).squareRoot() }
            let measured = Foundation.pow(norm(steps) / norm(steps / 2), 2 / Double(steps))
            XCTAssertGreaterThanOrEqual(measured, r * (1 - 1e-7), "κ=\(kappa)")
            XCTAssertLessThanOrEqual(measured, r * Foundation.pow(2, 2 / Double(steps)) * (1 + 1e-7), "κ=\(kappa)")
        }
    }

    /// A coordinate that starts at 0 stays 0, so a run from such a start converges exactly for
    /// η < 2/max{aᵢ : wᵢ(0) ≠ 0}: checked by running on both sides (≥ 1% away from the edge).
    func testConvergenceFromAStartCountsOnlyMovingCoordinates() throws {
        var random = SeededGenerator(seed: 6)
        for _ in 0..<100 {
            var (q, w0) = try randomProblem(&random)
            let stiff = q.coefficients[0] >= q.coefficients[1] ? 0 : 1
            w0[stiff] = 0
            let edge = 2 / q.coefficients[1 - stiff]
            for ratio in [0.5, 0.99, 1.01, 1.5] {
                let eta = ratio * edge
                let expected: Convergence = ratio < 1 ? .converges : .diverges
                XCTAssertEqual(q.convergence(learningRate: eta, from: w0), expected)
                let run = q.descend(from: w0, learningRate: eta, maxSteps: 1_000_000,
                                    tolerance: 1e-20 * q.value(at: w0), keepIterates: false)
                XCTAssertEqual(run.stopReason, ratio < 1 ? .reachedTolerance : .lossNotFinite)
                XCTAssertEqual(run.finalIterate[stiff], 0)
            }
            XCTAssertEqual(q.convergence(learningRate: edge, from: w0), .oscillates)
            XCTAssertEqual(q.convergence(learningRate: 1e9, from: [0, 0]), .converges)
        }
    }

    func testRateEstimate() {
        XCTAssertEqual(rateEstimateIterations(rate: 0.5, initialLoss: 1, tolerance: 1 / 1024), 5)
        XCTAssertEqual(rateEstimateIterations(rate: 0.5, initialLoss: 1, tolerance: 2), 0)
        XCTAssertNil(rateEstimateIterations(rate: 1, initialLoss: 1, tolerance: 0.1))
    }
}
