// Evaluation of the MLP on a dataset (Question 2): the same Double arithmetic as the dense
// reference `MLP.evaluateDense`, in the same order, but the first layer skips the zero pixels
// and the layer sums run four units at a time (`EvaluationLayers`, in SGDKernel). A zero pixel
// only adds ±0 to the first layer's sums and each lane rounds as the scalar loop does, so every
// number is bit-identical. The two modules declare the same names: they are spelled out.

import Foundation
import MNISTData
import SGDKernel
import SGDKernelAVX2

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
    /// The sums run four units at a time (`EvaluationLayers`), with AVX2 where the processor
    /// has it; each lane rounds exactly as the scalar loop, so this changes no bit either.
    ///
    /// - Throws: `ConfigurationError.incompatible` when image size or labels do not fit.
    /// - Complexity: O(count · (non-zero pixels · n₁ + weights of layers 2…L)).
    public func evaluate(on data: ImageDataset, scaling: InputScaling = .unit) throws -> Evaluation {
        try evaluate(on: data, scaling: scaling, instructionSet: .detected)
    }

    /// `evaluate(on:scaling:)` with the given copy of the layer sums (the tests run both).
    func evaluate(on data: ImageDataset, scaling: InputScaling, instructionSet: FastKernel.InstructionSet) throws
        -> Evaluation
    {
        try checkCompatible(with: data)
        // Pixel lists hold 16-bit indices: larger images (only an `MLP(layers:)` made by hand
        // takes them) are evaluated by the dense loop, which gives the same numbers.
        guard inputCount <= FastKernel.maximumInputCount else { return try evaluateDense(on: data, scaling: scaling) }
        let classes = outputCount, layerCount = layers.count
        let sizes = layerSizes, n1 = sizes[1]
        // Every layer's W and b in one flat buffer, each row padded to c = ⌈n_out / 4⌉ lanes of
        // four (`EvaluationLayers`); activations likewise: a¹ | a² | … | logits, padded, then
        // the log-probabilities (n_L).
        let chunks = sizes.map { ($0 + 3) / 4 }
        var weightOffsets: [Int] = [], biasOffsets: [Int] = [], parameters: [Double] = []
        for (l, layer) in layers.enumerated() {
            let stride = 4 * chunks[l + 1], nOut = layer.outputCount
            weightOffsets.append(parameters.count)
            var block = [Double](repeating: 0, count: layer.inputCount * stride + stride)
            for i in 0 ..< layer.inputCount {
                for j in 0 ..< nOut { block[i * stride + j] = layer.weights[i * nOut + j] }
            }
            for j in 0 ..< nOut { block[layer.inputCount * stride + j] = layer.biases[j] }
            parameters += block
            biasOffsets.append(weightOffsets[l] + layer.inputCount * stride)
        }
        var activationOffsets = [0]
        for l in 1 ... layerCount { activationOffsets.append(activationOffsets[l - 1] + 4 * chunks[l]) }
        let logOffset = activationOffsets[layerCount]
        var activations = [Double](repeating: 0, count: logOffset + classes)
        let table = (0 ... 255).map { scaling == .unit ? Double($0) / 255 : Double($0) }  // as `Workspace`
        let sparse = data.nonZeroPixels  // listed once per dataset, shared with later evaluations
        let starts = sparse.starts, pixelIndices = sparse.indices, pixelBytes = sparse.bytes
        let wide = instructionSet == .avx2 && FastKernel.InstructionSet.available.contains(.avx2)

        var predictions = [UInt8](repeating: 0, count: data.count)
        var maxProbabilities = [Double](repeating: 0, count: data.count)
        var trueProbabilities = [Double](repeating: 0, count: data.count)
        var confusion = [Int](repeating: 0, count: classes * classes)
        var saturation = Saturation()
        var lossSum = 0.0
        var correct = 0
        table.withUnsafeBufferPointer { table in
            parameters.withUnsafeBufferPointer { p in
                activations.withUnsafeMutableBufferPointer { act in
                    let p = p.baseAddress!, act = act.baseAddress!
                    for n in 0 ..< data.count {
                        // Layer 1, sparse: z¹ = b¹ + Σ_{x_i ≠ 0} x_i W¹[i, :], i increasing.
                        let first = starts[n], count = starts[n + 1] - first
                        let indices = pixelIndices + first, bytes = pixelBytes + first
                        let z1 = act
                        if wide {
                            SGDKernelAVX2.EvaluationLayers.sparse(
                                z: z1, bias: p + biasOffsets[0], weights: p + weightOffsets[0], chunks: chunks[1],
                                indices: indices, bytes: bytes, table: table.baseAddress!, count: count)
                        } else {
                            SGDKernel.EvaluationLayers.sparse(
                                z: z1, bias: p + biasOffsets[0], weights: p + weightOffsets[0], chunks: chunks[1],
                                indices: indices, bytes: bytes, table: table.baseAddress!, count: count)
                        }
                        for j in 0 ..< n1 { z1[j] = Activation.sigmoid(z1[j]) }
                        // Layers 2 … L: `denseForward`'s sums, then σ for hidden layers.
                        for l in 1 ..< layerCount {
                            let z = act + activationOffsets[l], a = act + activationOffsets[l - 1]
                            let w = p + weightOffsets[l], b = p + biasOffsets[l]
                            if wide {
                                SGDKernelAVX2.EvaluationLayers.dense(
                                    z: z, bias: b, weights: w, chunks: chunks[l + 1], input: a, inputs: sizes[l])
                            } else {
                                SGDKernel.EvaluationLayers.dense(
                                    z: z, bias: b, weights: w, chunks: chunks[l + 1], input: a, inputs: sizes[l])
                            }
                            if l < layerCount - 1 {
                                for j in 0 ..< sizes[l + 1] { z[j] = Activation.sigmoid(z[j]) }
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
        return Evaluation(
            count: data.count, averageLoss: data.count == 0 ? 0 : lossSum / Double(data.count),
            correctCount: correct, predictions: predictions, confusion: confusion, classCount: classes,
            maxProbabilities: maxProbabilities, trueClassProbabilities: trueProbabilities,
            saturation: saturation, labels: data.labels)
    }
}
