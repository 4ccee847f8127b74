// Question 1(d): heavy ball and Nesterov on the diagonal quadratic in closed form. Each coordinate
// follows a two-step recurrence x(t+1) = p·x(t) − q·x(t−1) (the per-eigenvalue 2×2 iteration matrix
// [[p, −q], [1, 0]]), whose solution is a root pair; from it the exact iterate, the exact number of
// steps to a tolerance, the asymptotic rate, and the optimal parameters of both methods.

import Foundation

/// Which momentum method a run uses.
public enum MomentumMethod: String, Codable, Sendable, CaseIterable {
    /// Polyak: w(t+1) = w(t) − η·∇L(w(t)) + β·(w(t) − w(t−1)).
    case heavyBall = "heavy-ball"
    /// Nesterov: y(t) = w(t) + β·(w(t) − w(t−1)),  w(t+1) = y(t) − η·∇L(y(t)).
    case nesterov
}

/// The per-coordinate recurrence x(t+1) = p·x(t) − q·x(t−1), i.e. the 2×2 iteration matrix
///
/// ```
/// (x(t+1), x(t)) = M · (x(t), x(t−1)),   M = [[p, −q], [1, 0]],   det M = q,  tr M = p
/// ```
///
/// with characteristic roots λ₁,₂ = (p ± √(p² − 4q)) / 2. Its solution is, with Uₜ the Lucas
/// sequence U₀ = 0, U₁ = 1, Uₜ₊₁ = p·Uₜ − q·Uₜ₋₁,
///
/// ```
/// x(t) = x(1)·Uₜ − q·x(0)·Uₜ₋₁,     Uₜ = (λ₁ᵗ − λ₂ᵗ) / (λ₁ − λ₂)
///      = |λ|ᵗ⁻¹ · sin(tθ) / sin θ      complex pair |λ|·e^(±iθ)   (p² < 4q)
///      = t · λᵗ⁻¹                     double root λ = p/2        (p² = 4q)
/// ```
///
/// Uₜ is evaluated in the form that does not cancel near a double root (sinh(tφ)/sinh φ for a
/// real pair √q·e^(±φ)), so the closed form stays accurate where Polyak's and Nesterov's
/// parameters put the extreme curvatures: exactly on a double root.
public struct TwoStepRecurrence: Sendable, Equatable, Codable {
    /// tr M.
    public let p: Double
    /// det M = λ₁·λ₂.
    public let q: Double

    public init(p: Double, q: Double) { self.p = p; self.q = q }

    /// The recurrence of coordinate i with curvature `curvature` under `method` with (η, β):
    ///
    /// ```
    /// heavy ball:  p = 1 + β − η·a,          q = β
    /// Nesterov:    p = (1 + β)·(1 − η·a),     q = β·(1 − η·a)
    /// ```
    public init(method: MomentumMethod, curvature a: Double, learningRate η: Double, momentum β: Double) {
        switch method {
        case .heavyBall: self.init(p: 1 + β - η * a, q: β)
        case .nesterov: self.init(p: (1 + β) * (1 - η * a), q: β * (1 - η * a))
        }
    }

    /// M = [[p, −q], [1, 0]] row-major.
    public var matrix: [[Double]] { [[p, -q], [1, 0]] }

    /// p² − 4q: > 0 two real roots, 0 a double root, < 0 a complex pair.
    public var discriminant: Double { p * p - 4 * q }

    /// The roots as (real, imaginary) pairs, the larger modulus first.
    public var roots: [(re: Double, im: Double)] {
        let d = discriminant
        if d < 0 {
            let im = (-d).squareRoot() / 2
            return [(p / 2, im), (p / 2, -im)]
        }
        let s = d.squareRoot()
        let big = p >= 0 ? (p + s) / 2 : (p - s) / 2
        return [(big, 0), (big == 0 ? 0 : q / big, 0)]
    }

    /// max |λᵢ|, the spectral radius of M: |x(t)| decays like (or grows like) this per step.
    ///
    /// ```
    /// √q                    complex pair (p² < 4q)
    /// (|p| + √(p² − 4q))/2   real roots
    /// ```
    public var spectralRadius: Double {
        let d = discriminant
        return d < 0 ? q.squareRoot() : (abs(p) + d.squareRoot()) / 2
    }

