// Tests for the quadratic L(w) = ½ Σ aᵢ·wᵢ²: value, gradient (against central differences),
// minimiser and the refusal of coefficients that are not finite and positive.

import LabSupport
import Quadratic
import XCTest

final class DiagonalQuadraticTests: XCTestCase {
    func testValueAndGradientOfTheHomeworkQuadratic() throws {
        let q = try DiagonalQuadratic(a: 10, b: 1)
        XCTAssertEqual(q.value(at: [1, 2]), 0.5 * (10 + 4))
        XCTAssertEqual(q.gradient(at: [1, 2]), [10, 2])
        XCTAssertEqual(q.minimizer, [0, 0])
        XCTAssertEqual(q.value(at: q.minimizer), 0)
        XCTAssertEqual(q.conditionNumber, 10)
    }

    /// The analytic gradient against central differences at seeded random points and random
    /// coefficients spanning four decades. Tolerance 1e−8: for a quadratic the difference is
    /// exact up to rounding, ≈ ε_mach·|L|/h ≈ 1e−11 relative, so 1e−8 leaves a wide margin
    /// while a wrong factor (a missing ½, aᵢ² instead of aᵢ) is off by O(1).
    func testGradientMatchesCentralDifferences() throws {
        var random = SeededGenerator(seed: 11)
        for _ in 0..<200 {
            let n = Int.random(in: 1...5, using: &random)
            let a = (0..<n).map { _ in Foundation.pow(10, Double.random(in: -2...2, using: &random)) }
            let q = try DiagonalQuadratic(coefficients: a)
            let w = (0..<n).map { _ in 3 * random.nextGaussian() }
            let numeric = GradientCheck.centralDifference(of: q.value(at:), at: w)
            XCTAssertLessThan(GradientCheck.relativeError(q.gradient(at: w), numeric), 1e-8)
        }
    }

    func testRelativeErrorOfZeroGradientsIsZero() {
        XCTAssertEqual(GradientCheck.relativeError([0, 0], [0, 0]), 0)
        XCTAssertEqual(GradientCheck.relativeError([1, 0], [0.5, 0]), 0.5)
    }

    func testCoefficientsMustBeFiniteAndPositive() {
        XCTAssertThrowsError(try DiagonalQuadratic(coefficients: [])) {
            XCTAssertEqual($0 as? QuadraticError, .noCoefficients)
        }
        for bad in [0.0, -1, .nan, .infinity, -.infinity] {
            XCTAssertThrowsError(try DiagonalQuadratic(a: 1, b: bad)) {
                guard case .badCoefficient(let index, let value)? = $0 as? QuadraticError else {
                    return XCTFail("wrong error \($0)")
                }
                XCTAssertEqual(index, 1)
                XCTAssertTrue(value == bad || (value.isNaN && bad.isNaN))
                XCTAssertTrue("\($0)".contains("coefficient 2"))
            }
        }
    }

    func testOneDimensionalQuadraticWorks() throws {
        let q = try DiagonalQuadratic(coefficients: [4])
        XCTAssertEqual(q.conditionNumber, 1)
        XCTAssertEqual(q.optimalLearningRate, 0.25)
        let run = q.descend(from: [3], learningRate: 0.25, maxSteps: 10)
        XCTAssertEqual(run.stopReason, .reachedTolerance)  // η = 1/a: exact minimum in one step
        XCTAssertEqual(run.stepsTaken, 1)
    }

    /// A non-finite component makes the relative error NaN, never a silent 0 (Swift's
    /// `max(x, .nan)` is x); and the central difference of a loss that overflows is not finite.
    func testRelativeErrorWithANonFiniteComponentIsNaN() throws {
        XCTAssertTrue(GradientCheck.relativeError([1, .nan], [1, 2]).isNaN)
        XCTAssertTrue(GradientCheck.relativeError([1, 2], [.infinity, 2]).isNaN)
        let q = try DiagonalQuadratic(a: 1e308, b: 1)
        let numeric = GradientCheck.centralDifference(of: q.value(at:), at: [1.6, 1])
        XCTAssertTrue(GradientCheck.relativeError(q.gradient(at: [1.6, 1]), numeric).isNaN)
    }

    /// labs/q1a.md's exercise: forgetting the ½ doubles the gradient, relative error exactly ½.
    func testForgettingTheHalfGivesRelativeErrorOneHalf() throws {
        let q = try DiagonalQuadratic(a: 10, b: 1)
        for w in [[1.0, 1.0], [-0.3, 2.5], [0, 1]] {
            let doubled = q.gradient(at: w).map { 2 * $0 }
            XCTAssertEqual(GradientCheck.relativeError(doubled, q.gradient(at: w)), 0.5)
        }
    }
}
