// `lab q1d`: Question 1(d) — conditioning. For κ = a/b over several decades, the iterations to
// reach L ≤ ε (by default relative, L/L₀ ≤ ε) at the optimal η* = 2/(a+b), with Polyak's heavy
// ball and with Nesterov's momentum — each measured beside its exact closed-form count — and with
// the preconditioner diag(a, b)^(−½) (one step); the constants of κ·ln(1/ε) per step size and
// stopping criterion; the per-eigenvalue 2×2 iteration matrices; the zig-zag; iterations over
// (η, κ); and the heavy-ball rate over (η, β) with Polyak's optimum.

import Foundation
import LabSupport
import MNISTNet
import Quadratic

/// What ε in `lab q1d` is compared with.
package enum ToleranceKind: String, Codable, Sendable, CaseIterable {
    /// L(w)/L(w(0)) ≤ ε: independent of the start's size, so counts depend on κ alone.
    case relative
    /// L(w) ≤ ε: L₀ = ½(a·w1(0)² + b·w2(0)²) grows with κ = a/b, and so does ln(L₀/ε).
    case absolute
}

package enum Q1D {
    /// What `lab q1d` computes from; the defaults are the command's.
    package struct Settings: Codable, Sendable {
        package var b = 1.0
        package var kappas: [Double] = [1, 3, 10, 30, 100, 300, 1000, 3000, 10_000]
        package var w0 = [1.0, 1.0]
        package var epsilon = 1e-6
        package var tolerance = ToleranceKind.relative
        package var zigzagKappa = 50.0
        /// Step cap for the measured runs (κ = 10⁶ at η* needs ≈ 10⁷).
        package var maxSteps = 20_000_000
        /// Heat map: log₁₀(1 − η/η_max) from 0 to −5 and log₁₀ κ from 0 to 4.
        package var heatColumns = 101
        package var heatRows = 81
        /// Rate map: η·max(a, b) in (0, 4.2] and β in [0, 0.995].
        package var mapColumns = 169
        package var mapRows = 200

        /// The loss a run stops at: ε·L₀ (relative) or ε.
        package func threshold(initialLoss: Double) -> Double {
            tolerance == .relative ? epsilon * initialLoss : epsilon
        }

        package init(b: Double = 1.0, kappas: [Double] = [1, 3, 10, 30, 100, 300, 1000, 3000, 10_000], w0: [Double] = [1.0, 1.0], epsilon: Double = 1e-6, tolerance: ToleranceKind = ToleranceKind.relative, zigzagKappa: Double = 50.0, maxSteps: Int = 20_000_000, heatColumns: Int = 101, heatRows: Int = 81, mapColumns: Int = 169, mapRows: Int = 200) {
            self.b = b
            self.kappas = kappas
            self.w0 = w0
            self.epsilon = epsilon
            self.tolerance = tolerance
            self.zigzagKappa = zigzagKappa
            self.maxSteps = maxSteps
            self.heatColumns = heatColumns
            self.heatRows = heatRows
            self.mapColumns = mapColumns
            self.mapRows = mapRows
        }
    }

    /// One κ: gradient descent at η*, heavy ball, Nesterov and preconditioned GD, measured and exact.
    package struct Row: Codable, Sendable {
        package var kappa: Double
        package var a: Double
        package var initialLoss: Double
        /// The loss the runs stop at (ε·L₀ or ε).
        package var threshold: Double
        package var optimalLearningRate: Double
        /// (κ−1)/(κ+1).
        package var gdRate: Double
        package var gdMeasured: Int?
        /// Exact, from the per-coordinate decay.
        package var gdPredicted: Int?
        /// ⌈ln(threshold/L₀) / (2·ln rate)⌉ (equal to the exact count at η*: L(t) = L₀·rate^(2t)).
        package var gdRateEstimate: Int?
        package var heavyBall: MomentumParameters
        package var heavyBallMeasured: Int?
        /// Exact, from the closed-form root pairs.
        package var heavyBallPredicted: Int?
        /// ⌈ln(threshold/L₀) / (2·ln rate)⌉, which leaves out the double root's factor ≈ 2t.
        package var heavyBallRateEstimate: Int?
        package var nesterov: MomentumParameters
        package var nesterovMeasured: Int?
        package var nesterovPredicted: Int?
        /// GD with the preconditioner P = diag(1/a, 1/b) and η = 1: w ← w − P·∇L(w).
        package var preconditionedMeasured: Int?
    }

    /// T ≈ c·κ·ln(1/ε) for one step size and one criterion, measured at κ = `kappa` as
    /// c = (T(ε²) − T(ε)) / (κ·ln(1/ε)) — the difference removes the start's offset ln(X₀/ε).
    package struct Constant: Codable, Sendable {
        package var stepSize: String
        package var criterion: StoppingCriterion
        package var theory: Double
        package var kappa: Double
        package var countAtEpsilon: Int?
        package var countAtEpsilonSquared: Int?
        package var measured: Double?
    }

    /// The 2×2 iteration matrix of one coordinate under one method (Distill's per-eigenvalue view).
    package struct IterationMatrix: Codable, Sendable {
        package var method: MomentumMethod
        package var curvature: Double
        package var learningRate: Double
        package var momentum: Double
        /// [[p, −q], [1, 0]].
        package var matrix: [[Double]]
        /// Roots as [re, im].
        package var roots: [[Double]]
        package var spectralRadius: Double
    }

    /// Everything `lab q1d` shows.
    package struct Result: Encodable {
        package var settings: Settings
        package var rows: [Row]
        package var constants: [Constant]
        package var matrices: [IterationMatrix]
        /// Log–log slopes between the first κ > 1 and the last: GD, heavy ball, Nesterov (measured).
        package var slopes: [String: Double]
        /// Not in the JSON (they are in the CSV sidecars): the figures' data.
        package var theory: Table
        package var heatMap: Table
        package var rateMap: Table
        package var zigzag: (gd: DescentRun, heavyBall: DescentRun, nesterov: DescentRun)

        package enum CodingKeys: String, CodingKey { case settings, rows, constants, matrices, slopes }
    }

    package static func compute(_ settings: Settings) throws -> Result {
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
}
