// Running gnuplot: the one place gdlab starts it. The script goes in on stdin, the PNG comes
// back on stdout (no output path ever appears in a script); `ExternalProcess` serves all three
// pipes on their own threads while gnuplot runs, so a large figure or a chatty error can never
// deadlock the two processes, and a time limit stops a gnuplot that hangs.

import Foundation
import LabSupport

/// Why a figure could not be drawn.
package enum GnuplotError: Error, CustomStringConvertible {
    /// No `gnuplot` executable on `PATH`.
    case notInstalled
    /// gnuplot ran and failed; `message` is its stderr.
    case failed(status: Int32, message: String)
    /// gnuplot ran past the time limit and was stopped.
    case timedOut(seconds: Double)
    /// `GDLAB_GNUPLOT_TIMEOUT` is set to something that is not a time limit.
    case badTimeout(String)

    /// Whether this is `.notInstalled` (recorded, not thrown, by `FigureWriter`).
    package var isNotInstalled: Bool {
        if case .notInstalled = self { return true }
        return false
    }

    package static let installHint =
        "install gnuplot to draw figures: 'apt-get install gnuplot-nox' on Debian/Ubuntu, 'brew install gnuplot' on macOS"

    package var description: String {
        switch self {
        case .notInstalled:
            return "gnuplot was not found on PATH; " + Self.installHint
        case .failed(let status, let message):
            var text = message.split(whereSeparator: \.isNewline).map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.joined(separator: " | ")
            // One line that says what went wrong, not a screenful: gnuplot's first 300 characters.
            if text.count > 300 { text = String(text.prefix(300)) + " …" }
            return "gnuplot failed (exit \(status)): \(text.isEmpty ? "no message" : text)"
        case .timedOut(let seconds):
            return "gnuplot did not finish within \(String(format: "%g", seconds)) s and was stopped; "
                + "on a slow machine allow more time with GDLAB_GNUPLOT_TIMEOUT=600 (seconds)"
        case .badTimeout(let text):
            let shown = String(String.UnicodeScalarView(text.unicodeScalars.prefix(40).map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
            return "GDLAB_GNUPLOT_TIMEOUT is '\(shown)', not a number of seconds greater than 0 and at most 86400; "
                + "unset it (the limit is then \(String(format: "%g", Gnuplot.defaultTimeout)) s) or set e.g. GDLAB_GNUPLOT_TIMEOUT=600"
        }
    }
}

/// Runs gnuplot scripts and escapes text for them.
package enum Gnuplot {
    /// The gnuplot executable on `PATH`, if any.
    package static func executable(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        ExternalProcess.find(["gnuplot"], environment: environment)
    }

    /// Whether figures can be drawn on this machine.
    package static var isAvailable: Bool { executable() != nil }

    /// The longest a figure may take before gnuplot is stopped, in seconds.
    package static let defaultTimeout: Double = 120

    /// The time limit: `GDLAB_GNUPLOT_TIMEOUT` (seconds, > 0 and ≤ 86400) if set, else
    /// `defaultTimeout`. A slow machine can raise it; tests lower it to exercise the timeout.
    ///
    /// - Throws: `GnuplotError.badTimeout` when the variable is set but not such a number.
    package static func timeout(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Double {
        guard let text = environment["GDLAB_GNUPLOT_TIMEOUT"] else { return defaultTimeout }
        guard let seconds = ExternalProcess.seconds(text) else { throw GnuplotError.badTimeout(text) }
        return seconds
    }

    /// Runs `script` and returns what gnuplot wrote to stdout (for `pngcairo` with no
    /// `set output`, the PNG file's bytes).
    ///
    /// `ExternalProcess.run` writes the script to gnuplot's stdin and drains both output pipes
    /// while gnuplot runs; past `timeout` seconds gnuplot's process group is sent SIGTERM, and
    /// SIGKILL a second later if it is still there.
    ///
    /// - Parameter timeout: seconds; `nil` means `timeout()`.
    /// - Throws: `GnuplotError` when gnuplot is missing, fails, or runs longer than `timeout`.
    package static func run(script: String, timeout: Double? = nil) throws -> Data {
        guard let executable = executable() else { throw GnuplotError.notInstalled }
        let limit = try timeout ?? Self.timeout()
        let run: ExternalRun
        do {
            run = try ExternalProcess.run(executable, arguments: [], input: Data(script.utf8), timeout: limit,
                                          keepingOutput: maximumFigureBytes + 1, keepingErrors: maximumMessageBytes)
        } catch ExternalProcess.Failure.launch(let message) {
            throw GnuplotError.failed(status: -1, message: message)
        } catch {
            throw GnuplotError.timedOut(seconds: limit)
        }
        guard run.succeeded else {
            throw GnuplotError.failed(status: run.status, message: String(decoding: run.stderr, as: UTF8.self))
        }
        guard run.stdout.count <= maximumFigureBytes else {
            throw GnuplotError.failed(status: 0, message: "gnuplot wrote more than \(maximumFigureBytes >> 20) MB, which is no figure gdlab draws")
        }
        return run.stdout
    }

    /// The most bytes of PNG accepted from gnuplot (gdlab's largest figure is well under 1 MB).
    package static let maximumFigureBytes = 64 << 20
    /// The most bytes of gnuplot's stderr kept for the message (the rest is read and dropped).
    package static let maximumMessageBytes = 4096

    /// `text` as a gnuplot string expression, safe to splice into any script.
    ///
    /// In single quotes gnuplot performs no backquote (shell) substitution, no `@` macro
    /// expansion and no backslash escapes. The only special character is `'`; gnuplot's own
    /// escape (a doubled quote) breaks on runs of quotes (a title of `''b` or `x''y` is a syntax
    /// error in 5.4), so text containing `'` becomes a parenthesised concatenation
    /// `('a' . "'" . 'b')`, which every string argument accepts. Line breaks and other control
    /// characters, which would end the command, become spaces. Pair it with `noenhanced` so
    /// `^ _ @ { }` are drawn as themselves.
    package static func quoted(_ text: String) -> String {
        var pieces: [String] = [""]
        for scalar in text.unicodeScalars {
            switch scalar {
            case "'": pieces.append("")
            case _ where scalar.value < 0x20 || scalar.value == 0x7F
                || (0x80...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}":
                pieces[pieces.count - 1] += " "
            default: pieces[pieces.count - 1].unicodeScalars.append(scalar)
            }
        }
        let literals = pieces.map { "'" + $0 + "'" }
        return literals.count == 1 ? literals[0] : "(" + literals.joined(separator: " . \"'\" . ") + ")"
    }

    /// A number as gnuplot reads it: shortest round-trip form, `NaN` for anything not finite
    /// (gnuplot treats NaN as a missing point).
    package static func number(_ x: Double) -> String {
        x.isFinite ? "\(x)" : "NaN"
    }
}

extension Table {
    /// The rows as a gnuplot data block named `$name`, for `plot $name using 1:2`.
    /// Column headers are not included: they are user-invisible and need no escaping.
    package func dataBlock(named name: String) -> String {
        precondition(name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }, "bad data block name")
        var text = "$\(name) << EOD\n"
        for row in rows {
            text += row.map(Gnuplot.number).joined(separator: " ") + "\n"
        }
        return text + "EOD\n"
    }
}
