// Building blocks for the Question 1 figures: titles (user text always escaped), the level sets
// of L = ½(a·w₁² + b·w₂²) as a data table, trajectories as tables, and plot ranges.

import Foundation
import LabFigures
import LabSupport
import MNISTNet
import Quadratic

/// Shared pieces of the Question 1 gnuplot figures.
package enum Q1Plot {
    /// Line colours used across the Question 1 figures (colour-blind-safe Okabe–Ito palette).
    package static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    package static func color(_ index: Int) -> String { colors[index % colors.count] }

    /// `set title '…' noenhanced`: the user's `--title` (if any) in front of `base`, escaped so
    /// no character of either can end the string or run a command.
    package static func titleCommand(_ base: String, user: String?, command: String = "set title") -> String {
        let text = user.map { $0 + " — " + base } ?? base
        return "\(command) \(Gnuplot.quoted(text)) noenhanced\n"
    }

    /// Level sets ½(a·x² + b·y²) = c of a 2-D quadratic as closed polylines (x, y, c), one per
    /// level, separated by a NaN row (gnuplot breaks a line at an undefined point). Levels are
    /// c_k = c_max·(k/count)², evenly spaced in radius, with c_max the loss at the box corner.
    package static func contours(of q: DiagonalQuadratic, halfWidth: Double, halfHeight: Double, count: Int = 12) -> Table {
        precondition(q.dimension == 2)
        let a = q.coefficients[0], b = q.coefficients[1]
        let top = 0.5 * (a * halfWidth * halfWidth + b * halfHeight * halfHeight)
        var table = Table(columns: ["w1", "w2", "level"])
        for k in 1...count {
            let level = top * Double(k * k) / Double(count * count)
            let rx = (2 * level / a).squareRoot(), ry = (2 * level / b).squareRoot()
            for j in 0...180 {
                let angle = 2 * Double.pi * Double(j) / 180
                table.append([rx * cos(angle), ry * sin(angle), level])
            }
            table.append([.nan, .nan, level])
        }
        return table
    }

    /// A run as rows (t, w1, w2, L).
    package static func trajectory(_ run: DescentRun) -> Table {
        var table = Table(columns: ["t", "w1", "w2", "loss"])
        for t in 0...run.stepsTaken {
            let w = run.iterate(t)
            table.append([Double(t), w[0], w[1], run.losses[t]])
        }
        return table
    }

    /// The largest |w₁| and |w₂| over the finite iterates of `runs`, padded by 12 %, never 0.
    package static func extent(of runs: [DescentRun]) -> (halfWidth: Double, halfHeight: Double) {
        var x = 0.0, y = 0.0
        for run in runs {
            for t in 0...run.stepsTaken {
                let w = run.iterate(t)
                let w1 = abs(w[0]), w2 = abs(w[1])
                if w1.isFinite && w2.isFinite { x = max(x, w1); y = max(y, w2) }
            }
        }
        return (max(x, 1e-3) * 1.12, max(y, 1e-3) * 1.12)
    }

    /// The `set xrange/yrange` lines for a symmetric box.
    package static func box(halfWidth: Double, halfHeight: Double) -> String {
        "set xrange [\(Gnuplot.number(-halfWidth)):\(Gnuplot.number(halfWidth))]\n"
            + "set yrange [\(Gnuplot.number(-halfHeight)):\(Gnuplot.number(halfHeight))]\n"
    }

    /// The smallest value a log axis draws: below it (subnormals, exact 0) gnuplot's tic rounding
    /// reaches 0 and it refuses the axis, so such values are left out (they are in the CSV).
    package static let logFloor = 1e-300

    /// `(col >= 1e-300 ? col : NaN)`: a `using` expression that drops what a log axis cannot show.
    package static func drawable(_ column: String) -> String { "(\(column) >= \(logFloor) ? \(column) : NaN)" }

    /// `set logscale <axis>` with 10^k tics, and — when none of `values` can be drawn on it (all
    /// 0, tiny or not finite) — a fixed range and a note saying why the plot is empty. gnuplot
    /// refuses to autoscale a log axis with nothing on it; a loss of exactly 0 is a success.
    package static func logAxis(_ axis: String, values: [Double], empty note: String) -> String {
        var text = "set logscale \(axis)\nset format \(axis) '10^{%L}'\n"
        if !values.contains(where: { $0.isFinite && $0 >= logFloor }) {
            text += "set \(axis)range [0.1:10]\n"
            text += "set label 90 \(Gnuplot.quoted(note)) at graph 0.5, graph 0.5 center tc rgb '#555555' noenhanced\n"
        }
        return text
    }

    /// Common look: grid, key box, margins.
    package static let style = """
        set grid lc rgb '#dddddd'
        set key box opaque samplen 2 spacing 1.1
        set border lw 1.2

        """
}
