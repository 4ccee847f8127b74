// How `lab q1a` reads: the text and the figures (each with its caption) of `Q1A`'s result, which
// the command prints and the report reuses. What is computed: Labs/Question1/Q1A.swift.

import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTNet
import Quadratic

extension Q1A: LabPage {
    package static let worksheet = "q1a"

    /// The human-readable answer.
    package static func text(for r: Result) -> String {
        let s = r.settings
        var lines = [
            "Q1(a)  L(w) = ½(a·w1² + b·w2²)  with a = \(NumberFormat.number(s.a)), b = \(NumberFormat.number(s.b))",
            "",
            "Gradient:  ∇L(w) = (a·w1, b·w2) = (\(NumberFormat.number(s.a))·w1, \(NumberFormat.number(s.b))·w2)",
            "Minimiser: ∇L = 0 ⇔ w = w* = \(NumberFormat.vector(r.minimizer)),  L(w*) = \(NumberFormat.number(r.minimumLoss))  (unique: a, b > 0)",
            "",
            "Gradient check against central differences (h = ∛ε_mach·max(1,|wᵢ|)), seed \(s.seed):",
        ]
        var rows = TextTable(header: ["w", "∇L formula", "central difference", "rel. error"])
        for c in r.gradientChecks {
            rows.add([NumberFormat.vector(c.w), NumberFormat.vector(c.analytic), NumberFormat.vector(c.numeric),
                      NumberFormat.error(c.relativeError)])
        }
        lines.append(rows.render())
        if r.gradientCheckPassed {
            lines.append("max relative error \(NumberFormat.error(r.maxRelativeError)) < \(NumberFormat.error(passBound)): PASS  (rounding only: the difference is exact for a quadratic)")
        } else if r.maxRelativeError.isNaN {
            lines.append("FAIL: a central difference is not finite (L overflows at w ± h with these a, b), so the check compares nothing; use smaller a and b")
        } else {
            lines.append("FAIL: max relative error \(NumberFormat.error(r.maxRelativeError)) ≥ \(NumberFormat.error(passBound)): the formula and the differences disagree")
        }
        lines.append("")
        let outcome: String
        switch r.stopReason {
        case .reachedTolerance: outcome = "reached L ≤ \(NumberFormat.error(s.epsilon)) after \(r.stepsTaken) steps"
        case .stepLimit: outcome = "stopped at the step limit \(r.stepsTaken)"
        case .lossNotFinite where r.stepsTaken == 0:
            outcome = "L(w(0)) is not a finite number (½·a·w1² overflows for this w(0)), so there is nothing to descend; choose a smaller --w0"
        case .lossNotFinite: outcome = "the loss overflowed at step \(r.stepsTaken) (divergence)"
        }
        let edge = 2 / max(s.a, s.b)
        lines.append("Gradient descent from w(0) = \(NumberFormat.vector(s.w0)) with η = \(NumberFormat.number(s.learningRate, distinctFrom: edge)) (\(r.convergence.rawValue)): \(outcome)")
        lines.append("  w(T) = \(NumberFormat.vector(r.finalIterate))   ‖w(T) − w*‖ = \(NumberFormat.error(r.distanceToMinimizer))   L(w(T)) = \(NumberFormat.error(r.finalLoss))")
        if r.plotStride > 1 {
            lines.append("  (figure and CSV: every \(r.plotStride)th step and the last, \(r.series.rows.count) rows of \(r.stepsTaken + 1))")
        }
        return lines.joined(separator: "\n")
    }

    /// q1a-descent: loss and distance to w* against the step, log scale.
    package static func figures(for r: Result, title: String?) -> [Figure] {
        let values = r.series.rows.flatMap { [$0[1], $0[2]] }
        let thinned = r.plotStride > 1 ? " (every \(r.plotStride)th step)" : ""
        let commands = Q1Plot.style
            + Q1Plot.titleCommand("Q1(a) gradient descent reaches w* = (0, 0): a = \(NumberFormat.number(r.settings.a)), b = \(NumberFormat.number(r.settings.b)), η = \(NumberFormat.number(r.settings.learningRate))" + thinned, user: title)
            + Q1Plot.logAxis("y", values: values, empty: "no value > 1e-300 to draw: the loss and distance are 0 (or overflowed); see the CSV")
            + """
            set xlabel 'step t'
            set ylabel 'L(w(t))  and  ‖w(t) − w*‖  (log scale)'
            set key top right
            plot $run using 1:\(Q1Plot.drawable("$2")) with linespoints pt 7 ps 0.5 lw 2 lc rgb '\(Q1Plot.color(0))' title 'loss L(w(t))', \\
                 $run using 1:\(Q1Plot.drawable("$3")) with linespoints pt 5 ps 0.5 lw 2 lc rgb '\(Q1Plot.color(1))' title 'distance ‖w(t) − w*‖'

            """
        return [Figure(name: "q1a-descent",
            caption: "Q1(a): loss and distance to w* against the step of gradient descent (log scale)", data: [("run", r.series)], commands: commands)]
    }
}
