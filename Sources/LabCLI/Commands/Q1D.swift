// `lab q1d`: Question 1(d) — conditioning. For κ = a/b over several decades, the iterations to
// reach L ≤ ε at the optimal η* = 2/(a+b) (measured, exact prediction, rate estimate ≈ κ/4·log)
// and with Polyak's heavy-ball momentum (≈ √κ/4·log); the zig-zag; iterations over (η, κ).

import ArgumentParser
import Foundation
import Quadratic

struct Q1D: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q1d",
        abstract: "Q1(d): iterations to ε grow like κ at η* and like √κ with heavy-ball momentum.",
        discussion: """
            a = κ·b for each κ. Figures: <out>/q1d-iterations.png (log–log, measured over theory), \
            <out>/q1d-zigzag.png (GD at η* and heavy ball for --zigzag-kappa), \
            <out>/q1d-heatmap.png (iterations to ε over (η, κ) with η = 2/max and η = 2/(a+b)).
            """)

    @Option(name: .customLong("b"), parsing: .unconditional,
            help: "The smaller curvature b (> 0); a = κ·b.")
    var b: Double = 1

    @Option(name: .customLong("kappa"), parsing: .unconditionalSingleValue,
            help: "Condition number κ = a/b ≥ 1 to measure; repeatable (default 1, 3, 10, …, 10000).")
    var kappas: [Double] = []

    @Option(name: .customLong("w0"), parsing: .unconditional,
            help: ArgumentHelp("Start point w(0) as 'w1,w2', not (0, 0).", valueName: "w1,w2"))
    var w0 = PlanePoint(1, 1)

    @Option(name: .customLong("epsilon"), parsing: .unconditional, help: "Loss tolerance ε (> 0).")
    var epsilon: Double = 1e-6

    @Option(name: .customLong("zigzag-kappa"), parsing: .unconditional,
            help: "κ of the zig-zag trajectory figure (1 … 1e4).")
    var zigzagKappa: Double = 50

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if output.explain { return }
        try ArgumentCheck.positive(b, "--b", example: "1")
        try ArgumentCheck.finite(w0, "--w0")
        guard w0.x != 0 || w0.y != 0 else { throw ValidationError("--w0 is the minimum already; try --w0 1,1") }
        try ArgumentCheck.positive(epsilon, "--epsilon", example: "1e-6")
        guard kappas.count <= 40 else { throw ValidationError("at most 40 --kappa values, got \(kappas.count)") }
        for kappa in kappas + [zigzagKappa] {
            guard kappa.isFinite, kappa >= 1, kappa <= 1e6 else {
                throw ValidationError("κ must be a number in [1, 1e6], got \(kappa); try --kappa 100")
            }
        }
        guard zigzagKappa <= 1e4 else { throw ValidationError("--zigzag-kappa must be ≤ 1e4; try --zigzag-kappa 50") }
        guard (b * 1e6).isFinite else { throw ValidationError("--b is too large for a = κ·b; try --b 1") }
    }

    func run() throws {
        try Self.perform({
            var settings = Settings(b: b, w0: w0.coordinates, epsilon: epsilon, zigzagKappa: zigzagKappa)
            if !kappas.isEmpty { settings.kappas = kappas }
            return settings
        }, output: output)
    }
}

extension Q1D: Q1Lab {
    static let worksheet = "q1d"

    /// What `lab q1d` computes from; the defaults are the command's.
    struct Settings: Codable, Sendable {
        var b = 1.0
        var kappas: [Double] = [1, 3, 10, 30, 100, 300, 1000, 3000, 10_000]
        var w0 = [1.0, 1.0]
        var epsilon = 1e-6
        var zigzagKappa = 50.0
        /// Step cap for the measured runs (κ = 10⁶ at η* needs ≈ 10⁷).
        var maxSteps = 20_000_000
        /// Heat map: log₁₀(η·b) from −4.5 to 0.5 and log₁₀ κ from 0 to 4.
        var heatColumns = 101
        var heatRows = 81
    }

    /// One κ: gradient descent at η* and heavy ball, measured and predicted.
    struct Row: Codable, Sendable {
        var kappa: Double
        var a: Double
        var initialLoss: Double
        var optimalLearningRate: Double
        /// (κ−1)/(κ+1).
        var gdRate: Double
        var gdMeasured: Int?
        /// Exact, from the per-coordinate decay.
        var gdPredicted: Int?
        /// ⌈log(ε/L₀) / (2·log rate)⌉.
        var gdRateEstimate: Int?
        var heavyBall: MomentumParameters
        var heavyBallMeasured: Int?
        var heavyBallRateEstimate: Int?
    }

