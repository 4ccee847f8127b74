// Standard error for `lab`'s messages and progress (and `Interrupt`'s last word on a second
// Ctrl-C): written unbuffered, and never fatal.

import Foundation

/// Standard error, unbuffered, for messages and progress.
///
/// A write to stderr that fails (a full disk behind `2>file`, a closed descriptor, a reader that
/// went away) is dropped: progress and diagnostics never take the work down with them.
package enum Console {
    package static func error(_ text: String) {
        write(text + "\n")
    }

    /// Writes `text` to stderr as it is (for progress bars redrawn with `\r`); failures are ignored.
    package static func write(_ text: String) {
        var bytes = Array(RawFileNames.shown(in: text).utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(STDERR_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return }
                offset += n
            }
        }
    }

    /// Whether stderr is a terminal (progress bars) or a file or pipe (plain lines).
    package static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}
