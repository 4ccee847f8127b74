// Momentum theory as executable assertions: the root-pair closed form of heavy ball and Nesterov
// against the simulated runs, the exact step counts against the measured ones, the rates
// (Polyak √β, Nesterov 1 − 1/√κ) against measured decay, Polyak's point as the optimum of the
// (η, β) rate map, and the stopping criteria (loss, distance) for plain gradient descent.

import LabSupport
import Quadratic
import XCTest

final class MomentumTests: XCTestCase {
    /// Uₜ from the closed form equals the recurrence U₀ = 0, U₁ = 1, Uₜ₊₁ = p·Uₜ − q·Uₜ₋₁ for
    /// random (p, q) of every kind: complex pairs, real pairs of one sign (near and far from a
    /// double root), opposite signs (q < 0), q = 0, and exact double roots. Tolerance 1e−10 of
    /// the largest |Uₛ| so far: the recurrence itself rounds each step (≤ 2⁻⁵² of the state,
    /// carried with gain ≤ t for t ≤ 200 near a double root: ≲ 200²·2.2e−16 ≈ 1e−11).
    func testLucasClosedFormMatchesRecurrence() {
        var random = SeededGenerator(seed: 11)
        for k in 0..<2000 {
            var q = Double.random(in: -0.5...0.99, using: &random)
            if k % 10 == 0 { q = 0 }
            let root = abs(q).squareRoot()
            var p = Double.random(in: -2...2, using: &random) * max(root, 0.3)
            if k % 7 == 0, q > 0 { p = (k % 14 == 0 ? 2 : -2) * root * (1 + Double.random(in: -1e-9...1e-9, using: &random)) }
            if k % 11 == 0, q > 0 { p = 2 * root }
            let r = TwoStepRecurrence(p: p, q: q)
            var previous = 0.0, current = 1.0, largest = 1.0
            for t in 1...200 {
                largest = max(largest, abs(current))
                XCTAssertEqual(r.lucas(t), current, accuracy: 1e-10 * largest, "p=\(p) q=\(q) t=\(t)")
                (previous, current) = (current, p * current - q * previous)
            }
            XCTAssertEqual(r.lucas(0), 0)
        }
    }

    /// Random κ ∈ [1, 10^maxLogKappa], b, β ∈ [0, 0.98] and η a random fraction (≥ `least`, ≤ 0.9)
    /// of the edge where either method stops converging.
    private func randomStable(_ random: inout SeededGenerator, maxLogKappa: Double = 4, least: Double = 0.05) throws
        -> (DiagonalQuadratic, [Double], Double, Double) {
        let kappa = Foundation.pow(10, Double.random(in: 0...maxLogKappa, using: &random))
        let b = Foundation.pow(10, Double.random(in: -2...2, using: &random))
        let q = try DiagonalQuadratic(a: kappa * b, b: b)
        let beta = Double.random(in: 0...0.98, using: &random)
        // Heavy ball is stable for 0 < η·aᵢ < 2(1 + β), Nesterov for 0 < η·aᵢ < (2 + 2β)/(1 + 2β).
        let eta = Double.random(in: least...0.9, using: &random) * (2 + 2 * beta) / (1 + 2 * beta) / (kappa * b)
        return (q, [random.nextGaussian(), random.nextGaussian()], eta, beta)
    }

    /// The closed form of both methods equals the simulated run within 1e−9 of the largest
    /// |wᵢ| along the run, for 600 steps over random κ ∈ [1, 10⁴], β, η (stable) and w(0). Each
    /// simulated step rounds at ≤ 2⁻⁵² of the state; the recurrence carries that forward with
    /// gain ≤ t (double root): ≲ 600²·2.2e−16 ≈ 8e−11, and the closed form's own argument error
    /// near a double root is of the same order.
    func testClosedFormMatchesSimulation() throws {
        var random = SeededGenerator(seed: 12)
        for k in 0..<200 {
            let (q, w0, eta, beta) = try randomStable(&random)
            let method: MomentumMethod = k % 2 == 0 ? .heavyBall : .nesterov
            let run = q.descend(from: w0, learningRate: eta, momentum: beta, maxSteps: 600, method: method)
            var largest = w0.map(abs).max()!
            for t in 0...run.stepsTaken {
                let simulated = run.iterate(t)
                largest = max(largest, simulated.map(abs).max()!)
                let exact = q.momentumIterate(method, from: w0, learningRate: eta, momentum: beta, step: t)
                for i in 0..<2 {
                    XCTAssertEqual(simulated[i], exact[i], accuracy: 1e-9 * largest, "\(method) κ=\(q.conditionNumber) β=\(beta) t=\(t)")
                }
            }
        }
    }

