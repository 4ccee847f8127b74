// `lab q2-sweep`: Question 1(c)'s threshold on the network (issue 12) — the homework's per-sample
// SGD over a log grid of learning rates × seeds, runs spread over cores, each run classified from
// its own numbers, set against 2/λmax of the mean loss and of the per-sample losses. The
// computation is `SweepLab` (module Labs).

import ArgumentParser
import Foundation
import Labs
import MNISTNet

struct Q2Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q2-sweep",
        abstract: "Q1 on the network: per-sample SGD over a log grid of learning rates × seeds, against 2/λmax.",
        discussion: """
            Each run: a fresh seeded network, --epochs of the homework's SGD (no shuffling), the test set \
            before and after; verdict converges (test loss more than halved, accuracy above twice chance), \
            stalls, diverges (test loss grew) or non-finite (a NaN/∞ loss stopped training). Figures: \
            q2-sweep-accuracy.png and q2-sweep-loss.png (CSV sidecars). Ctrl-C stops the sweep (exit status 130).
            """)

    @OptionGroup var data: Q2DataOptions

    @Option(name: .customLong("lr-min"), parsing: .unconditional, help: "Smallest learning rate of the grid (1, 3 per decade).")
    var lrMin = 1e-4

    @Option(name: .customLong("lr-max"), parsing: .unconditional, help: "Largest learning rate of the grid.")
    var lrMax = 10.0

    @Option(help: "Seeds per learning rate (1…20): 80085, then 1, 2, ….")
    var seeds = 3

    @Option(help: "Epochs per run (1…10).")
    var epochs = 1

    @Option(name: .customLong("train-limit"), help: ArgumentHelp("Train on the first N images only (default: all).", valueName: "N"))
    var trainLimit: Int?

    @Flag(name: .customLong("raw-pixels"), help: "Feed raw pixels 0…255 instead of pixel/255.")
    var rawPixels = false

    @Option(help: "Runs at once (1…64; default: the core count).")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var output: OutputOptions

    func validate() throws {
        try ArgumentCheck.positive(lrMin, "--lr-min", example: "0.0001")
        try ArgumentCheck.positive(lrMax, "--lr-max", example: "10")
        guard lrMin <= lrMax, lrMax / lrMin <= 1e12 else { throw ValidationError("--lr-min must be ≤ --lr-max and within 12 decades; try --lr-min 0.0001 --lr-max 10") }
        guard !SweepLab.logGrid(from: lrMin, to: lrMax).isEmpty else {
            throw ValidationError("no rate of the form 1 or 3 × 10^k lies between --lr-min and --lr-max; widen the range, e.g. --lr-min 0.001 --lr-max 1")
        }
        guard (1 ... 20).contains(seeds) else { throw ValidationError("--seeds \(seeds) must be 1…20; try --seeds 3") }
        guard (1 ... 10).contains(epochs) else { throw ValidationError("--epochs \(epochs) must be 1…10; try --epochs 1") }
        if let trainLimit, !(1 ... 60_000).contains(trainLimit) {
            throw ValidationError("--train-limit \(trainLimit) must be 1…60000; try --train-limit 10000 or leave it out")
        }
        guard (1 ... 64).contains(jobs) else { throw ValidationError("--jobs \(jobs) must be 1…64; try --jobs 2") }
    }

    var settings: SweepLab.Settings {
        var s = SweepLab.Settings()
        s.learningRates = SweepLab.logGrid(from: lrMin, to: lrMax)
        s.seeds = [MLP.defaultSeed] + (1 ..< UInt64(seeds)).map { $0 }
        s.epochs = epochs
        s.trainLimit = trainLimit
        s.rawPixels = rawPixels
        s.jobs = jobs
        return s
    }

    func run() throws {
        if output.explain { return try Presenter.explain(Self.worksheet) }
        let loaded = try Q2Data.load(data.settings)
        let result = try Self.computeInteractively(settings, data: loaded)
        try Presenter.present(result, text: Self.text(for: result), figures: Self.figures(for: result, title: output.title),
                              options: output)
    }
}

extension Q2Sweep {
    static let worksheet = "q2-sweep"

    static func computeInteractively(_ settings: SweepLab.Settings, data: Q2Data) throws -> SweepLab.Result {
        let started = Date()
        let terminal = Console.stderrIsTerminal
        do {
            return try Interrupt.during { interrupt in
                try SweepLab.compute(settings, train: data.train, test: data.test) { done, total in
                    if terminal {
                        Console.error(String(format: "q2-sweep: %d/%d runs done (%.1f s)", done, total, Date().timeIntervalSince(started)))
                    }
                    return !interrupt.requested
                }
            }
        } catch is CancellationError {
            throw LabError.interrupted("interrupted; nothing written")
        } catch let error as LabError {
            throw error
        } catch {
            throw LabError.failed("\(error)")
        }
    }

