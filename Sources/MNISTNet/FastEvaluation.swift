// Evaluation of the MLP on a dataset (Question 2): the same Double arithmetic as the dense
// reference `MLP.evaluateDense`, in the same order, but the first layer skips the zero pixels.
// A zero pixel only adds ±0 to the first layer's sums, so every number is bit-identical.

import Foundation

extension MLP {
    /// Runs the network on every image of `data`: loss, accuracy, predictions, confusion matrix,
    /// probabilities and first-layer saturation.
    ///
    /// The first layer is sparse: results identical to `evaluateDense`, about 5× less work
    /// on MNIST (the first layer's 784 × 32 weights are 95 % of the multiply-adds and about
    /// 81 % of the pixels are 0).
    ///
    /// ```
    /// z¹_j = b¹_j + Σ_{i : x_i ≠ 0} x_i W¹_ij      (i increasing, as in the dense loop)
    /// ```
    /// The dense loop adds x_i W¹_ij = ±0 for every zero pixel, which leaves a finite sum
    /// unchanged, so with finite weights the two agree bit for bit (the tests check it). The
    /// layers after the first, the sigmoid and the log-softmax are the reference's own functions.
    ///
    /// - Throws: `ConfigurationError.incompatible` when image size or labels do not fit.
    /// - Complexity: O(count · (non-zero pixels · n₁ + weights of layers 2…L)).
    public func evaluate(on data: ImageDataset, scaling: InputScaling = .unit) throws -> Evaluation {
        try checkCompatible(with: data)
        let classes = outputCount, layerCount = layers.count
        let sizes = layerSizes, n0 = inputCount, n1 = sizes[1]
        // All parameters in one flat buffer (each layer's W then b, as in `layers`), all
        // activations in another: a¹ (n₁) | a² (n₂) | … | logits (n_L) | log-probabilities (n_L).
        var weightOffsets: [Int] = [], biasOffsets: [Int] = [], parameters: [Double] = []
        for layer in layers {
            weightOffsets.append(parameters.count); parameters += layer.weights
            biasOffsets.append(parameters.count); parameters += layer.biases
        }
        var activationOffsets = [0]
        for l in 1 ... layerCount { activationOffsets.append(activationOffsets[l - 1] + sizes[l]) }
        let logOffset = activationOffsets[layerCount]
        var activations = [Double](repeating: 0, count: logOffset + classes)
        let table = (0 ... 255).map { scaling == .unit ? Double($0) / 255 : Double($0) }  // as `Workspace`

        var predictions = [UInt8](repeating: 0, count: data.count)
        var maxProbabilities = [Double](repeating: 0, count: data.count)
        var trueProbabilities = [Double](repeating: 0, count: data.count)
        var confusion = [Int](repeating: 0, count: classes * classes)
        var saturation = Saturation()
        var lossSum = 0.0
        var correct = 0
        data.pixels.withUnsafeBufferPointer { pixels in
            table.withUnsafeBufferPointer { table in
                parameters.withUnsafeBufferPointer { p in
                    activations.withUnsafeMutableBufferPointer { act in
                        let p = p.baseAddress!, act = act.baseAddress!
                        for n in 0 ..< data.count {
                            // Layer 1, sparse: z¹ = b¹ + Σ_{x_i ≠ 0} x_i W¹[i, :], i increasing.
                            let w1 = p + weightOffsets[0], b1 = p + biasOffsets[0], z1 = act
                            for j in 0 ..< n1 { z1[j] = b1[j] }
                            let image = pixels.baseAddress! + n * n0
                            for i in 0 ..< n0 where image[i] != 0 {
                                let x = table[Int(image[i])], row = w1 + i * n1
                                for j in 0 ..< n1 { z1[j] += x * row[j] }
                            }
                            for j in 0 ..< n1 { z1[j] = Activation.sigmoid(z1[j]) }
                            // Layers 2 … L: `denseForward`'s loop, then σ for hidden layers.
                            for l in 1 ..< layerCount {
                                let nIn = sizes[l], nOut = sizes[l + 1]
                                let w = p + weightOffsets[l], b = p + biasOffsets[l]
                                let a = act + activationOffsets[l - 1], z = act + activationOffsets[l]
                                for j in 0 ..< nOut { z[j] = b[j] }
                                for i in 0 ..< nIn {
                                    let ai = a[i], row = w + i * nOut
                                    for j in 0 ..< nOut { z[j] += ai * row[j] }
                                }
                                if l < layerCount - 1 {
                                    for j in 0 ..< nOut { z[j] = Activation.sigmoid(z[j]) }
                                }
                            }
                            let logits = act + activationOffsets[layerCount - 1], logp = act + logOffset
                            for k in 0 ..< classes { logp[k] = logits[k] }
                            logSoftmaxInPlace(UnsafeMutableBufferPointer(start: logp, count: classes))

                            let label = Int(data.labels[n])
                            var predicted = 0  // `argmax`: first maximum, never a NaN
                            for k in 0 ..< classes where logp[k] > logp[predicted] || logp[predicted].isNaN { predicted = k }
                            lossSum += -logp[label]
                            predictions[n] = UInt8(predicted)
                            maxProbabilities[n] = exp(logp[predicted])
                            trueProbabilities[n] = exp(logp[label])
                            confusion[label * classes + predicted] += 1
                            if predicted == label { correct += 1 }
                            for j in 0 ..< n1 {  // `Saturation.count` of a¹
                                if z1[j] <= Saturation.band.low { saturation.low += 1 } else if z1[j] >= Saturation.band.high { saturation.high += 1 }
                            }
                            saturation.total += n1
                        }
                    }
                }
            }
        }
        return Evaluation(
            count: data.count, averageLoss: data.count == 0 ? 0 : lossSum / Double(data.count),
            correctCount: correct, predictions: predictions, confusion: confusion, classCount: classes,
            maxProbabilities: maxProbabilities, trueClassProbabilities: trueProbabilities,
            saturation: saturation, labels: data.labels)
    }
}
