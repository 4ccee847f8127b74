// The layer sums of `MLP.evaluate` (Question 2): z = b + Σ x_i W[i, :] in Double, four output
// lanes at a time. Compiled twice like the SGD step; here the AVX2 copy only widens the lanes.
// There is no fused multiply-add in this file, so every lane rounds x_i·W_ij and then the sum
// exactly as the scalar loop `MLP.evaluateDense` does, in the same order: the results are
// bit-identical to it (`FastKernelTests.testSparseEvaluationEqualsDenseEvaluation`).

/// Layer sums on rows padded to whole `Lanes`.
///
/// A layer with n_out units is stored as rows of c = ⌈n_out / 4⌉ lanes, 4c Doubles (padding 0):
/// W[i, :] starts at element 4c·i, b and z are 4c long. The sums run over at most four lanes
/// (16 units) at a time, so the partial sums stay in registers (four 256-bit registers, or eight
/// 128-bit ones).
public enum EvaluationLayers {
    /// Four Double lanes.
    public typealias Lanes = SIMD4<Double>

    /// z = b + Σ_t table[bytes[t]] · W[indices[t], :], t increasing: the sparse first layer,
    /// over an image's non-zero pixels (their indices and bytes) and the byte → input table.
    public static func sparse(
        z: UnsafeMutablePointer<Double>, bias: UnsafePointer<Double>, weights: UnsafePointer<Double>, chunks c: Int,
        indices: UnsafePointer<UInt16>, bytes: UnsafePointer<UInt8>, table: UnsafePointer<Double>, count: Int
    ) {
        sums(z: z, bias: bias, chunks: c, terms: count) { t in
            (table[Int(bytes[t])], weights + Int(indices[t]) &* c &* 4)
        }
    }

    /// z = b + Σ_i input[i] · W[i, :] over every i in 0 ..< inputs: a dense layer.
    public static func dense(
        z: UnsafeMutablePointer<Double>, bias: UnsafePointer<Double>, weights: UnsafePointer<Double>, chunks c: Int,
        input: UnsafePointer<Double>, inputs: Int
    ) {
        sums(z: z, bias: bias, chunks: c, terms: inputs) { i in (input[i], weights + i &* c &* 4) }
    }

    /// z = b + Σ_t x_t · row_t for the terms (x_t, row_t) that `term` gives, t increasing, four
    /// lanes (16 units) at a time.
    @inline(__always)
    static func sums(
        z: UnsafeMutablePointer<Double>, bias: UnsafePointer<Double>, chunks c: Int, terms: Int,
        _ term: (Int) -> (x: Double, row: UnsafePointer<Double>)
    ) {
        var q = 0
        while q < c {
            switch c - q {  // a literal width lets the compiler keep the sums in registers
            case 1: group(1, q, z, bias, terms, term)
            case 2: group(2, q, z, bias, terms, term)
            case 3: group(3, q, z, bias, terms, term)
            default: group(4, q, z, bias, terms, term)
            }
            q += 4
        }
    }

    /// Lanes q ..< q + width of the sums.
    @inline(__always)
    static func group(
        _ width: Int, _ q: Int, _ z: UnsafeMutablePointer<Double>, _ bias: UnsafePointer<Double>, _ terms: Int,
        _ term: (Int) -> (x: Double, row: UnsafePointer<Double>)
    ) {
        let b = bias + 4 &* q
        var s0 = load(b, 0), s1 = width > 1 ? load(b, 1) : .zero
        var s2 = width > 2 ? load(b, 2) : .zero, s3 = width > 3 ? load(b, 3) : .zero
        for t in 0 ..< terms {
            let (x, start) = term(t)
            let row = start + 4 &* q
            s0 = s0 + x * load(row, 0)
            if width > 1 { s1 = s1 + x * load(row, 1) }
            if width > 2 { s2 = s2 + x * load(row, 2) }
            if width > 3 { s3 = s3 + x * load(row, 3) }
        }
        let out = UnsafeMutableRawPointer(z + 4 &* q)
        out.storeBytes(of: s0, as: Lanes.self)
        if width > 1 { out.storeBytes(of: s1, toByteOffset: 32, as: Lanes.self) }
        if width > 2 { out.storeBytes(of: s2, toByteOffset: 64, as: Lanes.self) }
        if width > 3 { out.storeBytes(of: s3, toByteOffset: 96, as: Lanes.self) }
    }

    /// Lane k (four Doubles from element 4k) of `p`; no alignment needed.
    @inline(__always)
    static func load(_ p: UnsafePointer<Double>, _ k: Int) -> Lanes {
        UnsafeRawPointer(p).loadUnaligned(fromByteOffset: 32 &* k, as: Lanes.self)
    }
}
