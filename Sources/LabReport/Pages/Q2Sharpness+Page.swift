// How `lab q2-sharpness` reads: the text and the figures (each with its caption) of
// `Q2Sharpness`'s result, which the command prints and the report reuses. What is computed:
// Labs/Question2/Q2Sharpness.swift.

import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTNet

extension Q2Sharpness: LabPage {
    package static let worksheet = "q2-sharpness"

    package static func text(for r: Result) -> String {
        let lab = r.lab, s = lab.settings
        var lines = [
            "Q2 sharpness  full-batch gradient descent θ ← θ − η·∇L, L = mean cross-entropy over the first \(Q2Format.count(lab.trainCount)) training images",
            "Network \(Q2Format.layers(lab.layerSizes)) (\(Q2Format.count(lab.parameterCount)) parameters), \(r.start), \(Q2Format.scaling(s.scaling)); \(s.steps) steps per η",
            r.data.line,
            "Sharpness λmax = the largest eigenvalue of ∇²L, by Lanczos on exact Hessian-vector products every \(s.every) steps (stopped at residual ‖Hv − λv‖ ≤ \(NumberFormat.number(s.tolerance))·λ)",
            "",
            "Q1(c): on a fixed quadratic with curvature λ, gradient descent converges only for η < 2/λ; above, the error grows by |1 − ηλ| > 1 per step.",
            "At the start: loss \(Q2Format.loss(lab.initial.loss)), test accuracy \(Q2Format.percent(lab.initial.testAccuracy)), λmax = \(sharp(lab.initial.sharpness))\(lab.initial.second.map { ", λ₂ = \(sharp($0))" } ?? "")",
            "",
        ]
        var table = TextTable(header: ["η", "2/η", "final λmax", "λmax·η/2", "first within 10 % of 2/η", "final loss", "test accuracy", "status"])
        for run in lab.runs {
            let f = run.final
            table.add([
                NumberFormat.number(run.eta), sharp(run.threshold), f.map { sharp($0.sharpness) } ?? "—",
                run.ratio.map { String(format: "%.2f", $0) } ?? "—",
                run.firstWithinTenPercent.map { "step \($0)" } ?? "never",
                Q2Format.loss(run.losses.last ?? .nan), f.map { Q2Format.percent($0.testAccuracy) } ?? "—",
                run.status == "completed" ? "\(run.steps) steps" : "\(run.status) at step \(run.steps)",
            ])
        }
        lines.append(table.render())
        lines.append("")
        for run in lab.runs {
            let values = run.measurements.map(\.sharpness)
            guard let peak = values.max(), let final = run.final else { continue }
            var line = "η = \(NumberFormat.number(run.eta)) (2/η = \(sharp(run.threshold))): λmax \(sharp(lab.initial.sharpness)) → peak \(sharp(peak))"
            if let peakStep = run.measurements.first(where: { $0.sharpness == peak })?.step { line += " at step \(peakStep)" }
            line += " → \(sharp(final.sharpness)) at step \(final.step)"
            let tail = run.measurements.filter { $0.step >= run.steps / 2 }.map(\.sharpness)
            if tail.count >= 2, let low = tail.min(), let high = tail.max() {
                line += "; second half \(sharp(low))–\(sharp(high))"
            }
            if run.diverged {
                line += "; diverged (loss \(Q2Format.loss(run.losses.last ?? .nan)))"
            } else if let last = run.losses.last, last >= lab.initial.loss {
                line += "; no divergence, but the loss ended at \(Q2Format.loss(last)), above where it started: this step is too large to learn"
            } else if run.threshold < lab.initial.sharpness {
                line += "; 2/η is below the starting λmax, yet no divergence"
            }
            lines.append(line + ".")
        }
        if lab.stopped { lines.append("Stopped early (Ctrl-C): the numbers are those measured until then.") }
        lines.append("")
        lines.append("Loss and test accuracy are measured at the same steps as λmax; a run diverges when its loss is not finite or exceeds \(NumberFormat.number(SharpnessLab.divergenceFactor))× the starting loss.")
        return lines.joined(separator: "\n")
    }

    /// λ with three decimals.
    package static func sharp(_ x: Double) -> String { x.isFinite ? String(format: "%.3f", x) : NumberFormat.number(x) }

