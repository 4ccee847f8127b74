// Writing figures: each figure is a PNG drawn by gnuplot plus a CSV sidecar with the numbers
// it plots, both written atomically into the output folder. When gnuplot is missing the CSVs
// are still written and the missing PNGs are remembered, so the command can finish its text
// output and then fail with one line saying what to install.

import Foundation
import LabSupport

/// A gnuplot figure: its file name, the data it plots and the commands that plot it.
struct Figure {
    /// File stem: the PNG is `<name>.png`, the sidecar `<name>.csv`.
    var name: String
    var width = 900
    var height = 600
    /// Data blocks the script plots, by name (`$name` in the script). The first is the sidecar
    /// unless `sidecar` is set.
    var data: [(name: String, table: Table)]
    /// The sidecar CSV; defaults to the first data block.
    var sidecar: Table?
    /// gnuplot commands after the terminal is set: `set ...` lines and a `plot` command.
    var commands: String

    /// The complete script: terminal, data blocks, commands.
    var script: String {
        var text = "set terminal pngcairo size \(width),\(height) enhanced font 'DejaVu Sans,11' background rgb 'white'\n"
        text += "set encoding utf8\n"
        for block in data { text += block.table.dataBlock(named: block.name) }
        text += commands
        if !commands.hasSuffix("\n") { text += "\n" }
        return text
    }
}

/// A figure drawn without gnuplot (a libpng raster such as a digit grid): `<name>.png`.
struct RasterFigure {
    var name: String
    var canvas: RasterCanvas
}

/// Writes figures and their sidecars into one folder and keeps account of what was written.
final class FigureWriter {
    let folder: URL
    private(set) var written: [URL] = []
    private(set) var missing: [String] = []
    private(set) var gnuplotError: GnuplotError?

    /// Prepares `folder` for writing (creating it if needed).
    ///
    /// - Throws: `FileWriteError` when the folder cannot be created or written.
    init(folder: URL) throws {
        self.folder = folder
        try AtomicFile.prepareFolder(folder)
    }

    /// Writes `figure.csv` always and `figure.png` when gnuplot can draw it.
    ///
    /// - Throws: `FileWriteError` when a file cannot be written. A missing gnuplot is not
    ///   thrown: it is recorded, and `finish()` reports it.
    func write(_ figure: Figure) throws {
        let csv = folder.appendingPathComponent(figure.name + ".csv")
        try AtomicFile.write((figure.sidecar ?? figure.data[0].table).csv, to: csv)
        written.append(csv)
        let png = folder.appendingPathComponent(figure.name + ".png")
        do {
            let bytes = try Gnuplot.run(script: figure.script)
            guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) else {
                throw GnuplotError.failed(status: 0, message: "gnuplot wrote no PNG for \(figure.name)")
            }
            try AtomicFile.write(bytes, to: png)
            written.append(png)
        } catch let error as GnuplotError {
            if case .notInstalled = error {
                missing.append(png.lastPathComponent)
                gnuplotError = error
            } else {
                throw error
            }
        }
    }

    /// Writes a raster figure as `<name>.png` (atomically) and records it.
    ///
    /// - Throws: `PNGError` when libpng cannot encode it, `FileWriteError` when it cannot be written.
    func write(_ raster: RasterFigure) throws {
        let png = folder.appendingPathComponent(raster.name + ".png")
        try AtomicFile.write(try raster.canvas.pngData(), to: png)
        record(png)
    }

    /// Records a file written by other means (a libpng raster, a report) in the summary.
    func record(_ url: URL) { written.append(url) }

    /// Throws the one-line install hint if any figure could not be drawn.
    func finish() throws {
        if let gnuplotError, !missing.isEmpty {
            throw LabError.incomplete(
                "\(missing.count) figure\(missing.count == 1 ? "" : "s") not drawn (\(missing.joined(separator: ", "))): \(gnuplotError)")
        }
    }
}
