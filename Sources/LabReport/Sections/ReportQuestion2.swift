// Question 2 in the report: the MNIST pipeline through the Question 2 commands' own compute,
// text and figures — the network and its initialisation, the forward pass before training,
// the gradient check of backpropagation, and training — each answered with the run's numbers.
// Without the data, the section says how to get it and the report still has Question 1.

import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTData
import MNISTNet

/// Builds the Question 2 section of the report.
package enum ReportQuestion2 {
    /// The Question 2 options the report passes through (the `lab q2-train` groups).
    package struct Settings: Sendable {
        package var train = Q2Train.Settings()
        /// `--save`: where the trained weights go (outside the report), if anywhere.
        package var save: String?

        package init(train: Q2Train.Settings = Q2Train.Settings(), save: String? = nil) {
            self.train = train
            self.save = save
        }
    }

    /// Every Question 2 number, as `results.json` holds it; all `nil` but `unavailable` when
    /// Question 2 could not run.
    package struct Results: Encodable {
        package var initialisation: Q2Init.Result?
        package var forward: Q2Forward.Result?
        package var gradientCheck: Q2Backprop.Result?
        package var training: Q2Train.Result?
        /// Why Question 2 could not run (the data is missing, a --load file is unusable).
        package var unavailable: String?
    }

    /// What `build` returns.
    package struct Outcome {
        package var section: ReportSection
        package var results: Results
        /// The one-line reason Question 2 is missing from the report.
        package var unavailable: String?
        /// Training diverged: the report is written, and the command then fails with this.
        package var diverged: String?
    }

    /// The command line that reproduces the report: only the options that differ from the
    /// defaults, and never --out (the report does not name its own folder); each word quoted for
    /// the shell where it needs to be.
    package static func commandLine(_ settings: Settings) -> String {
        let defaults = Q2Train.Settings()
        let s = settings.train
        var words = ["lab", "report"]
        if s.data.dataset != defaults.data.dataset { words += ["--dataset", s.data.dataset.rawValue] }
        if let dir = s.data.dataDirectory { words += ["--data-dir", portablePath(dir)] }
        if let mirror = s.data.mirror { words += ["--mirror", mirror] }
        if let hidden = s.network.hidden { words += ["--hidden", hidden.map(String.init).joined(separator: ",")] }
        if s.network.seed != defaults.network.seed { words += ["--seed", "\(s.network.seed)"] }
        if s.network.rawPixels { words.append("--raw-pixels") }
        if let load = s.network.load { words += ["--load", portablePath(load)] }
        if s.training.learningRate != defaults.training.learningRate { words += ["--lr", NumberFormat.number(s.training.learningRate)] }
        if s.training.epochs != defaults.training.epochs { words += ["--epochs", "\(s.training.epochs)"] }
        if s.training.batchSize != defaults.training.batchSize { words += ["--batch-size", "\(s.training.batchSize)"] }
        if s.training.shuffle { words.append("--shuffle") }
        if let limit = s.training.trainLimit { words += ["--train-limit", "\(limit)"] }
        return words.map(ShellWords.quoted).joined(separator: " ")
    }

    /// Runs the pipeline on the data `settings` name and draws its figures.
    ///
    /// - Throws: `LabError.interrupted` (Ctrl-C during training), `FileWriteError` when a
    ///   figure cannot be written. A missing dataset or unusable weights are not thrown: they
    ///   become the section's content and `Outcome.unavailable`.
    package static func build(_ settings: Settings, figures: ReportFigures, progress: ReportProgress) throws -> Outcome {
        let s = settings.train
        let data: Q2Data
        do {
            data = try progress.step("q2: loading \(s.data.dataset.displayName)") {
                try Q2Data.load(s.data, progress: progress.downloads)
            }
        } catch let error as LabError {
            guard case .failed(let message) = error else { throw error }
            progress.line("q2: no data — \(message)")
            return unavailable(message, settings: settings)
        }
        do {
            return try run(settings, data: data, figures: figures, progress: progress)
        } catch let error as LabError {
            guard case .failed(let message) = error else { throw error }
            progress.line("q2: cannot run — \(message)")
            return unavailable(message, settings: settings)
        }
    }

    // MARK: - The pipeline

    private static func run(_ settings: Settings, data: Q2Data, figures: ReportFigures,
                            progress: ReportProgress) throws -> Outcome {
        let s = settings.train
        var initial = try progress.step("q2-init: layer shapes and initialisation statistics") {
            try Q2Init.compute(.init(network: s.network))
        }
        initial.settings.network = portable(initial.settings.network)
        let loaded = s.network.load.map { "loaded from " + portablePath($0) }
        if let loaded { initial.origin = loaded }
        var forward = try progress.step("q2-forward: the untrained network on the test set") {
            try Q2Forward.compute(.init(data: s.data, network: s.network), data: data)
        }
        forward.data = portable(forward.data)
        forward.settings.data = portable(forward.settings.data)
        forward.settings.network = portable(forward.settings.network)
        if let loaded { forward.weights = loaded }
        var check = try progress.step("q2-backprop: gradient check against central differences") {
            try Q2Backprop.compute(.init(data: s.data, network: s.network), data: data)
        }
        check.data = portable(check.data)
        check.settings.data = portable(check.settings.data)
        check.settings.network = portable(check.settings.network)
        var train = try progress.step("q2-train: \(s.training.epochs) epoch\(s.training.epochs == 1 ? "" : "s") of SGD, η = \(NumberFormat.number(s.training.learningRate))") {
            try trainWithProgress(s, data: data, save: settings.save, progress: progress)
        }
        if let save = settings.save, train.outcome.status != .diverged {
            try Q2Network.save(train.network, to: save)
        }
        train.data = portable(train.data)
        train.settings.data = portable(train.settings.data)
        train.settings.network = portable(train.settings.network)
        if let loaded { train.start = loaded }

        // All of Question 2's figures in one batch: gnuplot processes and rasters side by side.
        let drawn = try progress.step("q2-init … q2-train: figures") {
            try figures.draw([ReportFigures.untitled(Q2Init.self, initial), ReportFigures.untitled(Q2Forward.self, forward),
                              ReportFigures.untitled(Q2Backprop.self, check), ReportFigures.untitled(Q2Train.self, train)])
        }
        let sections = [
            ReportSection.lab(Q2Init.self, initial, answer: answer(initial), tables: [], checks: "the output of `lab q2-init` with the same options", figures: drawn[0]),
            ReportSection.lab(Q2Forward.self, forward, answer: answer(forward), tables: [], checks: "the output of `lab q2-forward` with the same options", figures: drawn[1]),
            ReportSection.lab(Q2Backprop.self, check, answer: answer(check), tables: [gradientTable(check)], checks: "the output of `lab q2-backprop` with the same options", figures: drawn[2]),
            ReportSection.lab(Q2Train.self, train, answer: answer(train), tables: [epochTable(train)], checks: "the output of `lab q2-train` with the same options", figures: drawn[3]),
        ]
        let section = ReportSection(
            id: "question-2", title: "Question 2 — an MNIST MLP from scratch",
            blocks: [.paragraph(
                "The pipeline of `lab q2-init`, `lab q2-forward`, `lab q2-backprop` and `lab q2-train` on \(train.data.dataset) (\(Q2Format.count(train.data.trainCount)) training and \(Q2Format.count(train.data.testCount)) test images), network \(Q2Format.layers(train.layerSizes)), \(Q2Format.scaling(s.network.scaling)), initial weights from seed \(s.network.seed). Each part starts from the same initial network.")],
            subsections: sections)
        let results = Results(initialisation: initial, forward: forward, gradientCheck: check, training: train)
        let diverged = train.outcome.status == .diverged ? train.outcome.text : nil
        return Outcome(section: section, results: results, unavailable: nil, diverged: diverged)
    }

    /// Trains with one progress line per epoch; Ctrl-C stops training at its next progress
    /// report and abandons the report (exit 130), leaving any previous report in place; with
    /// `save`, the weights so far go to `<name>.partial.npz` as `lab q2-train` does.
    private static func trainWithProgress(_ s: Q2Train.Settings, data: Q2Data, save: String?,
                                          progress: ReportProgress) throws -> Q2Train.Result {
        let epochs = s.training.epochs
        return try Q2Train.trainStoppable(s, data: data, save: save, show: { event in
            if case .epochFinished(let e) = event {
                progress.line("q2-train: epoch \(e.epoch)/\(epochs): train loss \(Q2Format.loss(e.trainLoss)), test loss \(Q2Format.loss(e.testLoss ?? .nan)), test accuracy \(Q2Format.percent(e.testAccuracy ?? .nan))")
            }
        }) { samples, partial in
            "interrupted after \(samples) training samples; no report written (a previous one is unchanged)"
                + (partial.map { "; the weights so far are in \($0)" } ?? "")
        }
    }

    /// The section when Question 2 cannot run: the reason, literally, and how to get the data.
    private static func unavailable(_ message: String, settings: Settings) -> Outcome {
        let kind = settings.train.data.dataset
        let section = ReportSection(
            id: "question-2", title: "Question 2 — an MNIST MLP from scratch",
            blocks: [
                .note("Question 2 could not run, so this section has no results:", detail: message),
                .paragraph("To get the \(kind.displayName) data, do one of these and run `lab report` again:"),
                .list([
                    "put the four files (\(DatasetFile.allCases.map { "`" + $0.compressedFileName + "`" }.joined(separator: ", "))) in a folder and pass `--data-dir FOLDER`, or set `\(kind.environmentVariable)` to that folder;",
                    "or let gdlab download them: without `--data-dir` and `\(kind.environmentVariable)`, the first run fetches them from public mirrors into its cache (`~/.cache/gdlab/`), verifying each file's SHA-256.",
                ]),
                .paragraph("The Question 2 worksheets explain what the section would show: `lab q2-init --explain`, `lab q2-forward --explain`, `lab q2-backprop --explain`, `lab q2-train --explain`."),
            ])
        return Outcome(section: section, results: Results(unavailable: message), unavailable: message, diverged: nil)
    }

    // MARK: - Tables

    /// The gradient-check table: one row per parameter tensor.
    package static func gradientTable(_ r: Q2Backprop.Result) -> ReportBlock {
        .table(
            header: ["tensor", "shape", "entries checked", "step h", "max relative error", "max absolute error", "largest |g|", "≤ \(NumberFormat.error(r.tolerance))"],
            rows: r.rows.map { row in
                [row.name, Q2Format.shape(row.shape), "\(row.checked)", NumberFormat.error(row.step),
                 NumberFormat.error(row.maxRelativeError), NumberFormat.error(row.maxAbsoluteError),
                 NumberFormat.error(row.largestGradient), row.passes(tolerance: r.tolerance) ? "pass" : "FAIL"]
            },
            numeric: [false, false, true, true, true, true, true, false])
    }

    /// Loss and accuracy per epoch, epoch 0 being the network before training.
    package static func epochTable(_ r: Q2Train.Result) -> ReportBlock {
        var rows = [["0 (before)", "—", Q2Format.loss(r.before.testLoss), Q2Format.percent(r.before.testAccuracy)]]
        for e in r.epochs {
            rows.append(["\(e.epoch)", Q2Format.loss(e.trainLoss), Q2Format.loss(e.testLoss), Q2Format.percent(e.testAccuracy)])
        }
        if r.outcome.status != .completed {
            rows.append(["end (\(r.outcome.status.rawValue))", "—", Q2Format.loss(r.after.testLoss), Q2Format.percent(r.after.testAccuracy)])
        }
        return .table(header: ["epoch", "train loss (epoch mean)", "test loss", "test accuracy"], rows: rows,
                      numeric: [false, true, true, true])
    }

    // MARK: - Answers, with the run's numbers

    package static func answer(_ r: Q2Init.Result) -> String {
        let weights = r.tensors.filter { $0.name.hasPrefix("w") && $0.theoreticalStd > 0 }
        let ratios = weights.map { $0.std / $0.theoreticalStd }
        let shapes = weights.map { "\($0.name) \(Q2Format.shape($0.shape))" }.joined(separator: ", ")
        return "The network \(Q2Format.layers(r.layerSizes)) has \(Q2Format.count(r.parameterCount)) parameters: weights \(shapes) and one bias per unit. "
            + "Weights are drawn from N(0, 1/max(n_in, n_out)) with a seeded generator and biases start at 0; the measured standard deviations are "
            + "\(String(format: "%.3f", ratios.min() ?? .nan))–\(String(format: "%.3f", ratios.max() ?? .nan)) times the theoretical ones, "
            + (weights.contains(where: \.isOutlier)
                ? "and some statistic lies outside ±\(Int(Q2Init.outlierZ)) standard errors of n draws (marked ! in the table)."
                : "each within ±\(Int(Q2Init.outlierZ)) standard errors of n draws (σ/√n for a mean, about 1/√(2n) for a standard deviation ratio), as a correct draw should be.")
    }

    package static func answer(_ r: Q2Forward.Result) -> String {
        "An untrained network should do no better than chance: about 10 % accuracy, and an average loss near ln 10 = \(Q2Format.loss(r.uniformLoss)), the loss of a uniform guess. "
            + "Measured on the \(Q2Format.count(r.count)) test images: accuracy \(Q2Format.percent(r.accuracy)), average loss \(Q2Format.loss(r.averageLoss)). "
            + "The untrained network predicts class \(r.logits.favouredClass) for \(Q2Format.count(r.predictedCounts[r.logits.favouredClass])) of them: its hidden sigmoids sit near \(String(format: "%.2f", r.logits.hiddenMean)) and vary from image to image by only \(String(format: "%.3f", r.logits.hiddenSpread)), "
            + "so every image gets nearly the same logits, and class \(r.logits.favouredClass)'s mean logit leads the next by \(String(format: "%.3f", r.logits.lead)) while no logit varies across images by more than \(String(format: "%.3f", r.logits.spreads.max() ?? 0))."
    }

    package static func answer(_ r: Q2Backprop.Result) -> String {
        let errors = r.rows.map(\.maxRelativeError)
        let worst = errors.contains(where: \.isNaN) ? .nan : errors.max() ?? .nan
        let entries = r.rows.reduce(0) { $0 + $1.checked }
        return "Backpropagation gives, layer by layer, δ = p − onehot(y) at the softmax output, δₗ = (δₗ₊₁·Wₗ₊₁ᵀ) ⊙ σ(zₗ)·(1 − σ(zₗ)) at each sigmoid layer below it, and ∂L/∂Wₗ = aₗ₋₁ᵀ·δₗ, ∂L/∂bₗ = δₗ (row vectors, W of shape (n_in, n_out)). "
            + "Checked in Double against central differences on \(entries) sampled entries of all \(r.rows.count) parameter tensors (loss summed over \(r.settings.samples) training images): "
            + "the largest relative error is \(NumberFormat.error(worst)), \(r.passed ? "within" : "NOT within") the tolerance \(NumberFormat.error(r.tolerance))."
    }

    package static func answer(_ r: Q2Train.Result) -> String {
        let t = r.settings.training
        let samples = t.trainLimit.map { "the first \(Q2Format.count(min($0, r.data.trainCount)))" } ?? "all \(Q2Format.count(r.data.trainCount))"
        var text = "Per-sample SGD (η = \(NumberFormat.number(t.learningRate)), batch size \(t.batchSize), \(t.shuffle ? "shuffled" : "no shuffling")) over \(samples) training images for \(t.epochs) epoch\(t.epochs == 1 ? "" : "s") "
            + "took the test accuracy from \(Q2Format.percent(r.before.testAccuracy)) to \(Q2Format.percent(r.after.testAccuracy)) and the test loss from \(Q2Format.loss(r.before.testLoss)) to \(Q2Format.loss(r.after.testLoss)); the table gives every epoch. "
        if r.outcome.status != .completed { text += r.outcome.text.prefix(1).uppercased() + r.outcome.text.dropFirst() + ". " }
        text += "The first hidden layer's saturated outputs (outside (0.01, 0.99)) went from \(Q2Format.percent(r.before.saturation.fraction)) to \(Q2Format.percent(r.after.saturation.fraction))"
        text += r.settings.network.rawPixels
            ? ": with raw pixels up to 255 most units sit on the flat tails of the sigmoid, and the loss is far more curved along the first layer's weights (its curvature grows with x²), so many single-sample steps overshoot; this run plateaus."
            : "; with raw pixels (`--raw-pixels`) most of them saturate from the start and the loss is far more curved along the first layer (its curvature grows with x²), which is why that version stalls at 60–75 %."
        if let verdict = Q2Train.accuracyVerdict(r) { text += " " + verdict }
        return text
    }

    // MARK: - No absolute paths in the report

    /// `…/<last component>` for an absolute path, the path itself otherwise (a folder named in
    /// bytes that are not UTF-8 first put back as the user gave it, `\xHH` for those bytes).
    package static func portablePath(_ path: String) -> String {
        let path = RawFileNames.shown(in: path)
        guard path.hasPrefix("/") else { return path }
        let last = (path as NSString).lastPathComponent
        return last.isEmpty || last == "/" ? "…" : "…/" + last
    }

    private static func portable(_ summary: Q2DataSummary) -> Q2DataSummary {
        var summary = summary
        summary.folder = portablePath(summary.folder)
        return summary
    }

    private static func portable(_ settings: Q2DataSettings) -> Q2DataSettings {
        var settings = settings
        settings.dataDirectory = settings.dataDirectory.map(portablePath)
        return settings
    }

    private static func portable(_ settings: Q2NetworkSettings) -> Q2NetworkSettings {
        var settings = settings
        settings.load = settings.load.map(portablePath)
        return settings
    }
}