    /// q2-sharpness-sharpness, q2-sharpness-loss, q2-sharpness-edge.
    package static func figures(for r: Result, title: String?) -> [Figure] {
        let lab = r.lab
        let color = { (k: Int) in Q1Plot.color(k) }
        // λmax against step, one block per run; 2/η as a dashed line of the run's colour.
        var all = Table(columns: ["eta", "step", "sharpness", "two_over_eta", "second", "loss", "test_accuracy"])
        var blocks: [(name: String, table: Table)] = []
        for (k, run) in lab.runs.enumerated() {
            var t = Table(columns: ["step", "sharpness", "two_over_eta", "second"])
            for m in run.measurements {
                t.append([Double(m.step), m.sharpness, run.threshold, m.second ?? .nan])
                all.append([run.eta, Double(m.step), m.sharpness, run.threshold, m.second ?? .nan, m.loss, m.testAccuracy])
            }
            blocks.append(("run\(k)", t))
        }
        let top = max(lab.initial.sharpness, lab.runs.flatMap { $0.measurements.map(\.sharpness) }.filter(\.isFinite).max() ?? 1)
        var plots: [String] = []
        for (k, run) in lab.runs.enumerated() {
            let name = Gnuplot.quoted("η = \(NumberFormat.number(run.eta))")
            plots.append("$run\(k) using 1:2 with linespoints pt 7 ps 0.8 lw 2 lc rgb '\(color(k))' title \(name)")
            if run.threshold <= 1.25 * top {
                plots.append("\(Gnuplot.number(run.threshold)) with lines dt 2 lw 1.5 lc rgb '\(color(k))' notitle")
            }
            if lab.settings.second {
                plots.append("$run\(k) using 1:4 with points pt 6 ps 0.6 lc rgb '\(color(k))' notitle")
            }
        }
        let sharpness = Figure(
            name: "q2-sharpness-sharpness",
            caption: "Sharpness λmax of the full-batch loss against the gradient step for each η, with 2/η dashed in the run's colour", data: blocks, sidecar: all,
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q2 sharpness λmax of the full-batch loss during gradient descent; dashed: 2/η for each run", user: title)
                + """
                set xlabel 'gradient step'
                set ylabel 'λmax (largest Hessian eigenvalue)'
                set yrange [0:\(Gnuplot.number(1.3 * top))]
                set bmargin 6
                set key bmargin center horizontal
                plot \(plots.joined(separator: ", \\\n     "))

                """)

        // Loss against step (log scale), every step.
        var lossBlocks: [(name: String, table: Table)] = []
        var lossAll = Table(columns: ["eta", "step", "loss"])
        for (k, run) in lab.runs.enumerated() {
            var t = Table(columns: ["step", "loss"])
            for (step, loss) in run.losses.enumerated() where loss.isFinite && loss > 0 {
                t.append([Double(step), loss])
                lossAll.append([run.eta, Double(step), loss])
            }
            lossBlocks.append(("loss\(k)", t))
        }
        let lossPlots = lab.runs.enumerated().map { k, run in
            "$loss\(k) using 1:2 with lines lw 2 lc rgb '\(color(k))' title \(Gnuplot.quoted("η = \(NumberFormat.number(run.eta))"))"
        }
        let loss = Figure(
            name: "q2-sharpness-loss",
            caption: "Full-batch training loss against the gradient step for each η (log scale)", data: lossBlocks, sidecar: lossAll,
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q2 full-batch training loss during gradient descent (log scale)", user: title)
                + """
                set xlabel 'gradient step'
                set ylabel 'mean cross-entropy over the batch'
                set logscale y
                set key top right
                plot \(lossPlots.joined(separator: ", \\\n     "))

                """)

        // Final λmax against 2/η: on the diagonal = at the edge of stability.
        var edge = Table(columns: ["two_over_eta", "final_sharpness", "eta", "diverged"])
        for run in lab.runs {
            if let f = run.final { edge.append([run.threshold, f.sharpness, run.eta, run.diverged ? 1 : 0]) }
        }
        let xs = edge.rows.map { $0[0] } + edge.rows.map { $0[1] } + [lab.initial.sharpness]
        let high = 1.25 * (xs.filter(\.isFinite).max() ?? 1)
        let scatter = Figure(
            name: "q2-sharpness-edge",
            caption: "Final λmax of each run against 2/η: points on the diagonal sit at the edge of stability", width: 760, height: 640, data: [("edge", edge)],
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q2 final sharpness against 2/η: on the diagonal, the network sits at the edge of stability", user: title)
                + """
                set xlabel '2/η'
                set ylabel 'λmax at the end of the run'
                set xrange [0:\(Gnuplot.number(high))]
                set yrange [0:\(Gnuplot.number(high))]
                set size ratio -1
                set key top left
                plot x with lines dt 2 lw 1.5 lc rgb '#888888' title 'λmax = 2/η', \\
                     \(Gnuplot.number(lab.initial.sharpness)) with lines dt 3 lw 1.5 lc rgb '\(color(1))' title 'λmax at the start', \\
                     $edge using 1:2 with points pt 7 ps 1.8 lc rgb '\(color(0))' title 'final λmax of a run', \\
                     $edge using 1:2:(sprintf('η = %g', $3)) with labels offset 0,1.3 notitle

                """)
        return [sharpness, loss, scatter]
    }
}
