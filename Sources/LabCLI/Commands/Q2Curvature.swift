// `lab q2-curvature`: Question 1 meets Question 2 (issue 12) — the Hessian spectrum of the MLP's
// mean loss (λmax, top-k, trace, density) at the start and after each epoch of the homework's
// training, η·λmax beside Question 1's bound 2, per-sample λmax, and the raw-versus-scaled
// comparison with its two ablations. The computation is `CurvatureLab` (module Labs).

import ArgumentParser
import Curvature
import Foundation
import Labs
import MNISTNet

struct Q2Curvature: ParsableCommand {
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
    var samples = 10_000

    @Option(help: ArgumentHelp("Largest eigenvalues to find (1…20).", valueName: "K"))
    var top = 3

    @Option(help: "Epochs of the homework's training (η = --lr, per-sample SGD) after the start, measured after each (0…10).")
    var epochs = 1

    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate η of that training and of η·λmax.")
    var learningRate = 0.003

    @Option(name: .customLong("per-sample"), help: ArgumentHelp("Images whose own λmax is measured (0…10000).", valueName: "P"))
    var perSample = 50

    @Option(name: .customLong("trace-probes"), help: "Rademacher probes for Hutchinson's trace (0 = no trace, else 2…1000).")
    var traceProbes = 10

    @Option(name: .customLong("density-probes"), help: "Random probes of the spectral density (0 = no density, …100).")
    var densityProbes = 2

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
        if output.explain { return try Presenter.explain(Self.worksheet) }
        let loaded = try Q2Data.load(data.settings)
        let start = try Q2Network.make(network.settings, fitting: loaded.train)
        try Self.checkSize(start)
        let result = try Self.computeInteractively(settings, network: start, data: loaded)
        try Presenter.present(result, text: Self.text(for: result), figures: Self.figures(for: result, title: output.title),
                              options: output)
    }
}

extension Q2Curvature {
    static let worksheet = "q2-curvature"

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

    static func text(for r: CurvatureLab.Result) -> String {
        let s = r.settings
        let eta = s.learningRate
        var lines = [
            "Q2 curvature  network \(Q2Format.layers(r.layerSizes)) (\(Q2Format.count(r.parameterCount)) parameters), seed \(s.seed), \(Q2Format.scaling(s.scaling))",
            "Hessian of the MEAN cross-entropy over the first \(Q2Format.count(s.samples)) training images (exact products, Lanczos to \(NumberFormat.error(s.tolerance)) residual)",
            "Question 1(c): gradient descent on a quadratic converges iff η·λmax < 2. Here η = \(NumberFormat.number(eta)), so 2/η = \(NumberFormat.number(2 / eta)).",
            "",
        ]
        var table = TextTable(header: ["epoch", "test acc.", "mean loss", "λmax (mean)", "η·λmax", "top-\(s.top)", "trace ± s.e.",
                                       "per-sample λmax median / max", "η·λ > 2"])
        for snap in r.snapshots {
            table.add([
                snap.epoch == 0 ? "0 (start)" : "\(snap.epoch)",
                snap.testAccuracy.map(Q2Format.percent) ?? "—",
                Q2Format.loss(snap.meanLoss),
                format(snap.lambdaMax), format(eta * snap.lambdaMax),
                snap.top.map(format).joined(separator: ", "),
                snap.trace.map { "\(format($0.trace)) ± \(format($0.standardError))" } ?? "—",
                snap.perSample.map { "\(format($0.median)) / \(format($0.maximum))" } ?? "—",
                snap.perSample.map { Q2Format.percent($0.fractionUnstable) } ?? "—",
            ])
        }
        lines.append(table.render())
        if r.training != "completed" { lines.append("Training \(r.training).") }
        if let first = r.snapshots.first {
            lines.append("")
            lines.append("Mean loss: η·λmax = \(format(eta * first.lambdaMax)) at the start, \(eta * first.lambdaMax < 2 ? "below" : "ABOVE") 2: gradient descent on the mean loss at this η would be stable.")
            if let p = first.perSample {
                lines.append("Per sample: each SGD step descends ONE image's loss; its λmax ranges up to \(format(p.maximum)) (η·λ up to \(format(eta * p.maximum))); \(Q2Format.percent(p.fractionUnstable)) of the first \(p.lambdas.count) images have η·λ > 2.")
            }
        }
        if !r.comparison.isEmpty {
            lines.append("")
            lines.append("Raw versus scaled pixels at the seeded start (same W² …; λ on the same \(Q2Format.count(s.samples)) images; accuracy after one epoch at η = \(NumberFormat.number(eta))):")
            var t = TextTable(header: ["variant", "λmax (mean)", "η·λmax", "per-sample λmax median / max", "η·λ > 2", "saturated at start", "accuracy, 1 epoch"])
            for v in r.comparison {
                t.add([v.name, format(v.lambdaMax), format(eta * v.lambdaMax), "\(format(v.perSampleMedian)) / \(format(v.perSampleMaximum))",
                       Q2Format.percent(v.fractionUnstable), Q2Format.percent(v.saturationAtStart), Q2Format.percent(v.accuracyAfterOneEpoch)])
            }
            lines.append(t.render())
            lines.append("Raw pixels with W¹/255 start from exactly the scaled network's outputs (nothing more saturated), yet the Hessian's")
            lines.append("W¹ block grows by 255²: scaling the inputs is preconditioning. Scaled pixels with W¹×255 saturate without that curvature.")
        }
        return lines.joined(separator: "\n")
    }

