// How `lab q1d` reads: the text and the figures (each with its caption) of `Q1D`'s result, which
// the command prints and the report reuses. What is computed: Labs/Question1/Q1D.swift.

import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTNet
import Quadratic

extension Q1D: LabPage {
    package static let worksheet = "q1d"

    /// "L/L₀ ≤ 1e-06" or "L ≤ 1e-06".
    package static func stopText(_ s: Settings) -> String {
        s.tolerance == .relative ? "L/L₀ ≤ ε = \(NumberFormat.error(s.epsilon))" : "L ≤ ε = \(NumberFormat.error(s.epsilon))"
    }

    package static func text(for r: Result) -> String {
        let s = r.settings
        var lines = [
            "Q1(d)  L(w) = ½(a·w1² + b·w2²) with b = \(NumberFormat.number(s.b)), a = κ·b;  w(0) = \(NumberFormat.vector(s.w0)), stop at \(stopText(s))",
            "",
            "GD at η* = 2/(a+b) contracts both coordinates by r = (κ−1)/(κ+1): L(t) = L₀·r^(2t) exactly, ≈ (κ/4)·ln(L₀/L_stop) steps.",
            "Preconditioned GD, w ← w − diag(1/a, 1/b)·∇L(w) (the change of variables v = diag(a, b)^(½)·w, κ = 1): one step.",
            "",
        ]
        func count(_ n: Int?) -> String { n.map(String.init) ?? "—" }
        var gd = TextTable(header: ["κ", "L₀", "η*", "rate r", "GD measured", "exact", "rate estimate", "preconditioned"])
        for row in r.rows {
            gd.add([NumberFormat.number(row.kappa), NumberFormat.number(row.initialLoss), NumberFormat.number(row.optimalLearningRate),
                    NumberFormat.number(row.gdRate), count(row.gdMeasured), count(row.gdPredicted), count(row.gdRateEstimate),
                    count(row.preconditionedMeasured)])
        }
        lines.append(gd.render())
        lines.append("")
        lines.append("Heavy ball (Polyak): η = 4/(√a+√b)², β = ((√κ−1)/(√κ+1))², rate (√κ−1)/(√κ+1) ≈ 1 − 2/√κ.")
        lines.append("Nesterov: η = 1/a, β = (√κ−1)/(√κ+1), rate 1 − 1/√κ. Exact counts from the closed-form root pairs.")
        var momentum = TextTable(header: ["κ", "HB β", "HB rate", "HB measured", "exact", "rate estimate", "measured/estimate",
                                          "NAG β", "NAG rate", "NAG measured", "exact"])
        for row in r.rows {
            let ratio = row.heavyBallMeasured.flatMap { m in row.heavyBallRateEstimate.flatMap { $0 > 0 ? Double(m) / Double($0) : nil } }
            momentum.add([NumberFormat.number(row.kappa), NumberFormat.number(row.heavyBall.momentum), NumberFormat.number(row.heavyBall.rate),
                          count(row.heavyBallMeasured), count(row.heavyBallPredicted), count(row.heavyBallRateEstimate),
                          ratio.map { String(format: "%.2f", $0) } ?? "—",
                          NumberFormat.number(row.nesterov.momentum), NumberFormat.number(row.nesterov.rate),
                          count(row.nesterovMeasured), count(row.nesterovPredicted)])
        }
        lines.append(momentum.render())
        let exactGD = r.rows.filter { $0.gdMeasured != nil && $0.gdMeasured == $0.gdPredicted }.count
        let exactHB = r.rows.filter { $0.heavyBallMeasured != nil && $0.heavyBallMeasured == $0.heavyBallPredicted }.count
        let exactNAG = r.rows.filter { $0.nesterovMeasured != nil && $0.nesterovMeasured == $0.nesterovPredicted }.count
        lines.append("Measured = exact count for GD \(exactGD), heavy ball \(exactHB), Nesterov \(exactNAG) of \(r.rows.count) κ.")
        lines.append("Heavy ball's rate estimate leaves out the double root: wᵢ(t) = wᵢ(0)·(1 + (1 ± r)·t)·(∓r)ᵗ, a factor ≈ 2t that costs ≈ (√κ/2)·ln(2t) more steps.")
        if let first = r.rows.first(where: { $0.kappa > 1 }), let last = r.rows.last, !r.slopes.isEmpty {
            func slope(_ key: String) -> String { r.slopes[key].map { String(format: "%.2f", $0) } ?? "—" }
            lines.append("")
            lines.append("Slopes on log–log axes from κ = \(NumberFormat.number(first.kappa)) to \(NumberFormat.number(last.kappa)) (measured): GD \(slope("gd")) (theory → 1), heavy ball \(slope("heavyBall")), Nesterov \(slope("nesterov")) (both → ½ as κ → ∞).")
            if let h = r.slopes["heavyBall"], h > 0.5 {
                lines.append("  Heavy ball's slope is above ½: its factor ≈ 2t adds ≈ (√κ/2)·ln(2t) steps, more as κ grows.")
            }
            // Nesterov (η = 1/a) removes the stiff coordinate in its first step, so its count
            // depends on how much of L₀ that coordinate held: state it from this start.
            let share = last.a * s.w0[0] * s.w0[0] / (2 * last.initialLoss)
            lines.append("  Nesterov's η = 1/a removes the stiff coordinate in one step; from this w(0) it holds \(String(format: "%.4g", 100 * share)) % of L₀ at κ = \(NumberFormat.number(last.kappa)),")
            if share < 1 {
                lines.append("  so what is left starts at \(String(format: "%.3g", 1 - share))·L₀ — a head start of ln(1/\(String(format: "%.3g", 1 - share))) = \(String(format: "%.3g", -Foundation.log(1 - share))) that the rate alone does not show.")
            } else {
                lines.append("  so (up to rounding) nothing is left after its first step.")
            }
            if let n = last.nesterovMeasured, let h = last.heavyBallMeasured {
                lines.append("  At κ = \(NumberFormat.number(last.kappa)): Nesterov \(n) steps, heavy ball \(h) (rates \(NumberFormat.number(last.nesterov.rate)) and \(NumberFormat.number(last.heavyBall.rate)) per step).")
            }
        }
        if !r.constants.isEmpty {
            let kappa = r.constants[0].kappa
            let e = s.tolerance == .relative ? s.epsilon : 1e-6
            lines.append("")
            lines.append("Constants c in T ≈ c·κ·ln(1/ε) at κ = \(NumberFormat.number(kappa)), measured as (T(ε²) − T(ε))/(κ·ln(1/ε)) with relative criteria, ε = \(NumberFormat.error(e)) (exact counts):")
            var table = TextTable(header: ["step size", "criterion", "T(ε)", "T(ε²)", "c measured", "c theory"])
            for c in r.constants {
                table.add([c.stepSize, c.criterion == .loss ? "L/L₀ ≤ ε" : "‖w‖/‖w(0)‖ ≤ ε", count(c.countAtEpsilon), count(c.countAtEpsilonSquared),
                           c.measured.map { String(format: "%.4f", $0) } ?? "—", NumberFormat.number(c.theory)])
            }
            lines.append(table.render())
        }
        let ball = r.zigzag.heavyBall
        if ball.hasIterates, s.w0[0] != 0 {
            let peak = (0...ball.stepsTaken).max { abs(ball.iterate($0)[0]) < abs(ball.iterate($1)[0]) } ?? 0
            lines.append("")
            lines.append("Zig-zag at κ = \(NumberFormat.number(s.zigzagKappa)): GD at η* \(r.zigzag.gd.stepsTaken) steps, heavy ball \(ball.stepsTaken), Nesterov \(r.zigzag.nesterov.stepsTaken); heavy ball's |w1| peaks at \(NumberFormat.number(abs(ball.iterate(peak)[0]))) at step \(peak) (factor 1 + (1 + r)·t) before it decays.")
        }
        if !r.matrices.isEmpty {
            lines.append("")
            lines.append("Per-eigenvalue iteration matrices at κ = \(NumberFormat.number(s.zigzagKappa)): (wᵢ(t+1), wᵢ(t)) = M·(wᵢ(t), wᵢ(t−1)), M = [[p, −q], [1, 0]]:")
            var table = TextTable(header: ["method", "curvature", "M", "roots", "max|λ|"])
            for m in r.matrices {
                let matrix = "[[\(NumberFormat.number(m.matrix[0][0] + 0)), \(NumberFormat.number(m.matrix[0][1] + 0))], [1, 0]]"
                var roots = m.roots.map { $0[1] == 0 ? NumberFormat.number($0[0] + 0) : "\(NumberFormat.number($0[0])) \($0[1] < 0 ? "−" : "+") \(NumberFormat.number(abs($0[1])))i" }
                // Polyak's and Nesterov's parameters put roots exactly on a double root; rounding
                // splits it by ≈ √(2⁻⁵²)·|λ| ≈ 1e−8, which is shown as the double root it is.
                let (r0, r1) = (m.roots[0], m.roots[1])
                if abs(r0[0] - r1[0]) + abs(r0[1] - r1[1]) <= 1e-7 * max(abs(r0[0]), 1e-300) || (r0[0] == r1[0] && r0[1] == r1[1]) {
                    roots = ["\(NumberFormat.number(r0[0] + 0)) (double)"]
                }
                table.add([m.method == .heavyBall ? "heavy ball" : "Nesterov", NumberFormat.number(m.curvature), matrix,
                           roots.joined(separator: ", "), NumberFormat.number(m.spectralRadius)])
            }
            lines.append(table.render())
        }
        return lines.joined(separator: "\n")
    }

