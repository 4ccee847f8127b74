// Question 1 theory: per-coordinate contraction factors ρᵢ(η) = 1 − η·aᵢ, the stability
// threshold 2/max aᵢ, the optimal step 2/(min a + max a) and its rate (κ−1)/(κ+1), the exact
// number of iterations to reach a loss (or distance) ε. Momentum: DiagonalQuadratic+Momentum.swift.

import Foundation

/// What gradient descent with a fixed η does on a quadratic.
public enum Convergence: String, Codable, Sendable {
    /// max |ρᵢ| < 1: every coordinate shrinks geometrically to 0.
    case converges
    /// max |ρᵢ| = 1: the stiffest coordinate flips sign forever at constant size.
    case oscillates
    /// max |ρᵢ| > 1: the stiffest coordinate grows geometrically; the loss overflows.
    case diverges
}

extension DiagonalQuadratic {
    /// ρᵢ(η) = 1 − η·aᵢ: gradient descent multiplies coordinate i by ρᵢ every step, so
    ///
    /// ```
    /// wᵢ(t) = ρᵢᵗ · wᵢ(0)
    /// ```
    public func contractionFactors(learningRate η: Double) -> [Double] {
        coefficients.map { 1 - η * $0 }
    }

    /// max |ρᵢ(η)|, the asymptotic rate of gradient descent (the spectral radius of I − η·diag(a)).
    public func spectralRadius(learningRate η: Double) -> Double {
        contractionFactors(learningRate: η).map(abs).max()!
    }

    /// η_max = 2 / max aᵢ: gradient descent converges exactly for 0 < η < η_max.
    ///
    /// |1 − η·aᵢ| < 1 ⇔ 0 < η·aᵢ < 2, and the binding constraint is the largest aᵢ.
    public var stabilityThreshold: Double { 2 / largestCoefficient }

    /// η* = 2 / (min aᵢ + max aᵢ), the η that minimises max |ρᵢ(η)|: there the two extreme
    /// factors balance, 1 − η·min a = −(1 − η·max a).
    public var optimalLearningRate: Double { 2 / (smallestCoefficient + largestCoefficient) }

    /// max |ρᵢ(η*)| = (κ − 1) / (κ + 1).
    public var optimalRate: Double {
        let kappa = conditionNumber
        return (kappa - 1) / (kappa + 1)
    }

    /// Converges / oscillates / diverges, from η against η_max = 2 / max aᵢ.
    ///
    /// The comparison is made with the double nearest to 2 / max aᵢ, and that double itself
    /// counts as the threshold: its |ρ| differs from 1 by at most one rounding (≈ 1e−16), a drift
    /// no run shorter than ~10¹⁵ steps could show. Every other double compares strictly, which is
    /// the theorem: converges ⇔ η < 2 / max aᵢ.
    public func convergence(learningRate η: Double) -> Convergence {
        let threshold = stabilityThreshold
        if η < threshold { return .converges }
        if η == threshold { return .oscillates }
        return .diverges
    }

    /// Converges / oscillates / diverges for the run from `w0`: a coordinate that starts at 0
    /// stays 0 for every η (wᵢ(t) = ρᵢᵗ·0), so only the coordinates with wᵢ(0) ≠ 0 count and the
    /// threshold of this run is 2 / max{aᵢ : wᵢ(0) ≠ 0}. From w(0) = w* every η "converges".
    public func convergence(learningRate η: Double, from w0: [Double]) -> Convergence {
        precondition(w0.count == dimension)
        let moving = (0..<dimension).filter { w0[$0] != 0 }.map { coefficients[$0] }
        guard let stiffest = moving.max() else { return .converges }
        let threshold = 2 / stiffest
        if η < threshold { return .converges }
        if η == threshold { return .oscillates }
        return .diverges
    }

    /// w(t) = (ρᵢᵗ · wᵢ(0))ᵢ, the closed form of gradient descent.
    public func closedFormIterate(from w0: [Double], learningRate η: Double, step t: Int) -> [Double] {
        precondition(w0.count == dimension && t >= 0)
        return (0..<dimension).map { i in Foundation.pow(1 - η * coefficients[i], Double(t)) * w0[i] }
    }

