// How `lab q2-backprop` reads: the text and the figures (each with its caption) of `Q2Backprop`'s
// result, which the command prints and the report reuses. What is computed:
// Labs/Question2/Q2Backprop.swift.

import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTNet

extension Q2Backprop: LabPage {
    package static let worksheet = "q2-backprop"

    package static func text(for r: Result) -> String {
        let tolerance = NumberFormat.error(r.tolerance)
        var lines = [
            "Q2 backprop  gradient check of L = Σ −log p_y over the first \(r.settings.samples) training images",
            r.data.line,
            "Network \(Q2Format.layers(r.layerSizes)), \(Q2Format.scaling(r.settings.network.scaling)); central differences ĝ = (L(θ+h) − L(θ−h)) / 2h",
            "Step per tensor: h = \(NumberFormat.error(r.baseStep)) / max(1, the layer's largest input) for weights, \(NumberFormat.error(r.baseStep)) for biases.",
            "rel = |g − ĝ| / max(|g|, |ĝ|, floor / \(tolerance)), floor = 4·ε·|L| / h: the rounding error of the difference.",
            "",
        ]
        var table = TextTable(header: ["tensor", "shape", "entries", "step h", "max rel error", "max abs error", "largest |g|", "≤ \(tolerance)"])
        for row in r.rows {
            table.add([row.name, Q2Format.shape(row.shape), "\(row.checked)", NumberFormat.error(row.step),
                       NumberFormat.error(row.maxRelativeError), NumberFormat.error(row.maxAbsoluteError),
                       NumberFormat.error(row.largestGradient), row.passes(tolerance: r.tolerance) ? "pass" : "FAIL"])
        }
        lines.append(table.render())
        lines.append("")
        lines.append("Largest |g − ĝ| with the same step h for every tensor (the first \(min(r.settings.entries, scanEntries)) entries of each):")
        lines.append("truncation ≈ h²·|L'''|/6 grows to the left, rounding ≈ ε·|L|/h to the right.")
        var scan = TextTable(header: ["tensor"] + r.scanSteps.map { "h = " + NumberFormat.error($0) })
        for s in r.scan { scan.add([s.name] + s.maxAbsoluteErrors.map(NumberFormat.error)) }
        lines.append(scan.render())
        lines.append("")
        if r.rows.contains(where: { !$0.maxRelativeError.isFinite || !$0.maxAbsoluteError.isFinite }) {
            lines.append("FAIL: a gradient, loss or difference is not finite (NaN or infinite), so these weights cannot be checked; load finite, moderate weights.")
        } else if let blind = r.rows.first(where: { !$0.isResolvable }) {
            lines.append("FAIL: \(blind.name)'s gradient (largest |g| \(NumberFormat.error(blind.largestGradient))) is below the rounding floor \(NumberFormat.error(blind.roundingFloor)) of the finite differences, "
                         + "so it cannot be checked (a huge loss makes L(θ+h) − L(θ−h) round away); load finite, moderate weights.")
        } else if r.passed {
            lines.append("PASS: every tensor's largest relative error is ≤ \(tolerance); backpropagation agrees with the finite differences.")
        } else {
            let failed = r.rows.filter { !$0.passes(tolerance: r.tolerance) }.map(\.name)
            lines.append("FAIL: \(failed.joined(separator: ", ")) exceed\(failed.count == 1 ? "s" : "") the relative error \(tolerance) with the step chosen for the layer's inputs. "
                         + "In the table above, an error that shrinks with h is the finite difference's; one that stays is backpropagation's.")
        }
        if r.settings.network.rawPixels {
            lines.append("Raw pixels reach 255: a step h in W¹ moves z by up to 255·h, so its truncation error grows like 255³ (w1 at h = 1e-04 above);")
            lines.append("the check therefore steps W¹ by h / 255. Backpropagation is as right with raw pixels as with scaled ones.")
        }
        return lines.joined(separator: "\n")
    }

    /// q2-backprop-errors: the largest relative and absolute errors per tensor (log scale)
    /// beside the tolerance; q2-backprop-steps: the largest absolute error against h.
    package static func figures(for r: Result, title: String?) -> [Figure] {
        var table = Table(columns: ["index", "max_relative_error", "max_absolute_error"])
        for (k, row) in r.rows.enumerated() {
            // A non-finite error is drawn at the top of the axis (10⁰ = 1, far above the bar).
            let relative = row.maxRelativeError.isFinite ? row.maxRelativeError : 1
            let absolute = row.maxAbsoluteError.isFinite ? row.maxAbsoluteError : 1
            table.append([Double(k), Swift.max(relative, 1e-18), Swift.max(absolute, 1e-18)])
        }
        let tics = r.rows.enumerated().map { "\(Gnuplot.quoted($0.element.name)) \($0.offset)" }.joined(separator: ", ")
        let errors = Figure(
            name: "q2-backprop-errors",
            caption: "Q2 gradient check: the largest relative and absolute error per parameter tensor, against the tolerance 1e-6", data: [("errors", table)],
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q2 gradient check: backpropagation vs central differences (step per tensor), \(r.passed ? "all tensors pass" : "some tensors FAIL")", user: title)
                + """
                set xtics (\(tics))
                set xlabel 'parameter tensor'
                set ylabel 'largest error over the checked entries (log scale)'
                set logscale y
                set format y '10^{%L}'
                set xrange [-0.6:\(r.rows.count) - 0.4]
                set style fill solid 0.85 border -1
                set boxwidth 0.38
                set key top left
                plot $errors using ($1 - 0.2):2 with boxes lc rgb '\(Q1Plot.color(0))' title 'max relative error', \\
                     $errors using ($1 + 0.2):3 with boxes lc rgb '\(Q1Plot.color(5))' title 'max absolute error', \\
                     \(r.tolerance) with lines lw 2 dt 2 lc rgb '\(Q1Plot.color(1))' title 'tolerance 1e-6 (relative)'

                """)
        var steps = Table(columns: ["step"] + r.scan.map { "max_abs_error_" + $0.name })
        for (s, h) in r.scanSteps.enumerated() {
            steps.append([h] + r.scan.map { $0.maxAbsoluteErrors[s].isFinite ? Swift.max($0.maxAbsoluteErrors[s], 1e-18) : .nan })
        }
        let curves = r.scan.enumerated().map { k, s in
            "$steps using 1:\(k + 2) with linespoints lw 2 pt \(5 + k % 4) lc rgb '\(Q1Plot.color(k))' title \(Gnuplot.quoted(s.name))"
        }
        let scan = Figure(
            name: "q2-backprop-steps",
            caption: "Q2 gradient check: the finite difference's largest absolute error against its step h, per tensor (truncation on the right, rounding on the left)", data: [("steps", steps)],
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q2 finite-difference error against the step h (\(Q2Format.scaling(r.settings.network.scaling)))", user: title)
                + """
                set xlabel 'step h (one step for every tensor)'
                set ylabel 'largest |g − ĝ| over the checked entries'
                set logscale xy
                set format x '10^{%L}'
                set format y '10^{%L}'
                set key outside right top
                plot \(curves.joined(separator: ", \\\n     "))

                """)
        return [errors, scan]
    }
}
