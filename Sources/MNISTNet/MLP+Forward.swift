// Forward pass of the MLP (Question 2): dense layer, sigmoid, log-softmax, cross-entropy.
// The arithmetic lives in `Workspace`-based functions that the public one-sample API, the
// dataset evaluation and the reference training kernel all share.

import Foundation
import MNISTData

/// Everything the forward pass computes for one input.
public struct ForwardPass: Sendable {
    /// activations[0] is the input x (n₀); activations[l] for l = 1 … L−1 is the hidden layer's
    /// output σ(zˡ) (nₗ).
    public let activations: [[Double]]
    /// zᴸ = aᴸ⁻¹ Wᴸ + bᴸ, the output layer before the softmax (n_L).
    public let logits: [Double]
    /// log softmax(zᴸ) (n_L).
    public let logProbabilities: [Double]

    /// softmax(zᴸ): the class probabilities.
    public var probabilities: [Double] { logProbabilities.map { exp($0) } }
    /// The class with the largest probability (the first one on a tie).
    public var prediction: Int { argmax(logProbabilities) }
    /// The summed cross-entropy for label y: −log p_y.
    public func loss(label: Int) -> Double { -logProbabilities[label] }
}

/// Scratch buffers for one forward and backward pass, allocated once per network shape so
/// that a training step allocates nothing.
struct Workspace {
    /// activations[0]: input (n₀); activations[l]: σ(zˡ) for hidden l (nₗ); activations[L]: logits zᴸ.
    var activations: [[Double]]
    /// log softmax(zᴸ) (n_L).
    var logProbabilities: [Double]
    /// deltas[l] = ∂loss/∂zˡ (nₗ) for l = 1 … L; deltas[0] is unused (empty).
    var deltas: [[Double]]
    /// Input value of each pixel byte 0…255 (pixel / 255 or the raw byte value).
    let pixelValues: [Double]

    init(layerSizes: [Int], scaling: InputScaling) {
        activations = layerSizes.map { [Double](repeating: 0, count: $0) }
        logProbabilities = [Double](repeating: 0, count: layerSizes[layerSizes.count - 1])
        deltas = layerSizes.enumerated().map { [Double](repeating: 0, count: $0.offset == 0 ? 0 : $0.element) }
        pixelValues = (0 ... 255).map { scaling == .unit ? Double($0) / 255 : Double($0) }
    }

    /// activations[0] ← the scaled pixels of image `index`.
    mutating func loadInput(_ data: ImageDataset, index: Int) {
        let n = data.pixelsPerImage
        let start = index * n
        data.pixels.withUnsafeBufferPointer { pixels in
            pixelValues.withUnsafeBufferPointer { table in
                activations[0].withUnsafeMutableBufferPointer { x in
                    for k in 0 ..< n { x[k] = table[Int(pixels[start + k])] }
                }
            }
        }
    }
}

/// out = a · W + b for a row vector a (n_in), W (n_in, n_out) row-major, b (n_out).
///
/// - Complexity: O(n_in · n_out); the inner loop runs along a row of W (contiguous).
@inline(__always)
func denseForward(
    _ a: UnsafeBufferPointer<Double>, _ w: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>,
    _ out: UnsafeMutableBufferPointer<Double>
) {
    let nIn = a.count, nOut = out.count
    for j in 0 ..< nOut { out[j] = b[j] }
    for i in 0 ..< nIn {
        let ai = a[i]
        let row = i * nOut
        for j in 0 ..< nOut { out[j] += ai * w[row + j] }
    }
}

/// Index of the largest entry (the first on a tie; NaN entries are never chosen).
func argmax(_ values: [Double]) -> Int {
    var best = 0
    for k in values.indices where values[k] > values[best] || values[best].isNaN { best = k }
    return best
}

extension MLP {
    /// Runs the forward pass on workspace.activations[0]; fills every activation, the logits and
    /// the log-probabilities.
    func forward(_ ws: inout Workspace) {
        let last = layers.count - 1
        for l in 0 ... last {
            let layer = layers[l]
            let input = ws.activations[l]  // shares storage; no copy (not mutated below)
            input.withUnsafeBufferPointer { a in
                layer.weights.withUnsafeBufferPointer { w in
                    layer.biases.withUnsafeBufferPointer { b in
                        ws.activations[l + 1].withUnsafeMutableBufferPointer { z in
                            denseForward(a, w, b, z)
                            if l < last {
                                for j in z.indices { z[j] = Activation.sigmoid(z[j]) }
                            }
                        }
                    }
                }
            }
        }
        for k in ws.logProbabilities.indices { ws.logProbabilities[k] = ws.activations[last + 1][k] }
        ws.logProbabilities.withUnsafeMutableBufferPointer { logSoftmaxInPlace($0) }
    }

    /// The forward pass for one input vector.
    ///
    /// - Parameter input: n₀ values (already scaled, e.g. pixel / 255).
    /// - Complexity: O(number of weights).
    public func forward(_ input: [Double]) -> ForwardPass {
        precondition(input.count == inputCount, "the input must have one value per network input")
        var ws = Workspace(layerSizes: layerSizes, scaling: .unit)
        ws.activations[0] = input
        forward(&ws)
        return ForwardPass(
            activations: Array(ws.activations.dropLast()), logits: ws.activations[layers.count],
            logProbabilities: ws.logProbabilities)
    }

    /// The forward pass for image `index` of `data`, scaled as `scaling` says.
    public func forward(_ data: ImageDataset, at index: Int, scaling: InputScaling = .unit) -> ForwardPass {
        precondition(data.pixelsPerImage == inputCount, "the images must have one pixel per network input")
        precondition(data.labels.indices.contains(index), "index out of range")
        var ws = Workspace(layerSizes: layerSizes, scaling: scaling)
        ws.loadInput(data, index: index)
        forward(&ws)
        return ForwardPass(
            activations: Array(ws.activations.dropLast()), logits: ws.activations[layers.count],
            logProbabilities: ws.logProbabilities)
    }

    /// The cross-entropy −log p_label for one input vector.
    public func loss(_ input: [Double], label: Int) -> Double {
        forward(input).loss(label: label)
    }
}