    package static func figures(for r: Result, title: String?) -> [Figure] {
        let s = r.settings
        var measured = Table(columns: ["kappa", "gd_measured", "heavy_ball_measured", "nesterov_measured", "preconditioned_measured"])
        for row in r.rows {
            func value(_ n: Int?) -> Double { n.map(Double.init) ?? .nan }
            measured.append([row.kappa, value(row.gdMeasured), value(row.heavyBallMeasured), value(row.nesterovMeasured),
                             value(row.preconditionedMeasured)])
        }
        let iterations = Figure(
            name: "q1d-iterations",
            caption: "Q1(d): iterations to L/L₀ ≤ ε against κ = a/b: measured (points) on the exact closed-form counts (lines) for GD at η*, heavy ball and Nesterov; heavy ball's rate estimate (dashed) leaves out its factor ≈ 2t; preconditioned GD takes one step", data: [("measured", measured), ("theory", r.theory)],
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q1(d) iterations to \(stopText(s)) against κ = a/b: measured (points), exact closed form (lines)", user: title)
                + """
                set xlabel 'condition number κ = a/b  (log scale)'
                set ylabel 'iterations  (log scale)'
                set logscale xy
                set format x '10^{%L}'
                set format y '10^{%L}'
                set key top left
                plot $theory using 1:2 with lines lw 2 lc rgb '\(Q1Plot.color(0))' title 'GD at η*: exact (= rate estimate: L(t) = L₀·r^{2t})', \\
                     $theory using 1:3 with lines lw 2 lc rgb '\(Q1Plot.color(1))' title 'heavy ball: exact (root pairs)', \\
                     $theory using 1:4 with lines lw 1.5 dt 2 lc rgb '\(Q1Plot.color(1))' title 'heavy ball: rate estimate (√κ/4)·ln(1/ε), no factor 2t', \\
                     $theory using 1:5 with lines lw 2 lc rgb '\(Q1Plot.color(2))' title 'Nesterov: exact', \\
                     $measured using 1:2 with points pt 7 ps 1.6 lc rgb '\(Q1Plot.color(0))' title 'GD at η* = 2/(a+b), measured', \\
                     $measured using 1:3 with points pt 5 ps 1.6 lc rgb '\(Q1Plot.color(1))' title 'heavy ball (Polyak η, β), measured', \\
                     $measured using 1:4 with points pt 9 ps 1.8 lc rgb '\(Q1Plot.color(2))' title 'Nesterov (1/a, (√κ−1)/(√κ+1)), measured', \\
                     $measured using 1:5 with points pt 13 ps 1.6 lc rgb '\(Q1Plot.color(3))' title 'preconditioned GD diag(1/a, 1/b), measured'

                """)

        // Zig-zag: trajectories (left) and |wᵢ(t)| on a log scale with the closed forms (right).
        let zq = try? DiagonalQuadratic(a: s.zigzagKappa * s.b, b: s.b)
        let runs = [r.zigzag.gd, r.zigzag.heavyBall, r.zigzag.nesterov]
        let box = Q1Plot.extent(of: runs)
        var data: [(name: String, table: Table)] = [("gd", Q1Plot.trajectory(r.zigzag.gd)), ("ball", Q1Plot.trajectory(r.zigzag.heavyBall)),
                                                    ("nag", Q1Plot.trajectory(r.zigzag.nesterov))]
        var csv = Table(columns: ["method", "t", "w1", "w2", "loss"])
        for (k, block) in data.enumerated() { for row in block.table.rows { csv.append([Double(k)] + row) } }
        var exact = Table(columns: ["t", "gd_w1", "gd_w2", "ball_w1", "ball_w2"])
        if let zq {
            data.append(("contours", Q1Plot.contours(of: zq, halfWidth: box.halfWidth, halfHeight: box.halfHeight, count: 14)))
            let hb = zq.heavyBall
            // Each closed form over its own run's steps.
            for t in 0...max(r.zigzag.gd.stepsTaken, r.zigzag.heavyBall.stepsTaken) {
                let g = t <= r.zigzag.gd.stepsTaken
                    ? zq.closedFormIterate(from: s.w0, learningRate: zq.optimalLearningRate, step: t).map(abs) : [.nan, .nan]
                let h = t <= r.zigzag.heavyBall.stepsTaken
                    ? zq.momentumIterate(.heavyBall, from: s.w0, learningRate: hb.learningRate, momentum: hb.momentum, step: t).map(abs)
                    : [.nan, .nan]
                exact.append([Double(t), g[0], g[1], h[0], h[1]])
            }
        }
        data.append(("exact", exact))
        let values = exact.rows.flatMap { Array($0.dropFirst()) }
        let gdCoincide = abs(s.w0[0]) == abs(s.w0[1])
        let gdColor = Q1Plot.color(0), ballColor = Q1Plot.color(1), nagColor = Q1Plot.color(2)
        let zigzag = Figure(
            name: "q1d-zigzag",
            caption: "Q1(d): κ = \(NumberFormat.number(r.settings.zigzagKappa)) — GD at η* zig-zags across the valley, heavy ball swings wider, Nesterov removes the stiff coordinate at once; right: |wᵢ(t)| with the closed forms, heavy ball's stiff coordinate growing before it decays", width: 1500, height: 680, data: data, sidecar: csv,
            commands: Q1Plot.style
                + "set multiplot layout 1,2 title \(Gnuplot.quoted((title.map { $0 + " — " } ?? "") + "Q1(d) κ = \(NumberFormat.number(s.zigzagKappa)), stop at \(stopText(s)): GD at η* \(r.zigzag.gd.stepsTaken) steps, heavy ball \(r.zigzag.heavyBall.stepsTaken), Nesterov \(r.zigzag.nesterov.stepsTaken)")) noenhanced\n"
                + Q1Plot.titleCommand("trajectories over the contours of L", user: nil)
                + Q1Plot.box(halfWidth: box.halfWidth, halfHeight: box.halfHeight)
                + """
                set xlabel 'w₁  (stiff direction, curvature a = κ·b)'
                set ylabel 'w₂  (flat direction, curvature b)'
                set key bottom left opaque box
                plot $contours using 1:2 with lines lc rgb '#bbbbbb' notitle, \\
                     $gd using 2:3 with linespoints lw 1.2 pt 7 ps 0.4 lc rgb '\(gdColor)' title 'GD at η*', \\
                     $ball using 2:3 with linespoints lw 1.5 pt 5 ps 0.4 lc rgb '\(ballColor)' title 'heavy ball', \\
                     $nag using 2:3 with linespoints lw 1.5 pt 9 ps 0.5 lc rgb '\(nagColor)' title 'Nesterov', \\
                     '+' using (0):(0) every ::0::0 with points pt 3 ps 2.5 lw 2 lc rgb 'black' title 'w*'
                unset xrange
                unset yrange

                """
                + Q1Plot.titleCommand("|wᵢ(t)|: simulated (points), closed form (lines)", user: nil)
                + Q1Plot.logAxis("y", values: values, empty: "no |wᵢ(t)| > 1e-300 to draw")
                + """
                set xlabel 'step t'
                set ylabel '|wᵢ(t)|  (log scale)'
                set key top right opaque box
                plot $exact using 1:\(Q1Plot.drawable("$2")) with lines lw 1.5 lc rgb '\(gdColor)' notitle, \\
                     $exact using 1:\(Q1Plot.drawable("$3")) with lines lw 1.5 dt 2 lc rgb '\(gdColor)' notitle, \\
                     $exact using 1:\(Q1Plot.drawable("$4")) with lines lw 1.5 lc rgb '\(ballColor)' notitle, \\
                     $exact using 1:\(Q1Plot.drawable("$5")) with lines lw 1.5 dt 2 lc rgb '\(ballColor)' notitle, \\
                     $gd using 1:\(Q1Plot.drawable("abs($2)")) with points pt 7 ps 0.5 lc rgb '\(gdColor)' title \(Gnuplot.quoted(gdCoincide ? "GD |w₁| (stiff) = |w₂| from this start: both |ρ| = r at η*" : "GD |w₁| (stiff)")), \\
                     $gd using 1:\(Q1Plot.drawable("abs($3)")) with points pt 6 ps 0.5 lc rgb '\(gdColor)' title 'GD |w₂| (flat)', \\
                     $ball using 1:\(Q1Plot.drawable("abs($2)")) with points pt 5 ps 0.5 lc rgb '\(ballColor)' title 'heavy ball |w₁| (stiff): grows first, factor 1 + (1 + r)·t', \\
                     $ball using 1:\(Q1Plot.drawable("abs($3)")) with points pt 4 ps 0.5 lc rgb '\(ballColor)' title 'heavy ball |w₂| (flat)'
                unset multiplot

                """)

        let decades = (0...5).map { "'\($0 == 0 ? "1" : "10^{-\($0)}")' -\($0)" }.joined(separator: ", ")
        var curves = Table(columns: ["log10_kappa", "log10_one_minus_eta_star_over_eta_max"])
        for k in 0...80 {
            let logKappa = Double(k) / 20
            curves.append([logKappa, -Foundation.log10(Foundation.pow(10, logKappa) + 1)])
        }
        let heat = Figure(
            name: "q1d-heatmap",
            caption: "Q1(d): GD iterations over (η, κ) relative to η* on each row, η measured from the stability edge: η* (dashed) is the right edge of the fast plateau — a smaller η costs little, a larger one a lot", width: 950, height: 650, data: [("heat", r.heatMap), ("curves", curves)],
            commands: Q1Plot.titleCommand("Q1(d) GD iterations to \(stopText(s)) over (η, κ), relative to η* = 2/(a + b) on each row", user: title)
                + """
                set xlabel '1 − η/η_{max}  (log scale; η grows to the right; η_{max} = 2/max(a, b) is beyond the right edge)'
                set ylabel 'condition number κ = a/b  (log scale)'
                set xrange [0:-5]
                set yrange [-0.025:4.025]
                set xtics (\(decades))
                set ytics ('1' 0, '10' 1, '10^2' 2, '10^3' 3, '10^4' 4)
                set cblabel 'iterations / iterations at η*  (log scale)'
                set cbrange [-0.05:2]
                set cbtics ('≤ 1' 0, '2' log10(2), '3' log10(3), '10' 1, '30' log10(30), '≥ 100' 2)
                set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')
                set object 1 rect from graph 0, graph 0 to graph 1, graph 1 fc rgb '#cccccc' fs solid 1.0 behind
                set label 1 'η* = 2/(a + b):  1 − η*/η_{max} = 1/(κ + 1)' at -2.6, 3.3 right tc rgb 'white' front
                unset key
                plot $heat using 1:2:($4 < -0.05 ? -0.05 : ($4 > 2 ? 2 : $4)) with image notitle, \\
                     $curves using 2:1 with lines lw 3 dt 2 lc rgb 'white' notitle

                """)

        var optimum = Table(columns: ["eta_times_L", "beta", "rate"])
        var gdStar = Table(columns: ["eta_times_L", "beta", "rate"])
        if let zq {
            let hb = zq.heavyBall
            optimum.append([hb.learningRate * zq.largestCoefficient, hb.momentum, hb.rate])
            gdStar.append([zq.optimalLearningRate * zq.largestCoefficient, 0, zq.optimalRate])
        }
        let polyak = optimum.rows.first ?? [0, 0, 0], plain = gdStar.rows.first ?? [0, 0, 0]
        let map = Figure(
            name: "q1d-momentum-map",
            caption: "Q1(d): the heavy-ball rate (spectral radius of the 2×2 iteration matrices) over (η, β) at κ = \(NumberFormat.number(r.settings.zigzagKappa)), Polyak's optimum marked beside GD's best at β = 0", width: 950, height: 650, data: [("map", r.rateMap), ("polyak", optimum), ("gd", gdStar)],
            commands: Q1Plot.titleCommand("Q1(d) heavy-ball rate max|λ| of the 2×2 iteration matrices over (η, β), κ = \(NumberFormat.number(s.zigzagKappa)); grey: no convergence", user: title)
                + """
                set xlabel 'η·max(a, b)'
                set ylabel 'momentum β'
                set xrange [0:4.2]
                set yrange [-0.03:1]
                set cblabel 'rate per step (darker = faster)'
                set cbrange [\(Gnuplot.number(max(0, polyak[2] - 0.02))):1]
                set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')
                set object 1 rect from graph 0, graph 0 to graph 1, graph 1 fc rgb '#cccccc' fs solid 1.0 behind
                set key top left opaque box
                plot $map using 1:2:3 with image notitle, \\
                     $polyak using 1:2 with points pt 3 ps 3 lw 3 lc rgb '#D55E00' title \(Gnuplot.quoted("Polyak's optimum: rate \(NumberFormat.number(polyak[2]))")) noenhanced, \\
                     $gd using 1:2 with points pt 6 ps 2.2 lw 2.5 lc rgb 'black' title \(Gnuplot.quoted("GD at η* (β = 0): rate \(NumberFormat.number(plain[2]))")) noenhanced

                """)
        return [iterations, zigzag, heat, map]
    }
}
