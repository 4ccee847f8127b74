// `lab q2-curvature`: Question 1 meets Question 2 (issue 12) — the Hessian spectrum of the MLP's
// mean loss (λmax, top-k, trace, density) at the start and after each epoch of the homework's
// training, η·λmax beside Question 1's bound 2, per-sample λmax, and the raw-versus-scaled
// comparison with its two ablations. The computation is `CurvatureLab` (module Labs).

import ArgumentParser
import Curvature
import Foundation
import LabReport
import LabSupport
import Labs
import MNISTNet

struct Q2CurvatureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q2-curvature",
        abstract: "Q1 on the network: the Hessian's λmax, top-k, trace and density; η·λmax against 2; raw vs scaled pixels.",
        discussion: """
            Exact Hessian-vector products (Pearlmutter's R-operator, Double) of the mean loss over the first \
            --samples training images; Lanczos for the top-k, Hutchinson for the trace, stochastic Lanczos \
            quadrature for the density (figure q2-curvature-density.png with a CSV sidecar). Ctrl-C stops \
            between steps (exit status 130).
            """)

    @OptionGroup var data: Q2DataOptions
    @OptionGroup var network: Q2NetworkOptions

    @Option(help: ArgumentHelp("Training images in the mean loss (1…60000).", valueName: "N"))
    var samples = CurvatureLab.Settings().samples

    @Option(help: ArgumentHelp("Largest eigenvalues to find (1…20).", valueName: "K"))
    var top = CurvatureLab.Settings().top

    @Option(help: "Epochs of the homework's training (η = --lr, per-sample SGD) after the start, measured after each (0…10).")
    var epochs = CurvatureLab.Settings().epochs

    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate η of that training and of η·λmax.")
    var learningRate = CurvatureLab.Settings().learningRate

    @Option(name: .customLong("per-sample"), help: ArgumentHelp("Images whose own λmax is measured (0…10000).", valueName: "P"))
    var perSample = CurvatureLab.Settings().perSampleCount

    @Option(name: .customLong("trace-probes"), help: "Rademacher probes for Hutchinson's trace (0 = no trace, else 2…1000).")
    var traceProbes = CurvatureLab.Settings().traceProbes

    @Option(name: .customLong("density-probes"), help: "Random probes of the spectral density (0 = no density, …100).")
    var densityProbes = CurvatureLab.Settings().densityProbes

    @Flag(name: .customLong("no-compare"), help: "Skip the raw/scaled comparison and its two ablations (four one-epoch trainings).")
    var noCompare = false

    @Option(name: .customLong("train-limit"),
            help: ArgumentHelp("Train (the epochs and the comparison's one epoch) on the first N images only (default: all).", valueName: "N"))
    var trainLimit: Int?

    @Option(help: "Threads for the Hessian-vector products (1…64; default: the core count).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1 ... 60_000).contains(samples) else { throw ValidationError("--samples \(samples) must be 1…60000; try --samples 10000") }
        guard (1 ... 20).contains(top) else { throw ValidationError("--top \(top) must be 1…20; try --top 3") }
        guard (0 ... 10).contains(epochs) else { throw ValidationError("--epochs \(epochs) must be 0…10; try --epochs 1") }
        try ArgumentCheck.positive(learningRate, "--lr", example: "0.003")
        guard (0 ... 10_000).contains(perSample) else { throw ValidationError("--per-sample \(perSample) must be 0…10000; try --per-sample 50") }
        guard traceProbes == 0 || (2 ... 1000).contains(traceProbes) else {
            throw ValidationError("--trace-probes \(traceProbes) must be 0 or 2…1000; try --trace-probes 10")
        }
        guard (0 ... 100).contains(densityProbes) else { throw ValidationError("--density-probes \(densityProbes) must be 0…100; try --density-probes 2") }
        guard (1 ... 64).contains(threads) else { throw ValidationError("--threads \(threads) must be 1…64; try --threads 2") }
        if let trainLimit, !(1 ... 60_000).contains(trainLimit) {
            throw ValidationError("--train-limit \(trainLimit) must be 1…60000; try --train-limit 10000 or leave it out")
        }
    }

    var settings: CurvatureLab.Settings {
        var s = CurvatureLab.Settings()
        s.samples = samples
        s.top = top
        s.epochs = epochs
        s.learningRate = learningRate
        s.perSampleCount = perSample
        s.traceProbes = traceProbes
        s.densityProbes = densityProbes
        s.compare = !noCompare
        s.rawPixels = network.rawPixels
        s.seed = network.seed
        s.threads = threads
        s.trainLimit = trainLimit
        return s
    }

    func run() throws {
        try CurvatureLab.perform(output: output) {
            let loaded = try Q2Data.load(data.settings, progress: DownloadReporter.shared.report)
            let start = try Q2Network.make(network.settings, fitting: loaded.train)
            try Self.checkSize(start)
            return try Self.computeInteractively(settings, network: start, data: loaded)
        }
    }
}

extension Q2CurvatureCommand {
    /// The most parameters the spectrum tools take: Lanczos keeps up to 100 vectors of them in
    /// Double (8 bytes each), so 2,000,000 parameters already need 1.6 GB.
    static let maximumParameterCount = 2_000_000

    /// Refuses networks whose Lanczos vectors would not fit in memory.
    static func checkSize(_ network: MLP) throws {
        guard network.parameterCount <= maximumParameterCount else {
            let gigabytes = Double(network.parameterCount) * 8 * 100 / 1e9
            throw LabError.failed(
                "the network has \(Q2Format.count(network.parameterCount)) parameters; the Hessian tools keep up to 100 vectors of that size (\(String(format: "%.0f", gigabytes)) GB), so at most \(Q2Format.count(maximumParameterCount)) are allowed; use smaller --hidden layers such as 32,32")
        }
    }

    /// `CurvatureLab.compute` with a progress line per step on a terminal and Ctrl-C between steps.
    static func computeInteractively(_ settings: CurvatureLab.Settings, network: MLP, data: Q2Data) throws -> CurvatureLab.Result {
        let started = Date()
        do {
            return try Interrupt.during { interrupt in
                try CurvatureLab.compute(settings, network: network, train: data.train, test: data.test) { step in
                    if Console.stderrIsTerminal {
                        let what: String
                        switch step {
                        case .measuring(let epoch): what = "measuring the Hessian spectrum after epoch \(epoch)"
                        case .training(let epoch): what = "training epoch \(epoch)"
                        case .comparing(let variant): what = "comparison: \(variant)"
                        }
                        Console.error(String(format: "q2-curvature: %@ (%.1f s)", what, Date().timeIntervalSince(started)))
                    }
                    return !interrupt.requested
                }
            }
        } catch is CancellationError {
            throw LabError.interrupted("interrupted; nothing written")
        } catch let error as CurvatureError {
            throw LabError.failed("\(error)")
        } catch let error as LabError {
            throw error
        } catch {
            throw LabError.failed("\(error)")
        }
    }
}
