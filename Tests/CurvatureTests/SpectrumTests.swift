// The spectrum tools (issue 12) against the dense eigen-decomposition of the tiny network's
// Hessian (LAPACK dsyev): Lanczos's top-k and power iteration to 1e-8, Hutchinson's trace within
// three of its standard errors, stochastic Lanczos quadrature's nodes and weights.

import Curvature
import LabSupport
import MNISTNet
import XCTest

final class SpectrumTests: XCTestCase {
    /// The tiny network's Hessian at random weights (indefinite, 131 × 131), as an operator and
    /// as a dense matrix with its exact eigenvalues.
    static func tinyHessian() throws -> (SymmetricOperator, [Double], SymmetricEigen) {
        let loss = NetworkLoss(layerSizes: Tiny.sizes, data: Tiny.data())
        let op = loss.hessian(at: Tiny.parameters())
        let matrix = op.denseMatrix()
        return (op, matrix, try SymmetricEigen.dense(matrix, dimension: op.dimension))
    }

    func testLanczosTopKMatchesDenseEigenvalues() throws {
        let (op, _, eigen) = try Self.tinyHessian()
        var g = SeededGenerator(seed: 1)
        let k = 5
        let top = try Lanczos.topEigenvalues(of: op, count: k, options: LanczosOptions(tolerance: 1e-10, maximumIterations: 131),
                                             generator: &g)
        XCTAssertTrue(top.converged)
        let exact = Array(eigen.values.reversed().prefix(k))
        let scale = eigen.values.map(abs).max()!
        for (found, expected) in zip(top.eigenvalues, exact) {
            XCTAssertEqual(found, expected, accuracy: 1e-8 * scale)
        }
        // The Ritz vectors are eigenvectors: ‖H y − θ y‖ small.
        for (value, y) in zip(top.eigenvalues, top.eigenvectors) {
            let r = zip(op.apply(y), y).map { $0 - value * $1 }
            XCTAssertLessThan(r.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-8 * scale)
        }
        XCTAssertLessThan(top.products, 131, "Lanczos converges before exhausting the dimension")
    }

    func testLanczosOnAKnownDiagonal() throws {
        let diagonal = (1 ... 200).map(Double.init)
        let op = SymmetricOperator(dimension: 200) { v in zip(diagonal, v).map { $0 * $1 } }
        var g = SeededGenerator(seed: 2)
        let top = try Lanczos.topEigenvalues(of: op, count: 3, options: LanczosOptions(tolerance: 1e-9, maximumIterations: 200),
                                             generator: &g)
        XCTAssertEqual(top.eigenvalues[0], 200, accuracy: 1e-8)
        XCTAssertEqual(top.eigenvalues[1], 199, accuracy: 1e-8)
        XCTAssertEqual(top.eigenvalues[2], 198, accuracy: 1e-8)
    }

    func testPowerIterationFindsTheLargestMagnitudeAndWarmStartsFast() throws {
        let (op, _, eigen) = try Self.tinyHessian()
        let dominant = eigen.values.max { abs($0) < abs($1) }!
        var g = SeededGenerator(seed: 3)
        let cold = try PowerIteration.dominantEigenvalue(of: op, tolerance: 1e-14, maximumIterations: 100_000, generator: &g)
        XCTAssertTrue(cold.converged)
        XCTAssertEqual(cold.eigenvalue, dominant, accuracy: 1e-8 * abs(dominant))
        let warm = try PowerIteration.dominantEigenvalue(of: op, tolerance: 1e-10, start: cold.eigenvector, generator: &g)
        XCTAssertLessThanOrEqual(warm.products, 3, "a converged vector needs almost no further products")
        XCTAssertEqual(warm.eigenvalue, dominant, accuracy: 1e-8 * abs(dominant))
    }

