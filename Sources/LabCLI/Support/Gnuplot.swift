// Running gnuplot: the one place gdlab starts it. The script goes in on stdin, the PNG comes
// back on stdout (no output path ever appears in a script), and all three pipes are served on
// their own threads while gnuplot runs, so a large figure or a chatty error can never deadlock
// the two processes; a time limit stops a gnuplot that hangs.

import Foundation

/// Why a figure could not be drawn.
enum GnuplotError: Error, CustomStringConvertible {
    /// No `gnuplot` executable on `PATH`.
    case notInstalled
    /// gnuplot ran and failed; `message` is its stderr.
    case failed(status: Int32, message: String)
    /// gnuplot ran past the time limit and was stopped.
    case timedOut(seconds: Double)
    /// `GDLAB_GNUPLOT_TIMEOUT` is set to something that is not a time limit.
    case badTimeout(String)

    /// Whether this is `.notInstalled` (recorded, not thrown, by `FigureWriter`).
    var isNotInstalled: Bool {
        if case .notInstalled = self { return true }
        return false
    }

    static let installHint =
        "install gnuplot to draw figures: 'apt-get install gnuplot-nox' on Debian/Ubuntu, 'brew install gnuplot' on macOS"

    var description: String {
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

    /// The longest a figure may take before gnuplot is stopped, in seconds.
    static let defaultTimeout: Double = 120

    /// The time limit: `GDLAB_GNUPLOT_TIMEOUT` (seconds, > 0 and ≤ 86400) if set, else
    /// `defaultTimeout`. A slow machine can raise it; tests lower it to exercise the timeout.
    ///
    /// - Throws: `GnuplotError.badTimeout` when the variable is set but not such a number.
    static func timeout(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Double {
        guard let text = environment["GDLAB_GNUPLOT_TIMEOUT"] else { return defaultTimeout }
        guard let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite,
              seconds > 0, seconds <= 86_400 else { throw GnuplotError.badTimeout(text) }
        return seconds
    }

    /// Runs `script` and returns what gnuplot wrote to stdout (for `pngcairo` with no
    /// `set output`, the PNG file's bytes).
    ///
    /// The script is written to gnuplot's stdin and both output pipes are drained, each on a
    /// thread of its own, while this thread waits for all three and then for gnuplot to exit
    /// (a termination handler signals it: no polling). Past `timeout` seconds gnuplot's process
    /// group is sent SIGTERM, and SIGKILL a second later if it is still there.
    ///
    /// - Parameter timeout: seconds; `nil` means `timeout()`.
    /// - Throws: `GnuplotError` when gnuplot is missing, fails, or runs longer than `timeout`.
    static func run(script: String, timeout: Double? = nil) throws -> Data {
        guard let executable = executable() else { throw GnuplotError.notInstalled }
        let limit = try timeout ?? Self.timeout()
        let process = Process()
        process.executableURL = executable
        process.arguments = []
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        // gnuplot may exit early (a syntax error); writing to its closed stdin must not kill us.
        ignoreBrokenPipes()
        let (stdin, stdout, stderr) = try launch(process, executable: executable)
        let deadline = DispatchTime.now() + limit

        let input = stdin.fileHandleForWriting
        let output = stdout.fileHandleForReading, errors = stderr.fileHandleForReading
        let bytes = Data(script.utf8)
        let fed = Background<Void> {
            try? input.write(contentsOf: bytes)
            try? input.close()
        }
        let image = Background { drain(output, keeping: maximumFigureBytes + 1) }
        let message = Background { drain(errors, keeping: maximumMessageBytes) }

        guard fed.wait(until: deadline) != nil, let png = image.wait(until: deadline),
              let text = message.wait(until: deadline), exited.wait(timeout: deadline) == .success
        else {
            stop(process, exited: exited)
            throw GnuplotError.timedOut(seconds: limit)
        }
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw GnuplotError.failed(status: process.terminationStatus, message: String(decoding: text, as: UTF8.self))
        }
        guard png.count <= maximumFigureBytes else {
            throw GnuplotError.failed(status: 0, message: "gnuplot wrote more than \(maximumFigureBytes >> 20) MB, which is no figure gdlab draws")
        }
        return png
    }

    /// The most bytes of PNG accepted from gnuplot (gdlab's largest figure is well under 1 MB).
    static let maximumFigureBytes = 64 << 20
    /// The most bytes of gnuplot's stderr kept for the message (the rest is read and dropped).
    static let maximumMessageBytes = 4096

    /// Reads `handle` to its end, keeping at most `limit` bytes: the rest is read and dropped, so
    /// the child never blocks on a full pipe and a runaway output never fills memory.
    private static func drain(_ handle: FileHandle, keeping limit: Int) -> Data {
        var kept = Data()
        while true {
            let piece = handle.availableData
            if piece.isEmpty { return kept }
            if kept.count < limit { kept.append(piece.prefix(limit - kept.count)) }
        }
    }

    /// Held while a gnuplot's pipes are made and it is started. Foundation's pipes are not
    /// close-on-exec, and `Process.run` closes in the child only the descriptors open when it
    /// looks; a pipe made by another thread in between would leak into this child, and that
    /// gnuplot's stdin or stdout would then not reach end-of-file until this one exited.
    private static let launching = NSLock()

    /// Makes the three pipes, attaches them and starts `process`, one launch at a time.
    private static func launch(_ process: Process, executable: URL) throws -> (Pipe, Pipe, Pipe) {
        launching.lock()
        defer { launching.unlock() }
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw GnuplotError.failed(status: -1, message: "could not start \(executable.path): \(error)")
        }
        return (stdin, stdout, stderr)
    }

    /// Ends a gnuplot that ran out of time: SIGTERM to its process group (`Process` starts it in
    /// a group of its own, so helpers it started go too), SIGKILL after a second, then waits
    /// for the exit (at most a few seconds more: SIGKILL cannot be caught).
    private static func stop(_ process: Process, exited: DispatchSemaphore) {
        let group = -process.processIdentifier
        kill(group, SIGTERM)
        process.terminate()
        if exited.wait(timeout: .now() + 1) == .timedOut {
            kill(group, SIGKILL)
            kill(process.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + 5)
        }
    }

    /// SIGPIPE would end `lab` when gnuplot closes its stdin early; ignored once, for good.
    private static let brokenPipesIgnored: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()

    private static func ignoreBrokenPipes() { _ = brokenPipesIgnored }

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