    static func text(for r: SweepLab.Result) -> String {
        let s = r.settings
        var lines = [
            "Q2 sweep  per-sample SGD, \(s.epochs) epoch\(s.epochs == 1 ? "" : "s"), \(s.trainLimit.map { "first \(Q2Format.count($0)) images" } ?? "all training images"), \(Q2Format.scaling(s.scaling)), seeds \(s.seeds.map(String.init).joined(separator: ", ")), \(s.jobs) job\(s.jobs == 1 ? "" : "s")",
            "",
        ]
        var table = TextTable(header: ["η", "test accuracy mean (min … max)", "test loss", "verdicts", "notes"])
        for rate in r.rates {
            let runs = r.runs.filter { $0.learningRate == rate.learningRate }
            var notes: [String] = []
            let chance = runs.filter(\.atChance).count, saturated = runs.filter { $0.saturation > 0.5 }.count
            if chance > 0 { notes.append("\(chance) at chance level") }
            if saturated > 0 { notes.append("\(saturated) with > 50 % of first-layer units saturated") }
            table.add([
                NumberFormat.number(rate.learningRate),
                "\(Q2Format.percent(rate.meanAccuracy)) (\(Q2Format.percent(rate.minAccuracy)) … \(Q2Format.percent(rate.maxAccuracy)))",
                Q2Format.loss(rate.meanTestLoss),
                rate.verdicts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "),
                notes.joined(separator: "; "),
            ])
        }
        lines.append(table.render())
        lines.append("")
        lines.append("Curvature at the start (seed \(s.seeds[0])): mean loss over \(Q2Format.count(s.curvatureSamples)) images λmax = \(Q2Curvature.format(r.meanLambdaMax)) → 2/λmax = \(Q2Curvature.format(2 / r.meanLambdaMax));")
        lines.append("  per-sample λmax over the first \(s.perSampleCount) images: median \(Q2Curvature.format(r.perSampleMedian)) → 2/λ = \(Q2Curvature.format(2 / r.perSampleMedian)), maximum \(Q2Curvature.format(r.perSampleMaximum)) → 2/λ = \(Q2Curvature.format(2 / r.perSampleMaximum)).")
        if let last = r.lastConverging {
            let failing = r.firstFailing.map { "; the first rate above it where a run fails is η = \(NumberFormat.number($0))" } ?? "; no larger rate failed"
            lines.append("Breakdown: every seed converges up to η = \(NumberFormat.number(last))\(failing).")
        } else {
            lines.append("Breakdown: no rate of the grid converged for every seed.")
        }
        if let seconds = r.seconds { lines.append(String(format: "%d runs in %.1f s.", r.runs.count, seconds)) }
        return lines.joined(separator: "\n")
    }

    /// q2-sweep-accuracy and q2-sweep-loss against η (log axis), mean and range over seeds, with
    /// the measured 2/λmax lines.
    static func figures(for r: SweepLab.Result, title: String?) -> [Figure] {
        var table = Table(columns: ["learning_rate", "mean_accuracy_percent", "min_accuracy_percent", "max_accuracy_percent", "mean_test_loss",
                                    "min_test_loss", "max_test_loss"])
        for rate in r.rates {
            let losses = r.runs.filter { $0.learningRate == rate.learningRate }.map(\.testLoss).filter(\.isFinite)
            table.append([rate.learningRate, 100 * rate.meanAccuracy, 100 * rate.minAccuracy, 100 * rate.maxAccuracy,
                          rate.meanTestLoss, losses.min() ?? .nan, losses.max() ?? .nan])
        }
        let marks = [(2 / r.meanLambdaMax, "2/λmax, mean loss", 1), (2 / r.perSampleMedian, "2/λmax, median single image", 2),
                     (2 / r.perSampleMaximum, "2/λmax, sharpest single image", 3)]
        let arrows = marks.map { x, _, c in
            "set arrow from \(Gnuplot.number(x)), graph 0 to \(Gnuplot.number(x)), graph 1 nohead dt 2 lw 2 lc rgb '\(Q1Plot.color(c))'\n"
        }.joined()
        // Invisible points so each dashed line gets a key entry.
        let keys = marks.map { _, label, c in "NaN with lines dt 2 lw 2 lc rgb '\(Q1Plot.color(c))' title \(Gnuplot.quoted(label))" }
            .joined(separator: ", \\\n     ")
        let base = Q1Plot.style + arrows + """
            set logscale x
            set xlabel 'learning rate η (log scale)'
            set format x '10^{%L}'
            set key outside right top vertical

            """
        return [
            Figure(name: "q2-sweep-accuracy", width: 1100, data: [("runs", table)],
                   commands: base + Q1Plot.titleCommand("Q2 test accuracy after \(r.settings.epochs) epoch(s) against η \(r.settings.seeds.count == 1 ? "(one seed)" : "(mean, min…max over \(r.settings.seeds.count) seeds)")", user: title) + """
                   set ylabel 'test accuracy (%)'
                   set yrange [0:100]
                   plot $runs using 1:2:3:4 with yerrorlines lw 2 pt 7 lc rgb '\(Q1Plot.color(0))' title 'test accuracy', \\
                        \(keys)

                   """),
            Figure(name: "q2-sweep-loss", width: 1100, data: [("runs", table)],
                   commands: base + Q1Plot.titleCommand("Q2 test loss after \(r.settings.epochs) epoch(s) against η \(r.settings.seeds.count == 1 ? "(one seed)" : "(mean, min…max over \(r.settings.seeds.count) seeds)")", user: title) + """
                   set ylabel 'test cross-entropy per image (log scale)'
                   set logscale y
                   plot $runs using 1:5:6:7 with yerrorlines lw 2 pt 7 lc rgb '\(Q1Plot.color(0))' title 'test loss', \\
                        \(keys)

                   """),
        ]
    }
}
