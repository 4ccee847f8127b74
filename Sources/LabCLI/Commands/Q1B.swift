// `lab q1b`: Question 1(b) — gradient descent multiplies coordinate i by ρᵢ = 1 − η·aᵢ each
// step, so w(t) = ρᵗ·w(0). Shows ρ from the formula beside the measured ratios wᵢ(t+1)/wᵢ(t),
// the closed form beside the simulated iterate, and the trajectory over the contours of L.

import ArgumentParser
import Foundation
import Quadratic

struct Q1B: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q1b",
        abstract: "Q1(b): contraction factors ρᵢ = 1 − η·aᵢ measured and w(t) = ρᵗ·w(0) checked.",
        discussion: """
            Figures: <out>/q1b-trajectory.png (iterates over the contours of L) and \
            <out>/q1b-coordinates.png (|wᵢ(t)| simulated, with the closed form |ρᵢ|ᵗ·|wᵢ(0)|).
            """)

    @OptionGroup var problem: QuadraticOptions

    @Option(name: .customLong("eta"), parsing: .unconditionalSingleValue,
            help: "Learning rate η (> 0); repeat for several runs (default: 0.05 and 0.15).")
    var etas: [Double] = []

    @Option(help: "Number of gradient-descent steps (1 … 100000).")
    var steps = 40

    @Option(name: .customLong("angle"), parsing: .unconditional,
            help: "Rotate the quadratic by θ degrees, L = ½·wᵀ·R(θ)·diag(a, b)·R(θ)ᵀ·w (default 0: the homework's diagonal case).")
    var angle: Double = 0

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if output.explain { return }
        for eta in etas { try ArgumentCheck.positive(eta, "--eta", example: "0.15") }
        guard etas.count <= 8 else { throw ValidationError("at most 8 --eta values, got \(etas.count)") }
        try ArgumentCheck.steps(steps, "--steps", limit: 100_000, example: "40")
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1; try --steps 40") }
        guard angle.isFinite, abs(angle) <= 360 else {
            throw ValidationError("--angle must be a number of degrees in [-360, 360], got \(angle); try --angle 30")
        }
    }

    func run() throws {
        try Self.perform({
            var settings = Settings(a: problem.a, b: problem.b, w0: problem.w0.coordinates, steps: steps, angleDegrees: angle)
            if !etas.isEmpty { settings.learningRates = etas }
            return settings
        }, output: output)
    }
}

extension Q1B: Q1Lab {
    static let worksheet = "q1b"

    /// What `lab q1b` computes from; the defaults are the command's.
    struct Settings: Codable, Sendable {
        var a = 10.0
        var b = 1.0
        var w0 = [1.0, 1.0]
        var learningRates = [0.05, 0.15]
        var steps = 40
        /// θ in degrees: the quadratic ½·wᵀ·R(θ)·diag(a, b)·R(θ)ᵀ·w (0: the diagonal homework case).
        var angleDegrees = 0.0
    }

    /// One step t: simulated and closed-form iterate.
    struct Sample: Codable, Sendable {
        var t: Int
        var simulated: [Double]
        var closedForm: [Double]
    }

    /// One learning rate's run, checked against the theory.
    struct RunCheck: Encodable {
        var learningRate: Double
        var convergence: Convergence
        /// ρᵢ = 1 − η·aᵢ.
        var rhoFormula: [Double]
        /// min and max over t of wᵢ(t+1)/wᵢ(t), per coordinate (NaN when wᵢ hit 0 at once).
        var measuredRatioMin: [Double]
        var measuredRatioMax: [Double]
        /// min and max over t of uᵢ(t+1)/uᵢ(t) in the eigenbasis u = R(θ)ᵀ·w (the coordinates
        /// themselves when θ = 0).
        var eigenRatioMin: [Double]
        var eigenRatioMax: [Double]
        /// max over t of |uᵢ(t+1)/uᵢ(t) − ρᵢ| / |ρᵢ| (absolute when ρᵢ = 0).
        var maxRatioDeviation: Double
        /// max over t, i of |simulated − closed form| / |closed form| (absolute where it is 0).
        var maxClosedFormDeviation: Double
        var samples: [Sample]
        var stopReason: StopReason
        var stepsTaken: Int
        /// The run (for the figures); not in the JSON.
        var run: DescentRun
        var closedForm: [[Double]]

        enum CodingKeys: String, CodingKey {
            case learningRate, convergence, rhoFormula, measuredRatioMin, measuredRatioMax, eigenRatioMin, eigenRatioMax
            case maxRatioDeviation, maxClosedFormDeviation, samples, stopReason, stepsTaken
        }
    }

