// How every lab presents its result: the output options (--out, --title, --json, --explain) and
// the one routine that writes the figures and their sidecars into --out, then prints text or
// JSON on stdout, then reports a missing gnuplot.

import ArgumentParser
import Foundation
import LabFigures
import LabReport
import LabSupport
import MNISTNet

/// Where and how results are shown: `--out`, `--title`, `--json`, `--explain`.
struct OutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder for the PNG figures and their CSV sidecars (created if needed).",
                               valueName: "folder"))
    var out = "plots"

    @Option(help: "Text put in front of every figure title (drawn literally).")
    var title: String?

    @Flag(help: "Print all results as JSON (sorted keys) on stdout instead of text.")
    var json = false

    @Flag(help: "Print this question's worksheet (question, derivation, what to look for) and exit.")
    var explain = false

    func validate() throws {
        guard !out.isEmpty else { throw ValidationError("--out is empty; pass a folder such as --out plots") }
        guard !out.contains("\0") else { throw ValidationError("--out contains a NUL byte; pass an ordinary folder name") }
    }
}

/// Presents a lab's result: figures, then text or JSON, then the gnuplot verdict.
enum Presenter {
    /// Writes `figures` (PNG + CSV) and `rasters` (PNG) into `options.out`, all at once (see
    /// `FigureWriter.write(_:rasters:)`; the list of files keeps the figures' order), prints `text` or
    /// `result` as JSON, and throws `LabError.incomplete` afterwards if gnuplot was missing.
    ///
    /// - Throws: `LabError.failed` when the folder cannot be written or gnuplot fails.
    /// `saved` lists files the command wrote itself (e.g. weights from --save), shown first.
    static func present<Result: Encodable>(
        _ result: Result, text: String, figures: [Figure], rasters: [RasterFigure] = [], saved: [String] = [],
        options: OutputOptions
    ) throws {
        let writer: FigureWriter
        do {
            writer = try FigureWriter(folder: URL(fileURLWithPath: options.out))
            try writer.write(figures, rasters: rasters)
        } catch let error as LabError {
            throw error
        } catch {
            throw LabError.failed("\(error)")
        }
        let files = saved + writer.written.map { relativePath($0, folder: options.out) }
        if options.json {
            StandardStreams.printJSON(try LabJSON.encode(Envelope(result: result, files: files)))
        } else {
            StandardStreams.print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            if !files.isEmpty { StandardStreams.print("\nWrote: " + files.joined(separator: ", ")) }
        }
        try writer.finish()
    }

    /// Prints the worksheet `name` (e.g. "q1a") for --explain.
    static func explain(_ name: String) throws {
        print(try Worksheet.text(named: name), terminator: "")
    }

    private struct Envelope<Result: Encodable>: Encodable {
        var result: Result
        var files: [String]
    }

    private static func relativePath(_ url: URL, folder: String) -> String {
        (folder.hasSuffix("/") ? folder : folder + "/") + url.lastPathComponent
    }
}

extension LabPage {
    /// What every lab command does: the worksheet for --explain (returning nil), else
    /// `compute` and present its result (returned, for a verdict the command may still give).
    @discardableResult
    static func perform(output: OutputOptions, saved: [String] = [], _ compute: () throws -> Result) throws -> Result? {
        if output.explain {
            try Presenter.explain(worksheet)
            return nil
        }
        let result = try compute()
        try present(result, output: output, saved: saved)
        return result
    }

    /// Figures into `output.out`, then text or JSON on stdout (listing `saved` files first
    /// among those written), then the gnuplot verdict.
    static func present(_ result: Result, output: OutputOptions, saved: [String] = []) throws {
        try Presenter.present(
            result, text: text(for: result), figures: figures(for: result, title: output.title),
            rasters: rasters(for: result, title: output.title), saved: saved, options: output)
    }
}
