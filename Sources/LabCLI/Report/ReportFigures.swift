// The report's figures: gnuplot figures (with their CSV sidecars) and raster PNGs written into
// the staging figures folder, each turned into a report block. A figure gnuplot cannot draw
// (missing, or failing) becomes a note naming the file and the reason; the report goes on.

import Foundation
import LabSupport

/// Writes the report's figures and remembers which are missing and why.
final class ReportFigures {
    private let writer: FigureWriter
    /// Report-relative path of the folder (`figures`).
    private let prefix = ReportFolder.figuresName + "/"
    /// Every figure in the order written.
    private(set) var all: [ReportFigure] = []

    /// - Throws: `FileWriteError` when `folder` cannot be written.
    init(folder: URL) throws {
        writer = try FigureWriter(folder: folder)
    }

    /// The figures that could not be drawn.
    var missing: [ReportFigure] { all.filter { $0.missingReason != nil } }

    /// Draws `figure` with gnuplot and writes its sidecar.
    ///
    /// - Returns: the block that shows it, or says why it is missing.
    /// - Throws: `FileWriteError` when a file cannot be written. gnuplot's own failures are
    ///   recorded in the block, not thrown.
    func draw(_ figure: Figure, caption: String) throws -> ReportBlock {
        let before = writer.missing.count
        var entry = ReportFigure(path: prefix + figure.name + ".png", dataPath: prefix + figure.name + ".csv",
                                 caption: caption, missingReason: nil)
        do {
            try writer.write(figure)
            if writer.missing.count > before {
                entry.missingReason = writer.gnuplotError.map { "\($0)" } ?? GnuplotError.installHint
            }
        } catch let error as GnuplotError {
            entry.missingReason = "\(error)"
        }
        all.append(entry)
        return .figure(entry)
    }

    /// Writes a raster figure (drawn with libpng, no gnuplot needed) as `<name>.png`.
    ///
    /// - Throws: `PNGError` when libpng cannot encode it, `FileWriteError` when it cannot be written.
    func raster(_ figure: RasterFigure, caption: String) throws -> ReportBlock {
        try raster(try figure.canvas.pngData(), name: figure.name, caption: caption)
    }

    /// Writes a PNG made without gnuplot as `<name>.png`.
    func raster(_ png: Data, name: String, caption: String) throws -> ReportBlock {
        try AtomicFile.write(png, to: writer.folder.appendingPathComponent(name + ".png"))
        let entry = ReportFigure(path: prefix + name + ".png", dataPath: nil, caption: caption, missingReason: nil)
        all.append(entry)
        return .figure(entry)
    }
}