    /// Everything `lab q1d` shows.
    struct Result: Encodable {
        var settings: Settings
        var rows: [Row]
        /// Not in the JSON (they are in the CSV sidecars): the figures' data.
        var theory: Table
        var heatMap: Table
        var zigzag: (gd: DescentRun, heavyBall: DescentRun)

        enum CodingKeys: String, CodingKey { case settings, rows }
    }

    static func compute(_ settings: Settings) throws -> Result {
        let w0 = settings.w0, epsilon = settings.epsilon
        let rows = try settings.kappas.map { kappa -> Row in
            let q = try Q1A.quadratic(kappa * settings.b, settings.b)
            let initial = q.value(at: w0)
            let gd = q.descend(from: w0, learningRate: q.optimalLearningRate, maxSteps: settings.maxSteps,
                               tolerance: epsilon, keepIterates: false)
            let hb = q.heavyBall
            let ball = q.descend(from: w0, learningRate: hb.learningRate, momentum: hb.momentum,
                                 maxSteps: settings.maxSteps, tolerance: epsilon, keepIterates: false)
            return Row(
                kappa: kappa, a: kappa * settings.b, initialLoss: initial, optimalLearningRate: q.optimalLearningRate,
                gdRate: q.optimalRate, gdMeasured: gd.stopReason == .reachedTolerance ? gd.stepsTaken : nil,
                gdPredicted: q.predictedIterations(from: w0, learningRate: q.optimalLearningRate, tolerance: epsilon),
                gdRateEstimate: rateEstimateIterations(rate: q.optimalRate, initialLoss: initial, tolerance: epsilon),
                heavyBall: hb, heavyBallMeasured: ball.stopReason == .reachedTolerance ? ball.stepsTaken : nil,
                heavyBallRateEstimate: rateEstimateIterations(rate: hb.rate, initialLoss: initial, tolerance: epsilon))
        }

        // Theory lines over a dense κ grid.
        var theory = Table(columns: ["kappa", "gd_predicted", "gd_rate_estimate", "heavy_ball_rate_estimate"])
        let top = max(4, Foundation.log10(settings.kappas.max() ?? 1e4))
        for k in 0...Int(top * 40) {
            let kappa = Foundation.pow(10, Double(k) / 40)
            let q = try Q1A.quadratic(kappa * settings.b, settings.b)
            let initial = q.value(at: w0)
            func value(_ n: Int?) -> Double { n.map { Double(max($0, 1)) } ?? .nan }
            theory.append([kappa,
                           value(q.predictedIterations(from: w0, learningRate: q.optimalLearningRate, tolerance: epsilon)),
                           value(rateEstimateIterations(rate: q.optimalRate, initialLoss: initial, tolerance: epsilon)),
                           value(rateEstimateIterations(rate: q.heavyBall.rate, initialLoss: initial, tolerance: epsilon))])
        }

        // Iterations to ε over (η, κ), from the exact prediction (NaN where it never gets there).
        var heat = Table(columns: ["log10_eta_b", "log10_kappa", "log10_iterations"])
        for row in 0..<settings.heatRows {
            let logKappa = 4 * Double(row) / Double(settings.heatRows - 1)
            let q = try Q1A.quadratic(Foundation.pow(10, logKappa) * settings.b, settings.b)
            for column in 0..<settings.heatColumns {
                let logEta = -4.5 + 5 * Double(column) / Double(settings.heatColumns - 1)
                let eta = Foundation.pow(10, logEta) / settings.b
                let n = q.predictedIterations(from: w0, learningRate: eta, tolerance: epsilon)
                heat.append([logEta, logKappa, n.map { Foundation.log10(Double(max($0, 1))) } ?? .nan])
            }
        }

        let q = try Q1A.quadratic(settings.zigzagKappa * settings.b, settings.b)
        let hb = q.heavyBall
        let zigzag = (
            gd: q.descend(from: w0, learningRate: q.optimalLearningRate, maxSteps: 3000, tolerance: epsilon),
            heavyBall: q.descend(from: w0, learningRate: hb.learningRate, momentum: hb.momentum,
                                 maxSteps: 3000, tolerance: epsilon))
        return Result(settings: settings, rows: rows, theory: theory, heatMap: heat, zigzag: zigzag)
    }

