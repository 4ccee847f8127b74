// The trace of a symmetric operator from products alone (issue 12): Hutchinson's estimator
// with Rademacher vectors, and its standard error.

import LabSupport

/// Hutchinson's trace estimate.
public struct TraceEstimate: Sendable, Codable {
    /// The mean of zᵀ A z over the draws.
    public var trace: Double
    /// The standard error of that mean, s / √m (s the sample standard deviation).
    public var standardError: Double
    /// Draws m (= products).
    public var samples: Int
}

/// Hutchinson's estimator.
///
/// ```
/// z with independent entries ±1 (Rademacher):  E[zᵀ A z] = Σ_ij A_ij E[z_i z_j] = tr A
/// Var[zᵀ A z] = 2 Σ_{i≠j} A_ij²      (the smallest of any i.i.d. probe distribution)
/// ```
/// so the mean of m draws has standard error √(Var/m), estimated from the draws themselves.
public enum Hutchinson {
    /// The trace of the operator from m products, with its standard error.
    ///
    /// - Parameters:
    ///   - op: the symmetric operator, known through its products.
    ///   - samples: m ≥ 2 Rademacher probes.
    ///   - generator: the seeded source of the signs.
    /// - Returns: the mean of the m draws zᵀ A z and its standard error.
    /// - Throws: `CurvatureError.nonFinite` when a product is not finite.
    public static func trace(of op: SymmetricOperator, samples: Int,
                             generator: inout SeededGenerator) throws -> TraceEstimate {
        precondition(samples >= 2, "a standard error needs at least two draws")
        let n = op.dimension
        var draws: [Double] = []
        var z = [Double](repeating: 0, count: n)
        for _ in 0 ..< samples {
            var bits: UInt64 = 0
            for i in 0 ..< n {
                if i % 64 == 0 { bits = generator.next() }
                z[i] = bits & 1 == 0 ? 1 : -1
                bits >>= 1
            }
            let draw = dot(z, op.apply(z))
            guard draw.isFinite else { throw CurvatureError.nonFinite("a Hessian-vector product") }
            draws.append(draw)
        }
        let mean = draws.reduce(0, +) / Double(samples)
        let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples - 1)
        return TraceEstimate(trace: mean, standardError: (variance / Double(samples)).squareRoot(), samples: samples)
    }
}
