// Gradient check (Question 2): backpropagation's gradient compared with central finite
// differences of the loss, in Double, for sampled entries of every weight and bias tensor.
// An independent computation: the finite differences use only the forward pass.

import LabSupport
import MNISTData

/// The comparison for one parameter tensor.
public struct GradientCheckRow: Sendable, Equatable, Codable {
    /// "w1", "b1", "w2", … (layer numbers from 1, as in the .npz file).
    public var name: String
    /// (n_in, n_out) for weights, (n_out,) for biases.
    public var shape: [Int]
    /// Entries compared.
    public var checked: Int
    /// The finite-difference step used for this tensor (see `GradientCheck.step(for:)`).
    public var step: Double
    /// The rounding floor of the central difference at this step, `GradientCheck.roundingFloor`:
    /// differences below it cannot be resolved.
    public var roundingFloor: Double
    /// max over the checked entries of the relative error (see `GradientCheck`); NaN when any
    /// number in the comparison was not finite.
    public var maxRelativeError: Double
    /// max over the checked entries of |g − ĝ|; NaN when any number was not finite.
    public var maxAbsoluteError: Double
    /// The largest |g| among the checked entries (the scale of this tensor's gradient).
    public var largestGradient: Double

    /// Whether the finite differences can see this tensor's gradient at all: its largest |g|
    /// is above the rounding floor. (A huge loss, e.g. from a weight of 1e300, makes every
    /// difference L(θ+h) − L(θ−h) round to 0, and nothing can be checked.)
    public var isResolvable: Bool { roundingFloor < largestGradient }

    /// Whether every checked entry agrees within `tolerance` and the check could resolve the
    /// gradient; a non-finite number never passes.
    public func passes(tolerance: Double) -> Bool { maxRelativeError <= tolerance && isResolvable }
}

/// Backpropagation against central finite differences.
///
/// For a parameter θ_k with analytic gradient g_k (backpropagation) and the numerical one
/// ```
/// ĝ_k = (L(θ + h e_k) − L(θ − h e_k)) / (2h)
/// ```
/// the error of the central difference is a truncation part and a rounding part:
/// ```
/// |ĝ_k − g_k| ≈ h²·|∂³L/∂θ_k³| / 6  +  δ / h
/// ```
/// where δ ≈ ε·|L| is the rounding error of one evaluation of L (ε = 2⁻⁵² for Double).
///
/// **The step, per tensor.** The loss depends on a weight Wˡ_ij only through h·aˡ⁻¹_i (the
/// pre-activation zˡ_j moves by h times the unit's input), so the third derivative along Wˡ_ij
/// grows like (aˡ⁻¹_i)³. With pixels scaled to [0, 1] every input is at most 1 and the step
/// h₀ = 1e-4 balances the two errors (measured on the default net with 10 real MNIST images:
/// absolute errors about 1e-10). With raw pixels the first layer's inputs reach 255, and the
/// same h gives W¹ a truncation error 255³ ≈ 1.7·10⁷ times larger (measured 4.5e-6 absolute,
/// a relative 0.41): it is the finite difference that is wrong, not backpropagation. So each
/// weight tensor gets the step h = h₀ / max(1, max|aˡ⁻¹|) over the checked samples (biases: h₀), which
/// makes h·aˡ⁻¹ the same as in the scaled case (a layer whose inputs stay within [−1, 1] keeps h₀);
/// `errorAgainstStep` shows the V-shaped error curve that motivates this.
///
/// **The relative error.** An entry whose gradient is smaller than the rounding floor
/// ρ = 4·ε·max(|L|, 1) / h cannot be compared in relative terms (its difference is noise), so
/// ```
/// rel_k = |g_k − ĝ_k| / max(|g_k|, |ĝ_k|, ρ / tolerance)
/// ```
/// (for the entries that matter this is the plain |g − ĝ| / max(|g|, |ĝ|)). A tensor whose
/// largest |g| is below ρ cannot be checked at all and fails (`isResolvable`). A NaN or infinite
/// gradient, loss or difference makes the error NaN, and NaN fails every comparison: a check
/// with a non-finite number in it never passes.
///
/// Entries are drawn uniformly without replacement from each tensor with a seeded generator.
/// For the first weight matrix the draw is restricted to rows whose input is non-zero in at
/// least one checked sample: the other rows have a gradient that is exactly 0 both ways (MNIST's
/// border pixels), so checking them would say nothing.
public enum GradientCheck {
    /// The base finite-difference step h₀ (see the type's documentation).
    public static let defaultStep = 1e-4
    /// The relative error a tensor may show and still pass.
    public static let defaultTolerance = 1e-6

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
    ///   - step: the base step h₀; each weight tensor divides it by its largest input.
    ///   - tolerance: the relative error that passes (it sets the floor of the relative error).
    /// - Returns: one row per tensor, in the order w1, b1, w2, b2, ….
    /// - Complexity: O(entries · tensors · |indices| · number of weights).
    public static func run(
        _ network: MLP, data: ImageDataset, indices: [Int], scaling: InputScaling = .unit,
        entriesPerTensor: Int = 20, seed: UInt64 = MLP.defaultSeed, step: Double = defaultStep,
        tolerance: Double = defaultTolerance
    ) -> [GradientCheckRow] {
        precondition(step > 0 && step.isFinite, "the step must be a positive number")
        let probe = Probe(network, data: data, indices: indices, scaling: scaling,
                          entriesPerTensor: entriesPerTensor, seed: seed)
        return probe.tensors.map { tensor in
            let h = step / probe.inputScale(of: tensor)
            let floor = roundingFloor(loss: probe.loss, step: h)
            var row = GradientCheckRow(
                name: tensor.name, shape: tensor.shape, checked: 0, step: h, roundingFloor: floor,
                maxRelativeError: 0, maxAbsoluteError: 0, largestGradient: 0)
            for k in tensor.entries {
                let g = tensor.analytic[k], numeric = probe.centralDifference(tensor, entry: k, step: h)
                row.checked += 1
                row.maxRelativeError = maxKeepingNaN(row.maxRelativeError, relativeError(g, numeric, floor: floor / tolerance))
                row.maxAbsoluteError = maxKeepingNaN(row.maxAbsoluteError, (g - numeric).magnitude)
                row.largestGradient = maxKeepingNaN(row.largestGradient, g.magnitude)
            }
            return row
        }
    }

