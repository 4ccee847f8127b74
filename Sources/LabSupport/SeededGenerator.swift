// A small, fast, seeded random-number generator: xoshiro256** (Blackman & Vigna), its state
// filled from the seed by SplitMix64. Same seed, same stream, on every run and machine.
// Used for weight initialisation (Question 2) and random test points (Question 1).

/// A deterministic `RandomNumberGenerator`.
///
/// ```
/// state ← SplitMix64(seed)            (four 64-bit words, never all zero)
/// next  = rotl(s1 · 5, 7) · 9         (xoshiro256**)
/// ```
///
/// `nextGaussian()` uses the Box–Muller transform on two uniform doubles in (0, 1), so the
/// normal draws are as reproducible as the platform's `log`, `sqrt` and `cos`.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)
    private var spareGaussian: Double?

    /// Creates a generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, by: 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, by: 45)
        return result
    }

    /// A uniform double in the open interval (0, 1): 53 random bits, offset by half a step.
    public mutating func nextUnitOpen() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1p-53
    }

    /// A draw from the standard normal distribution N(0, 1).
    public mutating func nextGaussian() -> Double {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        let u1 = nextUnitOpen(), u2 = nextUnitOpen()
        let radius = (-2 * _log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spareGaussian = radius * _sin(angle)
        return radius * _cos(angle)
    }

    private func rotateLeft(_ x: UInt64, by k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

private func _log(_ x: Double) -> Double { log(x) }
private func _sin(_ x: Double) -> Double { sin(x) }
private func _cos(_ x: Double) -> Double { cos(x) }
