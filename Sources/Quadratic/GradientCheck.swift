// Question 1(a): checking an analytic gradient against central finite differences, the
// independent computation that says ∇L(w) = (aᵢ·wᵢ)ᵢ is right.

import Foundation

/// Central-difference gradients and the error measure used to compare them.
public enum GradientCheck {
    /// The central difference in every coordinate:
    ///
    /// ```
    /// ∂f/∂wᵢ ≈ (f(w + hᵢ·eᵢ) − f(w − hᵢ·eᵢ)) / (2·hᵢ),   hᵢ = ∛ε_mach · max(1, |wᵢ|)
    /// ```
    ///
    /// The truncation error is O(h²·f‴), which is exactly 0 for a quadratic, so what remains is
    /// rounding, about ε_mach·|f| / h ≈ 1e−11·|f|: the step ∛ε_mach ≈ 6e−6 balances the two for
    /// general smooth f.
    ///
    /// - Complexity: 2n evaluations of `f`.
    public static func centralDifference(of f: ([Double]) -> Double, at w: [Double]) -> [Double] {
        let scale = Foundation.cbrt(Double.ulpOfOne)
        var point = w
        return (0..<w.count).map { i in
            let h = scale * max(1, abs(w[i]))
            point[i] = w[i] + h
            let forward = f(point)
            point[i] = w[i] - h
            let backward = f(point)
            point[i] = w[i]
            return (forward - backward) / (2 * h)
        }
    }

    /// ‖g − ĝ‖∞ / max(‖g‖∞, ‖ĝ‖∞), 0 when both are zero, NaN when any component of either is
    /// not finite (an overflowed or undefined difference checks nothing, so it must fail).
    ///
    /// Norm-wise rather than per coordinate, so a coordinate whose gradient is nearly 0 cannot
    /// turn a rounding error into a huge ratio.
    public static func relativeError(_ g: [Double], _ reference: [Double]) -> Double {
        precondition(g.count == reference.count)
        // `max(x, .nan)` is x in Swift, so a non-finite value would silently drop out of the maxima.
        guard (g + reference).allSatisfy(\.isFinite) else { return .nan }
        var difference = 0.0, size = 0.0
        for i in 0..<g.count {
            difference = max(difference, abs(g[i] - reference[i]))
            size = max(size, abs(g[i]), abs(reference[i]))
        }
        return size == 0 ? 0 : difference / size
    }
}
