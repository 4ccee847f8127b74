// Running a headless Chromium-family browser (chromium, chromium-browser, google-chrome): how
// `lab report` prints report.html to report.pdf, and how the tests look at report.html as a
// reader's browser shows it. Started through `ExternalProcess` like gnuplot: directly, with a
// time limit, its whole process group ended afterwards, in a private profile that is removed.

import Foundation
import LabFigures
import LabSupport
import MNISTNet

/// Why the browser could not print or load a page.
package enum BrowserError: Error, CustomStringConvertible {
    /// None of `Browser.names` on `PATH`.
    case notInstalled
    /// The browser ran and failed; `message` is the end of its stderr.
    case failed(status: Int32, message: String)
    /// The browser ran past the time limit and was stopped.
    case timedOut(seconds: Double)
    /// `GDLAB_BROWSER_TIMEOUT` is set to something that is not a time limit.
    case badTimeout(String)
    /// The browser exited normally but wrote no PDF (or something that is not one).
    case noPDF(String)
    /// The private profile folder could not be made.
    case noProfile(String)

    package static let installHint =
        "install Chromium to get report.pdf ('apt-get install chromium' on Debian/Ubuntu, 'brew install --cask chromium' on macOS) and run lab report again, or open report.html in a browser and print it to PDF"

    package var description: String {
        switch self {
        case .notInstalled:
            return "no Chromium-family browser (\(Browser.names.joined(separator: ", "))) on PATH; " + Self.installHint
        case .failed(let status, let message):
            return "the browser failed (exit \(status)): \(message.isEmpty ? "no message" : message)"
        case .timedOut(let seconds):
            return "the browser did not finish within \(String(format: "%g", seconds)) s and was stopped; "
                + "on a slow machine allow more time with GDLAB_BROWSER_TIMEOUT=600 (seconds)"
        case .badTimeout(let text):
            let shown = String(String.UnicodeScalarView(text.unicodeScalars.prefix(40).map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
            return "GDLAB_BROWSER_TIMEOUT is '\(shown)', not a number of seconds between 0 and 86400; "
                + "unset it (the limit is then \(String(format: "%g", Browser.defaultTimeout)) s) or set e.g. GDLAB_BROWSER_TIMEOUT=600"
        case .noPDF(let reason):
            return "the browser wrote no PDF (\(reason)); open report.html in a browser and print it to PDF"
        case .noProfile(let reason):
            return "cannot make a temporary browser profile: \(reason); set TMPDIR to a folder you can write to"
        }
    }
}

/// Prints HTML to PDF and dumps a page's DOM with a headless Chromium-family browser.
package enum Browser {
    /// The executables looked for on `PATH`, in this order within each folder.
    package static let names = ["chromium", "chromium-browser", "google-chrome"]

    /// The browser on `PATH`, if any.
    package static func executable(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        ExternalProcess.find(names, environment: environment)
    }

    /// The longest one print or page load may take before the browser is stopped, in seconds.
    package static let defaultTimeout: Double = 120

    /// The time limit: `GDLAB_BROWSER_TIMEOUT` (seconds, > 0 and ≤ 86400) if set, else
    /// `defaultTimeout`.
    ///
    /// - Throws: `BrowserError.badTimeout` when the variable is set but not such a number.
    package static func timeout(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Double {
        guard let text = environment["GDLAB_BROWSER_TIMEOUT"] else { return defaultTimeout }
        guard let seconds = ExternalProcess.seconds(text) else { throw BrowserError.badTimeout(text) }
        return seconds
    }

    /// The arguments every run gets, before the task's own: headless, no GPU, no first-run
    /// pages, no network of its own (component updates, background fetches), `/tmp` instead of
    /// a possibly small `/dev/shm`, and the private profile. As root Chromium refuses to start
    /// with its sandbox, so `--no-sandbox` is added then (the page is gdlab's own report, with
    /// no script and nothing fetched).
    package static func commonArguments(profile: URL, isRoot: Bool = geteuid() == 0) -> [String] {
        var arguments = [
            "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-component-update", "--disable-background-networking", "--disable-sync",
            "--disable-extensions", "--disable-dev-shm-usage", "--user-data-dir=" + profile.path,
        ]
        if isRoot { arguments.append("--no-sandbox") }
        return arguments
    }

    /// Prints `html` to PDF: A4 and margins as its `@page` rules say, without the browser's own
    /// header and footer (the date and the file's path), page numbers from the style sheet.
    ///
    /// The browser writes into its private temporary folder; the bytes are checked to be a
    /// complete PDF (`%PDF-` … `%%EOF`) and returned, for the caller to write atomically.
    ///
    /// - Parameters:
    ///   - html: a local HTML file.
    ///   - timeout: seconds; `nil` means `timeout()`.
    /// - Throws: `BrowserError`.
    package static func printPDF(_ html: URL, timeout: Double? = nil) throws -> Data {
        try withProfile { profile in
            let pdf = profile.appendingPathComponent("print.pdf")
            _ = try run(profile: profile, timeout: timeout, arguments: [
                "--no-pdf-header-footer", "--print-to-pdf=" + pdf.path, html.standardizedFileURL.absoluteString,
            ])
            guard let bytes = FileManager.default.contents(atPath: pdf.path) else {
                throw BrowserError.noPDF("no file at the --print-to-pdf path")
            }
            let tail = String(decoding: bytes.suffix(32), as: UTF8.self)
            guard bytes.starts(with: Array("%PDF-".utf8)), tail.contains("%%EOF") else {
                throw BrowserError.noPDF("\(bytes.count) bytes that are not a complete PDF")
            }
            return bytes
        }
    }

    /// Loads `url` and returns the DOM after the page's load event, serialised (`--dump-dom`),
    /// and the browser's log (stderr with `--enable-logging`: every console message of the
    /// page appears there as a `CONSOLE` line).
    ///
    /// - Throws: `BrowserError`.
    package static func dumpDOM(_ url: URL, timeout: Double? = nil) throws -> (dom: String, log: String) {
        try withProfile { profile in
            let run = try run(profile: profile, timeout: timeout, arguments: [
                "--enable-logging=stderr", "--v=0", "--dump-dom", url.absoluteString,
            ])
            return (String(decoding: run.stdout, as: UTF8.self), String(decoding: run.stderr, as: UTF8.self))
        }
    }

    // MARK: - Private

    /// Runs the browser with `commonArguments` and `arguments`.
    private static func run(profile: URL, timeout: Double?, arguments: [String]) throws -> ExternalRun {
        guard let executable = executable() else { throw BrowserError.notInstalled }
        let limit = try timeout ?? Self.timeout()
        // Settings and caches the browser would keep in the home folder go to the profile too.
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = profile.appendingPathComponent("config").path
        environment["XDG_CACHE_HOME"] = profile.appendingPathComponent("cache").path
        let run: ExternalRun
        do {
            run = try ExternalProcess.run(executable, arguments: commonArguments(profile: profile) + arguments,
                                          environment: environment, timeout: limit)
        } catch ExternalProcess.Failure.launch(let message) {
            throw BrowserError.failed(status: -1, message: message)
        } catch {
            throw BrowserError.timedOut(seconds: limit)
        }
        guard run.succeeded else {
            throw BrowserError.failed(status: run.status, message: lastLines(of: run.stderr))
        }
        return run
    }

    /// Calls `body` with a new private folder (mode 0700, under the temporary folder) and
    /// removes the folder and everything the browser left in it afterwards.
    private static func withProfile<T>(_ body: (URL) throws -> T) throws -> T {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            AtomicFile.temporaryPrefix + "browser-XXXXXX").path
        var template = Array(base.utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw BrowserError.noProfile("\(String(cString: strerror(errno))) in \(FileManager.default.temporaryDirectory.path)")
        }
        let profile = URL(fileURLWithPath: String(cString: made), isDirectory: true)
        defer { try? FileManager.default.removeItem(at: profile) }
        return try body(profile)
    }

    /// The last three non-empty lines of the browser's stderr, one line, at most 300 characters.
    private static func lastLines(of stderr: Data) -> String {
        let lines = String(decoding: stderr, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let text = lines.suffix(3).joined(separator: " | ")
        return text.count > 300 ? String(text.suffix(300)) : text
    }
}
