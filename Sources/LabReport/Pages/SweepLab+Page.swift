// How `lab q2-sweep` reads: the text and the figures (each with its caption) of `SweepLab`'s
// result, which the command prints and the report reuses. What is computed: Labs/SweepLab.swift.

import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTNet

extension SweepLab: LabPage {
    package static let worksheet = "q2-sweep"

    package static func text(for r: SweepLab.Result) -> String {
        let s = r.settings
        var lines = [
            "Q2 sweep  per-sample SGD, \(s.epochs) epoch\(s.epochs == 1 ? "" : "s"), \(s.trainLimit.map { "first \(Q2Format.count($0)) images" } ?? "all training images"), \(Q2Format.scaling(s.scaling)), seeds \(s.seeds.map(String.init).joined(separator: ", ")), \(s.jobs) job\(s.jobs == 1 ? "" : "s")",
            "",
        ]
        var table = TextTable(header: ["η", "test accuracy mean (min … max)", "test loss", "verdicts", "notes"])
        for rate in r.rates {
            let runs = r.runs.filter { $0.learningRate == rate.learningRate }
            var notes: [String] = []
            let chance = runs.filter(\.atChance).count, saturated = runs.filter { $0.saturation > 0.5 }.count
            if chance > 0 { notes.append("\(chance) at chance level") }
            if saturated > 0 { notes.append("\(saturated) with > 50 % of first-layer units saturated") }
            table.add([
                NumberFormat.number(rate.learningRate),
                "\(Q2Format.percent(rate.meanAccuracy)) (\(Q2Format.percent(rate.minAccuracy)) … \(Q2Format.percent(rate.maxAccuracy)))",
                Q2Format.loss(rate.meanTestLoss),
                rate.verdicts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "),
                notes.joined(separator: "; "),
            ])
        }
        lines.append(table.render())
        lines.append("")
        lines.append("Curvature at the start (seed \(s.seeds[0])): mean loss over \(Q2Format.count(s.curvatureSamples)) images λmax = \(CurvatureLab.format(r.meanLambdaMax)) → 2/λmax = \(CurvatureLab.format(2 / r.meanLambdaMax));")
        lines.append("  per-sample λmax over the first \(s.perSampleCount) images: median \(CurvatureLab.format(r.perSampleMedian)) → 2/λ = \(CurvatureLab.format(2 / r.perSampleMedian)), maximum \(CurvatureLab.format(r.perSampleMaximum)) → 2/λ = \(CurvatureLab.format(2 / r.perSampleMaximum)).")
        if let last = r.lastConverging {
            let failing = r.firstFailing.map { "; the first rate above it where a run fails is η = \(NumberFormat.number($0))" } ?? "; no larger rate failed"
            lines.append("Breakdown: every seed converges up to η = \(NumberFormat.number(last))\(failing).")
        } else {
            lines.append("Breakdown: no rate of the grid converged for every seed.")
        }
        if let seconds = r.seconds { lines.append(String(format: "%d runs in %.1f s.", r.runs.count, seconds)) }
        return lines.joined(separator: "\n")
    }

    /// q2-sweep-accuracy and q2-sweep-loss against η (log axis), mean and range over seeds, with
    /// the measured 2/λmax lines.
    package static func figures(for r: SweepLab.Result, title: String?) -> [Figure] {
        var table = Table(columns: ["learning_rate", "mean_accuracy_percent", "min_accuracy_percent", "max_accuracy_percent", "mean_test_loss",
                                    "min_test_loss", "max_test_loss"])
        for rate in r.rates {
            let losses = r.runs.filter { $0.learningRate == rate.learningRate }.map(\.testLoss).filter(\.isFinite)
            table.append([rate.learningRate, 100 * rate.meanAccuracy, 100 * rate.minAccuracy, 100 * rate.maxAccuracy,
                          rate.meanTestLoss, losses.min() ?? .nan, losses.max() ?? .nan])
        }
        let marks = [(2 / r.meanLambdaMax, "2/λmax, mean loss", 1), (2 / r.perSampleMedian, "2/λmax, median single image", 2),
                     (2 / r.perSampleMaximum, "2/λmax, sharpest single image", 3)]
        let arrows = marks.map { x, _, c in
            "set arrow from \(Gnuplot.number(x)), graph 0 to \(Gnuplot.number(x)), graph 1 nohead dt 2 lw 2 lc rgb '\(Q1Plot.color(c))'\n"
        }.joined()
        // Invisible points so each dashed line gets a key entry.
        let keys = marks.map { _, label, c in "NaN with lines dt 2 lw 2 lc rgb '\(Q1Plot.color(c))' title \(Gnuplot.quoted(label))" }
            .joined(separator: ", \\\n     ")
        let base = Q1Plot.style + arrows + """
            set logscale x
            set xlabel 'learning rate η (log scale)'
            set format x '10^{%L}'
            set key outside right top vertical

            """
        return [
            Figure(name: "q2-sweep-accuracy",
            caption: "Test accuracy after one epoch of per-sample SGD against η, with 2/λmax of the mean loss and of single images", width: 1100, data: [("runs", table)],
                   commands: base + Q1Plot.titleCommand("Q2 test accuracy after \(r.settings.epochs) epoch(s) against η \(r.settings.seeds.count == 1 ? "(one seed)" : "(mean, min…max over \(r.settings.seeds.count) seeds)")", user: title) + """
                   set ylabel 'test accuracy (%)'
                   set yrange [0:100]
                   plot $runs using 1:2:3:4 with yerrorlines lw 2 pt 7 lc rgb '\(Q1Plot.color(0))' title 'test accuracy', \\
                        \(keys)

                   """),
            Figure(name: "q2-sweep-loss",
            caption: "Test loss after one epoch of per-sample SGD against η, with the same 2/λmax lines", width: 1100, data: [("runs", table)],
                   commands: base + Q1Plot.titleCommand("Q2 test loss after \(r.settings.epochs) epoch(s) against η \(r.settings.seeds.count == 1 ? "(one seed)" : "(mean, min…max over \(r.settings.seeds.count) seeds)")", user: title) + """
                   set ylabel 'test cross-entropy per image (log scale)'
                   set logscale y
                   plot $runs using 1:5:6:7 with yerrorlines lw 2 pt 7 lc rgb '\(Q1Plot.color(0))' title 'test loss', \\
                        \(keys)

                   """),
        ]
    }
}
