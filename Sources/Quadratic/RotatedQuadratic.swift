// Question 1 beyond the diagonal: the homework's quadratic rotated by θ,
// L(w) = ½·wᵀ·H·w with H = R(θ)·diag(a, b)·R(θ)ᵀ. Gradient descent mixes the coordinates w₁, w₂,
// but in the eigenbasis u = R(θ)ᵀ·w it is the diagonal problem again: the analysis lives there.

import Foundation

/// The rotated quadratic
///
/// ```
/// L(w)  = ½·wᵀ·H·w,     H = R·diag(a, b)·Rᵀ,     R = [[cos θ, −sin θ], [sin θ, cos θ]]
/// ∇L(w) = H·w
/// u     = Rᵀ·w          (eigen-coordinates: L = ½(a·u₁² + b·u₂²))
/// w(t)  = R·diag(ρ₁ᵗ, ρ₂ᵗ)·Rᵀ·w(0),   ρᵢ = 1 − η·λᵢ,  λ = (a, b)
/// ```
///
/// H has eigenvalues a (eigenvector (cos θ, sin θ)) and b (eigenvector (−sin θ, cos θ)), so the
/// stability threshold 2/max(a, b), the optimal step 2/(a + b) and every rate are those of the
/// diagonal problem, whatever θ — while the ratio wᵢ(t+1)/wᵢ(t) of a coordinate is no longer constant.
public struct RotatedQuadratic: Sendable, Equatable {
    /// diag(a, b): the same quadratic in its eigenbasis.
    public let eigenbasis: DiagonalQuadratic
    /// θ in radians.
    public let angle: Double

    /// - Throws: `QuadraticError` when a or b is not a finite number > 0.
    public init(a: Double, b: Double, angle θ: Double) throws {
        eigenbasis = try DiagonalQuadratic(a: a, b: b)
        angle = θ
    }

    private var cosine: Double { Foundation.cos(angle) }
    private var sine: Double { Foundation.sin(angle) }

    /// H row-major (2, 2): [a·c² + b·s², (a − b)·c·s, (a − b)·c·s, a·s² + b·c²].
    public var hessian: [Double] {
        let a = eigenbasis.coefficients[0], b = eigenbasis.coefficients[1], c = cosine, s = sine
        let offDiagonal = (a - b) * c * s
        return [a * c * c + b * s * s, offDiagonal, offDiagonal, a * s * s + b * c * c]
    }

    /// u = Rᵀ·w.
    public func toEigenbasis(_ w: [Double]) -> [Double] {
        precondition(w.count == 2)
        return [cosine * w[0] + sine * w[1], -sine * w[0] + cosine * w[1]]
    }

    /// w = R·u.
    public func fromEigenbasis(_ u: [Double]) -> [Double] {
        precondition(u.count == 2)
        return [cosine * u[0] - sine * u[1], sine * u[0] + cosine * u[1]]
    }

    /// ½·wᵀ·H·w.
    public func value(at w: [Double]) -> Double {
        let g = gradient(at: w)
        return 0.5 * (w[0] * g[0] + w[1] * g[1])
    }

    /// H·w.
    public func gradient(at w: [Double]) -> [Double] {
        precondition(w.count == 2)
        let h = hessian
        return [h[0] * w[0] + h[1] * w[1], h[2] * w[0] + h[3] * w[1]]
    }

    /// w(t) = R·diag(ρᵢᵗ)·Rᵀ·w(0): the diagonal closed form, carried into and out of the eigenbasis.
    public func closedFormIterate(from w0: [Double], learningRate η: Double, step t: Int) -> [Double] {
        fromEigenbasis(eigenbasis.closedFormIterate(from: toEigenbasis(w0), learningRate: η, step: t))
    }

    /// Gradient descent w(t+1) = w(t) − η·H·w(t) in the original coordinates (the full 2×2
    /// Hessian, not the eigenbasis, so comparing with `closedFormIterate` is a real check). Stops
    /// like `DiagonalQuadratic.descend`: after `maxSteps`, at L ≤ `tolerance`, or at a non-finite loss.
    ///
    /// - Complexity: O(T); memory (T + 1)·2 doubles for the iterates.
    public func descend(from w0: [Double], learningRate η: Double, maxSteps: Int, tolerance: Double = 0) -> DescentRun {
        precondition(w0.count == 2 && η.isFinite && η > 0 && maxSteps >= 0)
        let h = hessian
        var w = w0, iterates: [Double] = [], losses: [Double] = []
        var stop = StopReason.stepLimit
        var t = 0
        while true {
            let loss = value(at: w)
            losses.append(loss)
            iterates.append(contentsOf: w)
            if !loss.isFinite { stop = .lossNotFinite; break }
            if loss <= tolerance { stop = .reachedTolerance; break }
            if t == maxSteps { break }
            let g0 = h[0] * w[0] + h[1] * w[1], g1 = h[2] * w[0] + h[3] * w[1]   // ∇L = H·w
            w = [w[0] - η * g0, w[1] - η * g1]
            t += 1
        }
        return DescentRun(learningRate: η, momentum: 0, method: .heavyBall, dimension: 2,
                          iterates: iterates, losses: losses, stopReason: stop, finalIterate: w)
    }
}
