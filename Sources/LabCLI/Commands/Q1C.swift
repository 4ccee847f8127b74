// `lab q1c`: Question 1(c) — which learning rates converge. Sweeps η across (0, 1.2·η_max],
// classifies each by max|ρᵢ| = max|1 − η·aᵢ|, and checks the named boundary cases: η = 1/max(a, b)
// (the stiff axis in one step), η = 2/max(a, b) (|ρ| = 1, oscillation), and just above (divergence),
// measured on the run's own start (a coordinate that starts at 0 never moves).

import ArgumentParser
import Foundation
import Quadratic

struct Q1C: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q1c",
        abstract: "Q1(c): convergence exactly for 0 < η < 2/max(a, b); the boundary cases shown.",
        discussion: """
            Figures: <out>/q1c-rates.png (max|ρᵢ| against η, stable band shaded), \
            <out>/q1c-trajectories.png and <out>/q1c-loss.png (η below, at and above 2/max(a, b)).
            """)

    @OptionGroup var problem: QuadraticOptions

    @Option(name: .customLong("eta"), parsing: .unconditionalSingleValue,
            help: "Extra learning rate η (> 0) to classify; repeatable.")
    var etas: [Double] = []

    @Option(name: .customLong("above"), parsing: .unconditional,
            help: "The 'just above' case is η = above·2/max(a, b) (1 < above ≤ 2).")
    var above: Double = 1.05

    @Option(help: "Steps drawn for the below/at/above runs (1 … 100000).")
    var steps = 60

    @Option(name: .customLong("epsilon"), parsing: .unconditional,
            help: "Loss tolerance ε for 'iterations to ε' (> 0).")
    var epsilon: Double = 1e-6

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if output.explain { return }
        for eta in etas { try ArgumentCheck.positive(eta, "--eta", example: "0.15") }
        guard etas.count <= 20 else { throw ValidationError("at most 20 --eta values, got \(etas.count)") }
        guard above.isFinite, above > 1, above <= 2 else {
            throw ValidationError("--above must be a number in (1, 2], got \(above); try --above 1.05")
        }
        try ArgumentCheck.steps(steps, "--steps", limit: 100_000, example: "60")
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1; try --steps 60") }
        try ArgumentCheck.positive(epsilon, "--epsilon", example: "1e-6")
    }

    func run() throws {
        try Self.perform({
            return Settings(
                a: problem.a, b: problem.b, w0: problem.w0.coordinates, extraLearningRates: etas,
                above: above, steps: steps, epsilon: epsilon)
        }, output: output)
    }
}

extension Q1C: Q1Lab {
    static let worksheet = "q1c"

    /// What `lab q1c` computes from; the defaults are the command's.
    struct Settings: Codable, Sendable {
        var a = 10.0
        var b = 1.0
        var w0 = [1.0, 1.0]
        var extraLearningRates: [Double] = []
        var above = 1.05
        var steps = 60
        var epsilon = 1e-6
        /// Longest run used to measure iterations to ε or the overflow step.
        var measureLimit = 1_000_000
    }

    /// One classified learning rate.
    struct Row: Codable, Sendable {
        /// "sweep", "1/max(a, b)", "η*", "2/max(a, b)", "just above", "--eta".
        var label: String
        var learningRate: Double
        var fractionOfThreshold: Double
        var rho: [Double]
        var spectralRadius: Double
        /// From max|ρᵢ| over every coordinate: the verdict for a generic start.
        var convergence: Convergence
        /// For this run's start: coordinates with wᵢ(0) = 0 stay 0 and do not count.
        var convergenceFromStart: Convergence
        /// Exact prediction of the first step with L ≤ ε (nil: never).
        var predictedIterations: Int?
        /// Measured first step with L ≤ ε (nil: not within the limit).
        var measuredIterations: Int?
        /// The step at which the loss overflowed (nil: it did not within the limit).
        var nonFiniteStep: Int?
    }

