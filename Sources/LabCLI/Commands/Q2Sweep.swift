// `lab q2-sweep`: Question 1(c)'s threshold on the network (issue 12) — the homework's per-sample
// SGD over a log grid of learning rates × seeds, runs spread over cores, each run classified from
// its own numbers, set against 2/λmax of the mean loss and of the per-sample losses. The
// computation is `SweepLab` (module Labs).

import ArgumentParser
import Foundation
import LabReport
import LabSupport
import Labs
import MNISTNet

struct Q2SweepCommand: ParsableCommand {
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
    var lrMin = Q2SweepCommand.defaultGrid[0]

    @Option(name: .customLong("lr-max"), parsing: .unconditional, help: "Largest learning rate of the grid.")
    var lrMax = Q2SweepCommand.defaultGrid[Q2SweepCommand.defaultGrid.count - 1]

    @Option(help: "Seeds per learning rate (1…20): 80085, then 1, 2, ….")
    var seeds = SweepLab.Settings().seeds.count

    @Option(help: "Epochs per run (1…10).")
    var epochs = SweepLab.Settings().epochs

    @Option(name: .customLong("train-limit"), help: ArgumentHelp("Train on the first N images only (default: all).", valueName: "N"))
    var trainLimit: Int?

    @Flag(name: .customLong("raw-pixels"), help: "Feed raw pixels 0…255 instead of pixel/255.")
    var rawPixels = false

    @Option(help: "Runs at once (1…64; default: the core count).")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var output: OutputOptions

    /// The lab's default grid of learning rates; its ends are --lr-min and --lr-max's defaults.
    private static let defaultGrid = SweepLab.Settings().learningRates

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
        try SweepLab.perform(output: output) {
            try Self.computeInteractively(settings, data: try Q2Data.load(data.settings, progress: DownloadReporter.shared.report))
        }
    }
}

extension Q2SweepCommand {
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
}