    static func text(for r: Result) -> String {
        let s = r.settings
        var lines = [
            "Q1(d)  L(w) = ½(a·w1² + b·w2²) with b = \(NumberFormat.number(s.b)), a = κ·b;  w(0) = \(NumberFormat.vector(s.w0)), stop at L ≤ ε = \(NumberFormat.error(s.epsilon))",
            "",
            "GD at η* = 2/(a+b) contracts by (κ−1)/(κ+1) per step: ≈ (κ/4)·ln(L₀/ε) iterations.",
            "Heavy ball, η = 4/(√a+√b)², β = ((√κ−1)/(√κ+1))², contracts by (√κ−1)/(√κ+1): ≈ (√κ/4)·ln(L₀/ε).",
            "",
        ]
        func count(_ n: Int?) -> String { n.map(String.init) ?? "—" }
        var table = TextTable(header: ["κ", "η*", "rate", "GD measured", "predicted (exact)", "rate estimate",
                                       "HB η", "HB β", "HB rate", "HB measured", "HB rate estimate"])
        for row in r.rows {
            table.add([NumberFormat.number(row.kappa), NumberFormat.number(row.optimalLearningRate), NumberFormat.number(row.gdRate),
                       count(row.gdMeasured), count(row.gdPredicted), count(row.gdRateEstimate),
                       NumberFormat.number(row.heavyBall.learningRate), NumberFormat.number(row.heavyBall.momentum),
                       NumberFormat.number(row.heavyBall.rate), count(row.heavyBallMeasured), count(row.heavyBallRateEstimate)])
        }
        lines.append(table.render())
        if let first = r.rows.first(where: { $0.kappa > 1 && $0.gdMeasured != nil }),
           let last = r.rows.last(where: { $0.gdMeasured != nil && $0.heavyBallMeasured != nil }),
           last.kappa > first.kappa, let g0 = first.gdMeasured, let g1 = last.gdMeasured,
           let h0 = first.heavyBallMeasured, let h1 = last.heavyBallMeasured {
            let span = Foundation.log10(last.kappa / first.kappa)
            lines.append("")
            lines.append("Slope on log–log axes from κ = \(NumberFormat.number(first.kappa)) to \(NumberFormat.number(last.kappa)): GD \(NumberFormat.number((Foundation.log10(Double(g1) / Double(g0)) / span * 100).rounded() / 100)) (theory → 1), heavy ball \(NumberFormat.number((Foundation.log10(Double(h1) / Double(h0)) / span * 100).rounded() / 100)) (theory → 0.5).")
        }
        return lines.joined(separator: "\n")
    }

