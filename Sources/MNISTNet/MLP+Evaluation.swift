// Evaluating the MLP on a whole dataset (Question 2): average loss, accuracy, predictions,
// the confusion matrix, per-sample confidences (for "most confidently wrong" figures) and
// the saturation diagnostic of the first hidden layer (why raw 0…255 pixels plateau).

import Foundation
import MNISTData

/// How many first-layer sigmoid outputs sit on the flat parts of the sigmoid.
///
/// An output a = σ(z) counts as saturated when a ≤ 0.01 or a ≥ 0.99, i.e. |z| ≥ log(99) ≈ 4.6,
/// where σ'(z) = a(1 − a) < 0.0099: about 25 times smaller than its maximum 1/4, so the
/// gradient through that unit nearly vanishes.
public struct Saturation: Sendable, Equatable {
    /// The band of healthy outputs: (0.01, 0.99).
    public static let band = (low: 0.01, high: 0.99)
    /// Outputs ≤ 0.01.
    public var low = 0
    /// Outputs ≥ 0.99.
    public var high = 0
    /// Outputs looked at (samples × units).
    public var total = 0

    /// (low + high) / total, or 0 for no outputs.
    public var fraction: Double { total == 0 ? 0 : Double(low + high) / Double(total) }

    mutating func count(_ activations: [Double]) {
        for a in activations {
            if a <= Saturation.band.low { low += 1 } else if a >= Saturation.band.high { high += 1 }
        }
        total += activations.count
    }
}

/// Encoded with its `fraction`, which results show beside the counts.
extension Saturation: Codable {
    private enum CodingKeys: String, CodingKey { case fraction, low, high, total }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        low = try container.decode(Int.self, forKey: .low)
        high = try container.decode(Int.self, forKey: .high)
        total = try container.decode(Int.self, forKey: .total)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(fraction, forKey: .fraction)
        try container.encode(low, forKey: .low)
        try container.encode(high, forKey: .high)
        try container.encode(total, forKey: .total)
    }
}

/// The result of running the network over a dataset.
public struct Evaluation: Sendable {
    /// Number of samples.
    public let count: Int
    /// Mean cross-entropy (1/N) Σ −log p_{y_n}.
    public let averageLoss: Double
    /// Fraction of samples whose predicted class is the label.
    public var accuracy: Double { count == 0 ? 0 : Double(correctCount) / Double(count) }
    /// Number of correctly classified samples.
    public let correctCount: Int
    /// The predicted class (argmax of the probabilities) of each sample.
    public let predictions: [UInt8]
    /// (classCount, classCount) row-major: `confusion[t * classCount + p]` counts samples of
    /// true class t predicted as p.
    public let confusion: [Int]
    public let classCount: Int
    /// max_k p_k for each sample: how confident the prediction is.
    public let maxProbabilities: [Double]
    /// p_y for each sample: the probability given to the true class.
    public let trueClassProbabilities: [Double]
    /// First hidden layer outputs outside (0.01, 0.99) over all samples.
    public let saturation: Saturation

    /// The confusion count for true class `actual` predicted as `predicted`.
    public func confusion(actual: Int, predicted: Int) -> Int {
        confusion[actual * classCount + predicted]
    }

    /// Indices of misclassified samples, most confident (largest max probability) first.
    public func confidentMistakes(limit: Int) -> [Int] {
        let wrong = predictions.indices.filter { predictions[$0] != labels[$0] }
        return Array(wrong.sorted { (maxProbabilities[$0], -$0) > (maxProbabilities[$1], -$1) }.prefix(max(0, limit)))
    }

    let labels: [UInt8]
}

extension MLP {
    /// Runs the network on every image of `data`, densely, one `Workspace` forward pass per
    /// image: the readable reference for `evaluate(on:scaling:)`, which skips zero pixels and
    /// gives bit-identical results (the tests compare the two).
    ///
    /// - Parameters:
    ///   - data: images and labels; must fit the network (see `checkCompatible(with:)`).
    ///   - scaling: how pixels become inputs (must match how the network was trained).
    /// - Throws: `ConfigurationError.incompatible` when image size or labels do not fit.
    /// - Complexity: O(count · number of weights).
    func evaluateDense(on data: ImageDataset, scaling: InputScaling = .unit) throws -> Evaluation {
        try checkCompatible(with: data)
        let classes = outputCount
        var ws = Workspace(layerSizes: layerSizes, scaling: scaling)
        var predictions = [UInt8](repeating: 0, count: data.count)
        var maxProbabilities = [Double](repeating: 0, count: data.count)
        var trueProbabilities = [Double](repeating: 0, count: data.count)
        var confusion = [Int](repeating: 0, count: classes * classes)
        var saturation = Saturation()
        var lossSum = 0.0
        var correct = 0
        for n in 0 ..< data.count {
            ws.loadInput(data, index: n)
            forward(&ws)
            let label = Int(data.labels[n])
            let predicted = argmax(ws.logProbabilities)
            lossSum += -ws.logProbabilities[label]
            predictions[n] = UInt8(predicted)
            maxProbabilities[n] = exp(ws.logProbabilities[predicted])
            trueProbabilities[n] = exp(ws.logProbabilities[label])
            confusion[label * classes + predicted] += 1
            if predicted == label { correct += 1 }
            saturation.count(ws.activations[1])
        }
        return Evaluation(
            count: data.count, averageLoss: data.count == 0 ? 0 : lossSum / Double(data.count),
            correctCount: correct, predictions: predictions, confusion: confusion, classCount: classes,
            maxProbabilities: maxProbabilities, trueClassProbabilities: trueProbabilities,
            saturation: saturation, labels: data.labels)
    }

    /// The saturation diagnostic alone: the fraction of first-layer sigmoid outputs outside
    /// (0.01, 0.99) over every image of `data` (see `Saturation`).
    ///
    /// - Throws: `ConfigurationError.incompatible` when image size or labels do not fit.
    public func saturation(on data: ImageDataset, scaling: InputScaling = .unit) throws -> Saturation {
        try evaluate(on: data, scaling: scaling).saturation
    }
}