    /// The largest absolute error |g − ĝ| of each tensor at each of `steps`, all tensors using
    /// the same step (no per-tensor scaling): the error curve against h that shows truncation
    /// (growing like h²) on the right and rounding (growing like 1/h) on the left. The entries
    /// are those `run` checks with the same arguments.
    ///
    /// - Returns: `errors[t][s]` for tensor t (order w1, b1, w2, …) and step `steps[s]`.
    public static func errorAgainstStep(
        _ network: MLP, data: ImageDataset, indices: [Int], scaling: InputScaling = .unit,
        entriesPerTensor: Int = 20, seed: UInt64 = MLP.defaultSeed, steps: [Double]
    ) -> [[Double]] {
        precondition(steps.allSatisfy { $0 > 0 && $0.isFinite }, "every step must be a positive number")
        let probe = Probe(network, data: data, indices: indices, scaling: scaling,
                          entriesPerTensor: entriesPerTensor, seed: seed)
        return probe.tensors.map { tensor in
            steps.map { h in
                tensor.entries.reduce(0.0) { worst, k in
                    maxKeepingNaN(worst, (tensor.analytic[k] - probe.centralDifference(tensor, entry: k, step: h)).magnitude)
                }
            }
        }
    }

    /// The rounding floor 4·ε·max(|L|, 1)/h of a central difference of a loss of size `loss`.
    public static func roundingFloor(loss: Double, step: Double) -> Double {
        4 * Double.ulpOfOne * max(loss.magnitude, 1) / step
    }

    /// |g − ĝ| / max(|g|, |ĝ|, floor), with `floor` at least 1e-12 (so that 0/0 is 0); NaN
    /// when either number is not finite.
    public static func relativeError(_ analytic: Double, _ numeric: Double, floor: Double = 1e-12) -> Double {
        guard analytic.isFinite, numeric.isFinite else { return .nan }
        return (analytic - numeric).magnitude / max(analytic.magnitude, numeric.magnitude, floor, 1e-12)
    }

