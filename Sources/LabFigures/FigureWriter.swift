// Writing figures: each figure is a PNG drawn by gnuplot plus a CSV sidecar with the numbers
// it plots, both written atomically into the output folder. When gnuplot is missing the CSVs
// are still written and the missing PNGs are remembered, so the command can finish its text
// output and then fail with one line saying what to install.

import Foundation
import LabSupport

/// A gnuplot figure: its file name, the data it plots and the commands that plot it.
package struct Figure: Sendable {
    /// File stem: the PNG is `<name>.png`, the sidecar `<name>.csv`.
    package var name: String
    /// What the figure shows, in a sentence (the report's caption).
    package var caption = ""
    package var width = 900
    package var height = 600
    /// Data blocks the script plots, by name (`$name` in the script). The first is the sidecar
    /// unless `sidecar` is set.
    package var data: [(name: String, table: Table)]
    /// The sidecar CSV; defaults to the first data block.
    package var sidecar: Table?
    /// gnuplot commands after the terminal is set: `set ...` lines and a `plot` command.
    package var commands: String

    /// The complete script: terminal, data blocks, commands.
    package var script: String {
        var text = "set terminal pngcairo size \(width),\(height) enhanced font 'DejaVu Sans,11' background rgb 'white'\n"
        text += "set encoding utf8\n"
        for block in data { text += block.table.dataBlock(named: block.name) }
        text += commands
        if !commands.hasSuffix("\n") { text += "\n" }
        return text
    }

    package init(name: String, caption: String = "", width: Int = 900, height: Int = 600, data: [(name: String, table: Table)], sidecar: Table? = nil, commands: String) {
        self.name = name
        self.caption = caption
        self.width = width
        self.height = height
        self.data = data
        self.sidecar = sidecar
        self.commands = commands
    }
}

/// A figure drawn without gnuplot (a libpng raster such as a digit grid): `<name>.png`.
package struct RasterFigure: Sendable {
    package var name: String
    /// What the figure shows, in a sentence (the report's caption).
    package var caption = ""
    package var canvas: RasterCanvas

    package init(name: String, caption: String = "", canvas: RasterCanvas) {
        self.name = name
        self.caption = caption
        self.canvas = canvas
    }
}

