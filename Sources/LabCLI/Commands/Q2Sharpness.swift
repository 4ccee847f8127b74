// `lab q2-sharpness`: Question 1(c)'s threshold 2/η acting on the Question 2 network — full-batch
// gradient descent for several η with the sharpness λmax (largest Hessian eigenvalue) measured
// along the way, which moves to about 2/η and hovers there instead of diverging (the edge of
// stability). The experiment is `SharpnessLab` in Labs; this file parses and presents.

import ArgumentParser
import Foundation
import LabReport
import LabSupport
import Labs
import MNISTNet

struct Q2SharpnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q2-sharpness",
        abstract: "Q2 after Q1(c): full-batch gradient descent; the sharpness λmax moves to 2/η instead of diverging.",
        discussion: """
            One run of full-batch gradient descent θ ← θ − η·∇L per --eta (repeatable; default 0.5, 1.2, 2, 4), \
            on the mean loss over the first --samples training images, the runs spread over the cores. Every \
            --every steps: the loss, the test accuracy and λmax by Lanczos on exact Hessian-vector products, \
            warm-started from the previous top eigenvector.
            Figures in <out>: q2-sharpness-sharpness.png (λmax against step, 2/η dashed), q2-sharpness-loss.png \
            (loss against step, log scale), q2-sharpness-edge.png (final λmax against 2/η), with CSV sidecars.
            Ctrl-C stops every run at its next step and still writes what was measured (exit status 130).
            """)

    @OptionGroup var data: Q2DataOptions
    @OptionGroup var network: Q2NetworkOptions

    @Option(help: ArgumentHelp("Full-batch gradient descent on the first N training images.", valueName: "N"))
    var samples = SharpnessLab.Settings().samples

    @Option(name: .customLong("eta"), parsing: .unconditionalSingleValue,
            help: "Step size η (> 0); repeatable, one run each (default 0.5, 1.2, 2, 4).")
    var etas: [Double] = []

    @Option(help: "Gradient steps per run (1 … \(SharpnessLab.Settings.maximumSteps)).")
    var steps = SharpnessLab.Settings().steps

    @Option(help: "Measure loss, test accuracy and λmax every N steps.")
    var every = SharpnessLab.Settings().every

    @Option(parsing: .unconditional,
            help: "Lanczos stops when the top residual ‖Hv − λv‖ ≤ tolerance·λ (0 < tolerance < 1).")
    var tolerance = SharpnessLab.Settings().tolerance

    @Flag(help: "Also measure the second largest eigenvalue λ₂.")
    var second = false

    @OptionGroup var output: OutputOptions

    var settings: SharpnessLab.Settings {
        var s = SharpnessLab.Settings()
        s.samples = samples
        if !etas.isEmpty { s.etas = etas }
        s.steps = steps
        s.every = every
        s.tolerance = tolerance
        s.second = second
        s.rawPixels = network.rawPixels
        return s
    }

    func validate() throws {
        if output.explain { return }
        for eta in etas { try ArgumentCheck.positive(eta, "--eta", example: "2") }
        guard etas.count <= 16 else { throw ValidationError("at most 16 --eta values, got \(etas.count); try --eta 0.5 --eta 2") }
        guard (1 ... 60_000).contains(samples) else {
            throw ValidationError("--samples must be 1…60000, got \(samples); try --samples 2000")
        }
        do {
            try settings.validate()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        let shown = try Q2Sharpness.perform(output: output) {
            let loaded = try Q2Data.load(data.settings, progress: DownloadReporter.shared.report)
            let start = try Q2Network.make(network.settings, fitting: loaded.train)
            return try Self.computeInteractively(settings, data: loaded, start: start)
        }
        if let result = shown, result.lab.stopped {
            throw LabError.interrupted("interrupted: every run stopped at its next step; the text and figures show what was measured")
        }
    }
}

/// Progress on stderr: one line per measurement of any run (runs go in parallel, so lines from
/// different η interleave), and the wall time at the end.
final class SharpnessConsole: @unchecked Sendable {  // `lock` guards the output
    private let lock = NSLock()
    private let settings: SharpnessLab.Settings
    private let started = Date()

    init(settings: SharpnessLab.Settings) { self.settings = settings }

    func show(_ progress: SharpnessLab.Progress) {
        guard let m = progress.measurement else { return }
        let eta = NumberFormat.number(progress.eta)
        let line = String(format: "η = %@  step %d/%d  loss %@  λmax %.3f (2/η = %.3f)  test accuracy %@  (%.1f s)",
                          eta, m.step, settings.steps, Q2Format.loss(m.loss), m.sharpness, 2 / progress.eta,
                          Q2Format.percent(m.testAccuracy), Date().timeIntervalSince(started))
        lock.lock()
        Console.error(line)
        lock.unlock()
    }

    func finish(_ result: SharpnessLab.Result) {
        let steps = result.runs.reduce(0) { $0 + $1.steps }
        Console.error(String(format: "sharpness: %d gradient steps and %d measurements in %.1f s", steps,
                             result.runs.reduce(0) { $0 + $1.measurements.count - 1 } + 1, Date().timeIntervalSince(started)))
    }
}

extension Q2SharpnessCommand {
    /// The lab on `data`, with progress on stderr (one line per measurement) and Ctrl-C turned
    /// into stopping every run at its next step.
    static func computeInteractively(_ settings: SharpnessLab.Settings, data: Q2Data, start: MLP,
                                     origin: String? = nil) throws -> Q2Sharpness.Result {
        let console = SharpnessConsole(settings: settings)
        let lab = try Interrupt.during { interrupt in
            try Q2Sharpness.compute(settings, data: data, start: start) { progress in
                console.show(progress)
                return interrupt.requested ? .stop : .proceed
            }
        }
        console.finish(lab)
        return Q2Sharpness.Result(data: Q2DataSummary(data), start: origin ?? "seeded initialisation", lab: lab)
    }
}
