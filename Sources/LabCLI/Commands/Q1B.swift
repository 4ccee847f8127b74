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

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if output.explain { return }
        for eta in etas { try ArgumentCheck.positive(eta, "--eta", example: "0.15") }
        guard etas.count <= 8 else { throw ValidationError("at most 8 --eta values, got \(etas.count)") }
        try ArgumentCheck.steps(steps, "--steps", limit: 100_000, example: "40")
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1; try --steps 40") }
    }

    func run() throws {
        try Self.perform({
            var settings = Settings(a: problem.a, b: problem.b, w0: problem.w0.coordinates, steps: steps)
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
        /// max over t of |wᵢ(t+1)/wᵢ(t) − ρᵢ| / |ρᵢ| (absolute when ρᵢ = 0).
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
            case learningRate, convergence, rhoFormula, measuredRatioMin, measuredRatioMax
            case maxRatioDeviation, maxClosedFormDeviation, samples, stopReason, stepsTaken
        }
    }

    /// Everything `lab q1b` shows.
    struct Result: Encodable {
        var settings: Settings
        var runs: [RunCheck]
    }

    /// Runs gradient descent for each η and measures ρ and the closed form. O(steps) per η.
    static func compute(_ settings: Settings) throws -> Result {
        let q = try Q1A.quadratic(settings.a, settings.b)
        let runs = settings.learningRates.map { eta -> RunCheck in
            let run = q.descend(from: settings.w0, learningRate: eta, maxSteps: settings.steps)
            let rho = q.contractionFactors(learningRate: eta)
            var low = [Double](repeating: .nan, count: 2), high = low
            var ratioDeviation = 0.0, closedDeviation = 0.0
            var closed: [[Double]] = []
            for t in 0...run.stepsTaken {
                let w = run.iterate(t)
                let exact = q.closedFormIterate(from: settings.w0, learningRate: eta, step: t)
                closed.append(exact)
                for i in 0..<2 where w[i].isFinite && exact[i].isFinite {
                    closedDeviation = max(closedDeviation, abs(w[i] - exact[i]) / (exact[i] == 0 ? 1 : abs(exact[i])))
                }
                guard t < run.stepsTaken else { continue }
                let next = run.iterate(t + 1)
                for i in 0..<2 where w[i] != 0 && w[i].isFinite && next[i].isFinite {
                    let ratio = next[i] / w[i]
                    low[i] = low[i].isNaN ? ratio : min(low[i], ratio)
                    high[i] = high[i].isNaN ? ratio : max(high[i], ratio)
                    ratioDeviation = max(ratioDeviation, abs(ratio - rho[i]) / (rho[i] == 0 ? 1 : abs(rho[i])))
                }
            }
            let sampleSteps = [0, 1, 2, 5, 10, 20, 50, 100, 1000, 10_000, 100_000].filter { $0 < run.stepsTaken } + [run.stepsTaken]
            return RunCheck(
                learningRate: eta, convergence: q.convergence(learningRate: eta, from: settings.w0), rhoFormula: rho,
                measuredRatioMin: low, measuredRatioMax: high, maxRatioDeviation: ratioDeviation,
                maxClosedFormDeviation: closedDeviation,
                samples: sampleSteps.map { Sample(t: $0, simulated: run.iterate($0), closedForm: closed[$0]) },
                stopReason: run.stopReason, stepsTaken: run.stepsTaken, run: run, closedForm: closed)
        }
        return Result(settings: settings, runs: runs)
    }

    /// The human-readable answer.
    static func text(for r: Result) -> String {
        let s = r.settings
        var lines = [
            "Q1(b)  L(w) = ½(a·w1² + b·w2²), a = \(NumberFormat.number(s.a)), b = \(NumberFormat.number(s.b)), w(0) = \(NumberFormat.vector(s.w0))",
            "",
            "One step: w(t+1) = w(t) − η·∇L(w(t)) = ((1 − η·a)·w1(t), (1 − η·b)·w2(t)),",
            "so each coordinate is multiplied by ρᵢ = 1 − η·aᵢ and w(t) = (ρ1ᵗ·w1(0), ρ2ᵗ·w2(0)).",
        ]
        for c in r.runs {
            lines.append("")
            lines.append("η = \(NumberFormat.number(c.learningRate, distinctFrom: 2 / max(s.a, s.b)))  (\(c.convergence.rawValue), \(c.stepsTaken) steps)")
            var rates = TextTable(header: ["coordinate", "ρᵢ = 1 − η·aᵢ", "measured wᵢ(t+1)/wᵢ(t): min", "max"])
            for i in 0..<2 {
                rates.add(["w\(i + 1)", NumberFormat.number(c.rhoFormula[i]),
                           NumberFormat.number(c.measuredRatioMin[i]), NumberFormat.number(c.measuredRatioMax[i])])
            }
            lines.append(rates.render())
            lines.append("  max relative deviation of the measured ratios from ρ: \(NumberFormat.error(c.maxRatioDeviation))")
            var table = TextTable(header: ["t", "w1 simulated", "ρ1ᵗ·w1(0)", "w2 simulated", "ρ2ᵗ·w2(0)"])
            for sample in c.samples {
                table.add(["\(sample.t)", NumberFormat.number(sample.simulated[0]), NumberFormat.number(sample.closedForm[0]),
                           NumberFormat.number(sample.simulated[1]), NumberFormat.number(sample.closedForm[1])])
            }
            lines.append(table.render())
            lines.append("  max relative deviation simulated vs closed form over all t: \(NumberFormat.error(c.maxClosedFormDeviation))")
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
        data.append(("contours", Q1Plot.contours(of: q, halfWidth: box.halfWidth, halfHeight: box.halfHeight)))
        let trajectory = Figure(
            name: "q1b-trajectory", width: 900, height: 700, data: data, sidecar: trajectoryCSV,
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q1(b) gradient descent on L = ½(\(NumberFormat.number(r.settings.a))·w₁² + \(NumberFormat.number(r.settings.b))·w₂²) from w(0) = \(NumberFormat.vector(r.settings.w0))", user: title)
                + Q1Plot.box(halfWidth: box.halfWidth, halfHeight: box.halfHeight)
                + """
                set xlabel 'w₁'
                set ylabel 'w₂'
                set size ratio -1
                set key outside right top
                plot $contours using 1:2 with lines lw 1 lc rgb '#bbbbbb' title 'contours of L', \\
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
