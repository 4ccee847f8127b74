// `lab q1a`: Question 1(a) — the gradient ∇L(w) = (a·w₁, b·w₂) and the minimiser w* = 0 of
// L = ½(a·w₁² + b·w₂²), the gradient checked against central differences at seeded random
// points, and a gradient-descent run that reaches w*.

import ArgumentParser
import Foundation
import LabSupport
import Quadratic

struct Q1A: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q1a",
        abstract: "Q1(a): the gradient and minimiser of L = ½(a·w₁² + b·w₂²), checked; GD reaches w*.",
        discussion: "Figure: <out>/q1a-descent.png (loss and distance to w* per step, log scale).")

    @OptionGroup var problem: QuadraticOptions

    @Option(name: .customLong("eta"), parsing: .unconditional, help: "Learning rate η (> 0).")
    var eta: Double = 0.15

    @Option(help: "Maximum number of gradient-descent steps (0 … 10000000).")
    var steps = 200

    @Option(name: .customLong("epsilon"), parsing: .unconditional,
            help: "Stop once L(w) ≤ ε (≥ 0).")
    var epsilon: Double = 1e-12

    @Option(help: "Number of random points for the gradient check (1 … 1000).")
    var points = 8

    @Option(help: "Seed for the random gradient-check points.")
    var seed: UInt64 = 1

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if output.explain { return }
        try ArgumentCheck.positive(eta, "--eta", example: "0.15")
        try ArgumentCheck.steps(steps, "--steps", limit: 10_000_000, example: "200")
        try ArgumentCheck.steps(points, "--points", limit: 1000, example: "8")
        guard points >= 1 else { throw ValidationError("--points must be at least 1; try --points 8") }
        guard epsilon.isFinite, epsilon >= 0 else {
            throw ValidationError("--epsilon must be a finite number ≥ 0, got \(epsilon); try --epsilon 1e-12")
        }
    }

    func run() throws {
        if output.explain { return try Presenter.explain(Self.worksheet) }
        let result = try Self.compute(Settings(
            a: problem.a, b: problem.b, w0: problem.w0.coordinates, learningRate: eta, steps: steps,
            epsilon: epsilon, points: points, seed: seed))
        try Presenter.present(
            result, text: Self.text(for: result), figures: Self.figures(for: result, title: output.title), options: output)
        // A check that could not compare (a non-finite difference) or disagrees is a failure.
        if !result.gradientCheckPassed {
            throw LabError.failed("the gradient check failed (max relative error \(NumberFormat.error(result.maxRelativeError))); see the table above")
        }
    }
}

extension Q1A: Q1Lab {
    static let worksheet = "q1a"

    /// What `lab q1a` computes from; the defaults are the command's.
    struct Settings: Codable, Sendable {
        var a = 10.0
        var b = 1.0
        var w0 = [1.0, 1.0]
        var learningRate = 0.15
        var steps = 200
        var epsilon = 1e-12
        var points = 8
        var seed: UInt64 = 1
    }

    /// One gradient-check point: ∇L from the formula beside the central difference.
    struct CheckPoint: Codable, Sendable {
        var w: [Double]
        var analytic: [Double]
        var numeric: [Double]
        var relativeError: Double
    }

    /// Everything `lab q1a` shows.
    struct Result: Encodable {
        var settings: Settings
        var gradientFormula = "∇L(w) = (a·w1, b·w2)"
        var minimizer: [Double]
        var minimumLoss: Double
        var gradientChecks: [CheckPoint]
        /// NaN when any difference was not finite.
        var maxRelativeError: Double
        /// maxRelativeError is finite and below `passBound`.
        var gradientCheckPassed: Bool
        var convergence: Convergence
        var stopReason: StopReason
        var stepsTaken: Int
        var finalIterate: [Double]
        var finalLoss: Double
        var distanceToMinimizer: Double
        /// The figure and CSV hold every `plotStride`-th step (and the last): long runs are
        /// thinned to at most `plotPoints` rows so the figure stays drawable.
        var plotStride: Int
        /// (t, L(w(t)), ‖w(t)‖) at the plotted steps; not in the JSON (it is the CSV).
        var series: Table

