// Elementwise math for the fast kernel (Question 2, fast-training issue): e^x and the logistic
// sigmoid on eight Float lanes at once, stable for any input — raw 0…255 pixels drive |z| into
// the thousands, where the textbook 1 / (1 + e^−z) would overflow e^−z for z < −88.

enum FastMath {
    /// e^x for x ≤ 0 on eight lanes (Cephes' expf: Cody–Waite reduction and a degree-6
    /// polynomial, within 2 ulp of e^x).
    ///
    /// ```
    /// n = round(x / ln 2),  r = x − n·ln 2 ∈ [−ln2/2, ln2/2]   (ln 2 split in two parts, exact n·C₁)
    /// e^x = 2ⁿ · (1 + r + r²·P(r))
    /// ```
    /// 2ⁿ is built in the exponent bits. Below −87 (where e^x < 2⁻¹²⁵, at the bottom of the
    /// normal Floats) the result is 0; x = −∞ gives 0, NaN gives NaN. Positive x is outside
    /// the contract (callers pass −|z|).
    @inline(__always)
    static func expNonPositive(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let magic = SIMD8<Float>(repeating: 12_582_912)  // 1.5 · 2²³: adding it rounds to an integer
        let t = x * 1.442_695_040_888_963_4 + magic        // n + magic, with n = round(x · log₂e)
        let n = t - magic
        var r = x - n * 0.693_359_375                      // C₁ = 0.693359375 (exact in 9 bits)
        r = r + n * 2.121_944_400_546_905_827_68e-4        // −C₂, C₁ + C₂ = ln 2
        var p = SIMD8<Float>(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * (r * r) + r + 1
        let bits = (unsafeBitCast(t, to: SIMD8<UInt32>.self) &- unsafeBitCast(magic, to: SIMD8<UInt32>.self) &+ 127) &<< 23
        let scaled = y * unsafeBitCast(bits, to: SIMD8<Float>.self)
        return scaled.replacing(with: 0, where: x .< -87)
    }

    /// σ(z) = 1 / (1 + e^−z) lane by lane, computed as
    /// ```
    /// e = e^−|z| ∈ [0, 1]        (never overflows)
    /// σ(z) = 1 / (1 + e)         for z ≥ 0
    ///      = e / (1 + e)         for z < 0
    /// ```
    /// Results are in [0, 1], within 4 ulp of σ; σ(+∞) = 1, σ(−∞) = 0, NaN stays NaN.
    /// Branch-free: the sign of z is random from unit to unit.
    @inline(__always)
    static func sigmoid(_ z: SIMD8<Float>) -> SIMD8<Float> {
        let signBit = SIMD8<UInt32>(repeating: 0x8000_0000)
        let minusAbs = unsafeBitCast(unsafeBitCast(z, to: SIMD8<UInt32>.self) | signBit, to: SIMD8<Float>.self)  // −|z|
        let e = expNonPositive(minusAbs)
        let one = SIMD8<Float>(repeating: 1)
        let s = one / (one + e)
        return s.replacing(with: e * s, where: z .< 0)
    }
}