    /// max that lets a NaN through (Swift's `max(x, .nan)` returns x, which would hide it).
    private static func maxKeepingNaN(_ a: Double, _ b: Double) -> Double {
        a.isNaN || b.isNaN ? .nan : max(a, b)
    }
}

/// What both `run` and `errorAgainstStep` need: the analytic gradient, the sampled entries of
/// every tensor, and a way to move one parameter and evaluate the loss.
private struct Probe {
    struct Tensor {
        var name: String
        var shape: [Int]
        var layer: Int
        var isWeight: Bool
        var entries: [Int]
        var analytic: [Double]
    }

    let network: MLP
    let data: ImageDataset
    let indices: [Int]
    let scaling: InputScaling
    let loss: Double
    let tensors: [Tensor]
    /// The largest |input| of each layer over the checked samples.
    private let inputScales: [Double]

    init(_ network: MLP, data: ImageDataset, indices: [Int], scaling: InputScaling,
         entriesPerTensor: Int, seed: UInt64) {
        precondition(!indices.isEmpty, "the gradient check needs at least one sample")
        self.network = network
        self.data = data
        self.indices = indices
        self.scaling = scaling
        let (loss, analytic) = network.lossAndGradients(on: data, indices: indices, scaling: scaling)
        self.loss = loss

        var scales = [Double](repeating: 0, count: network.layers.count)
        for n in indices {
            let pass = network.forward(data, at: n, scaling: scaling)
            for l in network.layers.indices {
                scales[l] = max(scales[l], pass.activations[l].reduce(0) { max($0, $1.magnitude) })
            }
        }
        inputScales = scales

        // Rows of w1 that some checked input reaches.
        let activeInputs = (0 ..< network.inputCount).filter { i in
            indices.contains { data.pixels[$0 * data.pixelsPerImage + i] != 0 }
        }
        var generator = SeededGenerator(seed: seed)
        var tensors: [Tensor] = []
        for (l, layer) in network.layers.enumerated() {
            var candidates: [Int] = []
            if l == 0 {
                for i in activeInputs { for j in 0 ..< layer.outputCount { candidates.append(i * layer.outputCount + j) } }
            } else {
                candidates = Array(layer.weights.indices)
            }
            tensors.append(Tensor(
                name: "w\(l + 1)", shape: [layer.inputCount, layer.outputCount], layer: l, isWeight: true,
                entries: Self.sample(candidates, count: entriesPerTensor, using: &generator),
                analytic: analytic.weights[l]))
            tensors.append(Tensor(
                name: "b\(l + 1)", shape: [layer.outputCount], layer: l, isWeight: false,
                entries: Self.sample(Array(layer.biases.indices), count: entriesPerTensor, using: &generator),
                analytic: analytic.biases[l]))
        }
        self.tensors = tensors
    }

    /// What the base step is divided by: the largest input a weight of `tensor` multiplies when
    /// that exceeds 1 (raw pixels), else 1 (scaled pixels, sigmoid outputs, biases).
    func inputScale(of tensor: Tensor) -> Double {
        tensor.isWeight && inputScales[tensor.layer] > 1 ? inputScales[tensor.layer] : 1
    }

    /// (L(θ + h e_k) − L(θ − h e_k)) / 2h for entry k of `tensor`, dividing by the step as
    /// actually represented ((θ_k + h) − (θ_k − h) after rounding).
    func centralDifference(_ tensor: Tensor, entry k: Int, step h: Double) -> Double {
        let original = tensor.isWeight ? network.layers[tensor.layer].weights[k] : network.layers[tensor.layer].biases[k]
        var probe = network
        func lossAt(_ value: Double) -> Double {
            if tensor.isWeight {
                probe.layers[tensor.layer].weights[k] = value
            } else {
                probe.layers[tensor.layer].biases[k] = value
            }
            return probe.loss(on: data, indices: indices, scaling: scaling)
        }
        let plus = original + h, minus = original - h
        return (lossAt(plus) - lossAt(minus)) / (plus - minus)
    }

    /// `count` distinct elements of `values` (all when there are fewer), in a seeded order.
    static func sample(_ values: [Int], count: Int, using generator: inout SeededGenerator) -> [Int] {
        var pool = values
        Training.shuffle(&pool, using: &generator)
        return Array(pool.prefix(max(0, count)))
    }
}