    /// The exact number of gradient-descent steps until L(w(t)) ≤ ε (or ‖w(t)‖ ≤ ε with
    /// `criterion: .distance`, the same sum with weights wᵢ(0)² against ε²): the smallest t ≥ 0 with
    ///
    /// ```
    /// L(w(t)) = ½ Σᵢ aᵢ · wᵢ(0)² · ρᵢ^(2t)  ≤  ε
    /// ```
    ///
    /// Not a bound: every coordinate's own geometric decay is summed. When all |ρᵢ| ≤ 1 (on
    /// the coordinates where wᵢ(0) ≠ 0) the sum never increases, so the answer is found by
    /// bisection between 0 and the bound from the slowest factor.
    ///
    /// - Returns: the step count, or nil when the loss never gets to ε: a coordinate with
    ///   |ρᵢ| > 1 (divergence; not predicted even if the loss dips on the way) or |ρᵢ| = 1
    ///   terms that alone are ≥ ε, or more than 10¹⁵ steps.
    /// - Complexity: O(n · log T).
    public func predictedIterations(
        from w0: [Double], learningRate η: Double, tolerance ε: Double, criterion: StoppingCriterion = .loss
    ) -> Int? {
        precondition(w0.count == dimension)
        if measure(criterion, at: w0) <= ε { return 0 }
        // The distance is compared squared: ‖w(t)‖² = Σ wᵢ(0)²·ρᵢ^(2t) ≤ ε².
        let target = criterion == .loss ? ε : ε * ε
        var constant = 0.0                      // Σ of terms with |ρᵢ| = 1
        var decaying: [(weight: Double, factor: Double)] = []   // (½ aᵢ wᵢ(0)², |ρᵢ|) with |ρᵢ| < 1
        for i in 0..<dimension where w0[i] != 0 {
            let weight = (criterion == .loss ? 0.5 * coefficients[i] : 1) * w0[i] * w0[i]
            let factor = abs(1 - η * coefficients[i])
            if factor > 1 { return nil }
            if factor == 1 { constant += weight } else { decaying.append((weight, factor)) }
        }
        guard constant < target else { return nil }
        func loss(_ t: Int) -> Double {
            decaying.reduce(constant) { $0 + $1.weight * Foundation.pow($1.factor, 2 * Double(t)) }
        }
        // Upper end: Σ wᵢ·ρᵢ^(2t) ≤ (Σ wᵢ)·r^(2t) with r the slowest factor.
        let total = decaying.reduce(0) { $0 + $1.weight }
        let slowest = decaying.map(\.factor).max() ?? 0
        var high: Int
        if slowest == 0 {
            high = 1
        } else {
            let bound = (Foundation.log((target - constant) / total) / (2 * Foundation.log(slowest))).rounded(.up)
            guard bound.isFinite, bound < 1e15 else { return nil }
            high = max(1, Int(bound))
            while loss(high) > target { high *= 2 }    // guards the bound against rounding
        }
        var low = 0                               // loss(low) > target, loss(high) ≤ target
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if loss(middle) <= target { high = middle } else { low = middle }
        }
        return high
    }
}

/// The classic rate estimate: the smallest t with L₀ · r^(2t) ≤ ε,
///
/// ```
/// t = ⌈ log(ε / L₀) / (2 · log r) ⌉
/// ```
///
/// For gradient descent at η* with r = (κ−1)/(κ+1) this is ≈ (κ/4)·log(L₀/ε); for heavy ball
/// with r = (√κ−1)/(√κ+1) it is ≈ (√κ/4)·log(L₀/ε). It ignores the constant and the polynomial
/// factor in front of rᵗ, so a run may take a few steps more or fewer.
///
/// - Returns: nil when r ≥ 1 (no decay) or the estimate exceeds 10¹⁵ steps; 0 when L₀ ≤ ε.
public func rateEstimateIterations(rate r: Double, initialLoss: Double, tolerance ε: Double) -> Int? {
    if initialLoss <= ε { return 0 }
    guard r < 1 else { return nil }
    if r == 0 { return 1 }
    let t = (Foundation.log(ε / initialLoss) / (2 * Foundation.log(r))).rounded(.up)
    return t.isFinite && t < 1e15 ? Int(t) : nil
}