    /// Everything `lab q1c` shows.
    struct Result: Encodable {
        var settings: Settings
        /// η_max = 2/max(a, b).
        var threshold: Double
        var optimalLearningRate: Double
        var rows: [Row]
        /// The stiff coordinate (0 for w1, 1 for w2): the one with curvature max(a, b).
        var stiffCoordinate: Int
        /// Whether the run's start has the stiff coordinate at 0: it then stays 0 for every η, and
        /// the boundary measurements below are nil (there is nothing on that axis to measure).
        var stiffStartsAtZero: Bool
        /// |w_stiff(1)| / |w_stiff(0)| at η = 1/max(a, b) (0 in exact arithmetic).
        var oneStepResidual: Double?
        /// max over t of | |w_stiff(t)| / |w_stiff(0)| − 1 | at η = 2/max(a, b) (0 in exact arithmetic).
        var thresholdAmplitudeDeviation: Double?
        /// |ρ_stiff| at the just-above η, and the geometric-mean growth measured over the run.
        var aboveRate: Double
        var aboveMeasuredGrowth: Double?
        /// Below / at / above runs for the figures; not in the JSON.
        var cases: [(label: String, run: DescentRun)]
        var curve: Table

        enum CodingKeys: String, CodingKey {
            case settings, threshold, optimalLearningRate, rows, stiffCoordinate, stiffStartsAtZero, oneStepResidual
            case thresholdAmplitudeDeviation, aboveRate, aboveMeasuredGrowth
        }
    }

    static func compute(_ settings: Settings) throws -> Result {
        let q = try Q1A.quadratic(settings.a, settings.b)
        let w0 = settings.w0
        let threshold = q.stabilityThreshold
        let stiff = settings.a >= settings.b ? 0 : 1
        func row(_ label: String, _ eta: Double) -> Row {
            let run = q.descend(from: w0, learningRate: eta, maxSteps: settings.measureLimit,
                                tolerance: settings.epsilon, keepIterates: false)
            return Row(
                label: label, learningRate: eta, fractionOfThreshold: eta / threshold,
                rho: q.contractionFactors(learningRate: eta), spectralRadius: q.spectralRadius(learningRate: eta),
                convergence: q.convergence(learningRate: eta),
                convergenceFromStart: q.convergence(learningRate: eta, from: w0),
                predictedIterations: q.predictedIterations(from: w0, learningRate: eta, tolerance: settings.epsilon),
                measuredIterations: run.stopReason == .reachedTolerance ? run.stepsTaken : nil,
                nonFiniteStep: run.stopReason == .lossNotFinite ? run.stepsTaken : nil)
        }
        // The sweep, then the named cases; a named case replaces a sweep point at the same η.
        var etas: [(label: String, eta: Double)] = (1...12).map { ("sweep", Double($0) / 10 * threshold) }
        let named = [("1/max(a, b)", 1 / q.largestCoefficient), ("η*", q.optimalLearningRate),
                     ("2/max(a, b)", threshold), ("just above", settings.above * threshold)]
            + settings.extraLearningRates.map { ("--eta", $0) }
        for (label, eta) in named {
            if let index = etas.firstIndex(where: { $0.eta == eta }) {
                etas[index].label = etas[index].label == "sweep" ? label : etas[index].label + ", " + label
            } else {
                etas.append((label, eta))
            }
        }
        let rows = etas.sorted { $0.eta < $1.eta }.map { row($0.label, $0.eta) }

        // The named boundary cases, measured on the run's own start along the stiff axis. A stiff
        // coordinate that starts at 0 stays 0 for every η: nothing to measure there.
        let zeroStart = w0[stiff] == 0
        var oneStepResidual: Double?, amplitude: Double?, growth: Double?
        let at = q.descend(from: w0, learningRate: threshold, maxSteps: settings.steps)
        let aboveEta = settings.above * threshold
        let aboveRun = q.descend(from: w0, learningRate: aboveEta, maxSteps: settings.steps)
        if !zeroStart {
            let one = q.descend(from: w0, learningRate: 1 / q.largestCoefficient, maxSteps: 1, tolerance: -1)
            oneStepResidual = abs(one.iterate(1)[stiff]) / abs(w0[stiff])
            var deviation = 0.0
            for t in 0...at.stepsTaken { deviation = max(deviation, abs(abs(at.iterate(t)[stiff]) / abs(w0[stiff]) - 1)) }
            amplitude = deviation
            let last = aboveRun.stopReason == .lossNotFinite ? aboveRun.stepsTaken - 1 : aboveRun.stepsTaken
            growth = last > 0 ? Foundation.pow(abs(aboveRun.iterate(last)[stiff] / w0[stiff]), 1 / Double(last)) : nil
        }
        let below = q.descend(from: w0, learningRate: 0.9 * threshold, maxSteps: settings.steps)

        var curve = Table(columns: ["eta", "abs_rho1", "abs_rho2", "max_abs_rho"])
        for k in 1...480 {
            let eta = Double(k) / 400 * threshold
            let rho = q.contractionFactors(learningRate: eta)
            curve.append([eta, abs(rho[0]), abs(rho[1]), q.spectralRadius(learningRate: eta)])
        }
        return Result(
            settings: settings, threshold: threshold, optimalLearningRate: q.optimalLearningRate, rows: rows,
            stiffCoordinate: stiff, stiffStartsAtZero: zeroStart,
            oneStepResidual: oneStepResidual, thresholdAmplitudeDeviation: amplitude,
            aboveRate: abs(1 - aboveEta * q.largestCoefficient), aboveMeasuredGrowth: growth,
            cases: [("below: η = 0.9·η_max = \(NumberFormat.number(0.9 * threshold))", below),
                    ("at: η = η_max = \(NumberFormat.number(threshold))", at),
                    ("above: η = \(NumberFormat.number(settings.above))·η_max = \(NumberFormat.number(aboveEta))", aboveRun)],
            curve: curve)
    }

