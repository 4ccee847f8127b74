// `lab report`: the whole homework in one command. Runs Question 1 (q1a–q1d) and the Question 2
// pipeline, and writes into --out: figures/ (PNG + CSV), report.md, report.ipynb (a Jupyter
// notebook), a self-contained report.html, report.pdf (printed by a headless browser when one
// is installed), and results.json with every number — all or nothing.

import ArgumentParser
import Foundation
import LabReport
import LabSupport
import Labs
import MNISTNet

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Answer every question: report.md, report.ipynb, report.html, report.pdf, results.json and figures.",
        discussion: """
            Writes <out>/report.md, <out>/report.ipynb (a Jupyter notebook, figures attached), \
            <out>/report.html (figures embedded), <out>/results.json and <out>/figures/*.png, with a .csv \
            of the plotted numbers beside each plot; and <out>/report.pdf, report.html printed by a \
            headless Chromium-family browser (chromium, chromium-browser or google-chrome on PATH; \
            time limit GDLAB_BROWSER_TIMEOUT, default 120 s). The report is built in a staging folder \
            and moved into place at the end, so <out> never holds half a report.

            The same options give byte-identical report.md, report.ipynb, report.html and results.json; \
            timings go to stderr.

            Exit status: 0 complete; 2 written but figures or the PDF missing (gnuplot or the browser \
            not installed); 1 written without Question 2 (no MNIST data, training diverged) or not \
            written at all; 130 interrupted (Ctrl-C during training: nothing written, a previous report \
            is unchanged).

            The Question 2 options are those of 'lab q2-train'.
            """)

    @Option(help: ArgumentHelp("Folder for the report (created if needed; a previous report there is replaced).",
                               valueName: "folder"))
    var out = "report"

    @OptionGroup(title: "Question 2 data") var data: Q2DataOptions
    @OptionGroup(title: "Question 2 network") var network: Q2NetworkOptions
    @OptionGroup(title: "Question 2 training") var training: Q2TrainingOptions

    func validate() throws {
        guard !out.isEmpty else { throw ValidationError("--out is empty; pass a folder such as --out report") }
        guard !out.contains("\0") else { throw ValidationError("--out contains a NUL byte; pass an ordinary folder name") }
    }

    func run() throws {
        if let save = training.save { try Q2Network.prepareSave(save) }
        let progress = ReportProgress(printer: Console.error, downloads: DownloadReporter.shared.report)
        let folder: ReportFolder
        do {
            folder = try ReportFolder(destination: URL(fileURLWithPath: out))
        } catch {
            throw LabError.failed("\(error)")
        }
        let outcome: ReportOutcome
        let pdf: ReportPDF.Outcome
        do {
            let question2 = ReportQuestion2.Settings(
                train: Q2Train.Settings(data: data.settings, network: network.settings, training: training.settings),
                save: training.save)
            outcome = try ReportBuilder(folder: folder, progress: progress, question2: question2).build()
            pdf = try ReportPDF.write(in: folder, progress: progress)
            try folder.commit()
        } catch let error as LabError {
            folder.discard()
            throw error
        } catch {
            folder.discard()
            throw LabError.failed("\(error)")
        }
        let shown = out.hasSuffix("/") ? String(out.dropLast()) : out
        let drawn = outcome.figures.count - outcome.missingFigures
        var pdfText = ""
        if case .written(let bytes) = pdf { pdfText = ", \(shown)/\(ReportPDF.name) (\(Self.size(bytes)))" }
        Console.error(
            "Wrote \(shown)/report.md, \(shown)/report.ipynb, \(shown)/report.html (\(Self.size(outcome.htmlBytes)), figures embedded)\(pdfText), \(shown)/results.json"
                + " and \(drawn) figure\(drawn == 1 ? "" : "s") in \(shown)/\(ReportFolder.figuresName)/ (a CSV of the plotted numbers beside each plot)"
                + " in \(ReportProgress.format(progress.elapsed)) s.")
        // One line says everything that is missing: the worse failure first, the PDF after it.
        let noPDF: String? = if case .missing(let reason) = pdf { "\(ReportPDF.name) not written: \(reason)" } else { nil }
        switch (outcome.failure, noPDF) {
        case (.failed(let text)?, let pdf?): throw LabError.failed(text + "; " + pdf)
        case (.incomplete(let text)?, let pdf?): throw LabError.incomplete(text + "; " + pdf)
        case (let failure?, _): throw failure
        case (nil, let pdf?): throw LabError.incomplete("report written, but " + pdf)
        case (nil, nil): break
        }
    }

    private static func size(_ bytes: Int) -> String {
        bytes >= 1_000_000 ? String(format: "%.1f MB", Double(bytes) / 1e6) : "\(max(1, bytes / 1000)) kB"
    }
}
