// Symmetric eigenproblems through LAPACK (issue 12): the tridiagonal one that Lanczos leaves
// (`dstev`) and the dense one the tests check against (`dsyev`). LAPACK's C interface (LAPACKE)
// on Linux; this module is Linux-only for now (macOS would call Accelerate's copies).

import CLapack

/// Why a spectrum computation could not give an answer.
public enum CurvatureError: Error, CustomStringConvertible, Equatable, Sendable {
    /// An operator product or a matrix had a NaN or an infinity (a diverged network, say).
    case nonFinite(String)
    /// A LAPACK routine reported failure (`info` ≠ 0).
    case lapack(routine: String, info: Int)

    public var description: String {
        switch self {
        case .nonFinite(let what):
            return "\(what) is not finite (NaN or infinity): the network has diverged or its weights overflow; use weights from a run that converged"
        case let .lapack(routine, info):
            return "LAPACK's \(routine) failed (info \(info)); the matrix may be badly scaled — report this with the weights used"
        }
    }
}

/// Eigenvalues (ascending) and, when asked, orthonormal eigenvectors of a real symmetric matrix.
public struct SymmetricEigen: Sendable {
    /// λ₁ ≤ λ₂ ≤ … ≤ λₙ.
    public var values: [Double]
    /// (n, n) column-major: column i (`vectors[i * n ..< (i + 1) * n]`) belongs to `values[i]`;
    /// empty when vectors were not asked for.
    public var vectors: [Double]

    /// Eigenvector i as an array.
    public func vector(_ i: Int) -> [Double] {
        let n = values.count
        return Array(vectors[i * n ..< (i + 1) * n])
    }

    /// The eigen-decomposition of the symmetric tridiagonal matrix with `diagonal` (n) and
    /// `offDiagonal` (n − 1), by LAPACK's `dstev` (implicit QL/QR).
    ///
    /// - Throws: `CurvatureError.nonFinite` for a NaN or infinite entry, `.lapack` if `dstev` fails.
    public static func tridiagonal(diagonal: [Double], offDiagonal: [Double], vectors: Bool = true) throws -> SymmetricEigen {
        let n = diagonal.count
        precondition(n >= 1 && offDiagonal.count == n - 1, "a tridiagonal matrix of size n has n − 1 off-diagonal entries")
        guard diagonal.allSatisfy(\.isFinite), offDiagonal.allSatisfy(\.isFinite) else {
            throw CurvatureError.nonFinite("the Lanczos tridiagonal matrix")
        }
        var d = diagonal
        var e = offDiagonal + [0]
        var z = [Double](repeating: 0, count: vectors ? n * n : 1)
        let info = LAPACKE_dstev(LAPACK_COL_MAJOR, vectors ? Int8(UInt8(ascii: "V")) : Int8(UInt8(ascii: "N")),
                                 Int32(n), &d, &e, &z, Int32(n))
        guard info == 0 else { throw CurvatureError.lapack(routine: "dstev", info: Int(info)) }
        return SymmetricEigen(values: d, vectors: vectors ? z : [])
    }

    /// The eigen-decomposition of the dense symmetric (n, n) `matrix` (row- or column-major: it
    /// is symmetric), by LAPACK's `dsyev`.
    ///
    /// - Complexity: O(n³); for the tests' small networks.
    /// - Throws: `CurvatureError.nonFinite` for a NaN or infinite entry, `.lapack` if `dsyev` fails.
    public static func dense(_ matrix: [Double], dimension n: Int, vectors: Bool = true) throws -> SymmetricEigen {
        precondition(n >= 1 && matrix.count == n * n, "the matrix must be n × n")
        guard matrix.allSatisfy(\.isFinite) else { throw CurvatureError.nonFinite("the matrix") }
        var a = matrix
        var w = [Double](repeating: 0, count: n)
        let info = LAPACKE_dsyev(LAPACK_COL_MAJOR, vectors ? Int8(UInt8(ascii: "V")) : Int8(UInt8(ascii: "N")),
                                 Int8(UInt8(ascii: "U")), Int32(n), &a, Int32(n), &w)
        guard info == 0 else { throw CurvatureError.lapack(routine: "dsyev", info: Int(info)) }
        return SymmetricEigen(values: w, vectors: vectors ? a : [])
    }
}