    static func text(for r: Result) -> String {
        let s = r.settings
        let big = max(s.a, s.b)
        let stiffName = r.stiffCoordinate == 0 ? "w1 (curvature a = \(NumberFormat.number(s.a)))" : "w2 (curvature b = \(NumberFormat.number(s.b)))"
        var lines = [
            "Q1(c)  L(w) = ½(a·w1² + b·w2²), a = \(NumberFormat.number(s.a)), b = \(NumberFormat.number(s.b)), w(0) = \(NumberFormat.vector(s.w0)), ε = \(NumberFormat.error(s.epsilon))",
            "",
            "GD converges ⇔ |1 − η·aᵢ| < 1 for every i ⇔ 0 < η < 2/max(a, b) = η_max = \(NumberFormat.number(r.threshold)).",
            "Optimal η* = 2/(a + b) = \(NumberFormat.number(r.optimalLearningRate)).",
            "",
        ]
        let anyDiffers = r.rows.contains { $0.convergence != $0.convergenceFromStart }
        var header = ["η", "η/η_max", "ρ1", "ρ2", "max|ρ|", "behaviour"]
        if anyDiffers { header.append("from this w(0)") }
        header += ["iterations to ε: predicted", "measured", "case"]
        var table = TextTable(header: header)
        for row in r.rows {
            let measured: String
            if let m = row.measuredIterations { measured = "\(m)" }
            else if let n = row.nonFiniteStep { measured = "overflow at step \(n)" }
            else { measured = "—" }
            var cells = [NumberFormat.number(row.learningRate, distinctFrom: r.threshold),
                         NumberFormat.number(row.fractionOfThreshold, distinctFrom: 1),
                         NumberFormat.number(row.rho[0], distinctFrom: row.rho[0] < 0 ? -1 : 1),
                         NumberFormat.number(row.rho[1], distinctFrom: row.rho[1] < 0 ? -1 : 1),
                         NumberFormat.number(row.spectralRadius, distinctFrom: 1), row.convergence.rawValue]
            if anyDiffers { cells.append(row.convergenceFromStart.rawValue) }
            cells += [row.predictedIterations.map(String.init) ?? "never", measured, row.label == "sweep" ? "" : row.label]
            table.add(cells)
        }
        lines.append(table.render())
        lines.append("")
        if s.w0.allSatisfy({ $0 == 0 }) {
            lines.append("w(0) = w* = (0, 0): a coordinate that starts at 0 never moves, so nothing moves for any η; every run is at the minimum from step 0.")
        } else if r.stiffStartsAtZero {
            let other = r.stiffCoordinate == 0 ? s.b : s.a
            lines.append("The stiff coordinate \(stiffName) starts at 0, and a coordinate that starts at 0 never moves (wᵢ(t) = ρᵢᵗ·0 for every η).")
            lines.append("This run is decided by the other coordinate alone: it converges for η < 2/\(NumberFormat.number(other)) = \(NumberFormat.number(2 / other)) (column \"from this w(0)\"); there is nothing on the stiff axis for the boundary cases to measure.")
        } else {
            lines.append("Boundary cases on the stiff axis \(stiffName), measured from this w(0):")
            lines.append("  η = 1/max(a, b) = \(NumberFormat.number(1 / big)): ρ = 0, the stiff coordinate is 0 after one step; measured |w(1)|/|w(0)| = \(r.oneStepResidual.map(NumberFormat.error) ?? "—")")
            lines.append("  η = 2/max(a, b) = \(NumberFormat.number(r.threshold)): ρ = −1, it flips sign at constant size; max | |w(t)|/|w(0)| − 1 | over \(s.steps) steps = \(r.thresholdAmplitudeDeviation.map(NumberFormat.error) ?? "—")")
            lines.append("  η = \(NumberFormat.number(s.above))·η_max: |ρ| = \(NumberFormat.number(r.aboveRate)) > 1, it grows by |ρ| per step; measured growth \(r.aboveMeasuredGrowth.map(NumberFormat.number) ?? "—") per step")
        }
        return lines.joined(separator: "\n")
    }

