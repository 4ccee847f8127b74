// A symmetric linear operator given by its product v ↦ A v (issue 12): the form in which the
// spectrum tools take a Hessian, so that any lab can hand them its own product (the network's
// exact Hessian-vector product, a dense test matrix, a quadratic's diagonal).

/// A real symmetric n × n operator known only through products `apply(v) = A v`.
public struct SymmetricOperator: Sendable {
    /// n.
    public let dimension: Int
    private let product: @Sendable ([Double]) -> [Double]

    /// An operator of size `dimension` whose product is `apply` (which must return n values and
    /// be symmetric: u·(A v) = v·(A u); the spectrum tools rely on it and do not check).
    public init(dimension: Int, apply: @escaping @Sendable ([Double]) -> [Double]) {
        precondition(dimension >= 1, "an operator needs at least one dimension")
        self.dimension = dimension
        product = apply
    }

    /// A dense symmetric (n, n) matrix, row-major.
    public init(matrix: [Double], dimension n: Int) {
        precondition(matrix.count == n * n, "the matrix must be n × n")
        self.init(dimension: n) { v in
            var out = [Double](repeating: 0, count: n)
            for i in 0 ..< n {
                var sum = 0.0
                for j in 0 ..< n { sum += matrix[i * n + j] * v[j] }
                out[i] = sum
            }
            return out
        }
    }

    /// A v.
    public func apply(_ v: [Double]) -> [Double] {
        precondition(v.count == dimension, "the vector must have one entry per dimension")
        let out = product(v)
        precondition(out.count == dimension, "the operator returned a vector of the wrong size")
        return out
    }

    /// The dense matrix (n, n), column by column A e_i — n products; for small operators.
    public func denseMatrix() -> [Double] {
        let n = dimension
        var matrix = [Double](repeating: 0, count: n * n)
        var e = [Double](repeating: 0, count: n)
        for i in 0 ..< n {
            e[i] = 1
            let column = apply(e)
            e[i] = 0
            for r in 0 ..< n { matrix[r * n + i] = column[r] }
        }
        return matrix
    }
}

// MARK: - Small vector helpers (internal)

@inline(__always)
func dot(_ x: [Double], _ y: [Double]) -> Double {
    precondition(x.count == y.count)
    var sum = 0.0
    x.withUnsafeBufferPointer { x in
        y.withUnsafeBufferPointer { y in
            for k in 0 ..< x.count { sum += x[k] * y[k] }
        }
    }
    return sum
}

@inline(__always)
func norm(_ x: [Double]) -> Double { dot(x, x).squareRoot() }

/// y ← y + a x.
@inline(__always)
func axpy(_ a: Double, _ x: [Double], _ y: inout [Double]) {
    precondition(x.count == y.count)
    x.withUnsafeBufferPointer { x in
        y.withUnsafeMutableBufferPointer { y in
            for k in 0 ..< x.count { y[k] += a * x[k] }
        }
    }
}

@inline(__always)
func scale(_ x: inout [Double], by a: Double) {
    x.withUnsafeMutableBufferPointer { x in
        for k in x.indices { x[k] *= a }
    }
}
