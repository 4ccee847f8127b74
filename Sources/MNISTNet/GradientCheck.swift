// Gradient check (Question 2): backpropagation's gradient compared with central finite
// differences of the loss, in Double, for sampled entries of every weight and bias tensor.
// An independent computation: the finite differences use only the forward pass.

import LabSupport

/// The comparison for one parameter tensor.
public struct GradientCheckRow: Sendable, Equatable {
    /// "w1", "b1", "w2", … (layer numbers from 1, as in the .npz file).
    public var name: String
    /// (n_in, n_out) for weights, (n_out,) for biases.
    public var shape: [Int]
    /// Entries compared.
    public var checked: Int
    /// max over the checked entries of the relative error (see `GradientCheck`).
    public var maxRelativeError: Double
    /// max over the checked entries of |g − ĝ|.
    public var maxAbsoluteError: Double
    /// The largest |g| among the checked entries (the scale of this tensor's gradient).
    public var largestGradient: Double
}

/// Backpropagation against central finite differences.
///
/// For a parameter θ_k with analytic gradient g_k (backpropagation) and the numerical one
/// ```
/// ĝ_k = (L(θ + h e_k) − L(θ − h e_k)) / (2h)
/// ```
/// the relative error is
/// ```
/// rel_k = |g_k − ĝ_k| / max(|g_k|, |ĝ_k|, 1e-12)
/// ```
/// (the floor 1e-12 only avoids 0/0 where both are exactly zero).
///
/// Choice of h: the central difference has truncation error ≈ h²|L'''|/6 and rounding error
/// ≈ δ/h, where δ is the absolute rounding error of one evaluation of L. Measured on the
/// default net with 10 real MNIST images (L ≈ 23), δ ≈ 4e-15 (a few ulps of L), and the
/// largest third derivatives (output biases) give a truncation error of ≈ 1.5e-9 at h = 1e-4.
/// Scanning h from 1e-3 to 1e-5 on 100 entries per tensor, the worst relative error is
/// smallest near h = 1e-4 (3.5e-7; it is 3.7e-6 at 1e-5, where rounding dominates, and 5e-6
/// at 1e-3, where truncation dominates). With absolute errors of about 1e-10 the relative error
/// stays below 1e-6 for every entry with |g| ≳ 1e-4; an entry with a much smaller gradient can
/// show a larger relative error that is finite-difference noise, which is why the table also
/// reports the maximum absolute error.
///
/// Entries are drawn uniformly without replacement from each tensor with a seeded generator.
/// For the first weight matrix the draw is restricted to rows whose input is non-zero in at
/// least one checked sample: the other rows have a gradient that is exactly 0 both ways (MNIST's
/// border pixels), so checking them would say nothing.
public enum GradientCheck {
    /// The finite-difference step h (see the type's documentation).
    public static let defaultStep = 1e-4

    /// Compares backpropagation with finite differences of the summed loss
    /// `L(θ) = Σ_{n ∈ indices} −log p_{y_n}(x_n; θ)`.
    ///
    /// - Parameters:
    ///   - network: the parameters θ at which to compare.
    ///   - data: the images.
    ///   - indices: the samples of the loss (at least one).
    ///   - scaling: how pixels become inputs.
    ///   - entriesPerTensor: entries compared in each tensor (all of them when it has fewer).
    ///   - seed: seed of the entry sampling.
    ///   - step: the finite-difference step h.
    /// - Returns: one row per tensor, in the order w1, b1, w2, b2, ….
    /// - Complexity: O(entries · tensors · |indices| · number of weights).
    public static func run(
        _ network: MLP, data: ImageDataset, indices: [Int], scaling: InputScaling = .unit,
        entriesPerTensor: Int = 20, seed: UInt64 = MLP.defaultSeed, step: Double = defaultStep
    ) -> [GradientCheckRow] {
        precondition(!indices.isEmpty, "the gradient check needs at least one sample")
        precondition(step > 0 && step.isFinite, "the step must be a positive number")
        let analytic = network.lossAndGradients(on: data, indices: indices, scaling: scaling).gradients
        var generator = SeededGenerator(seed: seed)
        var probe = network
        var rows: [GradientCheckRow] = []

        // Rows of w1 that some checked input reaches.
        let activeInputs = (0 ..< network.inputCount).filter { i in
            indices.contains { data.pixels[$0 * data.pixelsPerImage + i] != 0 }
        }

        func difference(_ modify: (inout MLP, Double) -> Void) -> Double {
            modify(&probe, step)
            let plus = probe.loss(on: data, indices: indices, scaling: scaling)
            modify(&probe, -2 * step)
            let minus = probe.loss(on: data, indices: indices, scaling: scaling)
            modify(&probe, step)
            return (plus - minus) / (2 * step)
        }

        for l in network.layers.indices {
            let layer = network.layers[l]
            // Weights.
            var candidates: [Int] = []
            if l == 0 {
                for i in activeInputs { for j in 0 ..< layer.outputCount { candidates.append(i * layer.outputCount + j) } }
            } else {
                candidates = Array(layer.weights.indices)
            }
            var row = GradientCheckRow(
                name: "w\(l + 1)", shape: [layer.inputCount, layer.outputCount], checked: 0,
                maxRelativeError: 0, maxAbsoluteError: 0, largestGradient: 0)
            for k in sample(candidates, count: entriesPerTensor, using: &generator) {
                let original = probe.layers[l].weights[k]
                let numeric = difference { net, delta in net.layers[l].weights[k] += delta }
                probe.layers[l].weights[k] = original  // undo any rounding of +h −2h +h
                record(analytic.weights[l][k], numeric, into: &row)
            }
            rows.append(row)
            // Biases.
            row = GradientCheckRow(
                name: "b\(l + 1)", shape: [layer.outputCount], checked: 0,
                maxRelativeError: 0, maxAbsoluteError: 0, largestGradient: 0)
            for k in sample(Array(layer.biases.indices), count: entriesPerTensor, using: &generator) {
                let original = probe.layers[l].biases[k]
                let numeric = difference { net, delta in net.layers[l].biases[k] += delta }
                probe.layers[l].biases[k] = original
                record(analytic.biases[l][k], numeric, into: &row)
            }
            rows.append(row)
        }
        return rows
    }

    /// |g − ĝ| / max(|g|, |ĝ|, 1e-12).
    public static func relativeError(_ analytic: Double, _ numeric: Double) -> Double {
        abs(analytic - numeric) / max(abs(analytic), abs(numeric), 1e-12)
    }

    private static func record(_ analytic: Double, _ numeric: Double, into row: inout GradientCheckRow) {
        row.checked += 1
        row.maxRelativeError = max(row.maxRelativeError, relativeError(analytic, numeric))
        row.maxAbsoluteError = max(row.maxAbsoluteError, abs(analytic - numeric))
        row.largestGradient = max(row.largestGradient, abs(analytic))
    }

    /// `count` distinct elements of `values` (all when there are fewer), in a seeded order.
    private static func sample(_ values: [Int], count: Int, using generator: inout SeededGenerator) -> [Int] {
        var pool = values
        Training.shuffle(&pool, using: &generator)
        return Array(pool.prefix(max(0, count)))
    }
}
