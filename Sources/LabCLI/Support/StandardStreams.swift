// The process's standard streams as `lab` uses them: descriptors 0–2 made safe at startup,
// results printed with file names as the user gave them, and stdout's write errors reported at
// the end.

import Foundation
import LabSupport

/// The three standard descriptors, made safe at startup and checked at the end.
enum StandardStreams {
    /// Opens `/dev/null` on any of descriptors 0, 1, 2 that is closed (`lab >&-`), so that a file
    /// or pipe opened later can never become stdin, stdout or stderr by accident (a gnuplot pipe
    /// landing on descriptor 1 would be shuffled onto the wrong descriptor in the child).
    static func ensureOpen() {
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let opened = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY)
            if opened >= 0, opened != fd {
                dup2(opened, fd)
                close(opened)
            }
        }
    }

    /// Prints results on stdout, with any path standing in for a name that is not UTF-8 shown as
    /// the name the user gave (`RawFileNames`).
    static func print(_ text: String, terminator: String = "\n") {
        Swift.print(RawFileNames.shown(in: text), terminator: terminator)
    }

    /// `print` for JSON: a name put back is JSON string content.
    static func printJSON(_ text: String) {
        Swift.print(RawFileNames.shown(inJSON: text))
    }

    /// Flushes stdout and reports a write that failed (`> /dev/full`, a full disk): results that
    /// did not reach their destination are a failure, not a success.
    ///
    /// A pipe whose reader went away (`lab q1d --json | head -3`) is not a failure to report: the
    /// reader took what it wanted. `lab` then ends quietly with status 141, as a program killed
    /// by SIGPIPE does (the Swift runtime ignores that signal, so the write fails with EPIPE).
    ///
    /// `fflush(NULL)` flushes every output stream (stdout is the only buffered one) and fails
    /// when a write fails; after an earlier failed write the unwritten bytes are still buffered,
    /// so they fail again here. (Swift 6 does not let `stdout` itself be named for `ferror`.)
    ///
    /// - Throws: `LabError.failed` naming the reason.
    static func flushOutput() throws {
        guard fflush(nil) != 0 else { return }
        if errno == EPIPE { Foundation.exit(brokenPipeStatus) }
        let reason = String(cString: strerror(errno))
        throw LabError.failed("cannot write the results to standard output (\(reason)); check the disk or where stdout is redirected")
    }

    /// 128 + SIGPIPE: what a shell reports for a program that SIGPIPE ended.
    static let brokenPipeStatus: Int32 = 141
}
