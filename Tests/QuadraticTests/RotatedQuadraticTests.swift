// The rotated quadratic: its Hessian's eigenpairs, the gradient against central differences, the
// simulated run against the eigenbasis closed form, the threshold 2/max(a, b) whatever θ, and the
// coordinate ratios that are no longer constant (the coordinates mix; the eigen-coordinates do not).

import LabSupport
import Quadratic
import XCTest

final class RotatedQuadraticTests: XCTestCase {
    private func random(_ random: inout SeededGenerator) throws -> RotatedQuadratic {
        let a = Foundation.pow(10, Double.random(in: -1...3, using: &random))
        let b = Foundation.pow(10, Double.random(in: -1...3, using: &random))
        return try RotatedQuadratic(a: a, b: b, angle: Double.random(in: -Double.pi...Double.pi, using: &random))
    }

    /// H·(cos θ, sin θ) = a·(cos θ, sin θ) and H·(−sin θ, cos θ) = b·(−sin θ, cos θ), to a few ulps
    /// of max(a, b); L(w) equals the diagonal L of u = Rᵀ·w; the gradient matches central differences.
    func testEigenpairsValueAndGradient() throws {
        var generator = SeededGenerator(seed: 21)
        for _ in 0..<200 {
            let q = try random(&generator)
            let a = q.eigenbasis.coefficients[0], b = q.eigenbasis.coefficients[1], scale = max(a, b)
            let e1 = q.fromEigenbasis([1, 0]), e2 = q.fromEigenbasis([0, 1])
            for (e, lambda) in [(e1, a), (e2, b)] {
                let he = q.gradient(at: e)
                XCTAssertEqual(he[0], lambda * e[0], accuracy: 8 * Double.ulpOfOne * scale)
                XCTAssertEqual(he[1], lambda * e[1], accuracy: 8 * Double.ulpOfOne * scale)
            }
            let w = [generator.nextGaussian(), generator.nextGaussian()]
            XCTAssertEqual(q.value(at: w), q.eigenbasis.value(at: q.toEigenbasis(w)), accuracy: 1e-13 * scale * (w[0] * w[0] + w[1] * w[1]))
            let numeric = GradientCheck.centralDifference(of: q.value(at:), at: w)
            XCTAssertLessThan(GradientCheck.relativeError(q.gradient(at: w), numeric), 1e-8)
        }
    }

    /// The run (full Hessian, original coordinates) equals R·diag(ρᵗ)·Rᵀ·w(0) within
    /// 1e−11·‖w(0)‖ for 200 steps at stable η: each step rounds at ≲ 3 ulps of ‖w‖ (‖I − ηH‖ ≤ 1),
    /// and the errors add: 200·3·2.2e−16 ≈ 1.3e−13, with room for the rotation's own rounding.
    func testRunEqualsEigenbasisClosedForm() throws {
        var generator = SeededGenerator(seed: 22)
        for _ in 0..<200 {
            let q = try random(&generator)
            let eta = Double.random(in: 0.02...0.98, using: &generator) * q.eigenbasis.stabilityThreshold
            let w0 = [generator.nextGaussian(), generator.nextGaussian()]
            let size = (w0[0] * w0[0] + w0[1] * w0[1]).squareRoot()
            let run = q.descend(from: w0, learningRate: eta, maxSteps: 200)
            for t in 0...run.stepsTaken {
                let exact = q.closedFormIterate(from: w0, learningRate: eta, step: t)
                let w = run.iterate(t)
                XCTAssertEqual(w[0], exact[0], accuracy: 1e-11 * size)
                XCTAssertEqual(w[1], exact[1], accuracy: 1e-11 * size)
            }
        }
    }

    /// Convergence ⇔ η < 2/max(a, b), whatever θ: measured 1% on either side.
    func testThresholdDoesNotDependOnTheAngle() throws {
        var generator = SeededGenerator(seed: 23)
        for _ in 0..<100 {
            let q = try random(&generator)
            let w0 = [generator.nextGaussian(), generator.nextGaussian()]
            for ratio in [0.99, 1.01] {
                let run = q.descend(from: w0, learningRate: ratio * q.eigenbasis.stabilityThreshold, maxSteps: 400_000,
                                    tolerance: 1e-20 * q.value(at: w0))
                XCTAssertEqual(run.stopReason, ratio < 1 ? .reachedTolerance : .lossNotFinite, "θ = \(q.angle)")
            }
        }
    }

    /// At θ = 30°, a = 10, b = 1, η = 0.05 the ratio w₁(t+1)/w₁(t) changes from step to step while
    /// u₁(t+1)/u₁(t) is ρ₁ = 0.5 at every step. Rotating into the eigenbasis rounds at ≈ 2⁻⁵²·‖w‖,
    /// so the ratio is only as exact as 2⁻⁵²·‖w‖/|uᵢ|: compared within 1e−9 while |uᵢ| ≥ 1e−6·‖u‖
    /// (the bound `lab q1b --angle` measures under).
    func testCoordinatesMixButEigenCoordinatesDoNot() throws {
        let q = try RotatedQuadratic(a: 10, b: 1, angle: Double.pi / 6)
        let run = q.descend(from: [1, 1], learningRate: 0.05, maxSteps: 20)
        var ratios: [Double] = []
        for t in 0..<20 {
            ratios.append(run.iterate(t + 1)[0] / run.iterate(t)[0])
            let u = q.toEigenbasis(run.iterate(t)), next = q.toEigenbasis(run.iterate(t + 1))
            let size = max(abs(u[0]), abs(u[1]))
            for (i, rho) in [(0, 0.5), (1, 0.95)] where abs(u[i]) >= 1e-6 * size {
                XCTAssertEqual(next[i] / u[i], rho, accuracy: 1e-9, "t = \(t)")
            }
        }
        XCTAssertGreaterThan(ratios.max()! - ratios.min()!, 0.1)
    }
}
