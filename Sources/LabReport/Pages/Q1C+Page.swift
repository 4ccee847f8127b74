// How `lab q1c` reads: the text and the figures (each with its caption) of `Q1C`'s result, which
// the command prints and the report reuses. What is computed: Labs/Question1/Q1C.swift.

import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTNet
import Quadratic

extension Q1C: LabPage {
    package static let worksheet = "q1c"

    package static func text(for r: Result) -> String {
        let s = r.settings
        let big = max(s.a, s.b)
        let stiffName = r.stiffCoordinate == 0 ? "w1 (curvature a = \(NumberFormat.number(s.a)))" : "w2 (curvature b = \(NumberFormat.number(s.b)))"
        var lines = [
            "Q1(c)  L(w) = ½(a·w1² + b·w2²), a = \(NumberFormat.number(s.a)), b = \(NumberFormat.number(s.b)), w(0) = \(NumberFormat.vector(s.w0)), ε = \(NumberFormat.error(s.epsilon))",
            "",
            "GD converges ⇔ |1 − η·aᵢ| < 1 for every i ⇔ 0 < η < 2/max(a, b) = η_max = \(NumberFormat.number(r.threshold)).",
            "Optimal η* = 2/(a + b) = \(NumberFormat.number(r.optimalLearningRate)).",
            "",
        ]
        let anyDiffers = r.rows.contains { $0.convergence != $0.convergenceFromStart }
        var header = ["η", "η/η_max", "ρ1", "ρ2", "max|ρ|", "behaviour"]
        if anyDiffers { header.append("from this w(0)") }
        header += ["iterations to ε: predicted", "measured", "case"]
        var table = TextTable(header: header)
        for row in r.rows {
            let measured: String
            if let m = row.measuredIterations { measured = "\(m)" }
            else if let n = row.nonFiniteStep { measured = "overflow at step \(n)" }
            else { measured = "—" }
            var cells = [NumberFormat.number(row.learningRate, distinctFrom: r.threshold),
                         NumberFormat.number(row.fractionOfThreshold, distinctFrom: 1),
                         NumberFormat.number(row.rho[0], distinctFrom: row.rho[0] < 0 ? -1 : 1),
                         NumberFormat.number(row.rho[1], distinctFrom: row.rho[1] < 0 ? -1 : 1),
                         NumberFormat.number(row.spectralRadius, distinctFrom: 1), row.convergence.rawValue]
            if anyDiffers { cells.append(row.convergenceFromStart.rawValue) }
            cells += [row.predictedIterations.map(String.init) ?? "never", measured, row.label == "sweep" ? "" : row.label]
            table.add(cells)
        }
        lines.append(table.render())
        lines.append("")
        if s.w0.allSatisfy({ $0 == 0 }) {
            lines.append("w(0) = w* = (0, 0): a coordinate that starts at 0 never moves, so nothing moves for any η; every run is at the minimum from step 0.")
        } else if r.stiffStartsAtZero {
            let other = r.stiffCoordinate == 0 ? s.b : s.a
            lines.append("The stiff coordinate \(stiffName) starts at 0, and a coordinate that starts at 0 never moves (wᵢ(t) = ρᵢᵗ·0 for every η).")
            lines.append("This run is decided by the other coordinate alone: it converges for η < 2/\(NumberFormat.number(other)) = \(NumberFormat.number(2 / other)) (column \"from this w(0)\"); there is nothing on the stiff axis for the boundary cases to measure.")
        } else {
            lines.append("Boundary cases on the stiff axis \(stiffName), measured from this w(0):")
            lines.append("  η = 1/max(a, b) = \(NumberFormat.number(1 / big)): ρ = 0, the stiff coordinate is 0 after one step; measured |w(1)|/|w(0)| = \(r.oneStepResidual.map(NumberFormat.error) ?? "—")")
            lines.append("  η = 2/max(a, b) = \(NumberFormat.number(r.threshold)): ρ = −1, it flips sign at constant size; max | |w(t)|/|w(0)| − 1 | over \(s.steps) steps = \(r.thresholdAmplitudeDeviation.map(NumberFormat.error) ?? "—")")
            lines.append("  η = \(NumberFormat.number(s.above))·η_max: |ρ| = \(NumberFormat.number(r.aboveRate)) > 1, it grows by |ρ| per step; measured growth \(r.aboveMeasuredGrowth.map(NumberFormat.number) ?? "—") per step")
        }
        return lines.joined(separator: "\n")
    }

