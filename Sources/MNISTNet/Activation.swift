// The network's nonlinearities and loss (Question 2): the logistic sigmoid, softmax and
// cross-entropy, written so that no input — ±1e308, ±∞ — produces an overflow or a NaN that
// the mathematics does not have. NaN inputs propagate (a diverged run must be visible).

import Foundation

/// Numerically stable sigmoid, softmax and cross-entropy.
public enum Activation {
    /// The logistic sigmoid.
    ///
    /// ```
    /// σ(x) = 1 / (1 + e^−x)          for x ≥ 0   (e^−x ≤ 1: no overflow)
    ///      = e^x / (1 + e^x)         for x < 0   (e^x < 1: no overflow)
    /// ```
    /// σ(+∞) = 1, σ(−∞) = 0, σ(NaN) = NaN; the result is always in [0, 1].
    @inlinable
    public static func sigmoid(_ x: Double) -> Double {
        if x >= 0 { return 1 / (1 + exp(-x)) }
        let e = exp(x)  // also the NaN path: exp(NaN) = NaN
        return e / (1 + e)
    }

    /// The logarithm of the softmax.
    ///
    /// ```
    /// m = max_j z_j
    /// log softmax(z)_i = (z_i − m) − log Σ_j e^(z_j − m)
    /// ```
    /// Every e^(z_j − m) ≤ 1 and the sum is ≥ 1 (the maximum contributes e^0), so nothing
    /// overflows and the logarithm is finite: a probability that underflows to 0 still has a
    /// finite log-probability. Finite logits give finite results as long as z_i − m is
    /// representable (|z| below about 8.9e307); a NaN anywhere makes every entry NaN.
    public static func logSoftmax(_ logits: [Double]) -> [Double] {
        var result = logits
        result.withUnsafeMutableBufferPointer { logSoftmaxInPlace($0) }
        return result
    }

    /// The softmax, `softmax(z)_i = e^(z_i − m) / Σ_j e^(z_j − m)` with `m = max_j z_j`.
    /// The entries are in [0, 1] and sum to 1 up to rounding.
    public static func softmax(_ logits: [Double]) -> [Double] {
        logSoftmax(logits).map { exp($0) }
    }

    /// Cross-entropy of the softmax of `logits` against the one-hot `label`:
    /// `−log softmax(z)_label`, computed through `logSoftmax` so that it is finite (and large)
    /// even when the probability of the label underflows to zero.
    public static func crossEntropy(logits: [Double], label: Int) -> Double {
        precondition(logits.indices.contains(label), "label must index the logits")
        return -logSoftmax(logits)[label]
    }
}

/// `z ← log softmax(z)` in place (see `Activation.logSoftmax`).
@inline(__always)
func logSoftmaxInPlace(_ z: UnsafeMutableBufferPointer<Double>) {
    var m = -Double.infinity
    var sawNaN = false
    for v in z {
        if v > m { m = v }
        if v.isNaN { sawNaN = true }
    }
    if sawNaN || !m.isFinite {
        // NaN, or a +∞ logit (∞ − ∞): the probabilities are undefined; say so with NaN.
        // All logits −∞ is equally undefined.
        for k in z.indices { z[k] = .nan }
        return
    }
    var sum = 0.0
    for v in z { sum += exp(v - m) }
    let logSum = log(sum)
    for k in z.indices { z[k] = (z[k] - m) - logSum }
}
