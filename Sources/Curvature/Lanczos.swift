// The largest eigenvalues of a symmetric operator (issue 12; what PyHessian calls the top-k):
// Lanczos with full reorthogonalisation, its tridiagonal matrix solved by LAPACK, and power
// iteration as the simple twin that Question 1's λmax explanation suggests.

import LabSupport

/// Settings of `Lanczos.topEigenvalues`.
public struct LanczosOptions: Sendable, Codable, Equatable {
    /// Stop when every wanted Ritz pair has ‖A y − θ y‖ ≤ tolerance · |θ₁| (θ₁ the largest
    /// magnitude found). The eigenvalue error is then far smaller, about residual²/gap.
    public var tolerance: Double
    /// At most this many products (Lanczos steps); never more than the dimension.
    public var maximumIterations: Int

    public init(tolerance: Double = 1e-6, maximumIterations: Int = 100) {
        precondition(tolerance > 0 && maximumIterations >= 1, "tolerance > 0, at least one iteration")
        self.tolerance = tolerance
        self.maximumIterations = maximumIterations
    }
}

/// What `Lanczos.topEigenvalues` found.
public struct LanczosResult: Sendable, Codable {
    /// The k largest Ritz values, largest first.
    public var eigenvalues: [Double]
    /// ‖A y − θ y‖ of each (from the last step: |β_m s_{m,i}|), same order.
    public var residuals: [Double]
    /// Their unit Ritz vectors, same order.
    public var eigenvectors: [[Double]]
    /// Operator products used (= Lanczos steps).
    public var products: Int
    /// Whether every residual met the tolerance (or the Krylov space became invariant).
    public var converged: Bool
}

/// Lanczos iteration with full reorthogonalisation.
///
/// ```
/// q₁ = random unit vector,  β₀ = 0
/// for j = 1, 2, …:  w = A q_j − β_{j−1} q_{j−1};  α_j = q_jᵀ w;  w −= α_j q_j
///                   w −= Q_j (Q_jᵀ w)   (twice: full reorthogonalisation, so the qs stay orthonormal)
///                   β_j = ‖w‖;  q_{j+1} = w / β_j
/// T_j = tridiag(β, α, β) = S Θ Sᵀ  (LAPACK dstev);  Ritz pairs (θ_i, Q_j s_i), residual |β_j s_{j,i}|
/// ```
/// In exact arithmetic the Ritz values of T_j interlace and converge to the extreme eigenvalues
/// first; with full reorthogonalisation no spurious copies appear.
public enum Lanczos {
    /// The `count` algebraically largest eigenvalues of `operator` and their vectors.
    ///
    /// - Parameters:
    ///   - op: the symmetric operator, known through its products (e.g. `NetworkLoss.hessian(at:)`).
    ///   - count: k ≥ 1 (at most the dimension).
    ///   - options: tolerance and iteration limit.
    ///   - start: the first Lanczos vector (normalised here); a seeded random one when nil.
    ///   - generator: the seeded source of the random start.
    /// - Returns: the top-k, largest first, with residuals and vectors.
    /// - Complexity: m products and O(m² n) for the reorthogonalisation, m ≤ maximumIterations.
    /// - Throws: `CurvatureError.nonFinite` when a product is not finite; `.lapack` on failure.
    public static func topEigenvalues(
        of op: SymmetricOperator, count: Int, options: LanczosOptions = LanczosOptions(),
        start: [Double]? = nil, generator: inout SeededGenerator
    ) throws -> LanczosResult {
        let n = op.dimension
        precondition(count >= 1 && count <= n, "ask for 1 … n eigenvalues")
        let limit = min(n, max(options.maximumIterations, count))
        var q = start ?? (0 ..< n).map { _ in generator.nextGaussian() }
        precondition(q.count == n, "the start vector must have one entry per dimension")
        var qNorm = norm(q)
        if !(qNorm > 0) || !qNorm.isFinite {  // a zero or broken start: use a random one
            q = (0 ..< n).map { _ in generator.nextGaussian() }
            qNorm = norm(q)
        }
        scale(&q, by: 1 / qNorm)

        var basis: [[Double]] = [q]
        var alphas: [Double] = [], betas: [Double] = []
        var best: (eigen: SymmetricEigen, residuals: [Double])?
        var invariant = false
        while alphas.count < limit {
            let (alpha, residual) = try step(op, basis: basis, previousBeta: betas.last)
            var w = residual
            alphas.append(alpha)
            let beta = norm(w)
            // Ritz values of T_j and their residuals.
            let m = alphas.count
            let eigen = try SymmetricEigen.tridiagonal(diagonal: alphas, offDiagonal: betas, vectors: true)
            let residuals = (0 ..< m).map { abs(beta * eigen.vectors[$0 * m + m - 1]) }
            best = (eigen, residuals)
            let scaleRef = eigen.values.map(abs).max() ?? 0
            invariant = beta <= 1e-13 * max(scaleRef, 1e-300) || m == n
            let wanted = min(count, m)
            let done = m >= count
                && (0 ..< wanted).allSatisfy { residuals[m - 1 - $0] <= options.tolerance * scaleRef }
            if done || invariant { break }
            scale(&w, by: 1 / beta)
            basis.append(w)
            betas.append(beta)
        }
        let (eigen, residuals) = best!
        let m = alphas.count
        let k = min(count, m)
        var values: [Double] = [], res: [Double] = [], vectors: [[Double]] = []
        let scaleRef = eigen.values.map(abs).max() ?? 0
        for r in 0 ..< k {
            let i = m - 1 - r
            values.append(eigen.values[i])
            res.append(residuals[i])
            var y = [Double](repeating: 0, count: n)
            for t in 0 ..< m { axpy(eigen.vectors[i * m + t], basis[t], &y) }
            vectors.append(y)
        }
        let converged = invariant || (m >= count && res.allSatisfy { $0 <= options.tolerance * scaleRef })
        return LanczosResult(eigenvalues: values, residuals: res, eigenvectors: vectors, products: m, converged: converged)
    }