    /// Uₜ (see the type's documentation); 0 for t ≤ 0.
    ///
    /// - Complexity: O(1).
    public func lucas(_ t: Int) -> Double {
        if t <= 0 { return 0 }
        if t == 1 { return 1 }
        let n = Double(t)
        if q == 0 { return Foundation.pow(p, n - 1) }
        let d = discriminant
        if d < 0 {
            // λ = √q·e^(±iθ): Uₜ = √q^(t−1)·sin(tθ)/sin θ.
            let modulus = q.squareRoot(), theta = Foundation.atan2((-d).squareRoot(), p)
            return Foundation.pow(modulus, n - 1) * Foundation.sin(n * theta) / Foundation.sin(theta)
        }
        if q > 0 {
            // Real pair of one sign s = sign p: λ = s·√q·e^(±φ), sinh φ = √(p² − 4q)/(2√q).
            let modulus = q.squareRoot(), phi = Foundation.asinh(d.squareRoot() / (2 * modulus))
            let sign: Double = (p < 0 && t % 2 == 0) ? -1 : 1          // s^(t−1)
            if phi == 0 { return sign * n * Foundation.pow(modulus, n - 1) }
            if phi < 1 {
                // sinh(tφ)/sinh φ·√q^(t−1) without overflow: e^((t−1)·ln√q + tφ)·(1 − e^(−2tφ))/(2 sinh φ).
                let log = (n - 1) * Foundation.log(modulus) + n * phi
                return sign * Foundation.exp(log) * -Foundation.expm1(-2 * n * phi) / (2 * Foundation.sinh(phi))
            }
        }
        // Well-separated real roots (or q < 0: opposite signs): (λ₁ᵗ − λ₂ᵗ)/(λ₁ − λ₂), λ₂ = q/λ₁.
        let s = d.squareRoot()
        let big = p >= 0 ? (p + s) / 2 : (p - s) / 2
        let small = q / big
        let ratio = small / big
        return Foundation.pow(big, n - 1) * (1 - Foundation.pow(ratio, n)) / (1 - ratio)
    }

    /// x(t) = x(1)·Uₜ − q·x(0)·Uₜ₋₁, from x(0) and x(1).
    public func value(step t: Int, x0: Double, x1: Double) -> Double {
        precondition(t >= 0)
        if t == 0 { return x0 }
        return x1 * lucas(t) - q * x0 * lucas(t - 1)
    }
}

/// A momentum method's step size η, momentum β, and the asymptotic rate they give.
public struct MomentumParameters: Sendable, Equatable, Codable {
    public let learningRate: Double
    public let momentum: Double
    /// max over the curvatures of the iteration matrix's spectral radius: |w(t)| ~ rateᵗ
    /// (times a polynomial factor where a root is double).
    public let rate: Double
}

/// How a run is judged to have arrived.
public enum StoppingCriterion: String, Codable, Sendable, CaseIterable {
    /// L(w) = ½ Σ aᵢ·wᵢ².
    case loss
    /// ‖w − w*‖ = ‖w‖ (Euclidean).
    case distance
}

extension DiagonalQuadratic {
    /// The measure a criterion compares with its tolerance: L(w) or ‖w‖.
    public func measure(_ criterion: StoppingCriterion, at w: [Double]) -> Double {
        switch criterion {
        case .loss: return value(at: w)
        case .distance: return (w.reduce(0) { $0 + $1 * $1 }).squareRoot()
        }
    }

    /// The recurrence of every coordinate under `method` with (η, β).
    public func recurrences(_ method: MomentumMethod, learningRate η: Double, momentum β: Double) -> [TwoStepRecurrence] {
        coefficients.map { TwoStepRecurrence(method: method, curvature: $0, learningRate: η, momentum: β) }
    }

    /// max over coordinates of the spectral radius of the iteration matrix: the asymptotic rate
    /// of `method` with (η, β). With β = 0 both methods are gradient descent: max |1 − η·aᵢ|.
    public func momentumRate(_ method: MomentumMethod, learningRate η: Double, momentum β: Double) -> Double {
        recurrences(method, learningRate: η, momentum: β).map(\.spectralRadius).max()!
    }

