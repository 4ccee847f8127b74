// How `lab q1b` reads: the text and the figures (each with its caption) of `Q1B`'s result, which
// the command prints and the report reuses. What is computed: Labs/Question1/Q1B.swift.

import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTNet
import Quadratic

extension Q1B: LabPage {
    package static let worksheet = "q1b"

    /// The human-readable answer.
    package static func text(for r: Result) -> String {
        let s = r.settings
        let rotated = s.angleDegrees != 0
        var lines: [String]
        if rotated {
            let h = r.hessian.map { NumberFormat.number($0) }
            lines = [
                "Q1(b)  L(w) = ½·wᵀ·H·w, H = R(θ)·diag(a, b)·R(θ)ᵀ, a = \(NumberFormat.number(s.a)), b = \(NumberFormat.number(s.b)), θ = \(NumberFormat.number(s.angleDegrees))°, w(0) = \(NumberFormat.vector(s.w0))",
                "",
                "H = [[\(h[0]), \(h[1])], [\(h[2]), \(h[3])]]: one step w(t+1) = (I − η·H)·w(t) mixes w1 and w2, so wᵢ(t+1)/wᵢ(t) is",
                "not constant. In the eigenbasis u = R(θ)ᵀ·w, L = ½(a·u1² + b·u2²) and each uᵢ is multiplied by ρᵢ = 1 − η·λᵢ,",
                "λ = (a, b): w(t) = R(θ)·diag(ρ1ᵗ, ρ2ᵗ)·R(θ)ᵀ·w(0). Threshold, optimal η and rates are the diagonal ones, whatever θ.",
            ]
        } else {
            lines = [
                "Q1(b)  L(w) = ½(a·w1² + b·w2²), a = \(NumberFormat.number(s.a)), b = \(NumberFormat.number(s.b)), w(0) = \(NumberFormat.vector(s.w0))",
                "",
                "One step: w(t+1) = w(t) − η·∇L(w(t)) = ((1 − η·a)·w1(t), (1 − η·b)·w2(t)),",
                "so each coordinate is multiplied by ρᵢ = 1 − η·aᵢ and w(t) = (ρ1ᵗ·w1(0), ρ2ᵗ·w2(0)).",
            ]
        }
        for c in r.runs {
            lines.append("")
            lines.append("η = \(NumberFormat.number(c.learningRate, distinctFrom: 2 / max(s.a, s.b)))  (\(c.convergence.rawValue), \(c.stepsTaken) steps)")
            if rotated {
                var rates = TextTable(header: ["i", "ρᵢ = 1 − η·λᵢ", "wᵢ(t+1)/wᵢ(t): min", "max", "uᵢ(t+1)/uᵢ(t): min", "max"])
                for i in 0..<2 {
                    rates.add(["\(i + 1)", NumberFormat.number(c.rhoFormula[i]),
                               NumberFormat.number(c.measuredRatioMin[i]), NumberFormat.number(c.measuredRatioMax[i]),
                               NumberFormat.number(c.eigenRatioMin[i]), NumberFormat.number(c.eigenRatioMax[i])])
                }
                lines.append(rates.render())
                lines.append("  max relative deviation of the eigenbasis ratios uᵢ(t+1)/uᵢ(t) from ρ: \(NumberFormat.error(c.maxRatioDeviation))")
            } else {
                var rates = TextTable(header: ["coordinate", "ρᵢ = 1 − η·aᵢ", "measured wᵢ(t+1)/wᵢ(t): min", "max"])
                for i in 0..<2 {
                    rates.add(["w\(i + 1)", NumberFormat.number(c.rhoFormula[i]),
                               NumberFormat.number(c.measuredRatioMin[i]), NumberFormat.number(c.measuredRatioMax[i])])
                }
                lines.append(rates.render())
                lines.append("  max relative deviation of the measured ratios from ρ: \(NumberFormat.error(c.maxRatioDeviation))")
            }
            var table = TextTable(header: rotated ? ["t", "w1 simulated", "closed form", "w2 simulated", "closed form"]
                                                  : ["t", "w1 simulated", "ρ1ᵗ·w1(0)", "w2 simulated", "ρ2ᵗ·w2(0)"])
            for sample in c.samples {
                table.add(["\(sample.t)", NumberFormat.number(sample.simulated[0]), NumberFormat.number(sample.closedForm[0]),
                           NumberFormat.number(sample.simulated[1]), NumberFormat.number(sample.closedForm[1])])
            }
            lines.append(table.render())
            lines.append("  max relative deviation simulated vs closed form over all t\(rotated ? " (relative to max|wᵢ(t)|)" : ""): \(NumberFormat.error(c.maxClosedFormDeviation))")
        }
        return lines.joined(separator: "\n")
    }

