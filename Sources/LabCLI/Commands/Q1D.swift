// `lab q1d`: Question 1(d) — conditioning. For κ = a/b over several decades, the iterations to
// reach L ≤ ε (by default relative, L/L₀ ≤ ε) at the optimal η* = 2/(a+b), with Polyak's heavy
// ball and with Nesterov's momentum — each measured beside its exact closed-form count — and with
// the preconditioner diag(a, b)^(−½) (one step); the constants of κ·ln(1/ε) per step size and
// stopping criterion; the per-eigenvalue 2×2 iteration matrices; the zig-zag; iterations over
// (η, κ); and the heavy-ball rate over (η, β) with Polyak's optimum.

import ArgumentParser
import Foundation
import Quadratic

/// What ε in `lab q1d` is compared with.
enum ToleranceKind: String, Codable, Sendable, CaseIterable, ExpressibleByArgument {
    /// L(w)/L(w(0)) ≤ ε: independent of the start's size, so counts depend on κ alone.
    case relative
    /// L(w) ≤ ε: L₀ = ½(a·w1(0)² + b·w2(0)²) grows with κ = a/b, and so does ln(L₀/ε).
    case absolute
}

struct Q1D: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q1d",
        abstract: "Q1(d): iterations to ε grow like κ at η* and like √κ with momentum (heavy ball, Nesterov).",
        discussion: """
            a = κ·b for each κ. Figures: <out>/q1d-iterations.png (log–log, measured over the exact \
            counts), <out>/q1d-zigzag.png (GD, heavy ball and Nesterov for --zigzag-kappa, and |wᵢ(t)| \
            against t), <out>/q1d-heatmap.png (iterations to ε over (η, κ)), <out>/q1d-momentum-map.png \
            (the heavy-ball rate over (η, β) with Polyak's optimum).
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

    @Option(name: .customLong("epsilon"), parsing: .unconditional,
            help: "Tolerance ε (> 0; < 1 when relative).")
    var epsilon: Double = 1e-6

    @Option(help: "relative: stop at L/L₀ ≤ ε (counts depend on κ alone); absolute: stop at L ≤ ε.")
    var tolerance: ToleranceKind = .relative

    @Option(name: .customLong("zigzag-kappa"), parsing: .unconditional,
            help: "κ of the zig-zag figure, the 2×2 iteration matrices and the (η, β) rate map (1 … 1e4).")
    var zigzagKappa: Double = 50

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if output.explain { return }
        try ArgumentCheck.positive(b, "--b", example: "1")
        try ArgumentCheck.finite(w0, "--w0")
        guard w0.x != 0 || w0.y != 0 else { throw ValidationError("--w0 is the minimum already; try --w0 1,1") }
        try ArgumentCheck.positive(epsilon, "--epsilon", example: "1e-6")
        if tolerance == .relative, epsilon >= 1 {
            throw ValidationError("--epsilon must be < 1 with --tolerance relative (it is the fraction L/L₀ to reach), got \(epsilon); try --epsilon 1e-6")
        }
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
            var settings = Settings(b: b, w0: w0.coordinates, epsilon: epsilon, tolerance: tolerance, zigzagKappa: zigzagKappa)
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
        var tolerance = ToleranceKind.relative
        var zigzagKappa = 50.0
        /// Step cap for the measured runs (κ = 10⁶ at η* needs ≈ 10⁷).
        var maxSteps = 20_000_000
        /// Heat map: log₁₀(1 − η/η_max) from 0 to −5 and log₁₀ κ from 0 to 4.
        var heatColumns = 101
        var heatRows = 81
        /// Rate map: η·max(a, b) in (0, 4.2] and β in [0, 0.995].
        var mapColumns = 169
        var mapRows = 200

        /// The loss a run stops at: ε·L₀ (relative) or ε.
        func threshold(initialLoss: Double) -> Double {
            tolerance == .relative ? epsilon * initialLoss : epsilon
        }
    }

    /// One κ: gradient descent at η*, heavy ball, Nesterov and preconditioned GD, measured and exact.
    struct Row: Codable, Sendable {
        var kappa: Double
        var a: Double
        var initialLoss: Double
        /// The loss the runs stop at (ε·L₀ or ε).
        var threshold: Double
        var optimalLearningRate: Double
        /// (κ−1)/(κ+1).
        var gdRate: Double
        var gdMeasured: Int?
        /// Exact, from the per-coordinate decay.
        var gdPredicted: Int?
        /// ⌈ln(threshold/L₀) / (2·ln rate)⌉ (equal to the exact count at η*: L(t) = L₀·rate^(2t)).
        var gdRateEstimate: Int?
        var heavyBall: MomentumParameters
        var heavyBallMeasured: Int?
        /// Exact, from the closed-form root pairs.
        var heavyBallPredicted: Int?
        /// ⌈ln(threshold/L₀) / (2·ln rate)⌉, which leaves out the double root's factor ≈ 2t.
        var heavyBallRateEstimate: Int?
        var nesterov: MomentumParameters
        var nesterovMeasured: Int?
        var nesterovPredicted: Int?
        /// GD with the preconditioner P = diag(1/a, 1/b) and η = 1: w ← w − P·∇L(w).
        var preconditionedMeasured: Int?
    }

    /// T ≈ c·κ·ln(1/ε) for one step size and one criterion, measured at κ = `kappa` as
    /// c = (T(ε²) − T(ε)) / (κ·ln(1/ε)) — the difference removes the start's offset ln(X₀/ε).
    struct Constant: Codable, Sendable {
        var stepSize: String
        var criterion: StoppingCriterion
        var theory: Double
        var kappa: Double
        var countAtEpsilon: Int?
        var countAtEpsilonSquared: Int?
        var measured: Double?
    }

    /// The 2×2 iteration matrix of one coordinate under one method (Distill's per-eigenvalue view).
    struct IterationMatrix: Codable, Sendable {
        var method: MomentumMethod
        var curvature: Double
        var learningRate: Double
        var momentum: Double
        /// [[p, −q], [1, 0]].
        var matrix: [[Double]]
        /// Roots as [re, im].
        var roots: [[Double]]
        var spectralRadius: Double
    }

    /// Everything `lab q1d` shows.
    struct Result: Encodable {
        var settings: Settings
        var rows: [Row]
        var constants: [Constant]
        var matrices: [IterationMatrix]
        /// Log–log slopes between the first κ > 1 and the last: GD, heavy ball, Nesterov (measured).
        var slopes: [String: Double]
        /// Not in the JSON (they are in the CSV sidecars): the figures' data.
        var theory: Table
        var heatMap: Table
        var rateMap: Table
        var zigzag: (gd: DescentRun, heavyBall: DescentRun, nesterov: DescentRun)

        enum CodingKeys: String, CodingKey { case settings, rows, constants, matrices, slopes }
    }

    static func compute(_ settings: Settings) throws -> Result {
        let w0 = settings.w0
        func measured(_ run: DescentRun) -> Int? { run.stopReason == .reachedTolerance ? run.stepsTaken : nil }
        let rows = try settings.kappas.map { kappa -> Row in
            let q = try Q1A.quadratic(kappa * settings.b, settings.b)
            let initial = q.value(at: w0)
            let stop = settings.threshold(initialLoss: initial)
            let gd = q.descend(from: w0, learningRate: q.optimalLearningRate, maxSteps: settings.maxSteps,
                               tolerance: stop, keepIterates: false)
            let hb = q.heavyBall, nag = q.nesterov
            let ball = q.descend(from: w0, learningRate: hb.learningRate, momentum: hb.momentum,
                                 maxSteps: settings.maxSteps, tolerance: stop, keepIterates: false)
            let nesterov = q.descend(from: w0, learningRate: nag.learningRate, momentum: nag.momentum,
                                     maxSteps: settings.maxSteps, tolerance: stop, keepIterates: false, method: .nesterov)
            // diag(a, b)^(−½): v = (√a·w1, √b·w2) turns L into ½‖v‖² (κ = 1), where η = 1 is exact.
            let unit = try DiagonalQuadratic(coefficients: [1, 1])
            let v0 = (0..<2).map { q.coefficients[$0].squareRoot() * w0[$0] }
            let preconditioned = unit.descend(from: v0, learningRate: 1, maxSteps: 10, tolerance: stop, keepIterates: false)
            return Row(
                kappa: kappa, a: kappa * settings.b, initialLoss: initial, threshold: stop,
                optimalLearningRate: q.optimalLearningRate, gdRate: q.optimalRate, gdMeasured: measured(gd),
                gdPredicted: q.predictedIterations(from: w0, learningRate: q.optimalLearningRate, tolerance: stop),
                gdRateEstimate: rateEstimateIterations(rate: q.optimalRate, initialLoss: initial, tolerance: stop),
                heavyBall: hb, heavyBallMeasured: measured(ball),
                heavyBallPredicted: q.predictedIterations(.heavyBall, from: w0, learningRate: hb.learningRate,
                                                          momentum: hb.momentum, tolerance: stop, limit: settings.maxSteps),
                heavyBallRateEstimate: rateEstimateIterations(rate: hb.rate, initialLoss: initial, tolerance: stop),
                nesterov: nag, nesterovMeasured: measured(nesterov),
                nesterovPredicted: q.predictedIterations(.nesterov, from: w0, learningRate: nag.learningRate,
                                                         momentum: nag.momentum, tolerance: stop, limit: settings.maxSteps),
                preconditionedMeasured: measured(preconditioned))
        }

        // The constants c in T ≈ c·κ·ln(1/ε), exact counts at the largest κ with relative criteria.
        var constants: [Constant] = []
        let kappaC = settings.kappas.max() ?? 1e4
        if kappaC > 1 {
            let q = try Q1A.quadratic(kappaC * settings.b, settings.b)
            let e = settings.tolerance == .relative ? settings.epsilon : 1e-6
            for (name, eta, loss, distance) in [("η* = 2/(a+b)", q.optimalLearningRate, 0.25, 0.5),
                                                 ("η = 1/max(a, b)", 1 / q.largestCoefficient, 0.5, 1.0)] {
                for (criterion, theory) in [(StoppingCriterion.loss, loss), (.distance, distance)] {
                    let start = q.measure(criterion, at: w0)
                    let t1 = q.predictedIterations(from: w0, learningRate: eta, tolerance: e * start, criterion: criterion)
                    let t2 = q.predictedIterations(from: w0, learningRate: eta, tolerance: e * e * start, criterion: criterion)
                    let c = t1.flatMap { a in t2.map { Double($0 - a) / (kappaC * Foundation.log(1 / e)) } }
                    constants.append(Constant(stepSize: name, criterion: criterion, theory: theory, kappa: kappaC,
                                              countAtEpsilon: t1, countAtEpsilonSquared: t2, measured: c))
                }
            }
        }

        // The per-eigenvalue 2×2 iteration matrices at the zig-zag κ.
        let zq = try Q1A.quadratic(settings.zigzagKappa * settings.b, settings.b)
        var matrices: [IterationMatrix] = []
        for (method, p) in [(MomentumMethod.heavyBall, zq.heavyBall), (.nesterov, zq.nesterov)] {
            for a in zq.coefficients {
                let r = TwoStepRecurrence(method: method, curvature: a, learningRate: p.learningRate, momentum: p.momentum)
                matrices.append(IterationMatrix(method: method, curvature: a, learningRate: p.learningRate, momentum: p.momentum,
                                                matrix: r.matrix, roots: r.roots.map { [$0.re, $0.im] },
                                                spectralRadius: r.spectralRadius))
            }
        }

        // Slopes d ln T / d ln κ from the first κ > 1 to the last.
        var slopes: [String: Double] = [:]
        if let first = rows.first(where: { $0.kappa > 1 }), let last = rows.last, last.kappa > first.kappa {
            let span = Foundation.log(last.kappa / first.kappa)
            for (name, x, y) in [("gd", first.gdMeasured, last.gdMeasured),
                                 ("heavyBall", first.heavyBallMeasured, last.heavyBallMeasured),
                                 ("nesterov", first.nesterovMeasured, last.nesterovMeasured)] {
                if let x, let y, x > 0, y > 0 { slopes[name] = Foundation.log(Double(y) / Double(x)) / span }
            }
        }

        // Exact curves over a dense κ grid.
        var theory = Table(columns: ["kappa", "gd_exact", "heavy_ball_exact", "heavy_ball_rate_estimate", "nesterov_exact"])
        let top = max(4, Foundation.log10(settings.kappas.max() ?? 1e4))
        for k in 0...Int(top * 40) {
            let kappa = Foundation.pow(10, Double(k) / 40)
            let q = try Q1A.quadratic(kappa * settings.b, settings.b)
            let initial = q.value(at: w0), stop = settings.threshold(initialLoss: initial)
            func value(_ n: Int?) -> Double { n.map { Double(max($0, 1)) } ?? .nan }
            let hb = q.heavyBall, nag = q.nesterov
            theory.append([kappa,
                           value(q.predictedIterations(from: w0, learningRate: q.optimalLearningRate, tolerance: stop)),
                           value(q.predictedIterations(.heavyBall, from: w0, learningRate: hb.learningRate, momentum: hb.momentum,
                                                       tolerance: stop, limit: settings.maxSteps)),
                           value(rateEstimateIterations(rate: hb.rate, initialLoss: initial, tolerance: stop)),
                           value(q.predictedIterations(.nesterov, from: w0, learningRate: nag.learningRate, momentum: nag.momentum,
                                                       tolerance: stop, limit: settings.maxSteps))])
        }

        // Iterations to ε over (1 − η/η_max, κ), from the exact prediction: a log axis of the
        // distance to the stability edge separates η* = η_max·κ/(κ+1) from η_max for every κ.
        // Colour: the count relative to the count at η* on the same row, so each row's fastest
        // cells are the darkest whatever κ is (the absolute counts are q1d-iterations' subject).
        var heat = Table(columns: ["log10_one_minus_eta_over_eta_max", "log10_kappa", "log10_iterations", "log10_ratio_to_eta_star"])
        for row in 0..<settings.heatRows {
            let logKappa = 4 * Double(row) / Double(settings.heatRows - 1)
            let q = try Q1A.quadratic(Foundation.pow(10, logKappa) * settings.b, settings.b)
            let stop = settings.threshold(initialLoss: q.value(at: w0))
            let best = q.predictedIterations(from: w0, learningRate: q.optimalLearningRate, tolerance: stop).map { Double(max($0, 1)) }
            for column in 0..<settings.heatColumns {
                let logGap = -5 * (Double(column) + 0.5) / Double(settings.heatColumns)
                let eta = (1 - Foundation.pow(10, logGap)) * q.stabilityThreshold
                let n = q.predictedIterations(from: w0, learningRate: eta, tolerance: stop).map { Double(max($0, 1)) }
                let ratio = n.flatMap { n in best.map { Foundation.log10(n / $0) } } ?? .nan
                heat.append([logGap, logKappa, n.map(Foundation.log10) ?? .nan, ratio])
            }
        }

        // Heavy-ball rate over (η, β) at the zig-zag κ (NaN where it does not converge).
        var rateMap = Table(columns: ["eta_times_L", "beta", "rate"])
        for row in 0..<settings.mapRows {
            let beta = 0.995 * Double(row) / Double(settings.mapRows - 1)
            for column in 1...settings.mapColumns {
                let scaled = 4.2 * Double(column) / Double(settings.mapColumns)
                let rate = zq.momentumRate(.heavyBall, learningRate: scaled / zq.largestCoefficient, momentum: beta)
                rateMap.append([scaled, beta, rate < 1 ? rate : .nan])
            }
        }

        let zstop = settings.threshold(initialLoss: zq.value(at: w0))
        let zhb = zq.heavyBall, znag = zq.nesterov
        let zigzag = (
            gd: zq.descend(from: w0, learningRate: zq.optimalLearningRate, maxSteps: 3000, tolerance: zstop),
            heavyBall: zq.descend(from: w0, learningRate: zhb.learningRate, momentum: zhb.momentum, maxSteps: 3000, tolerance: zstop),
            nesterov: zq.descend(from: w0, learningRate: znag.learningRate, momentum: znag.momentum, maxSteps: 3000,
                                 tolerance: zstop, method: .nesterov))
        return Result(settings: settings, rows: rows, constants: constants, matrices: matrices, slopes: slopes,
                      theory: theory, heatMap: heat, rateMap: rateMap, zigzag: zigzag)
    }

    /// "L/L₀ ≤ 1e-06" or "L ≤ 1e-06".
    static func stopText(_ s: Settings) -> String {
        s.tolerance == .relative ? "L/L₀ ≤ ε = \(NumberFormat.error(s.epsilon))" : "L ≤ ε = \(NumberFormat.error(s.epsilon))"
    }

    static func text(for r: Result) -> String {
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

    static func figures(for r: Result, title: String?) -> [Figure] {
        let s = r.settings
        var measured = Table(columns: ["kappa", "gd_measured", "heavy_ball_measured", "nesterov_measured", "preconditioned_measured"])
        for row in r.rows {
            func value(_ n: Int?) -> Double { n.map(Double.init) ?? .nan }
            measured.append([row.kappa, value(row.gdMeasured), value(row.heavyBallMeasured), value(row.nesterovMeasured),
                             value(row.preconditionedMeasured)])
        }
        let iterations = Figure(
            name: "q1d-iterations", data: [("measured", measured), ("theory", r.theory)],
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
            name: "q1d-zigzag", width: 1500, height: 680, data: data, sidecar: csv,
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
            name: "q1d-heatmap", width: 950, height: 650, data: [("heat", r.heatMap), ("curves", curves)],
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
            name: "q1d-momentum-map", width: 950, height: 650, data: [("map", r.rateMap), ("polyak", optimum), ("gd", gdStar)],
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