        enum CodingKeys: String, CodingKey {
            case settings, gradientFormula, minimizer, minimumLoss, gradientChecks, maxRelativeError
            case gradientCheckPassed, convergence, stopReason, stepsTaken, finalIterate, finalLoss
            case distanceToMinimizer, plotStride
        }
    }

    /// The check passes below this relative error. Rounding alone gives ≈ ε_mach/∛ε_mach ≈ 4e−11
    /// times the cancellation in L(w + h) − L(w − h) (≈ 1e−11 … 1e−9 here); a wrong formula gives
    /// ≳ 0.1 (forgetting the ½ gives 0.5).
    static let passBound = 1e-6

    /// The most rows the figure and CSV draw; longer runs are thinned to a stride.
    static let plotPoints = 4000

    /// Computes Question 1(a). Pure apart from the seeded generator; fast (O(points + steps)).
    ///
    /// - Throws: `LabError.failed` for coefficients that are not finite and positive.
    static func compute(_ settings: Settings) throws -> Result {
        let q = try quadratic(settings.a, settings.b)
        var random = SeededGenerator(seed: settings.seed)
        let checks = (0..<settings.points).map { _ -> CheckPoint in
            let w = [2 * random.nextGaussian(), 2 * random.nextGaussian()]
            let analytic = q.gradient(at: w)
            let numeric = GradientCheck.centralDifference(of: q.value(at:), at: w)
            return CheckPoint(w: w, analytic: analytic, numeric: numeric,
                              relativeError: GradientCheck.relativeError(analytic, numeric))
        }
        // Gradient descent in chunks of `stride` steps (GD has no memory, so a chunk restarted
        // from the last iterate continues the same run), recording one row per chunk.
        let stride = max(1, (settings.steps + plotPoints - 1) / plotPoints)
        var series = Table(columns: ["t", "loss", "distance"])
        var w = settings.w0, t = 0, stop = StopReason.stepLimit, finalLoss = q.value(at: w)
        series.append([0, finalLoss, q.measure(.distance, at: w)])
        repeat {
            let run = q.descend(from: w, learningRate: settings.learningRate, maxSteps: min(stride, settings.steps - t),
                                tolerance: settings.epsilon, keepIterates: false)
            w = run.finalIterate
            finalLoss = run.finalLoss
            stop = run.stopReason
            if run.stepsTaken > 0 {
                t += run.stepsTaken
                series.append([Double(t), finalLoss, q.measure(.distance, at: w)])
            }
        } while stop == .stepLimit && t < settings.steps
        let maxError = checks.contains { $0.relativeError.isNaN } ? .nan : (checks.map(\.relativeError).max() ?? 0)
        return Result(
            settings: settings, minimizer: q.minimizer, minimumLoss: q.value(at: q.minimizer),
            gradientChecks: checks, maxRelativeError: maxError,
            gradientCheckPassed: maxError.isFinite && maxError < passBound,
            convergence: q.convergence(learningRate: settings.learningRate, from: settings.w0),
            stopReason: stop, stepsTaken: t, finalIterate: w,
            finalLoss: finalLoss, distanceToMinimizer: q.measure(.distance, at: w),
            plotStride: stride, series: series)
    }

    /// The human-readable answer.
    static func text(for r: Result) -> String {
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
    static func figures(for r: Result, title: String?) -> [Figure] {
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
        return [Figure(name: "q1a-descent", data: [("run", r.series)], commands: commands)]
    }

    /// The quadratic, or the one-line reason it cannot be built — including curvatures that are
    /// fine as numbers but whose derived step sizes 2/max(a, b), 2/(a + b) or 1/max(a, b) round
    /// to ∞ or 0, which no run could use.
    static func quadratic(_ a: Double, _ b: Double) throws -> DiagonalQuadratic {
        let q: DiagonalQuadratic
        do { q = try DiagonalQuadratic(a: a, b: b) } catch { throw LabError.failed("\(error)") }
        for (name, value) in [("2/max(a, b)", q.stabilityThreshold), ("2/(a + b)", q.optimalLearningRate),
                              ("1/max(a, b)", 1 / q.largestCoefficient)] where !(value.isFinite && value > 0) {
            throw LabError.failed(
                "with a = \(NumberFormat.number(a)) and b = \(NumberFormat.number(b)) the step size \(name) is \(NumberFormat.number(value)), which no run can use; choose a and b between 1e-300 and 1e300")
        }
        return q
    }
}
