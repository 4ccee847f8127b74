// report.pdf: the staged report.html printed by a headless Chromium-family browser (see
// `Browser.printPDF`), written into the staging folder so it moves into place with the rest of
// the report. Without a browser, or when it fails, the report goes on without the PDF.

import Foundation
import LabSupport
import MNISTNet

/// Prints the staged report.html to report.pdf.
package enum ReportPDF {
    package static let name = "report.pdf"

    /// What printing gave: the PDF's size, or why there is none.
    package enum Outcome {
        case written(bytes: Int)
        case missing(BrowserError)
    }

    /// Prints `<staging>/report.html` and writes `<staging>/report.pdf` atomically.
    ///
    /// - Throws: `FileWriteError` when the PDF cannot be written into the staging folder; the
    ///   browser's own failures (missing, failing, too slow) are returned, not thrown.
    package static func write(in folder: ReportFolder, progress: ReportProgress) throws -> Outcome {
        guard Browser.executable() != nil else { return .missing(.notInstalled) }
        let html = folder.staging.appendingPathComponent("report.html")
        let printed: Result<Data, BrowserError> = progress.step("report.pdf (headless browser)") {
            Result { try Browser.printPDF(html) }.mapError { $0 as? BrowserError ?? .noPDF("\($0)") }
        }
        switch printed {
        case .success(let bytes):
            try AtomicFile.write(bytes, to: folder.staging.appendingPathComponent(name))
            return .written(bytes: bytes.count)
        case .failure(let error):
            return .missing(error)
        }
    }
}
