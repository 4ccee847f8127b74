// How a lab's result reads: its worksheet, its text and its figures. The `lab` commands print a
// page's text and write its figures; `lab report` puts the same text and figures into the
// report, so both show one implementation.

import Foundation
import LabFigures
import LabSupport
import MNISTNet

/// The presentation of one lab's result.
package protocol LabPage {
    associatedtype Result: Encodable
    /// The worksheet's name (labs/<name>.md), which is also the command's name (`lab <name>`).
    static var worksheet: String { get }
    /// The measured answer as plain text.
    static func text(for result: Result) -> String
    /// gnuplot figures (PNG + CSV sidecar), each with its caption.
    static func figures(for result: Result, title: String?) -> [Figure]
    /// Figures drawn directly with libpng.
    static func rasters(for result: Result, title: String?) -> [RasterFigure]
}

extension LabPage {
    package static func rasters(for result: Result, title: String?) -> [RasterFigure] { [] }
}
