// Question 1: the diagonal quadratic L(w) = ½ Σ aᵢ·wᵢ², its value, gradient and minimiser.
// The homework is the 2-D case L(w₁, w₂) = ½(a·w₁² + b·w₂²); any n ≥ 1 positive coefficients work.

/// Why a quadratic could not be made from the numbers given.
public enum QuadraticError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No coefficients at all.
    case noCoefficients
    /// Coefficient `index` is zero, negative or not finite.
    case badCoefficient(index: Int, value: Double)

    public var description: String {
        switch self {
        case .noCoefficients:
            return "a quadratic needs at least one coefficient; pass one positive number per coordinate"
        case .badCoefficient(let index, let value):
            return "coefficient \(index + 1) is \(value); every coefficient must be a finite number > 0"
        }
    }
}

/// The diagonal quadratic
///
/// ```
/// L(w)   = ½ Σᵢ aᵢ·wᵢ²          aᵢ > 0
/// ∇L(w)  = (a₁·w₁, …, aₙ·wₙ)
/// w*     = 0,  L(w*) = 0
/// κ      = max aᵢ / min aᵢ       (condition number of the Hessian diag(a))
/// ```
///
/// It is strictly convex, so w* = 0 is its unique minimiser; the Hessian is diag(a), which
/// is why every step-size fact in `DiagonalQuadratic+Theory.swift` is per coordinate.
public struct DiagonalQuadratic: Sendable, Equatable {
    /// aᵢ, all finite and > 0.
    public let coefficients: [Double]

    /// - Throws: `QuadraticError` when `coefficients` is empty or any is not a finite number > 0.
    public init(coefficients: [Double]) throws {
        guard !coefficients.isEmpty else { throw QuadraticError.noCoefficients }
        for (index, value) in coefficients.enumerated() where !(value.isFinite && value > 0) {
            throw QuadraticError.badCoefficient(index: index, value: value)
        }
        self.coefficients = coefficients
    }

    /// The homework's L(w₁, w₂) = ½(a·w₁² + b·w₂²).
    public init(a: Double, b: Double) throws {
        try self.init(coefficients: [a, b])
    }

    /// n, the number of coordinates.
    public var dimension: Int { coefficients.count }

    /// min aᵢ, the smallest curvature.
    public var smallestCoefficient: Double { coefficients.min()! }

    /// max aᵢ, the largest curvature (it sets the stability threshold).
    public var largestCoefficient: Double { coefficients.max()! }

    /// κ = max aᵢ / min aᵢ ≥ 1.
    public var conditionNumber: Double { largestCoefficient / smallestCoefficient }

    /// w* = 0, the unique minimiser.
    public var minimizer: [Double] { [Double](repeating: 0, count: dimension) }

    /// L(w) = ½ Σ aᵢ·wᵢ².
    ///
    /// - Complexity: O(n).
    public func value(at w: [Double]) -> Double {
        precondition(w.count == dimension, "point has \(w.count) coordinates, the quadratic \(dimension)")
        var sum = 0.0
        for i in 0..<dimension { sum += coefficients[i] * w[i] * w[i] }
        return 0.5 * sum
    }

    /// ∇L(w) = (aᵢ·wᵢ)ᵢ.
    ///
    /// - Complexity: O(n).
    public func gradient(at w: [Double]) -> [Double] {
        precondition(w.count == dimension, "point has \(w.count) coordinates, the quadratic \(dimension)")
        return (0..<dimension).map { coefficients[$0] * w[$0] }
    }
}