/// Writes figures and their sidecars into one folder and keeps account of what was written.
///
/// A batch is drawn concurrently: every gnuplot figure is a process of its own (at most
/// `gnuplotLimit` at once) and raster figures are encoded on other threads meanwhile. The
/// account (`written`, `missing`) is kept afterwards on the calling thread, in the batch's order
/// (each figure's CSV then its PNG, then the rasters), so it reads exactly as if the figures had
/// been written one after another.
package final class FigureWriter {
    package let folder: URL
    package private(set) var written: [URL] = []
    package private(set) var missing: [String] = []
    package private(set) var gnuplotError: GnuplotError?

    /// The most gnuplot processes running at once: one per core and one more, so a core is
    /// never idle while another gnuplot starts up or writes its PNG.
    package static let gnuplotLimit = ProcessInfo.processInfo.activeProcessorCount + 1
    /// The most raster figures encoded at once (pure CPU work): one per core.
    package static let rasterLimit = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Prepares `folder` for writing (creating it if needed).
    ///
    /// - Throws: `FileWriteError` when the folder cannot be created or written.
    package init(folder: URL) throws {
        self.folder = folder
        try AtomicFile.prepareFolder(folder)
    }

    /// Writes `figure.csv` always and `figure.png` when gnuplot can draw it.
    ///
    /// - Throws: `FileWriteError` when a file cannot be written, `GnuplotError` when gnuplot
    ///   fails. A missing gnuplot is not thrown: it is recorded, and `finish()` reports it.
    package func write(_ figure: Figure) throws {
        try write([figure])
    }

    /// Writes a raster figure as `<name>.png` (atomically) and records it.
    ///
    /// - Throws: `PNGError` when libpng cannot encode it, `FileWriteError` when it cannot be written.
    package func write(_ raster: RasterFigure) throws {
        try write([], rasters: [raster])
    }

    /// Writes a batch concurrently: each figure's CSV and PNG (as `write(_: Figure)` does) and
    /// each raster's PNG.
    ///
    /// Every job runs to its end even when another fails, and every file is written atomically,
    /// so a failure leaves complete files or none. The error thrown is the first in batch order,
    /// the one writing the figures one by one would have met first.
    ///
    /// - Throws: `FileWriteError`, `GnuplotError` (other than a missing gnuplot, which is
    ///   recorded for `finish()`), or `PNGError`.
    package func write(_ figures: [Figure], rasters: [RasterFigure] = []) throws {
        let results = perform(figures, rasters: rasters)
        for (figure, result) in zip(figures, results.figures) {
            if let error = try account(figure, result), !error.isNotInstalled { throw error }
        }
        for url in try results.rasters.map({ try $0.get() }) { record(url) }
    }

    /// Writes a batch like `write(_:rasters:)` but keeps going past gnuplot's failures: for each
    /// figure, `nil` when its PNG was drawn, else why gnuplot did not draw it (the CSV is there
    /// either way). For `lab report`, which names a missing figure and goes on.
    ///
    /// - Throws: the first `FileWriteError` or `PNGError` in batch order.
    package func draw(_ figures: [Figure], rasters: [RasterFigure] = []) throws -> [GnuplotError?] {
        let results = perform(figures, rasters: rasters)
        let outcomes = try zip(figures, results.figures).map { try account($0, $1) }
        for url in try results.rasters.map({ try $0.get() }) { record(url) }
        return outcomes
    }

    /// Records a file written by other means (a libpng raster, a report) in the summary.
    package func record(_ url: URL) { written.append(url) }

    /// Throws the one-line install hint if any figure could not be drawn.
    package func finish() throws {
        if let gnuplotError, !missing.isEmpty {
            throw LabError.incomplete(
                "\(missing.count) figure\(missing.count == 1 ? "" : "s") not drawn (\(missing.joined(separator: ", "))): \(gnuplotError)")
        }
    }

    // MARK: - The batch

    /// What became of one gnuplot figure.
    private enum FigureResult: Sendable {
        /// The sidecar could not be written (and gnuplot was not run).
        case sidecarFailed(any Error)
        /// The sidecar is written; the PNG is written too, or here is why not.
        case written(csv: URL, png: Result<URL, any Error>)
    }

    /// Runs the batch: the gnuplot figures on up to `gnuplotLimit` threads and, at the same
    /// time, the rasters on up to `rasterLimit` others. Nothing is recorded here.
    private func perform(_ figures: [Figure], rasters: [RasterFigure])
        -> (figures: [FigureResult], rasters: [Result<URL, any Error>]) {
        let folder = self.folder
        let encoded = rasters.isEmpty ? nil : Background {
            Batch.map(rasters.count, width: Self.rasterLimit) { index in
                Result { try Self.writePNG(rasters[index], in: folder) }
            }
        }
        let drawn = Batch.map(figures.count, width: Self.gnuplotLimit) { index in
            Self.writeFiles(figures[index], in: folder)
        }
        return (drawn, encoded?.wait() ?? [])
    }

    /// Writes `<name>.csv`, then runs gnuplot and writes `<name>.png`.
    private static func writeFiles(_ figure: Figure, in folder: URL) -> FigureResult {
        let csv = folder.appendingPathComponent(figure.name + ".csv")
        do {
            try AtomicFile.write((figure.sidecar ?? figure.data[0].table).csv, to: csv)
        } catch {
            return .sidecarFailed(error)
        }
        let png = Result { () throws -> URL in
            let url = folder.appendingPathComponent(figure.name + ".png")
            let bytes = try Gnuplot.run(script: figure.script)
            if let problem = PNGImage.structureProblem(bytes, width: figure.width, height: figure.height) {
                throw GnuplotError.failed(status: 0, message: "gnuplot wrote no usable PNG for \(figure.name) (\(problem))")
            }
            try AtomicFile.write(bytes, to: url)
            return url
        }
        return .written(csv: csv, png: png)
    }

    /// Encodes a raster figure and writes `<name>.png`.
    private static func writePNG(_ raster: RasterFigure, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(raster.name + ".png")
        try AtomicFile.write(try raster.canvas.pngData(), to: url)
        return url
    }

    /// Records one figure's files; returns gnuplot's error when the PNG was not drawn (a missing
    /// gnuplot is also remembered for `finish()`).
    ///
    /// - Throws: a file or encoding error, which ends the batch.
    private func account(_ figure: Figure, _ result: FigureResult) throws -> GnuplotError? {
        switch result {
        case .sidecarFailed(let error):
            throw error
        case .written(let csv, .success(let png)):
            record(csv)
            record(png)
            return nil
        case .written(let csv, .failure(let error as GnuplotError)):
            record(csv)
            if case .notInstalled = error {
                missing.append(figure.name + ".png")
                gnuplotError = error
            }
            return error
        case .written(let csv, .failure(let error)):
            record(csv)
            throw error
        }
    }
}
