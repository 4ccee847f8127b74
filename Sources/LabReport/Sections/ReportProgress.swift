// Progress of `lab report` on stderr: one line per finished step with the time since the start
// and the step's own duration. Timings live only here, never in the report files, so the
// report stays byte-identical from run to run.

import Foundation
import LabSupport
import MNISTData
import MNISTNet

/// Times the report's steps and prints one line for each on stderr.
package final class ReportProgress {
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let printer: (String) -> Void
    /// Where a dataset download reports its progress.
    package let downloads: @Sendable (DatasetProgress) -> Void

    /// - Parameters:
    ///   - printer: where lines go (`lab` passes stderr; tests may collect them).
    ///   - downloads: a download's progress (ignored by default).
    package init(printer: @escaping (String) -> Void,
                 downloads: @escaping @Sendable (DatasetProgress) -> Void = { _ in }) {
        start = clock.now
        self.printer = printer
        self.downloads = downloads
    }

    /// Seconds since the report started.
    package var elapsed: Double { Self.seconds(clock.now - start) }

    /// Runs `body`, then prints `[  t s] label (d s)`.
    package func step<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
        let begin = clock.now
        let value = try body()
        line("\(label) (\(Self.format(Self.seconds(clock.now - begin))) s)")
        return value
    }

    /// Prints `[  t s] text`.
    package func line(_ text: String) {
        printer("[\(Self.pad(Self.format(elapsed), to: 6)) s] \(text)")
    }

    package static func format(_ seconds: Double) -> String { String(format: "%.2f", seconds) }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }

    private static func pad(_ text: String, to width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
