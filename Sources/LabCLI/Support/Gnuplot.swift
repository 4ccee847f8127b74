// Running gnuplot: the one place gdlab starts it. The script goes in on stdin, the PNG comes
// back on stdout (no output path ever appears in a script), and both pipes are drained before
// waiting so a large figure or a chatty error can never deadlock the two processes.

import Foundation

/// Why a figure could not be drawn.
enum GnuplotError: Error, CustomStringConvertible {
    /// No `gnuplot` executable on `PATH`.
    case notInstalled
    /// gnuplot ran and failed; `message` is its stderr.
    case failed(status: Int32, message: String)
    /// gnuplot ran past the time limit and was stopped.
    case timedOut(seconds: Double)

    static let installHint =
        "install gnuplot to draw figures: 'apt-get install gnuplot-nox' on Debian/Ubuntu, 'brew install gnuplot' on macOS"

    var description: String {
        switch self {
        case .notInstalled:
            return "gnuplot was not found on PATH; " + Self.installHint
        case .failed(let status, let message):
            let text = message.split(whereSeparator: \.isNewline).map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.joined(separator: " | ")
            return "gnuplot failed (exit \(status)): \(text.isEmpty ? "no message" : text)"
        case .timedOut(let seconds):
            return "gnuplot did not finish within \(Int(seconds)) s and was stopped"
        }
    }
}

/// Runs gnuplot scripts and escapes text for them.
enum Gnuplot {
    /// The gnuplot executable on `PATH`, if any.
    static func executable(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("gnuplot")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Whether figures can be drawn on this machine.
    static var isAvailable: Bool { executable() != nil }

    /// Runs `script` and returns what gnuplot wrote to stdout (for `pngcairo` with no
    /// `set output`, the PNG file's bytes).
    ///
    /// - Throws: `GnuplotError` when gnuplot is missing, fails, or runs longer than `timeout`.
    static func run(script: String, timeout: Double = 120) throws -> Data {
        guard let executable = executable() else { throw GnuplotError.notInstalled }
        let process = Process()
        process.executableURL = executable
        process.arguments = []
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw GnuplotError.failed(status: -1, message: "could not start \(executable.path): \(error)")
        }

        // Drain both output pipes on their own threads before feeding stdin and waiting.
        let drained = DispatchGroup()
        let output = PipeBuffer(), errors = PipeBuffer()
        for (pipe, buffer) in [(stdout, output), (stderr, errors)] {
            drained.enter()
            DispatchQueue.global().async {
                buffer.data = pipe.fileHandleForReading.readDataToEndOfFile()
                drained.leave()
            }
        }
        // gnuplot may exit early (a syntax error); writing to its closed stdin must not kill us.
        signal(SIGPIPE, SIG_IGN)
        try? stdin.fileHandleForWriting.write(contentsOf: Data(script.utf8))
        try? stdin.fileHandleForWriting.close()

        if drained.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            process.waitUntilExit()
            throw GnuplotError.timedOut(seconds: timeout)
        }
        process.waitUntilExit()
        let message = String(decoding: errors.data, as: UTF8.self)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw GnuplotError.failed(status: process.terminationStatus, message: message)
        }
        return output.data
    }

    /// `text` as a gnuplot string expression, safe to splice into any script.
    ///
    /// In single quotes gnuplot performs no backquote (shell) substitution, no `@` macro
    /// expansion and no backslash escapes. The only special character is `'`; gnuplot's own
    /// escape (a doubled quote) breaks on runs of quotes (a title of `''b` or `x''y` is a syntax
    /// error in 5.4), so text containing `'` becomes a parenthesised concatenation
    /// `('a' . "'" . 'b')`, which every string argument accepts. Line breaks and other control
    /// characters, which would end the command, become spaces. Pair it with `noenhanced` so
    /// `^ _ @ { }` are drawn as themselves.
    static func quoted(_ text: String) -> String {
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
    static func number(_ x: Double) -> String {
        x.isFinite ? "\(x)" : "NaN"
    }
}

private final class PipeBuffer: @unchecked Sendable {
    var data = Data()
}
