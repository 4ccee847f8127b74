// The errors `lab` reports to its user: one line on stderr each, saying what was wrong and
// what to do, with an exit status that tells scripts what kind of failure it was.

import Foundation

/// A failure the user can act on.
package enum LabError: Error, CustomStringConvertible {
    /// The command could not do its job (bad file, unwritable folder, …). Exit status 1.
    case failed(String)
    /// The results were produced but some output (figures) is missing. Exit status 2.
    case incomplete(String)
    /// The user interrupted the run (SIGINT). Exit status 130.
    case interrupted(String)

    package var description: String {
        switch self {
        case .failed(let text), .incomplete(let text), .interrupted(let text): return text
        }
    }

    package var exitStatus: Int32 {
        switch self {
        case .failed: return 1
        case .incomplete: return 2
        case .interrupted: return 130
        }
    }
}

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
        var bytes = Array(text.utf8)
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

/// The three standard descriptors, made safe at startup and checked at the end.
package enum StandardStreams {
    /// Opens `/dev/null` on any of descriptors 0, 1, 2 that is closed (`lab >&-`), so that a file
    /// or pipe opened later can never become stdin, stdout or stderr by accident (a gnuplot pipe
    /// landing on descriptor 1 would be shuffled onto the wrong descriptor in the child).
    package static func ensureOpen() {
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let opened = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY)
            if opened >= 0, opened != fd {
                dup2(opened, fd)
                close(opened)
            }
        }
    }

    /// Flushes stdout and reports a write that failed (`> /dev/full`, a full disk): results that
    /// did not reach their destination are a failure, not a success.
    ///
    /// - Throws: `LabError.failed` naming the reason.
    /// `fflush(NULL)` flushes every output stream (stdout is the only buffered one) and fails
    /// when a write fails; after an earlier failed write the unwritten bytes are still buffered,
    /// so they fail again here. (Swift 6 does not let `stdout` itself be named for `ferror`.)
    package static func flushOutput() throws {
        guard fflush(nil) != 0 else { return }
        let reason = String(cString: strerror(errno))
        throw LabError.failed("cannot write the results to standard output (\(reason)); check the disk or where stdout is redirected")
    }
}