    /// q1b-trajectory (iterates over contours) and q1b-coordinates (|wᵢ(t)| against t, log scale).
    package static func figures(for r: Result, title: String?) -> [Figure] {
        guard let q = try? DiagonalQuadratic(a: r.settings.a, b: r.settings.b) else { return [] }
        let box = Q1Plot.extent(of: r.runs.map(\.run))
        var data: [(name: String, table: Table)] = []
        var plots: [String] = []
        var coordinatePlots: [String] = []
        var coordinates = Table(columns: ["t", "eta", "w1", "w2", "closed_w1", "closed_w2"])
        for (k, c) in r.runs.enumerated() {
            data.append(("run\(k)", Q1Plot.trajectory(c.run)))
            let label = "η = \(NumberFormat.number(c.learningRate))  (ρ = \(NumberFormat.number(c.rhoFormula[0])), \(NumberFormat.number(c.rhoFormula[1])))"
            plots.append("$run\(k) using 2:3 with linespoints lw 2 pt 7 ps 0.8 lc rgb '\(Q1Plot.color(k))' title \(Gnuplot.quoted(label)) noenhanced")
            for t in 0...c.stepsTaken {
                let w = c.run.iterate(t)
                coordinates.append([Double(t), c.learningRate, w[0], w[1], c.closedForm[t][0], c.closedForm[t][1]])
            }
        }
        var trajectoryCSV = Table(columns: ["eta", "t", "w1", "w2", "loss"])
        for c in r.runs {
            for row in Q1Plot.trajectory(c.run).rows { trajectoryCSV.append([c.learningRate] + row) }
        }
        var contours = Q1Plot.contours(of: q, halfWidth: box.halfWidth, halfHeight: box.halfHeight)
        var axes = Table(columns: ["w1", "w2"])
        if r.settings.angleDegrees != 0, let rq = try? RotatedQuadratic(a: r.settings.a, b: r.settings.b, angle: r.settings.angleDegrees * Double.pi / 180) {
            // The level sets of the rotated L are the diagonal ones turned by θ; the eigenvectors
            // are the turned axes. The diagonal ellipse is drawn large enough to fill the box.
            let reach = (box.halfWidth * box.halfWidth + box.halfHeight * box.halfHeight).squareRoot()
            contours = Q1Plot.contours(of: q, halfWidth: reach, halfHeight: reach)
            for k in contours.rows.indices where contours.rows[k][0].isFinite {
                let w = rq.fromEigenbasis([contours.rows[k][0], contours.rows[k][1]])
                contours.rows[k][0] = w[0]; contours.rows[k][1] = w[1]
            }
            // Ends inside the box: gnuplot does not draw a segment whose two ends are both outside.
            let inside = 0.999 * min(box.halfWidth, box.halfHeight)
            for e in [[1.0, 0], [0, 1.0]] {
                let d = rq.fromEigenbasis(e)
                axes.append([-inside * d[0], -inside * d[1]]); axes.append([inside * d[0], inside * d[1]]); axes.append([.nan, .nan])
            }
        }
        data.append(("contours", contours))
        if !axes.rows.isEmpty { data.append(("axes", axes)) }
        let trajectory = Figure(
            name: "q1b-trajectory",
            caption: "Q1(b): gradient-descent iterates over the contours of L (equal scales) for two learning rates: ρ₁ = 0.5 slides, ρ₁ = −0.5 zig-zags", width: 900, height: 700, data: data, sidecar: trajectoryCSV,
            commands: Q1Plot.style
                + Q1Plot.titleCommand(r.settings.angleDegrees == 0
                    ? "Q1(b) gradient descent on L = ½(\(NumberFormat.number(r.settings.a))·w₁² + \(NumberFormat.number(r.settings.b))·w₂²) from w(0) = \(NumberFormat.vector(r.settings.w0))"
                    : "Q1(b) GD on L = ½(\(NumberFormat.number(r.settings.a))·u₁² + \(NumberFormat.number(r.settings.b))·u₂²), u = R(θ)ᵀ·w, θ = \(NumberFormat.number(r.settings.angleDegrees))°, w(0) = \(NumberFormat.vector(r.settings.w0))", user: title)
                + Q1Plot.box(halfWidth: box.halfWidth, halfHeight: box.halfHeight)
                + """
                set xlabel 'w₁'
                set ylabel 'w₂'
                set size ratio -1
                set key outside right top
                plot $contours using 1:2 with lines lw 1 lc rgb '#bbbbbb' title 'contours of L', \\
                     \(axes.rows.isEmpty ? "" : "$axes using 1:2 with lines dt 2 lw 1.5 lc rgb '#555555' title 'eigenvectors of H (the u axes)', \\\n    ")\
                     \(plots.joined(separator: ", \\\n     ")), \\
                     '+' using (0):(0) every ::0::0 with points pt 3 ps 2.5 lw 2 lc rgb 'black' title 'w* = (0, 0)'

                """)
        // |wᵢ(t)| of two runs coincide when their |ρᵢ| are equal (η = 0.05 and 0.15 with a = 10:
        // ρ₁ = ±0.5): say so on the figure, and draw later runs with smaller points so both show.
        var coincide: [String] = []
        for i in 0..<2 {
            for j in r.runs.indices {
                for k in r.runs.indices where k > j && abs(r.runs[j].rhoFormula[i]) == abs(r.runs[k].rhoFormula[i]) && r.settings.w0[i] != 0 {
                    coincide.append("|w\(i == 0 ? "₁" : "₂")(t)| for η = \(NumberFormat.number(r.runs[j].learningRate)) and \(NumberFormat.number(r.runs[k].learningRate)) coincide: |ρ\(i == 0 ? "₁" : "₂")| = \(NumberFormat.number(abs(r.runs[j].rhoFormula[i]))) for both")
                }
            }
        }
        let blockPairs = r.runs.indices.map { k -> String in
            let c = r.runs[k]
            let style = "lc rgb '\(Q1Plot.color(k))'"
            let size = Gnuplot.number(max(0.5, 1.4 - 0.35 * Double(k)))
            let select = "abs($2 - \(Gnuplot.number(c.learningRate))) == 0"
            func column(_ n: Int) -> String { "(\(select) ? \(Q1Plot.drawable("abs($\(n))")) : NaN)" }
            return "$coords using 1:\(column(3)) with points pt 7 ps \(size) \(style) title \(Gnuplot.quoted("|w₁(t)|, η = \(NumberFormat.number(c.learningRate))")) noenhanced, "
                + "$coords using 1:\(column(5)) with lines lw 1.5 \(style) notitle, "
                + "$coords using 1:\(column(4)) with points pt 6 ps \(size) \(style) title \(Gnuplot.quoted("|w₂(t)|, η = \(NumberFormat.number(c.learningRate))")) noenhanced, "
                + "$coords using 1:\(column(6)) with lines lw 1.5 dt 2 \(style) notitle"
        }
        coordinatePlots = blockPairs
        let values = coordinates.rows.flatMap { [abs($0[2]), abs($0[3]), abs($0[4]), abs($0[5])] }
        let note = coincide.isEmpty ? "" : "set label 2 \(Gnuplot.quoted(coincide.joined(separator: "; "))) at graph 0.02, graph 0.03 tc rgb '#333333' noenhanced\n"
        let coordinateFigure = Figure(
            name: "q1b-coordinates",
            caption: "Q1(b): |wᵢ(t)| simulated (points) beside the closed form |ρᵢ|ᵗ·|wᵢ(0)| (lines); the two |w₁| series coincide because |ρ₁| = 0.5 for both η", data: [("coords", coordinates)],
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q1(b) |wᵢ(t)| simulated (points) and closed form |ρᵢ|ᵗ·|wᵢ(0)| (lines)", user: title)
                + Q1Plot.logAxis("y", values: values, empty: "no |wᵢ(t)| > 1e-300 to draw: w(0) = w* stays there")
                + note
                + """
                set xlabel 'step t'
                set ylabel '|wᵢ(t)|  (log scale)'
                set key outside right top
                plot \(coordinatePlots.joined(separator: ", \\\n     "))

                """)
        return [trajectory, coordinateFigure]
    }
}