    /// Everything `lab q1b` shows.
    struct Result: Encodable {
        var settings: Settings
        /// H = R(θ)·diag(a, b)·R(θ)ᵀ row-major (diag(a, b) when θ = 0).
        var hessian: [Double]
        var runs: [RunCheck]
    }

    /// Runs gradient descent for each η and measures ρ and the closed form. O(steps) per η.
    static func compute(_ settings: Settings) throws -> Result {
        let q = try Q1A.quadratic(settings.a, settings.b)
        // θ ≠ 0: the rotated quadratic, run with its full Hessian and analysed in its eigenbasis.
        let rotated: RotatedQuadratic? = settings.angleDegrees == 0 ? nil
            : try? RotatedQuadratic(a: settings.a, b: settings.b, angle: settings.angleDegrees * Double.pi / 180)
        func eigen(_ w: [Double]) -> [Double] { rotated?.toEigenbasis(w) ?? w }
        let runs = settings.learningRates.map { eta -> RunCheck in
            let run = rotated?.descend(from: settings.w0, learningRate: eta, maxSteps: settings.steps)
                ?? q.descend(from: settings.w0, learningRate: eta, maxSteps: settings.steps)
            let rho = q.contractionFactors(learningRate: eta)
            var low = [Double](repeating: .nan, count: 2), high = low, eigenLow = low, eigenHigh = low
            var ratioDeviation = 0.0, closedDeviation = 0.0
            var closed: [[Double]] = []
            for t in 0...run.stepsTaken {
                let w = run.iterate(t)
                let exact = rotated?.closedFormIterate(from: settings.w0, learningRate: eta, step: t)
                    ?? q.closedFormIterate(from: settings.w0, learningRate: eta, step: t)
                closed.append(exact)
                // Relative per coordinate on the diagonal; relative to ‖w‖ when rotated (a mixed
                // coordinate passes through 0 while the iterate does not).
                let size = max(abs(exact[0]), abs(exact[1]))
                for i in 0..<2 where w[i].isFinite && exact[i].isFinite {
                    let scale = rotated == nil ? abs(exact[i]) : size
                    closedDeviation = max(closedDeviation, abs(w[i] - exact[i]) / (scale == 0 ? 1 : scale))
                }
                guard t < run.stepsTaken else { continue }
                let next = run.iterate(t + 1)
                for i in 0..<2 where w[i] != 0 && w[i].isFinite && next[i].isFinite {
                    let ratio = next[i] / w[i]
                    low[i] = low[i].isNaN ? ratio : min(low[i], ratio)
                    high[i] = high[i].isNaN ? ratio : max(high[i], ratio)
                }
                let u = eigen(w), uNext = eigen(next)
                // Rotating into the eigenbasis rounds at ≈ 2⁻⁵²·‖w‖, so an eigen-coordinate below
                // 1e−6 of ‖w‖ carries a ratio error above 1e−10: such steps are not measured.
                let floor = 1e-6 * max(abs(u[0]), abs(u[1]))
                for i in 0..<2 where abs(u[i]) > (rotated == nil ? 0 : floor) && u[i].isFinite && uNext[i].isFinite {
                    let ratio = uNext[i] / u[i]
                    eigenLow[i] = eigenLow[i].isNaN ? ratio : min(eigenLow[i], ratio)
                    eigenHigh[i] = eigenHigh[i].isNaN ? ratio : max(eigenHigh[i], ratio)
                    ratioDeviation = max(ratioDeviation, abs(ratio - rho[i]) / (rho[i] == 0 ? 1 : abs(rho[i])))
                }
            }
            let sampleSteps = [0, 1, 2, 5, 10, 20, 50, 100, 1000, 10_000, 100_000].filter { $0 < run.stepsTaken } + [run.stepsTaken]
            return RunCheck(
                learningRate: eta, convergence: q.convergence(learningRate: eta, from: eigen(settings.w0)), rhoFormula: rho,
                measuredRatioMin: low, measuredRatioMax: high, eigenRatioMin: eigenLow, eigenRatioMax: eigenHigh,
                maxRatioDeviation: ratioDeviation, maxClosedFormDeviation: closedDeviation,
                samples: sampleSteps.map { Sample(t: $0, simulated: run.iterate($0), closedForm: closed[$0]) },
                stopReason: run.stopReason, stepsTaken: run.stepsTaken, run: run, closedForm: closed)
        }
        return Result(settings: settings, hessian: rotated?.hessian ?? [settings.a, 0, 0, settings.b], runs: runs)
    }

    /// The human-readable answer.
    static func text(for r: Result) -> String {
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
    static func figures(for r: Result, title: String?) -> [Figure] {
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
            name: "q1b-trajectory", width: 900, height: 700, data: data, sidecar: trajectoryCSV,
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
            name: "q1b-coordinates", data: [("coords", coordinates)],
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
