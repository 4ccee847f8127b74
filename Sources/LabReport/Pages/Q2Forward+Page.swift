// How `lab q2-forward` reads: the text and the figures (each with its caption) of `Q2Forward`'s
// result, which the command prints and the report reuses. What is computed:
// Labs/Question2/Q2Forward.swift.

import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTNet

extension Q2Forward: LabPage {
    package static let worksheet = "q2-forward"

    package static func text(for r: Result) -> String {
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
    package static func figures(for r: Result, title: String?) -> [Figure] {
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
        return [Figure(name: "q2-forward-predictions",
            caption: "Q2 forward pass: how often the untrained network predicts each class, beside the true class counts", data: [("counts", table)], commands: commands)]
    }
}
