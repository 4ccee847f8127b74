// Backpropagation for the MLP (Question 2): the gradient of the summed cross-entropy with
// respect to every weight and bias, layer by layer from the output back to the input,
// and the SGD update that uses it.

import Foundation
import MNISTData

/// ∂loss/∂θ for every parameter, shaped like the network's layers.
public struct Gradients: Sendable, Equatable {
    /// weights[l]: (n_in, n_out) row-major, like `MLP.layers[l].weights`.
    public var weights: [[Double]]
    /// biases[l]: (n_out,), like `MLP.layers[l].biases`.
    public var biases: [[Double]]

    /// All-zero gradients for `network`'s shapes.
    public init(zerosLike network: MLP) {
        weights = network.layers.map { [Double](repeating: 0, count: $0.weights.count) }
        biases = network.layers.map { [Double](repeating: 0, count: $0.biases.count) }
    }

    mutating func setZero() {
        for l in weights.indices {
            weights[l].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            biases[l].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
    }
}

extension MLP {
    /// Adds ∂loss/∂θ for the sample whose forward pass is in `ws` to `gradients`.
    ///
    /// With p = softmax(zᴸ), y the label and aˡ the layer outputs (a⁰ = x):
    /// ```
    /// δᴸ      = p − onehot(y)                          ∂loss/∂zᴸ (softmax + cross-entropy)
    /// ∂W^l   += (aˡ⁻¹)ᵀ δˡ      i.e. [i, j] += aˡ⁻¹_i δˡ_j
    /// ∂bˡ    += δˡ
    /// δˡ⁻¹    = (Wˡ δˡ) ⊙ aˡ⁻¹ ⊙ (1 − aˡ⁻¹)            σ'(z) = σ(z)(1 − σ(z))
    /// ```
    /// δˡ⁻¹ uses Wˡ before any update, so the update must come after this call.
    func backward(_ ws: inout Workspace, label: Int, into gradients: inout Gradients) {
        let last = layers.count  // index of the output activations / deltas
        // δᴸ = p − onehot(y)
        for k in ws.deltas[last].indices {
            ws.deltas[last][k] = Foundation.exp(ws.logProbabilities[k]) - (k == label ? 1 : 0)
        }
        for l in stride(from: last, through: 1, by: -1) {
            let layer = layers[l - 1]
            let nIn = layer.inputCount, nOut = layer.outputCount
            let a = ws.activations[l - 1]  // input to this layer
            let delta = ws.deltas[l]
            a.withUnsafeBufferPointer { a in
                delta.withUnsafeBufferPointer { delta in
                    gradients.weights[l - 1].withUnsafeMutableBufferPointer { gw in
                        for i in 0 ..< nIn {
                            let ai = a[i], row = i * nOut
                            for j in 0 ..< nOut { gw[row + j] += ai * delta[j] }
                        }
                    }
                    gradients.biases[l - 1].withUnsafeMutableBufferPointer { gb in
                        for j in 0 ..< nOut { gb[j] += delta[j] }
                    }
                    guard l > 1 else { return }  // no δ for the input
                    layer.weights.withUnsafeBufferPointer { w in
                        ws.deltas[l - 1].withUnsafeMutableBufferPointer { previous in
                            for i in 0 ..< nIn {
                                var sum = 0.0
                                let row = i * nOut
                                for j in 0 ..< nOut { sum += w[row + j] * delta[j] }
                                previous[i] = sum * a[i] * (1 - a[i])
                            }
                        }
                    }
                }
            }
        }
    }

    /// The gradient of the cross-entropy of one forward pass with respect to every parameter.
    ///
    /// - Parameters:
    ///   - pass: the result of `forward(_:)` for the input.
    ///   - label: the true class.
    /// - Returns: ∂(−log p_label)/∂θ, shaped like the layers.
    public func backward(_ pass: ForwardPass, label: Int) -> Gradients {
        precondition((0 ..< outputCount).contains(label), "label must be a class index")
        var ws = Workspace(layerSizes: layerSizes, scaling: .unit)
        for l in pass.activations.indices { ws.activations[l] = pass.activations[l] }
        ws.activations[layers.count] = pass.logits
        ws.logProbabilities = pass.logProbabilities
        var gradients = Gradients(zerosLike: self)
        backward(&ws, label: label, into: &gradients)
        return gradients
    }

    /// The summed cross-entropy over the images `indices` of `data` and its gradient:
    /// ```
    /// L(θ) = Σ_{n ∈ indices} −log p_{y_n}(x_n; θ),      ∇L = Σ_n ∇(−log p_{y_n})
    /// ```
    /// (the loss the homework minimises, summed rather than averaged over a batch).
    public func lossAndGradients(on data: ImageDataset, indices: [Int], scaling: InputScaling = .unit)
        -> (loss: Double, gradients: Gradients)
    {
        precondition(data.pixelsPerImage == inputCount, "the images must have one pixel per network input")
        var ws = Workspace(layerSizes: layerSizes, scaling: scaling)
        var gradients = Gradients(zerosLike: self)
        var loss = 0.0
        for n in indices {
            ws.loadInput(data, index: n)
            forward(&ws)
            let label = Int(data.labels[n])
            precondition(label < outputCount, "label must be a class index")
            loss += -ws.logProbabilities[label]
            backward(&ws, label: label, into: &gradients)
        }
        return (loss, gradients)
    }

    /// The summed cross-entropy over the images `indices` of `data` (no gradient).
    public func loss(on data: ImageDataset, indices: [Int], scaling: InputScaling = .unit) -> Double {
        precondition(data.pixelsPerImage == inputCount, "the images must have one pixel per network input")
        var ws = Workspace(layerSizes: layerSizes, scaling: scaling)
        var loss = 0.0
        for n in indices {
            ws.loadInput(data, index: n)
            forward(&ws)
            loss += -ws.logProbabilities[Int(data.labels[n])]
        }
        return loss
    }

    /// One gradient-descent step: θ ← θ − η ∂L/∂θ for every weight and bias.
    public mutating func step(along gradients: Gradients, learningRate: Double) {
        for l in layers.indices {
            layers[l].weights.withUnsafeMutableBufferPointer { w in
                gradients.weights[l].withUnsafeBufferPointer { g in
                    for k in w.indices { w[k] -= learningRate * g[k] }
                }
            }
            layers[l].biases.withUnsafeMutableBufferPointer { b in
                gradients.biases[l].withUnsafeBufferPointer { g in
                    for k in b.indices { b[k] -= learningRate * g[k] }
                }
            }
        }
    }
}
