// The eigenvalue density of a symmetric operator (issue 12): stochastic Lanczos quadrature,
// broadened by Gaussians, as PyHessian and Ghorbani et al. (2019) compute it.

import Foundation
import LabSupport

/// A spectral density estimate: quadrature nodes and weights, one set per random probe.
///
/// ```
/// φ(t) = (1/n) Σ_i δ(t − λ_i)  ≈  (1/P) Σ_p Σ_k τ_{p,k} g_σ(t − θ_{p,k})
/// ```
/// For probe p a Lanczos run of m steps from a random unit vector gives T = S Θ Sᵀ: the nodes
/// θ_{p,k} are its eigenvalues, the weights τ_{p,k} = S_{1k}² (they sum to 1). This is the Gauss
/// quadrature of the probe's spectral measure, whose expectation is φ; g_σ is the normal density
/// with standard deviation σ.
public struct SpectralDensity: Sendable, Codable {
    /// nodes[p]: the Ritz values of probe p, ascending.
    public var nodes: [[Double]]
    /// weights[p]: their weights, summing to 1.
    public var weights: [[Double]]
    /// Lanczos steps per probe.
    public var steps: Int

    /// The smallest and largest node.
    public var range: ClosedRange<Double> {
        let all = nodes.flatMap { $0 }
        return (all.min() ?? 0) ... (all.max() ?? 0)
    }

    /// φ(t) broadened by N(0, σ²).
    public func density(at t: Double, sigma: Double) -> Double {
        precondition(sigma > 0, "σ must be positive")
        let c = 1 / (sigma * (2 * Double.pi).squareRoot())
        var sum = 0.0
        for (theta, tau) in zip(nodes, weights) {
            for (x, w) in zip(theta, tau) {
                let u = (t - x) / sigma
                sum += w * c * exp(-0.5 * u * u)
            }
        }
        return sum / Double(max(1, nodes.count))
    }

    /// `points` evenly spaced (t, φ(t)) pairs over the node range widened by 3σ.
    public func curve(points: Int, sigma: Double) -> [(t: Double, density: Double)] {
        precondition(points >= 2)
        let low = range.lowerBound - 3 * sigma, high = range.upperBound + 3 * sigma
        return (0 ..< points).map { k in
            let t = low + (high - low) * Double(k) / Double(points - 1)
            return (t, density(at: t, sigma: sigma))
        }
    }

    /// Stochastic Lanczos quadrature.
    ///
    /// - Parameters:
    ///   - op: the symmetric operator, known through its products.
    ///   - probes: P ≥ 1 random start vectors (Gaussian, normalised).
    ///   - steps: m Lanczos steps per probe (fewer when the Krylov space closes first).
    ///   - generator: the seeded source of the probes.
    /// - Returns: each probe's nodes (Ritz values) and weights.
    /// - Complexity: P · m products.
    /// - Throws: `CurvatureError.nonFinite` when a product is not finite; `.lapack` on failure.
    public static func estimate(of op: SymmetricOperator, probes: Int, steps: Int,
                                generator: inout SeededGenerator) throws -> SpectralDensity {
        precondition(probes >= 1 && steps >= 1, "at least one probe and one step")
        var nodes: [[Double]] = [], weights: [[Double]] = []
        var used = 0
        for _ in 0 ..< probes {
            // A Lanczos run that never stops early: a tolerance no residual meets.
            let (alphas, betas) = try tridiagonalize(op, steps: steps, generator: &generator)
            let eigen = try SymmetricEigen.tridiagonal(diagonal: alphas, offDiagonal: betas, vectors: true)
            let m = alphas.count
            nodes.append(eigen.values)
            weights.append((0 ..< m).map { eigen.vectors[$0 * m] * eigen.vectors[$0 * m] })
            used = max(used, m)
        }
        return SpectralDensity(nodes: nodes, weights: weights, steps: used)
    }

    /// m Lanczos steps (full reorthogonalisation) from a random unit vector: T's α and β.
    static func tridiagonalize(_ op: SymmetricOperator, steps: Int,
                               generator: inout SeededGenerator) throws -> ([Double], [Double]) {
        let n = op.dimension
        var q = (0 ..< n).map { _ in generator.nextGaussian() }
        scale(&q, by: 1 / norm(q))
        var basis = [q]
        var alphas: [Double] = [], betas: [Double] = []
        while alphas.count < min(steps, n) {
            let (alpha, residual) = try Lanczos.step(op, basis: basis, previousBeta: betas.last)
            var w = residual
            alphas.append(alpha)
            let beta = norm(w)
            let size = max(abs(alpha), betas.last ?? 0, beta)
            if alphas.count == min(steps, n) || beta <= 1e-13 * max(size, 1e-300) { break }
            scale(&w, by: 1 / beta)
            basis.append(w)
            betas.append(beta)
        }
        return (alphas, betas)
    }
}