    static func figures(for r: Result, title: String?) -> [Figure] {
        let s = r.settings
        var measured = Table(columns: ["kappa", "gd_measured", "gd_predicted", "heavy_ball_measured"])
        for row in r.rows {
            measured.append([row.kappa, row.gdMeasured.map(Double.init) ?? .nan,
                             row.gdPredicted.map(Double.init) ?? .nan, row.heavyBallMeasured.map(Double.init) ?? .nan])
        }
        let iterations = Figure(
            name: "q1d-iterations", data: [("measured", measured), ("theory", r.theory)],
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q1(d) iterations to reach L ≤ \(NumberFormat.error(s.epsilon)) against the condition number κ = a/b", user: title)
                + """
                set xlabel 'condition number κ = a/b  (log scale)'
                set ylabel 'iterations to L ≤ ε  (log scale)'
                set logscale xy
                set format x '10^{%L}'
                set format y '10^{%L}'
                set key top left
                plot $theory using 1:2 with lines lw 2 lc rgb '\(Q1Plot.color(0))' title 'GD at η*: exact prediction', \\
                     $theory using 1:3 with lines lw 1.5 dt 2 lc rgb '\(Q1Plot.color(0))' title 'GD rate estimate ≈ (κ/4)·ln(L₀/ε)', \\
                     $theory using 1:4 with lines lw 2 dt 2 lc rgb '\(Q1Plot.color(1))' title 'heavy-ball rate estimate ≈ (√κ/4)·ln(L₀/ε)', \\
                     $measured using 1:2 with points pt 7 ps 1.6 lc rgb '\(Q1Plot.color(0))' title 'GD at η* = 2/(a+b), measured', \\
                     $measured using 1:4 with points pt 5 ps 1.6 lc rgb '\(Q1Plot.color(1))' title 'heavy ball (Polyak η, β), measured'

                """)

        let zq = try? DiagonalQuadratic(a: s.zigzagKappa * s.b, b: s.b)
        let box = Q1Plot.extent(of: [r.zigzag.gd, r.zigzag.heavyBall])
        var data: [(name: String, table: Table)] = [("gd", Q1Plot.trajectory(r.zigzag.gd)), ("ball", Q1Plot.trajectory(r.zigzag.heavyBall))]
        if let zq { data.append(("contours", Q1Plot.contours(of: zq, halfWidth: box.halfWidth, halfHeight: box.halfHeight, count: 14))) }
        var csv = Table(columns: ["method", "t", "w1", "w2", "loss"])
        for row in data[0].table.rows { csv.append([0] + row) }
        for row in data[1].table.rows { csv.append([1] + row) }
        let zigzag = Figure(
            name: "q1d-zigzag", width: 900, height: 700, data: data, sidecar: csv,
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q1(d) κ = \(NumberFormat.number(s.zigzagKappa)): GD at η* zig-zags across the valley (\(r.zigzag.gd.stepsTaken) steps); heavy ball (\(r.zigzag.heavyBall.stepsTaken) steps)", user: title)
                + Q1Plot.box(halfWidth: box.halfWidth, halfHeight: box.halfHeight)
                + """
                set xlabel 'w₁  (stiff direction, curvature a = κ·b)'
                set ylabel 'w₂  (flat direction, curvature b)'
                set key top left
                plot $contours using 1:2 with lines lc rgb '#bbbbbb' title 'contours of L', \\
                     $gd using 2:3 with linespoints lw 1.2 pt 7 ps 0.4 lc rgb '\(Q1Plot.color(0))' title 'GD at η* = 2/(a+b)', \\
                     $ball using 2:3 with linespoints lw 2 pt 5 ps 0.4 lc rgb '\(Q1Plot.color(1))' title 'heavy ball (Polyak η, β)', \\
                     '+' using (0):(0) every ::0::0 with points pt 3 ps 2.5 lw 2 lc rgb 'black' title 'w*'

                """)

        var curves = Table(columns: ["log10_kappa", "log10_eta_max_b", "log10_eta_star_b"])
        for k in 0...80 {
            let logKappa = Double(k) / 20, kappa = Foundation.pow(10, logKappa)
            curves.append([logKappa, Foundation.log10(2 / kappa), Foundation.log10(2 / (kappa + 1))])
        }
        let decades = (-4...0).map { "'10^{\($0)}' \($0)" }.joined(separator: ", ")
        let heat = Figure(
            name: "q1d-heatmap", width: 950, height: 650, data: [("heat", r.heatMap), ("curves", curves)],
            commands: Q1Plot.titleCommand("Q1(d) iterations to L ≤ \(NumberFormat.error(s.epsilon)) over (η, κ), b = \(NumberFormat.number(s.b)); grey: never (η ≥ 2/max)", user: title)
                + """
                set xlabel 'learning rate η·b  (log scale)'
                set ylabel 'condition number κ = a/b  (log scale)'
                set xrange [-4.525:0.525]
                set yrange [-0.025:4.025]
                set xtics (\(decades))
                set ytics ('1' 0, '10' 1, '10^2' 2, '10^3' 3, '10^4' 4)
                set cblabel 'iterations to ε (log scale)'
                set cbtics ('1' 0, '10' 1, '10^2' 2, '10^3' 3, '10^4' 4, '10^5' 5, '10^6' 6, '10^7' 7)
                set palette rgbformulae 21,22,23 negative
                set palette defined (0 '#fde725', 1 '#5ec962', 2 '#21918c', 3 '#3b528b', 4 '#440154')
                set object 1 rect from graph 0, graph 0 to graph 1, graph 1 fc rgb '#cccccc' fs solid 1.0 behind
                set key bottom left opaque box
                plot $heat using 1:2:3 with image notitle, \\
                     $curves using 2:1 with lines lw 3 lc rgb '#D55E00' title 'η = 2/max(a, b)  (stability edge)', \\
                     $curves using 3:1 with lines lw 2 dt 2 lc rgb 'black' title 'η* = 2/(a + b)  (optimal)'

                """)
        return [iterations, zigzag, heat]
    }
}
