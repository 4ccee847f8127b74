// The report's figures: gnuplot figures (with their CSV sidecars) and raster PNGs written into
// the staging figures folder, a question's figures in one concurrent batch, each turned into a
// report block. A figure gnuplot cannot draw (missing, or failing) becomes a note naming
// the file and the reason; the report goes on.

import Foundation
import LabFigures
import LabSupport
import MNISTNet

/// Writes the report's figures and remembers which are missing and why.
package final class ReportFigures {
    private let writer: FigureWriter
    /// Report-relative path of the folder (`figures`).
    private let prefix = ReportFolder.figuresName + "/"
    /// Every figure in the order written.
    package private(set) var all: [ReportFigure] = []

    /// - Throws: `FileWriteError` when `folder` cannot be written.
    package init(folder: URL) throws {
        writer = try FigureWriter(folder: folder)
    }

    /// The figures that could not be drawn.
    package var missing: [ReportFigure] { all.filter { $0.missingReason != nil } }

    /// Draws several labs' figures in one batch (see `FigureWriter.draw(_:rasters:)`: gnuplot
    /// figures as concurrent processes, rasters encoded meanwhile) and returns each lab's blocks,
    /// its figures then its rasters: a block shows the figure, or says why gnuplot did not draw it.
    ///
    /// - Parameter labs: each lab's gnuplot figures and raster figures, in report order.
    /// - Throws: `FileWriteError` when a file cannot be written, `PNGError` when libpng cannot
    ///   encode a raster. gnuplot's own failures are recorded in the blocks, not thrown.
    package func draw(_ labs: [(figures: [Figure], rasters: [RasterFigure])]) throws -> [[ReportBlock]] {
        var failures = try writer.draw(labs.flatMap(\.figures), rasters: labs.flatMap(\.rasters))[...]
        return labs.map { lab in
            let drawn = zip(lab.figures, failures.prefix(lab.figures.count)).map { figure, failure in
                ReportFigure(path: prefix + figure.name + ".png", dataPath: prefix + figure.name + ".csv",
                             caption: figure.caption, missingReason: failure.map { "\($0)" })
            }
            failures = failures.dropFirst(lab.figures.count)
            let rasters = lab.rasters.map { raster in
                ReportFigure(path: prefix + raster.name + ".png", dataPath: nil, caption: raster.caption, missingReason: nil)
            }
            all += drawn + rasters
            return (drawn + rasters).map { .figure($0) }
        }
    }

    /// A lab's figures and rasters, untitled, as the report draws them.
    package static func untitled<Lab: LabPage>(_ lab: Lab.Type, _ result: Lab.Result) -> (figures: [Figure], rasters: [RasterFigure]) {
        (Lab.figures(for: result, title: nil), Lab.rasters(for: result, title: nil))
    }
}
