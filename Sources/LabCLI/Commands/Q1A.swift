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
        try Self.perform({
            return Settings(
                a: problem.a, b: problem.b, w0: problem.w0.coordinates, learningRate: eta, steps: steps,
                epsilon: epsilon, points: points, seed: seed)
        }, output: output)
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
        var maxRelativeError: Double
        var convergence: Convergence
        var stopReason: StopReason
        var stepsTaken: Int
        var finalIterate: [Double]
        var finalLoss: Double
        var distanceToMinimizer: Double
        /// The run itself (for the figure); not in the JSON.
        var run: DescentRun

        enum CodingKeys: String, CodingKey {
            case settings, gradientFormula, minimizer, minimumLoss, gradientChecks, maxRelativeError
            case convergence, stopReason, stepsTaken, finalIterate, finalLoss, distanceToMinimizer
        }
    }

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
        let run = q.descend(from: settings.w0, learningRate: settings.learningRate,
                            maxSteps: settings.steps, tolerance: settings.epsilon)
        let last = run.finalIterate
        return Result(
            settings: settings, minimizer: q.minimizer, minimumLoss: q.value(at: q.minimizer),
            gradientChecks: checks, maxRelativeError: checks.map(\.relativeError).max() ?? 0,
            convergence: q.convergence(learningRate: settings.learningRate),
            stopReason: run.stopReason, stepsTaken: run.stepsTaken, finalIterate: last,
            finalLoss: run.finalLoss, distanceToMinimizer: (last[0] * last[0] + last[1] * last[1]).squareRoot(),
            run: run)
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
        lines.append("max relative error \(NumberFormat.error(r.maxRelativeError))  (rounding only: the difference is exact for a quadratic)")
        lines.append("")
        let outcome: String
        switch r.stopReason {
        case .reachedTolerance: outcome = "reached L ≤ \(NumberFormat.error(s.epsilon)) after \(r.stepsTaken) steps"
        case .stepLimit: outcome = "stopped at the step limit \(r.stepsTaken)"
        case .lossNotFinite: outcome = "the loss overflowed at step \(r.stepsTaken) (divergence)"
        }
        lines.append("Gradient descent from w(0) = \(NumberFormat.vector(s.w0)) with η = \(NumberFormat.number(s.learningRate)) (\(r.convergence.rawValue)): \(outcome)")
        lines.append("  w(T) = \(NumberFormat.vector(r.finalIterate))   ‖w(T) − w*‖ = \(NumberFormat.error(r.distanceToMinimizer))   L(w(T)) = \(NumberFormat.error(r.finalLoss))")
        return lines.joined(separator: "\n")
    }

    /// q1a-descent: loss and distance to w* against the step, log scale.
    static func figures(for r: Result, title: String?) -> [Figure] {
        var table = Table(columns: ["t", "loss", "distance"])
        for t in 0...r.run.stepsTaken {
            let w = r.run.iterate(t)
            let distance = (w[0] * w[0] + w[1] * w[1]).squareRoot()
            table.append([Double(t), r.run.losses[t], distance])
        }
        let commands = Q1Plot.style
            + Q1Plot.titleCommand("Q1(a) gradient descent reaches w* = (0, 0): a = \(NumberFormat.number(r.settings.a)), b = \(NumberFormat.number(r.settings.b)), η = \(NumberFormat.number(r.settings.learningRate))", user: title)
            + """
            set xlabel 'step t'
            set ylabel 'L(w(t))  and  ‖w(t) − w*‖  (log scale)'
            set logscale y
            set format y '10^{%L}'
            set key top right
            plot $run using 1:($2 > 0 ? $2 : NaN) with linespoints pt 7 ps 0.5 lw 2 lc rgb '\(Q1Plot.color(0))' title 'loss L(w(t))', \\
                 $run using 1:($3 > 0 ? $3 : NaN) with linespoints pt 5 ps 0.5 lw 2 lc rgb '\(Q1Plot.color(1))' title 'distance ‖w(t) − w*‖'

            """
        return [Figure(name: "q1a-descent", data: [("run", table)], commands: commands)]
    }

    /// The quadratic, or the one-line reason it cannot be built.
    static func quadratic(_ a: Double, _ b: Double) throws -> DiagonalQuadratic {
        do { return try DiagonalQuadratic(a: a, b: b) } catch { throw LabError.failed("\(error)") }
    }
}
