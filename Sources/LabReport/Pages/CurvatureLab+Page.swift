// How `lab q2-curvature` reads: the text and the figures (each with its caption) of
// `CurvatureLab`'s result, which the command prints and the report reuses. What is computed:
// Labs/CurvatureLab.swift.

import Curvature
import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTNet

extension CurvatureLab: LabPage {
    package static let worksheet = "q2-curvature"

    package static func text(for r: CurvatureLab.Result) -> String {
        let s = r.settings
        let eta = s.learningRate
        var lines = [
            "Q2 curvature  network \(Q2Format.layers(r.layerSizes)) (\(Q2Format.count(r.parameterCount)) parameters), seed \(s.seed), \(Q2Format.scaling(s.scaling))",
            "Hessian of the MEAN cross-entropy over the first \(Q2Format.count(s.samples)) training images (exact products, Lanczos to \(NumberFormat.error(s.tolerance)) residual)",
            "Question 1(c): gradient descent on a quadratic converges iff η·λmax < 2. Here η = \(NumberFormat.number(eta)), so 2/η = \(NumberFormat.number(2 / eta)).",
            "",
        ]
        var table = TextTable(header: ["epoch", "test acc.", "mean loss", "λmax (mean)", "η·λmax", "top-\(s.top)", "trace ± s.e.",
                                       "per-sample λmax median / max", "η·λ > 2"])
        for snap in r.snapshots {
            table.add([
                snap.epoch == 0 ? "0 (start)" : "\(snap.epoch)",
                snap.testAccuracy.map(Q2Format.percent) ?? "—",
                Q2Format.loss(snap.meanLoss),
                format(snap.lambdaMax), format(eta * snap.lambdaMax),
                snap.top.map(format).joined(separator: ", "),
                snap.trace.map { "\(format($0.trace)) ± \(format($0.standardError))" } ?? "—",
                snap.perSample.map { "\(format($0.median)) / \(format($0.maximum))" } ?? "—",
                snap.perSample.map { Q2Format.percent($0.fractionUnstable) } ?? "—",
            ])
        }
        lines.append(table.render())
        if r.training != "completed" { lines.append("Training \(r.training).") }
        if let first = r.snapshots.first {
            lines.append("")
            lines.append("Mean loss: η·λmax = \(format(eta * first.lambdaMax)) at the start, \(eta * first.lambdaMax < 2 ? "below" : "ABOVE") 2: gradient descent on the mean loss at this η would be stable.")
            if let p = first.perSample {
                lines.append("Per sample: each SGD step descends ONE image's loss; its λmax ranges up to \(format(p.maximum)) (η·λ up to \(format(eta * p.maximum))); \(Q2Format.percent(p.fractionUnstable)) of the first \(p.lambdas.count) images have η·λ > 2.")
            }
        }
        if !r.comparison.isEmpty {
            lines.append("")
            lines.append("Raw versus scaled pixels at the seeded start (same W² …; λ on the same \(Q2Format.count(s.samples)) images; accuracy after one epoch at η = \(NumberFormat.number(eta))):")
            var t = TextTable(header: ["variant", "λmax (mean)", "η·λmax", "per-sample λmax median / max", "η·λ > 2", "saturated at start", "accuracy, 1 epoch"])
            for v in r.comparison {
                t.add([v.name, format(v.lambdaMax), format(eta * v.lambdaMax), "\(format(v.perSampleMedian)) / \(format(v.perSampleMaximum))",
                       Q2Format.percent(v.fractionUnstable), Q2Format.percent(v.saturationAtStart), Q2Format.percent(v.accuracyAfterOneEpoch)])
            }
            lines.append(t.render())
            lines.append("Raw pixels with W¹/255 start from exactly the scaled network's outputs (nothing more saturated), yet the Hessian's")
            lines.append("W¹ block grows by 255²: scaling the inputs is preconditioning. Scaled pixels with W¹×255 saturate without that curvature.")
        }
        return lines.joined(separator: "\n")
    }

