// Download progress of the datasets on stderr, for every command that reads Question 2's data.

import Foundation
import LabSupport
import MNISTData
import MNISTNet

/// Download progress on stderr: one line per file started/stored/failed, and the received
/// byte count at most every half second (a bar with carriage returns on a terminal).
final class DownloadReporter: @unchecked Sendable {
    /// The one reporter of the process (its terminal line is shared).
    static let shared = DownloadReporter()

    private let lock = NSLock()
    private var last = Date.distantPast
    private var barOpen = false

    @Sendable func report(_ event: DatasetProgress) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .found:
            break
        case let .downloadStarted(file, url):
            endBar()
            Console.error("downloading \(file) from \(url.absoluteString)")
        case let .received(file, bytes, expected):
            let now = Date()
            guard now.timeIntervalSince(last) >= 0.5 else { return }
            last = now
            let amount = String(format: "%.1f MB", Double(bytes) / 1e6)
                + (expected.map { String(format: " of %.1f MB", Double($0) / 1e6) } ?? "")
            if Console.stderrIsTerminal {
                Console.write("\r  \(file): \(amount)\u{1B}[K")
                barOpen = true
            } else {
                Console.error("  \(file): \(amount)")
            }
        case let .mirrorFailed(file, url, reason):
            endBar()
            Console.error("  \(file) from \(url.host ?? url.absoluteString) failed (\(reason)); trying the next mirror")
        case let .stored(file, at):
            endBar()
            Console.error("  \(file) verified (SHA-256) and stored in \(at.deletingLastPathComponent().path)")
        }
    }

    private func endBar() {
        if barOpen { Console.write("\n") }
        barOpen = false
    }
}