    /// One step of the Lanczos recurrence with full reorthogonalisation, shared by
    /// `topEigenvalues` and `SpectralDensity`: for the basis q₀ … q_j and β_{j−1}, α_j = q_jᵀ·A·q_j
    /// and the residual w = A·q_j − α_j·q_j − β_{j−1}·q_{j−1}, made orthogonal to every q_i twice
    /// (one pass leaves rounding behind).
    ///
    /// - Throws: `CurvatureError.nonFinite` when A·q_j is not finite.
    static func step(_ op: SymmetricOperator, basis: [[Double]], previousBeta: Double?) throws -> (alpha: Double, residual: [Double]) {
        let j = basis.count - 1
        var w = op.apply(basis[j])
        guard w.allSatisfy(\.isFinite) else { throw CurvatureError.nonFinite("a Hessian-vector product") }
        if j > 0, let previousBeta { axpy(-previousBeta, basis[j - 1], &w) }
        let alpha = dot(basis[j], w)
        axpy(-alpha, basis[j], &w)
        for _ in 0 ..< 2 {
            for qi in basis { axpy(-dot(qi, w), qi, &w) }
        }
        return (alpha, w)
    }
}

/// What `PowerIteration.dominantEigenvalue` found.
public struct PowerIterationResult: Sendable, Codable {
    /// The Rayleigh quotient vᵀ A v of the last unit vector: the eigenvalue of largest magnitude.
    public var eigenvalue: Double
    /// The last unit vector (a warm start for the next call, e.g. one training step later).
    public var eigenvector: [Double]
    /// Operator products used.
    public var products: Int
    /// Whether successive estimates agreed to the tolerance.
    public var converged: Bool
}

/// Power iteration, Lanczos's simple twin.
///
/// ```
/// v ← A v / ‖A v‖,   λ ← vᵀ A v      until |λ_k − λ_{k−1}| ≤ tolerance · |λ_k|
/// ```
/// Converges to the eigenvalue of largest magnitude at the rate |λ₂/λ₁| per product (Lanczos
/// needs about the square root as many): slow when the top two are close, which is why Lanczos is
/// the default; a warm start from the previous vector makes repeated calls cheap.
public enum PowerIteration {
    /// The eigenvalue of largest magnitude of the operator, and its vector.
    ///
    /// - Parameters:
    ///   - op: the symmetric operator, known through its products.
    ///   - tolerance: stop when successive estimates agree to this, relative to the latest.
    ///   - maximumIterations: at most this many products.
    ///   - start: the starting vector (e.g. the previous call's `eigenvector`); random when nil.
    ///   - generator: the seeded source of the random start.
    /// - Returns: the last estimate, its unit vector, the products used and whether it converged.
    /// - Throws: `CurvatureError.nonFinite` when a product is not finite.
    public static func dominantEigenvalue(
        of op: SymmetricOperator, tolerance: Double = 1e-6, maximumIterations: Int = 1000,
        start: [Double]? = nil, generator: inout SeededGenerator
    ) throws -> PowerIterationResult {
        let n = op.dimension
        precondition(tolerance > 0 && maximumIterations >= 1)
        var v = start ?? (0 ..< n).map { _ in generator.nextGaussian() }
        precondition(v.count == n, "the start vector must have one entry per dimension")
        var length = norm(v)
        if !(length > 0) || !length.isFinite {
            v = (0 ..< n).map { _ in generator.nextGaussian() }
            length = norm(v)
        }
        scale(&v, by: 1 / length)
        var lambda = Double.nan
        var products = 0
        while products < maximumIterations {
            var w = op.apply(v)
            products += 1
            guard w.allSatisfy(\.isFinite) else { throw CurvatureError.nonFinite("a Hessian-vector product") }
            let next = dot(v, w)
            let size = norm(w)
            if size == 0 { return PowerIterationResult(eigenvalue: 0, eigenvector: v, products: products, converged: true) }
            scale(&w, by: 1 / size)
            v = w
            if abs(next - lambda) <= tolerance * abs(next) {
                return PowerIterationResult(eigenvalue: next, eigenvector: v, products: products, converged: true)
            }
            lambda = next
        }
        return PowerIterationResult(eigenvalue: lambda, eigenvector: v, products: products, converged: false)
    }
}