    /// With Polyak's parameters both coordinates sit on double roots ±r and the closed form is
    /// wᵢ(0)·(1 + (1 ∓ r)·t)·(∓r)ᵗ; checked against the simulation (relative 1e−9, as above).
    func testPolyakDoubleRootIterate() throws {
        var random = SeededGenerator(seed: 13)
        for _ in 0..<50 {
            let kappa = Foundation.pow(10, Double.random(in: 0.5...4, using: &random))
            let q = try DiagonalQuadratic(a: kappa, b: 1)
            let p = q.heavyBall
            let r = p.rate
            let w0 = [random.nextGaussian(), random.nextGaussian()]
            let run = q.descend(from: w0, learningRate: p.learningRate, momentum: p.momentum, maxSteps: 400)
            for t in stride(from: 0, through: run.stepsTaken, by: 7) {   // the loss may underflow to 0 first
                let stiff = w0[0] * (1 + (1 + r) * Double(t)) * Foundation.pow(-r, Double(t))
                let flat = w0[1] * (1 + (1 - r) * Double(t)) * Foundation.pow(r, Double(t))
                let w = run.iterate(t)
                let scale = (1 + 2 * Double(t)) * Foundation.pow(r, Double(t)) * w0.map(abs).max()!
                XCTAssertEqual(w[0], stiff, accuracy: 1e-9 * max(scale, 1e-300), "κ=\(kappa) t=\(t)")
                XCTAssertEqual(w[1], flat, accuracy: 1e-9 * max(scale, 1e-300), "κ=\(kappa) t=\(t)")
            }
        }
    }

    /// The exact step count from the closed form equals the measured first step with L ≤ ε (and
    /// with ‖w‖ ≤ ε), ±1 where the measure lands within rounding of ε, for both methods.
    func testPredictedIterationsMatchSimulation() throws {
        var random = SeededGenerator(seed: 14)
        for k in 0..<200 {
            // κ ≤ 10³ and η ≥ 0.2 of the edge keep every run below ~10⁵ steps.
            let (q, w0, eta, beta) = try randomStable(&random, maxLogKappa: 3, least: 0.2)
            let method: MomentumMethod = k % 2 == 0 ? .heavyBall : .nesterov
            let criterion: StoppingCriterion = k % 4 < 2 ? .loss : .distance
            let epsilon = q.measure(criterion, at: w0) * Foundation.pow(10, -Double.random(in: 1...10, using: &random))
            let predicted = try XCTUnwrap(q.predictedIterations(
                method, from: w0, learningRate: eta, momentum: beta, tolerance: epsilon, criterion: criterion, limit: 2_000_000))
            let run = q.descend(from: w0, learningRate: eta, momentum: beta, maxSteps: predicted + 10,
                                tolerance: epsilon, keepIterates: false, method: method, criterion: criterion)
            XCTAssertEqual(run.stopReason, .reachedTolerance)
            XCTAssertLessThanOrEqual(abs(run.stepsTaken - predicted), 1, "\(method) \(criterion) κ=\(q.conditionNumber)")
        }
    }

    /// Gradient descent's exact count with the distance criterion (bisection over the summed
    /// decay) equals the measured one ±1.
    func testGradientDescentDistanceCriterionMatchesSimulation() throws {
        var random = SeededGenerator(seed: 15)
        for _ in 0..<200 {
            let kappa = Foundation.pow(10, Double.random(in: 0...3, using: &random))
            let q = try DiagonalQuadratic(a: kappa, b: 1)
            let w0 = [random.nextGaussian(), random.nextGaussian()]
            let eta = Double.random(in: 0.05...0.99, using: &random) * q.stabilityThreshold
            let epsilon = q.measure(.distance, at: w0) * Foundation.pow(10, -Double.random(in: 1...8, using: &random))
            let predicted = try XCTUnwrap(q.predictedIterations(from: w0, learningRate: eta, tolerance: epsilon, criterion: .distance))
            let run = q.descend(from: w0, learningRate: eta, maxSteps: predicted + 10, tolerance: epsilon,
                                keepIterates: false, criterion: .distance)
            XCTAssertEqual(run.stopReason, .reachedTolerance)
            XCTAssertLessThanOrEqual(abs(run.stepsTaken - predicted), 1)
        }
    }