    /// The exact iterate of `method` from w(0) with w(−1) = w(0), coordinate by coordinate:
    ///
    /// ```
    /// wᵢ(t) = wᵢ(1)·Uₜ − qᵢ·wᵢ(0)·Uₜ₋₁,   wᵢ(1) = (1 − η·aᵢ)·wᵢ(0)
    /// ```
    ///
    /// (the first step has no velocity, so it is a gradient step for both methods). For Polyak's
    /// parameters in 2-D both coordinates sit on double roots λ = ±r, r = (√κ−1)/(√κ+1), and this is
    ///
    /// ```
    /// w_flat(t)  = w_flat(0)·(1 + (1 − r)·t)·rᵗ
    /// w_stiff(t) = w_stiff(0)·(1 + (1 + r)·t)·(−r)ᵗ
    /// ```
    ///
    /// whose factor ≈ 2t is the transient that makes heavy ball overshoot before it decays.
    public func momentumIterate(
        _ method: MomentumMethod, from w0: [Double], learningRate η: Double, momentum β: Double, step t: Int
    ) -> [Double] {
        precondition(w0.count == dimension && t >= 0)
        return (0..<dimension).map { i in
            let r = TwoStepRecurrence(method: method, curvature: coefficients[i], learningRate: η, momentum: β)
            return r.value(step: t, x0: w0[i], x1: (1 - η * coefficients[i]) * w0[i])
        }
    }

    /// The exact first step t with `criterion`(w(t)) ≤ ε for `method` with (η, β), found by
    /// evaluating the closed form `momentumIterate` at t = 0, 1, 2, … — the loss of a momentum
    /// method is not monotone (it can rise first), so the first crossing is searched, not bisected.
    ///
    /// - Returns: the step, or nil when it is not reached within `limit` steps or the closed form
    ///   overflows first (a run would stop there as diverged).
    /// - Complexity: O(n · T), T the answer (or `limit`).
    public func predictedIterations(
        _ method: MomentumMethod, from w0: [Double], learningRate η: Double, momentum β: Double,
        tolerance ε: Double, criterion: StoppingCriterion = .loss, limit: Int = 10_000_000
    ) -> Int? {
        precondition(w0.count == dimension && limit >= 0)
        let rec = recurrences(method, learningRate: η, momentum: β)
        let first = (0..<dimension).map { (1 - η * coefficients[$0]) * w0[$0] }
        var w = w0
        for t in 0...limit {
            for i in 0..<dimension { w[i] = rec[i].value(step: t, x0: w0[i], x1: first[i]) }
            let m = measure(criterion, at: w)
            if !m.isFinite { return nil }
            if m <= ε { return t }
        }
        return nil
    }

    /// Polyak's heavy ball, optimal for curvatures in [μ, L] = [min aᵢ, max aᵢ]:
    ///
    /// ```
    /// η = 4/(√L + √μ)²,   β = ((√κ − 1)/(√κ + 1))²,   rate = √β = (√κ − 1)/(√κ + 1) ≈ 1 − 2/√κ
    /// ```
    ///
    /// Every coordinate's roots then have modulus exactly √β (double roots ±√β at μ and L).
    public var heavyBall: MomentumParameters {
        let rootL = largestCoefficient.squareRoot(), rootMu = smallestCoefficient.squareRoot()
        let rate = (rootL - rootMu) / (rootL + rootMu)
        return MomentumParameters(
            learningRate: 4 / ((rootL + rootMu) * (rootL + rootMu)), momentum: rate * rate, rate: rate)
    }

    /// Nesterov's constant-momentum parameters for a μ-strongly convex, L-smooth function:
    ///
    /// ```
    /// η = 1/L,   β = (√κ − 1)/(√κ + 1),   rate = 1 − 1/√κ
    /// ```
    ///
    /// On a quadratic the stiffest coordinate is then removed in one step (p = q = 0) and the
    /// flattest has a double root at 1 − 1/√κ, which is the rate: slower than heavy ball's
    /// ≈ 1 − 2/√κ on a quadratic, but Nesterov's guarantee holds for every convex function.
    public var nesterov: MomentumParameters {
        let root = conditionNumber.squareRoot()
        return MomentumParameters(
            learningRate: 1 / largestCoefficient, momentum: (root - 1) / (root + 1), rate: 1 - 1 / root)
    }
}