    /// The command line that computes `s` (the options that differ from the defaults).
    package static func commandLine(_ s: CurvatureLab.Settings) -> String {
        let d = CurvatureLab.Settings()
        var words = ["lab", "q2-curvature"]
        if s.samples != d.samples { words += ["--samples", "\(s.samples)"] }
        if s.top != d.top { words += ["--top", "\(s.top)"] }
        if s.epochs != d.epochs { words += ["--epochs", "\(s.epochs)"] }
        if s.learningRate != d.learningRate { words += ["--lr", NumberFormat.number(s.learningRate)] }
        if s.perSampleCount != d.perSampleCount { words += ["--per-sample", "\(s.perSampleCount)"] }
        if s.traceProbes != d.traceProbes { words += ["--trace-probes", "\(s.traceProbes)"] }
        if s.densityProbes != d.densityProbes { words += ["--density-probes", "\(s.densityProbes)"] }
        if !s.compare { words.append("--no-compare") }
        if s.rawPixels { words.append("--raw-pixels") }
        if s.seed != d.seed { words += ["--seed", "\(s.seed)"] }
        if let limit = s.trainLimit { words += ["--train-limit", "\(limit)"] }
        return words.joined(separator: " ")
    }

    package static func format(_ x: Double) -> String {
        guard x.isFinite else { return NumberFormat.number(x) }
        if x != 0 && (abs(x) >= 1e5 || abs(x) < 1e-3) { return String(format: "%.3g", x) }
        return String(format: abs(x) >= 100 ? "%.1f" : (abs(x) >= 1 ? "%.3f" : "%.4f"), x)
    }

    /// q2-curvature-density: the broadened eigenvalue density of each snapshot (log scale).
    package static func figures(for r: CurvatureLab.Result, title: String?) -> [Figure] {
        let snaps = r.snapshots.filter { $0.density != nil }
        guard !snaps.isEmpty else { return [] }
        let low = snaps.map { $0.density!.range.lowerBound }.min()!, high = snaps.map { $0.density!.range.upperBound }.max()!
        let sigma = max(1e-6, 0.01 * (high - low))
        var table = Table(columns: ["eigenvalue"] + snaps.map { "density_epoch_\($0.epoch)" })
        let points = 400
        for k in 0 ..< points {
            let t = (low - 3 * sigma) + (high - low + 6 * sigma) * Double(k) / Double(points - 1)
            table.append([t] + snaps.map { max(1e-12, $0.density!.density(at: t, sigma: sigma)) })
        }
        let plots = snaps.enumerated().map { i, snap in
            "$density using 1:\(i + 2) with lines lw 2 lc rgb '\(Q1Plot.color(i))' title \(Gnuplot.quoted(snap.epoch == 0 ? "start" : "after epoch \(snap.epoch)"))"
        }
        let lambdaLines = snaps.enumerated().map { i, snap in
            "set arrow from \(Gnuplot.number(snap.lambdaMax)), graph 0 to \(Gnuplot.number(snap.lambdaMax)), graph 1 nohead dt 2 lc rgb '\(Q1Plot.color(i))'\n"
        }.joined()
        return [Figure(
            name: "q2-curvature-density",
            caption: "Eigenvalue density of the Hessian of the mean loss (stochastic Lanczos quadrature), at the start and after one epoch; dashed: λmax", data: [("density", table)],
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q2 Hessian eigenvalue density (SLQ, σ = \(format(sigma))); dashed: λmax (Lanczos)", user: title)
                + lambdaLines
                + """
                set xlabel 'eigenvalue of the Hessian of the mean loss'
                set ylabel 'density (log scale)'
                set format y '10^{%L}'
                set logscale y
                set yrange [1e-6:*]
                set key top right
                plot \(plots.joined(separator: ", \\\n     "))

                """)]
    }
}