    /// The command line that computes `s` (the options that differ from the defaults).
    static func commandLine(_ s: CurvatureLab.Settings) -> String {
        let d = CurvatureLab.Settings()
        var words = ["lab", "q2-curvature"]
        if s.samples != d.samples { words += ["--samples", "\(s.samples)"] }
        if s.top != d.top { words += ["--top", "\(s.top)"] }
        if s.epochs != d.epochs { words += ["--epochs", "\(s.epochs)"] }
        if s.learningRate != d.learningRate { words += ["--lr", NumberFormat.number(s.learningRate)] }
        if s.perSampleCount != d.perSampleCount { words += ["--per-sample", "\(s.perSampleCount)"] }
        if s.traceProbes != d.traceProbes { words += ["--trace-probes", "\(s.traceProbes)"] }
        if s.densityProbes != d.densityProbes { words += ["--density-probes", "\(s.densityProbes)"] }
        if !s.compare { words.append("--no-compare") }
        if s.rawPixels { words.append("--raw-pixels") }
        if s.seed != d.seed { words += ["--seed", "\(s.seed)"] }
        if let limit = s.trainLimit { words += ["--train-limit", "\(limit)"] }
        return words.joined(separator: " ")
    }

    static func format(_ x: Double) -> String {
        guard x.isFinite else { return NumberFormat.number(x) }
        if x != 0 && (abs(x) >= 1e5 || abs(x) < 1e-3) { return String(format: "%.3g", x) }
        return String(format: abs(x) >= 100 ? "%.1f" : (abs(x) >= 1 ? "%.3f" : "%.4f"), x)
    }

    /// q2-curvature-density: the broadened eigenvalue density of each snapshot (log scale).
    static func figures(for r: CurvatureLab.Result, title: String?) -> [Figure] {
        let snaps = r.snapshots.filter { $0.density != nil }
        guard !snaps.isEmpty else { return [] }
        let low = snaps.map { $0.density!.range.lowerBound }.min()!, high = snaps.map { $0.density!.range.upperBound }.max()!
        let sigma = max(1e-6, 0.01 * (high - low))
        var table = Table(columns: ["eigenvalue"] + snaps.map { "density_epoch_\($0.epoch)" })
        let points = 400
        for k in 0 ..< points {
            let t = (low - 3 * sigma) + (high - low + 6 * sigma) * Double(k) / Double(points - 1)
            table.append([t] + snaps.map { max(1e-12, $0.density!.density(at: t, sigma: sigma)) })
        }
        let plots = snaps.enumerated().map { i, snap in
            "$density using 1:\(i + 2) with lines lw 2 lc rgb '\(Q1Plot.color(i))' title \(Gnuplot.quoted(snap.epoch == 0 ? "start" : "after epoch \(snap.epoch)"))"
        }
        let lambdaLines = snaps.enumerated().map { i, snap in
            "set arrow from \(Gnuplot.number(snap.lambdaMax)), graph 0 to \(Gnuplot.number(snap.lambdaMax)), graph 1 nohead dt 2 lc rgb '\(Q1Plot.color(i))'\n"
        }.joined()
        return [Figure(
            name: "q2-curvature-density", data: [("density", table)],
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q2 Hessian eigenvalue density (SLQ, σ = \(format(sigma))); dashed: λmax (Lanczos)", user: title)
                + lambdaLines
                + """
                set xlabel 'eigenvalue of the Hessian of the mean loss'
                set ylabel 'density (log scale)'
                set format y '10^{%L}'
                set logscale y
                set yrange [1e-6:*]
                set key top right
                plot \(plots.joined(separator: ", \\\n     "))

                """)]
    }
}
