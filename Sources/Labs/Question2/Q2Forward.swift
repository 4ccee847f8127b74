// `lab q2-forward`: Question 2, the forward pass of the untrained network on the test set —
// accuracy near chance (10 %), the average cross-entropy against ln 10 (a uniform guess), the
// histogram of predicted classes, and the first layer's saturation for both input scalings.

import Foundation
import MNISTData
import MNISTNet
import LabSupport

package enum Q2Forward {
    package struct Settings: Codable, Sendable {
        package var data = Q2DataSettings()
        package var network = Q2NetworkSettings()

        package init(data: Q2DataSettings = Q2DataSettings(), network: Q2NetworkSettings = Q2NetworkSettings()) {
            self.data = data
            self.network = network
        }
    }

    package struct Result: Encodable {
        package var settings: Settings
        package var data: Q2DataSummary
        package var weights: String
        package var layerSizes: [Int]
        package var scaling: String
        package var count: Int
        package var accuracy: Double
        package var averageLoss: Double
        /// ln 10: the loss of the uniform guess p_k = 1/10.
        package var uniformLoss: Double
        /// How many test images each class was predicted for / has.
        package var predictedCounts: [Int]
        package var trueCounts: [Int]
        /// First hidden layer outputs outside (0.01, 0.99), with pixel/255 and with raw pixels.
        package var saturationScaled: Saturation
        package var saturationRaw: Saturation
        /// Why the predictions pile up: how much the logits depend on the image.
        package var logits: LogitSpread
    }

    /// The output logits over the test set: their mean per class, how much they vary from image
    /// to image, and the same for the last hidden layer's outputs.
    package struct LogitSpread: Codable, Sendable {
        /// Mean logit z_k over the images, per class.
        package var means: [Double]
        /// Standard deviation of z_k across the images, per class.
        package var spreads: [Double]
        /// The class with the largest mean logit, and its lead over the next class's mean.
        package var favouredClass: Int
        package var lead: Double
        /// The last hidden layer's outputs: their mean, and their standard deviation across
        /// images averaged over the units.
        package var hiddenMean: Double
        package var hiddenSpread: Double

        package init(network: MLP, data: ImageDataset, scaling: InputScaling) {
            let classes = network.outputCount, last = network.layers.count - 1
            let units = network.layers[last].inputCount
            var sum = [Double](repeating: 0, count: classes), squares = sum
            var hiddenSum = [Double](repeating: 0, count: units), hiddenSquares = hiddenSum
            for i in 0 ..< data.count {
                let pass = network.forward(data, at: i, scaling: scaling)
                for k in 0 ..< classes { sum[k] += pass.logits[k]; squares[k] += pass.logits[k] * pass.logits[k] }
                let hidden = pass.activations[last]
                for u in 0 ..< units { hiddenSum[u] += hidden[u]; hiddenSquares[u] += hidden[u] * hidden[u] }
            }
            let n = Double(max(1, data.count))
            func std(_ s: Double, _ q: Double) -> Double { max(0, q / n - (s / n) * (s / n)).squareRoot() }
            let means = sum.map { $0 / n }
            self.means = means
            spreads = zip(sum, squares).map(std)
            let order = means.indices.sorted { means[$0] > means[$1] }
            favouredClass = order[0]
            lead = order.count > 1 ? means[order[0]] - means[order[1]] : 0
            hiddenMean = hiddenSum.reduce(0, +) / (n * Double(units))
            hiddenSpread = zip(hiddenSum, hiddenSquares).map(std).reduce(0, +) / Double(units)
        }
    }

    /// The forward pass of the network `settings` describe (or `network`) over the test set.
    ///
    /// - Throws: `LabError.failed` for an unusable network or --load file.
    package static func compute(_ settings: Settings, data: Q2Data, network given: MLP? = nil) throws -> Result {
        let network = try given ?? Q2Network.make(settings.network, fitting: data.test)
        let scaling = settings.network.scaling
        let evaluation: Evaluation, other: Evaluation
        do {
            evaluation = try network.evaluate(on: data.test, scaling: scaling)
            other = try network.evaluate(on: data.test, scaling: scaling == .unit ? .raw : .unit)
        } catch {
            throw LabError.failed("\(error)")
        }
        let classes = network.outputCount
        var predicted = [Int](repeating: 0, count: classes), actual = [Int](repeating: 0, count: classes)
        for p in evaluation.predictions { predicted[Int(p)] += 1 }
        for t in 0 ..< classes { actual[t] = (0 ..< classes).reduce(0) { $0 + evaluation.confusion(actual: t, predicted: $1) } }
        let scaled = scaling == .unit ? evaluation : other, raw = scaling == .raw ? evaluation : other
        return Result(
            settings: settings, data: Q2DataSummary(data),
            weights: settings.network.load.map { "loaded from \($0)" } ?? "seeded initialisation, seed \(settings.network.seed)",
            layerSizes: network.layerSizes, scaling: Q2Format.scaling(scaling), count: evaluation.count,
            accuracy: evaluation.accuracy, averageLoss: evaluation.averageLoss, uniformLoss: log(Double(classes)),
            predictedCounts: predicted, trueCounts: actual,
            saturationScaled: scaled.saturation, saturationRaw: raw.saturation,
            logits: LogitSpread(network: network, data: data.test, scaling: scaling))
    }
}