    package static func figures(for r: Result, title: String?) -> [Figure] {
        let s = r.settings
        let big = max(s.a, s.b)
        let eta = Gnuplot.number
        var sweep = Table(columns: ["eta", "max_abs_rho", "class"])
        for row in r.rows {
            let code = row.convergence == .converges ? 0.0 : (row.convergence == .oscillates ? 1 : 2)
            sweep.append([row.learningRate, row.spectralRadius, code])
        }
        let rates = Figure(
            name: "q1c-rates",
            caption: "Q1(c): the contraction max|1 − η·aᵢ| against η, with the stable band 0 < η < 2/max(a, b)", width: 1000, data: [("curve", r.curve), ("sweep", sweep)],
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q1(c) max|ρᵢ(η)| = max|1 − η·aᵢ| for a = \(NumberFormat.number(s.a)), b = \(NumberFormat.number(s.b)): converges where it is below 1", user: title)
                + """
                set xlabel 'learning rate η'
                set ylabel '|ρᵢ(η)| = |1 − η·aᵢ|'
                set xrange [0:\(eta(1.2 * r.threshold))]
                set yrange [0:\(eta(max(1.5, r.curve.rows.map { $0[3] }.max() ?? 1.5)))]
                set object 1 rect from 0, graph 0 to \(eta(r.threshold)), graph 1 fc rgb '#e5f5e0' fs solid 1.0 noborder behind
                set label 1 'stable band 0 < η < 2/max(a, b)' at \(eta(0.03 * r.threshold)), graph 0.95 tc rgb '#2b7a2b'
                set arrow 1 from \(eta(1 / big)), graph 0 to \(eta(1 / big)), graph 1 nohead dt 3 lc rgb '#555555'
                set label 2 '1/max(a, b)' at \(eta(1 / big)), graph 0.03 offset 0.5,0 tc rgb '#555555'
                set arrow 2 from \(eta(r.optimalLearningRate)), graph 0 to \(eta(r.optimalLearningRate)), graph 1 nohead dt 3 lc rgb '#009E73'
                set label 3 'η* = 2/(a+b)' at \(eta(r.optimalLearningRate)), graph 0.12 right offset -0.5,0 tc rgb '#009E73'
                set arrow 3 from \(eta(r.threshold)), graph 0 to \(eta(r.threshold)), graph 1 nohead lw 2 lc rgb '#D55E00'
                set label 4 'η_{max} = 2/max(a, b)' at \(eta(r.threshold)), graph 0.85 right offset -0.5,0 tc rgb '#D55E00'
                set key outside right top
                plot 1 with lines dt 2 lw 1.5 lc rgb 'black' title '|ρ| = 1', \\
                     $curve using 1:2 with lines lw 2 lc rgb '\(Q1Plot.color(0))' title '|ρ₁| = |1 − η·a|', \\
                     $curve using 1:3 with lines lw 2 dt 2 lc rgb '\(Q1Plot.color(1))' title '|ρ₂| = |1 − η·b|', \\
                     $curve using 1:4 with lines lw 3 lc rgb '\(Q1Plot.color(6))' title 'max|ρᵢ|', \\
                     $sweep using 1:($3 == 0 ? $2 : NaN) with points pt 7 ps 1.3 lc rgb '#009E73' title 'converges', \\
                     $sweep using 1:($3 == 1 ? $2 : NaN) with points pt 9 ps 1.8 lc rgb '#E69F00' title 'oscillates', \\
                     $sweep using 1:($3 == 2 ? $2 : NaN) with points pt 5 ps 1.3 lc rgb '#D55E00' title 'diverges'

                """)

        let q = try? DiagonalQuadratic(a: s.a, b: s.b)
        var data: [(name: String, table: Table)] = []
        var panels = "set multiplot layout 1,3 title \(Gnuplot.quoted((title.map { $0 + " — " } ?? "") + "Q1(c) trajectories over the contours of L for η below, at and above η_max = 2/max(a, b)")) noenhanced\n"
        var lossPlots: [String] = []
        var csv = Table(columns: ["case", "eta", "t", "w1", "w2", "loss"])
        for (k, item) in r.cases.enumerated() {
            let box = Q1Plot.extent(of: [item.run])
            data.append(("run\(k)", Q1Plot.trajectory(item.run)))
            if let q { data.append(("contours\(k)", Q1Plot.contours(of: q, halfWidth: box.halfWidth, halfHeight: box.halfHeight, count: 10))) }
            for row in Q1Plot.trajectory(item.run).rows { csv.append([Double(k), item.run.learningRate] + row) }
            panels += Q1Plot.titleCommand(item.label, user: nil)
                + Q1Plot.box(halfWidth: box.halfWidth, halfHeight: box.halfHeight)
                + "plot $contours\(k) using 1:2 with lines lc rgb '#bbbbbb' notitle, "
                + "$run\(k) using 2:3 with linespoints lw 1.5 pt 7 ps 0.5 lc rgb '\(Q1Plot.color(k))' notitle, "
                + "'+' using (0):(0) every ::0::0 with points pt 3 ps 2 lw 2 lc rgb 'black' notitle\n"
            lossPlots.append("$run\(k) using 1:\(Q1Plot.drawable("$4")) with linespoints lw 2 pt 7 ps 0.5 lc rgb '\(Q1Plot.color(k))' title \(Gnuplot.quoted(item.label)) noenhanced")
        }
        let trajectories = Figure(
            name: "q1c-trajectories",
            caption: "Q1(c): trajectories below, at and just above the threshold 2/max(a, b)", width: 1500, height: 560, data: data, sidecar: csv,
            commands: Q1Plot.style + """
                set xlabel 'w₁'
                set ylabel 'w₂'
                set xtics rotate by -30
                unset key
                \(panels)unset multiplot

                """)
        let loss = Figure(
            name: "q1c-loss",
            caption: "Q1(c): loss against the step below, at and above the threshold (log scale)", data: Array(data.filter { $0.name.hasPrefix("run") }), sidecar: csv,
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q1(c) loss L(w(t)) below, at and above η_max = 2/max(a, b) = \(NumberFormat.number(r.threshold))", user: title)
                + Q1Plot.logAxis("y", values: r.cases.flatMap(\.run.losses), empty: "no loss > 1e-300 to draw: w(0) = w* stays there")
                + """
                set xlabel 'step t'
                set ylabel 'L(w(t))  (log scale)'
                set key bottom left
                plot \(lossPlots.joined(separator: ", \\\n     "))

                """)
        return [rates, trajectories, loss]
    }
}