    /// Polyak's rate is (√κ−1)/(√κ+1) and Nesterov's 1 − 1/√κ, both from the spectral radius of
    /// the iteration matrices, and both measured: ‖w(2T)‖/‖w(T)‖ per step over a long run lies
    /// between the rate and rate·(2T/T)^(1/T) (the double root's factor t). The spectral radius at
    /// a double root is √(rounding) sensitive: |λ| carries an error ≈ √(2⁻⁵²) ≈ 1.5e−8, hence 1e−7.
    /// Nesterov's rate is slower than Polyak's but faster than gradient descent at η*.
    func testMomentumRatesMatchMeasuredDecay() throws {
        var random = SeededGenerator(seed: 16)
        for _ in 0..<40 {
            let kappa = Foundation.pow(10, Double.random(in: 0.5...3, using: &random))
            let q = try DiagonalQuadratic(a: kappa, b: 1)
            for (method, p) in [(MomentumMethod.heavyBall, q.heavyBall), (.nesterov, q.nesterov)] {
                XCTAssertEqual(q.momentumRate(method, learningRate: p.learningRate, momentum: p.momentum), p.rate, accuracy: 1e-7)
                let steps = 2 * Int((150 / -Foundation.log(p.rate)).rounded(.up))
                let start = [1e150 * random.nextGaussian(), 1e150 * random.nextGaussian()]
                let run = q.descend(from: start, learningRate: p.learningRate, momentum: p.momentum,
                                    maxSteps: steps, method: method)
                func norm(_ t: Int) -> Double { let w = run.iterate(t); return (w[0] * w[0] + w[1] * w[1]).squareRoot() }
                let measured = Foundation.pow(norm(steps) / norm(steps / 2), 2 / Double(steps))
                XCTAssertGreaterThanOrEqual(measured, p.rate * (1 - 1e-7), "\(method) κ=\(kappa)")
                XCTAssertLessThanOrEqual(measured, p.rate * Foundation.pow(2, 2 / Double(steps)) * (1 + 1e-7), "\(method) κ=\(kappa)")
            }
            XCTAssertEqual(q.nesterov.rate, 1 - 1 / kappa.squareRoot(), accuracy: 1e-15)
            XCTAssertLessThan(q.heavyBall.rate, q.nesterov.rate)
            XCTAssertLessThan(q.nesterov.rate, q.optimalRate)
        }
    }

    /// Polyak's (η, β) minimises the heavy-ball rate over (η, β): no point of a fine grid nor a
    /// nudge of either parameter does better (by more than the 1e−7 double-root sensitivity).
    /// This is the optimum Distill's rate map marks.
    func testPolyakPointIsTheOptimumOfTheRateMap() throws {
        for kappa in [2.0, 10, 50, 1000] {
            let q = try DiagonalQuadratic(a: kappa, b: 1)
            let best = q.heavyBall
            for i in 1...160 {
                for j in 0..<100 {
                    let eta = Double(i) / 40 / kappa, beta = Double(j) / 100
                    XCTAssertGreaterThanOrEqual(q.momentumRate(.heavyBall, learningRate: eta, momentum: beta), best.rate - 1e-7)
                }
            }
            for (de, db) in [(1.01, 1.0), (0.99, 1.0), (1.0, 1.01), (1.0, 0.99)] {
                XCTAssertGreaterThan(q.momentumRate(.heavyBall, learningRate: best.learningRate * de, momentum: min(best.momentum * db, 0.999)),
                                     best.rate + 1e-7)
            }
        }
    }

    /// At β = 0 both methods are gradient descent (same iterates, rate max|1 − η·aᵢ|); with
    /// Nesterov's parameters the stiff coordinate is removed in one step (1 − η·L = 0).
    func testMomentumEdgeCases() throws {
        let q = try DiagonalQuadratic(a: 8, b: 1)
        let plain = q.descend(from: [1, 2], learningRate: 0.1, maxSteps: 30)
        let nesterov = q.descend(from: [1, 2], learningRate: 0.1, momentum: 0, maxSteps: 30, method: .nesterov)
        XCTAssertEqual(plain.iterates, nesterov.iterates)
        XCTAssertEqual(q.momentumRate(.nesterov, learningRate: 0.1, momentum: 0), q.spectralRadius(learningRate: 0.1), accuracy: 1e-15)
        XCTAssertEqual(q.momentumIterate(.heavyBall, from: [1, 2], learningRate: 0.1, momentum: 0, step: 7),
                       q.closedFormIterate(from: [1, 2], learningRate: 0.1, step: 7))
        let n = q.nesterov
        let run = q.descend(from: [1, 0], learningRate: n.learningRate, momentum: n.momentum, maxSteps: 3, method: .nesterov)
        XCTAssertEqual(run.iterate(1)[0], 0, accuracy: 1e-15)
        // Heavy ball converges exactly for η·a < 2(1 + β): with β = 0.5 that is η·a < 3.
        XCTAssertNotNil(q.predictedIterations(.heavyBall, from: [1, 1], learningRate: 0.35, momentum: 0.5, tolerance: 1e-6))
        XCTAssertLessThan(q.momentumRate(.heavyBall, learningRate: 0.37, momentum: 0.5), 1)
        XCTAssertGreaterThan(q.momentumRate(.heavyBall, learningRate: 0.38, momentum: 0.5), 1)
        XCTAssertNil(q.predictedIterations(.heavyBall, from: [1, 1], learningRate: 0.4, momentum: 0.5, tolerance: 1e-6, limit: 100_000))
    }
}