    static func figures(for r: Result, title: String?) -> [Figure] {
        let s = r.settings
        let big = max(s.a, s.b)
        let eta = Gnuplot.number
        var sweep = Table(columns: ["eta", "max_abs_rho", "class"])
        for row in r.rows {
            let code = row.convergence == .converges ? 0.0 : (row.convergence == .oscillates ? 1 : 2)
            sweep.append([row.learningRate, row.spectralRadius, code])
        }
        let rates = Figure(
            name: "q1c-rates", width: 1000, data: [("curve", r.curve), ("sweep", sweep)],
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q1(c) max|ρᵢ(η)| = max|1 − η·aᵢ| for a = \(NumberFormat.number(s.a)), b = \(NumberFormat.number(s.b)): converges where it is below 1", user: title)
                + """
                set xlabel 'learning rate η'
                set ylabel '|ρᵢ(η)| = |1 − η·aᵢ|'
                set xrange [0:\(eta(1.2 * r.threshold))]
                set yrange [0:\(eta(max(1.5, r.curve.rows.map { $0[3] }.max() ?? 1.5)))]
                set object 1 rect from 0, graph 0 to \(eta(r.threshold)), graph 1 fc rgb '#e5f5e0' fs solid 1.0 noborder behind
                set label 1 'stable band 0 < η < 2/max(a, b)' at \(eta(0.03 * r.threshold)), graph 0.95 tc rgb '#2b7a2b'
                set arrow 1 from \(eta(1 / big)), graph 0 to \(eta(1 / big)), graph 1 nohead dt 3 lc rgb '#555555'
                set label 2 '1/max(a, b)' at \(eta(1 / big)), graph 0.03 offset 0.5,0 tc rgb '#555555'
                set arrow 2 from \(eta(r.optimalLearningRate)), graph 0 to \(eta(r.optimalLearningRate)), graph 1 nohead dt 3 lc rgb '#009E73'
                set label 3 'η* = 2/(a+b)' at \(eta(r.optimalLearningRate)), graph 0.12 right offset -0.5,0 tc rgb '#009E73'
                set arrow 3 from \(eta(r.threshold)), graph 0 to \(eta(r.threshold)), graph 1 nohead lw 2 lc rgb '#D55E00'
                set label 4 'η_{max} = 2/max(a, b)' at \(eta(r.threshold)), graph 0.85 right offset -0.5,0 tc rgb '#D55E00'
                set key outside right top
                plot 1 with lines dt 2 lw 1.5 lc rgb 'black' title '|ρ| = 1', \\
                     $curve using 1:2 with lines lw 2 lc rgb '\(Q1Plot.color(0))' title '|ρ₁| = |1 − η·a|', \\
                     $curve using 1:3 with lines lw 2 dt 2 lc rgb '\(Q1Plot.color(1))' title '|ρ₂| = |1 − η·b|', \\
                     $curve using 1:4 with lines lw 3 lc rgb '\(Q1Plot.color(6))' title 'max|ρᵢ|', \\
                     $sweep using 1:($3 == 0 ? $2 : NaN) with points pt 7 ps 1.3 lc rgb '#009E73' title 'converges', \\
                     $sweep using 1:($3 == 1 ? $2 : NaN) with points pt 9 ps 1.8 lc rgb '#E69F00' title 'oscillates', \\
                     $sweep using 1:($3 == 2 ? $2 : NaN) with points pt 5 ps 1.3 lc rgb '#D55E00' title 'diverges'

                """)

        let q = try? DiagonalQuadratic(a: s.a, b: s.b)
        var data: [(name: String, table: Table)] = []
        var panels = "set multiplot layout 1,3 title \(Gnuplot.quoted((title.map { $0 + " — " } ?? "") + "Q1(c) trajectories over the contours of L for η below, at and above η_max = 2/max(a, b)")) noenhanced\n"
        var lossPlots: [String] = []
        var csv = Table(columns: ["case", "eta", "t", "w1", "w2", "loss"])
        for (k, item) in r.cases.enumerated() {
            let box = Q1Plot.extent(of: [item.run])
            data.append(("run\(k)", Q1Plot.trajectory(item.run)))
            if let q { data.append(("contours\(k)", Q1Plot.contours(of: q, halfWidth: box.halfWidth, halfHeight: box.halfHeight, count: 10))) }
            for row in Q1Plot.trajectory(item.run).rows { csv.append([Double(k), item.run.learningRate] + row) }
            panels += Q1Plot.titleCommand(item.label, user: nil)
                + Q1Plot.box(halfWidth: box.halfWidth, halfHeight: box.halfHeight)
                + "plot $contours\(k) using 1:2 with lines lc rgb '#bbbbbb' notitle, "
                + "$run\(k) using 2:3 with linespoints lw 1.5 pt 7 ps 0.5 lc rgb '\(Q1Plot.color(k))' notitle, "
                + "'+' using (0):(0) every ::0::0 with points pt 3 ps 2 lw 2 lc rgb 'black' notitle\n"
            lossPlots.append("$run\(k) using 1:\(Q1Plot.drawable("$4")) with linespoints lw 2 pt 7 ps 0.5 lc rgb '\(Q1Plot.color(k))' title \(Gnuplot.quoted(item.label)) noenhanced")
        }
        let trajectories = Figure(
            name: "q1c-trajectories", width: 1500, height: 560, data: data, sidecar: csv,
            commands: Q1Plot.style + """
                set xlabel 'w₁'
                set ylabel 'w₂'
                set xtics rotate by -30
                unset key
                \(panels)unset multiplot

                """)
        let loss = Figure(
            name: "q1c-loss", data: Array(data.filter { $0.name.hasPrefix("run") }), sidecar: csv,
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q1(c) loss L(w(t)) below, at and above η_max = 2/max(a, b) = \(NumberFormat.number(r.threshold))", user: title)
                + Q1Plot.logAxis("y", values: r.cases.flatMap(\.run.losses), empty: "no loss > 1e-300 to draw: w(0) = w* stays there")
                + """
                set xlabel 'step t'
                set ylabel 'L(w(t))  (log scale)'
                set key bottom left
                plot \(lossPlots.joined(separator: ", \\\n     "))

                """)
        return [rates, trajectories, loss]
    }
}