    func testHutchinsonTraceIsWithinThreeStandardErrors() throws {
        let (op, _, eigen) = try Self.tinyHessian()
        let exact = eigen.values.reduce(0, +)
        var g = SeededGenerator(seed: 4)
        let estimate = try Hutchinson.trace(of: op, samples: 300, generator: &g)
        XCTAssertGreaterThan(estimate.standardError, 0)
        XCTAssertLessThan(abs(estimate.trace - exact), 3 * estimate.standardError,
                          "trace \(exact), estimate \(estimate.trace) ± \(estimate.standardError)")
    }

    /// zᵀ D z = tr D for every ±1 vector z: a diagonal operator's estimate is exact, error 0.
    func testHutchinsonIsExactOnADiagonal() throws {
        let diagonal = (1 ... 50).map { Double($0) * 0.5 - 7 }
        let op = SymmetricOperator(dimension: 50) { v in zip(diagonal, v).map { $0 * $1 } }
        var g = SeededGenerator(seed: 5)
        let estimate = try Hutchinson.trace(of: op, samples: 10, generator: &g)
        XCTAssertEqual(estimate.trace, diagonal.reduce(0, +), accuracy: 1e-12)
        XCTAssertEqual(estimate.standardError, 0, accuracy: 1e-12)
    }

    /// With as many steps as dimensions the quadrature nodes are all the eigenvalues, and the
    /// weights (squared components of the probe) sum to 1; the broadened density integrates to 1.
    func testSpectralDensityNodesAreTheEigenvalues() throws {
        let (op, _, eigen) = try Self.tinyHessian()
        var g = SeededGenerator(seed: 6)
        let density = try SpectralDensity.estimate(of: op, probes: 2, steps: op.dimension, generator: &g)
        let scale = eigen.values.map(abs).max()!
        for (nodes, weights) in zip(density.nodes, density.weights) {
            XCTAssertEqual(weights.reduce(0, +), 1, accuracy: 1e-12)
            XCTAssertEqual(nodes.count, op.dimension)
            for (node, value) in zip(nodes, eigen.values) { XCTAssertEqual(node, value, accuracy: 1e-8 * scale) }
        }
        let sigma = 0.01 * scale
        let curve = density.curve(points: 4000, sigma: sigma)
        let dt = curve[1].t - curve[0].t
        XCTAssertEqual(curve.reduce(0) { $0 + $1.density } * dt, 1, accuracy: 1e-3)
    }

    func testTridiagonalSolverAgreesWithTheDenseOne() throws {
        var g = SeededGenerator(seed: 8)
        let n = 30
        let d = (0 ..< n).map { _ in g.nextGaussian() }, e = (0 ..< n - 1).map { _ in g.nextGaussian() }
        var dense = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n { dense[i * n + i] = d[i] }
        for i in 0 ..< n - 1 { dense[i * n + i + 1] = e[i]; dense[(i + 1) * n + i] = e[i] }
        let a = try SymmetricEigen.tridiagonal(diagonal: d, offDiagonal: e)
        let b = try SymmetricEigen.dense(dense, dimension: n)
        for (x, y) in zip(a.values, b.values) { XCTAssertEqual(x, y, accuracy: 1e-12) }
    }

    func testNonFiniteProductsThrow() {
        let op = SymmetricOperator(dimension: 4) { _ in [1, .nan, 0, 0] }
        var g = SeededGenerator(seed: 1)
        XCTAssertThrowsError(try Lanczos.topEigenvalues(of: op, count: 1, generator: &g)) { error in
            XCTAssertEqual(error as? CurvatureError, .nonFinite("a Hessian-vector product"))
        }
        XCTAssertThrowsError(try PowerIteration.dominantEigenvalue(of: op, generator: &g))
        XCTAssertThrowsError(try Hutchinson.trace(of: op, samples: 2, generator: &g))
        XCTAssertThrowsError(try SymmetricEigen.dense([1, .infinity, .infinity, 1], dimension: 2))
    }
}
