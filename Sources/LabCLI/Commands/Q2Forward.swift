// `lab q2-forward`: Question 2, the forward pass of the untrained network on the test set —
// accuracy near chance (10 %), the average cross-entropy against ln 10 (a uniform guess), the
// histogram of predicted classes, and the first layer's saturation for both input scalings.

import ArgumentParser
import Foundation
import MNISTData
import MNISTNet

struct Q2Forward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q2-forward",
        abstract: "Q2: the forward pass on the test set before training: accuracy, loss vs ln 10, saturation.",
        discussion: "Figure: <out>/q2-forward-predictions.png (predicted vs true class counts).")

    @OptionGroup var data: Q2DataOptions
    @OptionGroup var network: Q2NetworkOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        if output.explain { return try Presenter.explain(Self.worksheet) }
        let settings = Settings(data: data.settings, network: network.settings)
        try Self.present(try Self.compute(settings, data: try Q2Data.load(settings.data)), output: output)
    }
}

extension Q2Forward: Q2Lab {
    static let worksheet = "q2-forward"

    struct Settings: Codable, Sendable {
        var data = Q2DataSettings()
        var network = Q2NetworkSettings()
    }

    struct Result: Encodable {
        var settings: Settings
        var data: Q2DataSummary
        var weights: String
        var layerSizes: [Int]
        var scaling: String
        var count: Int
        var accuracy: Double
        var averageLoss: Double
        /// ln 10: the loss of the uniform guess p_k = 1/10.
        var uniformLoss: Double
        /// How many test images each class was predicted for / has.
        var predictedCounts: [Int]
        var trueCounts: [Int]
        /// First hidden layer outputs outside (0.01, 0.99), with pixel/255 and with raw pixels.
        var saturationScaled: Q2Saturation
        var saturationRaw: Q2Saturation
        /// Why the predictions pile up: how much the logits depend on the image.
        var logits: LogitSpread
    }

    /// The output logits over the test set: their mean per class, how much they vary from image
    /// to image, and the same for the last hidden layer's outputs.
    struct LogitSpread: Codable, Sendable {
        /// Mean logit z_k over the images, per class.
        var means: [Double]
        /// Standard deviation of z_k across the images, per class.
        var spreads: [Double]
        /// The class with the largest mean logit, and its lead over the next class's mean.
        var favouredClass: Int
        var lead: Double
        /// The last hidden layer's outputs: their mean, and their standard deviation across
        /// images averaged over the units.
        var hiddenMean: Double
        var hiddenSpread: Double

        init(network: MLP, data: ImageDataset, scaling: InputScaling) {
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
    static func compute(_ settings: Settings, data: Q2Data, network given: MLP? = nil) throws -> Result {
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
            saturationScaled: Q2Saturation(scaled.saturation), saturationRaw: Q2Saturation(raw.saturation),
            logits: LogitSpread(network: network, data: data.test, scaling: scaling))
    }

    static func text(for r: Result) -> String {
        let names = r.data.classNames
        var lines = [
            "Q2 forward pass on the \(Q2Format.count(r.count)) test images, before training",
            r.data.line,
            "Network \(Q2Format.layers(r.layerSizes)), \(r.weights), \(r.scaling)",
            "",
            "accuracy      \(Q2Format.percent(r.accuracy))   (chance: 10 %)",
            "average loss  \(Q2Format.loss(r.averageLoss))   (uniform guess p = 1/10: ln 10 = \(Q2Format.loss(r.uniformLoss)))",
            "",
            "Predicted classes (an untrained network prefers a few classes; true counts for comparison):",
        ]
        var table = TextTable(header: ["class", "predicted", "true"])
        for k in r.predictedCounts.indices {
            let name = k < names.count ? names[k] : "\(k)"
            table.add([name, Q2Format.count(r.predictedCounts[k]), Q2Format.count(r.trueCounts[k])])
        }
        lines.append(table.render())
        lines.append("")
        let l = r.logits
        let favoured = l.favouredClass < names.count ? names[l.favouredClass] : "\(l.favouredClass)"
        let widest = l.spreads.max() ?? 0
        lines.append("Why the predictions pile up: the last hidden layer's sigmoid outputs average \(String(format: "%.3f", l.hiddenMean)) and vary from image to image")
        lines.append("by only \(String(format: "%.3f", l.hiddenSpread)) (standard deviation across images, mean over units), so every image gets nearly the same logits:")
        lines.append("class \(favoured)'s mean logit leads the next class by \(String(format: "%.3f", l.lead)), while no logit varies across images by more than \(String(format: "%.3f", widest)).")
        lines.append("")
        lines.append("First hidden layer saturation (sigmoid outputs outside (0.01, 0.99), where σ' < 0.0099):")
        let rawActive = r.settings.network.rawPixels
        lines.append("  scaled pixels/255: \(r.saturationScaled.text)\(rawActive ? "" : "   ← this run")")
        lines.append("  raw pixels 0…255:  \(r.saturationRaw.text)\(rawActive ? "   ← this run" : "")")
        return lines.joined(separator: "\n")
    }

    /// q2-forward-predictions: predicted and true counts per class, as grouped bars.
    static func figures(for r: Result, title: String?) -> [Figure] {
        var table = Table(columns: ["class", "predicted", "true"])
        for k in r.predictedCounts.indices { table.append([Double(k), Double(r.predictedCounts[k]), Double(r.trueCounts[k])]) }
        let commands = Q1Plot.style
            + Q1Plot.titleCommand("Q2 untrained network on \(Q2Format.count(r.count)) test images: accuracy \(Q2Format.percent(r.accuracy)), loss \(Q2Format.loss(r.averageLoss)) (ln 10 = 2.3026)", user: title)
            + Q2Plot.classTics(r.data.classNames, axis: "x")
            + """
            set xlabel 'class'
            set ylabel 'test images'
            set xrange [-0.6:\(r.predictedCounts.count) - 0.4]
            set yrange [0:\(Gnuplot.number(1.25 * Double(max(1, (r.predictedCounts + r.trueCounts).max() ?? 1))))]
            set style fill solid 0.85 border -1
            set boxwidth 0.38
            set key top left
            plot $counts using ($1 - 0.2):2 with boxes lc rgb '\(Q1Plot.color(0))' title 'predicted as this class', \\
                 $counts using ($1 + 0.2):3 with boxes lc rgb '\(Q1Plot.color(4))' title 'true class'

            """
        return [Figure(name: "q2-forward-predictions", data: [("counts", table)], commands: commands)]
    }
}
