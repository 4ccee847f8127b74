// The report as it is handed in, checked as a reader gets it: `lab report` (one short real run
// for the class) writes report.ipynb, which nbformat's validator accepts; report.html, loaded in
// headless Chromium, shows every figure decoded, every heading and answer, and logs nothing;
// report.pdf has its pages numbered, each question on a new page, every figure once at print
// resolution. And the browser's failures: missing (exit 2, one line), hanging (stopped with its
// whole process group), failing, or writing no PDF; its temporary profile is always removed.
//
// How the page is checked: a copy of report.html gets a small script at the top of <head> that
// records load errors (capture-phase `error` events, which a broken <img> fires) and console
// errors, and on `load` writes what the reader sees (each image's natural size, the headings,
// the answers' rendered text) as base64 JSON into a <pre>; `chromium --headless --dump-dom`
// prints the DOM after the load event, and its log (--enable-logging) holds every console
// message of the page as a CONSOLE line. Tests that need the browser or poppler-utils skip with
// a message when they are missing, except in CI (CI=true), where they fail.
//
// About 400 lines: the three hand-in formats share one expensive report run (made once per class).

import Foundation
@testable import LabCLI
import TestSupport
import XCTest
@testable import LabFigures
@testable import LabReport
@testable import LabSupport
@testable import Labs

final class ReportHandInTests: XCTestCase {
    /// Whether a Chromium-family browser is on PATH.
    static var browserInstalled: Bool { Browser.executable() != nil }
    private static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Skips (or fails in CI) when `tool` is not on PATH.
    static func require(_ tool: String, _ what: String) throws {
        guard ExternalProcess.find([tool]) == nil else { return }
        if inCI { throw LabProcessError(description: "\(tool) is missing; .ci/run must install \(what)") }
        throw XCTSkip("\(tool) is not installed (\(what)); this check was skipped")
    }

    private static func requireBrowser() throws {
        guard !browserInstalled else { return }
        if inCI { throw LabProcessError(description: "no Chromium-family browser on PATH; .ci/run must install chromium") }
        throw XCTSkip("no Chromium-family browser (chromium, chromium-browser, google-chrome) on PATH; the browser checks were skipped")
    }

    // MARK: - One real report for the class

    // XCTest runs one test at a time, so the shared report needs no lock.
    nonisolated(unsafe) private static var folder: URL?
    nonisolated(unsafe) private static var made: Result<URL, any Error>?
    /// What the shared report's run wrote to stderr (progress, and sections it skipped).
    nonisolated(unsafe) private(set) static var reportStderr = ""

    /// `lab report` on real MNIST with the short Question 2 run, made once for all tests here
    /// and for the other tests that only read a report (Q2SharpnessTests).
    static func report() throws -> URL {
        if let made { return try made.get() }
        let result = Result { () throws -> URL in
            let base = try LabProcess.temporaryFolder("gdlab-handin")
            folder = base
            let data = try RealMNIST.directory().path
            let output = try LabProcess.run(["report", "--out", "r", "--data-dir", data] + ReportCommandTests.shortRun,
                                            directory: base, timeout: 900)
            guard !output.timedOut else { throw LabProcessError(description: "lab report did not finish") }
            reportStderr = output.stderr
            let expected: Int32 = browserInstalled ? 0 : 2
            guard output.status == expected else {
                throw LabProcessError(description: "lab report exited \(output.status), not \(expected): \(output.stderr)")
            }
            return base.appendingPathComponent("r")
        }
        made = result
        return try result.get()
    }

    override class func tearDown() {
        if let folder { try? FileManager.default.removeItem(at: folder) }
        folder = nil
        made = nil
        super.tearDown()
    }

    /// The report's figures (report-relative PNG paths, in document order) from results.json.
    private static func figures(in report: URL) throws -> [String] {
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: report.appendingPathComponent("results.json"))) as? [String: Any])
        let figures = try XCTUnwrap(results["figures"] as? [[String: Any]])
        return figures.compactMap { $0["path"] as? String }
    }

    /// report.md's level-2 and level-3 headings and its answers, as a browser shows their text
    /// (Markdown escapes and code-span backticks removed).
    private static func expectedText(in report: URL) throws -> (headings: [String], answers: [String]) {
        let markdown = String(decoding: try Data(contentsOf: report.appendingPathComponent("report.md")), as: UTF8.self)
        func plain(_ text: Substring) -> String {
            var out = "", escaped = false
            for ch in text {
                if escaped { out.append(ch); escaped = false } else if ch == "\\" { escaped = true } else if ch != "`" { out.append(ch) }
            }
            return out
        }
        var headings: [String] = [], answers: [String] = []
        for line in markdown.split(separator: "\n") {
            if line.hasPrefix("# ") { headings.append("H1 " + plain(line.dropFirst(2))) }
            if line.hasPrefix("## ") { headings.append("H2 " + plain(line.dropFirst(3))) }
            if line.hasPrefix("### ") { headings.append("H3 " + plain(line.dropFirst(4))) }
            if line.hasPrefix("**Answer.** ") { answers.append("Answer. " + plain(line.dropFirst(12))) }
        }
        return (headings, answers)
    }

    // MARK: - report.ipynb

    /// The real report's notebook: valid for nbformat, one attachment per figure holding the
    /// figure file's bytes, one code cell per part with its `!lab` command.
    func testNotebookOfTheReportIsValidAndComplete() throws {
        let report = try Self.report()
        let file = report.appendingPathComponent("report.ipynb")
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let cells = try XCTUnwrap(root["cells"] as? [[String: Any]])
        var attached: [String: Data] = [:]
        for cell in cells {
            for (name, bundle) in (cell["attachments"] as? [String: [String: String]]) ?? [:] {
                attached[name] = bundle["image/png"].flatMap { Data(base64Encoded: $0) }
            }
        }
        let figures = try Self.figures(in: report)
        XCTAssertEqual(attached.count, figures.count, "one attachment per figure")
        for path in figures {
            XCTAssertEqual(attached[(path as NSString).lastPathComponent], try Data(contentsOf: report.appendingPathComponent(path)), path)
        }
        let code = cells.filter { $0["cell_type"] as? String == "code" }.map { (($0["source"] as? [String]) ?? []).joined() }
        XCTAssertEqual(code.count, 10, "q1a … q1d, q2-init … q2-train, Question 1 on the network, sharpness")
        XCTAssertEqual(Array(code.prefix(4)), ["!lab q1a", "!lab q1b", "!lab q1c", "!lab q1d"])
        XCTAssertTrue(code[4].hasPrefix("!lab q2-init") && !code[4].contains("--data-dir"), code[4])
        // The report ran with an absolute --data-dir, which the notebook leaves to $MNIST_DIR.
        XCTAssertEqual(code[5], "!lab q2-forward")
        XCTAssertEqual(code[6], "!lab q2-backprop")
        XCTAssertEqual(code[7], "!lab q2-train --lr 0.03 --epochs 1 --train-limit 3000")
        XCTAssertTrue(code[8].hasPrefix("!lab q2-curvature") && code[8].contains("\n!lab q2-sweep "), code[8])
        XCTAssertEqual(code[9], "!lab q2-sharpness --samples 500 --eta 0.5 --eta 2 --eta 4 --steps 200 --every 10")
        let result = try NotebookValidator.validate(file)
        XCTAssertTrue(result.hasPrefix("valid nbformat 4.5, \(cells.count) cells"), result)
    }

    // MARK: - report.html in a browser

    /// The script put at the top of the copy's <head> (see the file's opening comment).
    static let probe = """
        <script>
        (function () {
          var problems = [];
          window.addEventListener('error', function (e) {
            var t = e.target;
            problems.push(t && t !== window && t.tagName ? 'failed to load <' + t.tagName.toLowerCase() + '>' : 'error: ' + e.message);
          }, true);
          ['error', 'warn'].forEach(function (level) {
            var original = console[level];
            console[level] = function () {
              problems.push('console.' + level + ': ' + Array.prototype.join.call(arguments, ' '));
              original.apply(console, arguments);
            };
          });
          window.addEventListener('load', function () {
            var all = function (selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); };
            var seen = {
              images: all('img').map(function (img) {
                var box = img.getBoundingClientRect();
                return { complete: img.complete, width: img.naturalWidth, height: img.naturalHeight, shownWidth: box.width, shownHeight: box.height };
              }),
              headings: all('h1, h2, h3').map(function (h) { return h.tagName + ' ' + h.textContent; }),
              answers: all('p.answer').map(function (p) { return p.innerText; }),
              problems: problems
            };
            var pre = document.createElement('pre');
            pre.id = 'gdlab-check';
            pre.textContent = btoa(unescape(encodeURIComponent(JSON.stringify(seen))));
            document.body.appendChild(pre);
          });
        })();
        </script>
        """

    private struct Seen: Decodable {
        struct Image: Decodable {
            var complete: Bool
            var width: Int, height: Int
            var shownWidth: Double, shownHeight: Double
        }
        var images: [Image]
        var headings: [String]
        var answers: [String]
        var problems: [String]
    }

    /// What a reader sees in report.html: every figure decoded at its PNG's size and shown, the
    /// headings and answers of report.md, no load or console errors.
    func testBrowserShowsEveryFigureHeadingAndAnswer() throws {
        try Self.requireBrowser()
        let report = try Self.report()
        let html = String(decoding: try Data(contentsOf: report.appendingPathComponent("report.html")), as: UTF8.self)
        let head = try XCTUnwrap(html.range(of: "<head>"))
        let checked = report.appendingPathComponent("check.html")
        try Data((html[..<head.upperBound] + "\n" + Self.probe + html[head.upperBound...]).utf8).write(to: checked)
        defer { try? FileManager.default.removeItem(at: checked) }

        let (dom, log) = try Browser.dumpDOM(checked, timeout: 120)
        let start = try XCTUnwrap(dom.range(of: "<pre id=\"gdlab-check\">"), "the probe ran: \(dom.suffix(500))")
        let end = try XCTUnwrap(dom[start.upperBound...].range(of: "</pre>"))
        let seen = try JSONDecoder().decode(Seen.self, from: try XCTUnwrap(Data(base64Encoded: String(dom[start.upperBound ..< end.lowerBound]))))

        XCTAssertEqual(seen.problems, [], "no load or console errors")
        let console = log.split(separator: "\n").filter { $0.contains("CONSOLE") }
        XCTAssertEqual(console, [], "the page logs nothing")

        let figures = try Self.figures(in: report)
        XCTAssertGreaterThanOrEqual(figures.count, 12)
        XCTAssertEqual(seen.images.count, figures.count, "one <img> per figure")
        for (image, path) in zip(seen.images, figures) {
            let png = try PNGCheck.inspect(try Data(contentsOf: report.appendingPathComponent(path)))
            XCTAssertTrue(image.complete, path)
            XCTAssertEqual(image.width, png.width, "\(path) decoded at its own width")
            XCTAssertEqual(image.height, png.height, "\(path) decoded at its own height")
            XCTAssertGreaterThan(image.shownWidth, 100, "\(path) is shown")
            XCTAssertGreaterThan(image.shownHeight, 50, "\(path) is shown")
        }

        let expected = try Self.expectedText(in: report)
        XCTAssertEqual(seen.headings, expected.headings)
        XCTAssertEqual(expected.answers.count, 10, "eight parts, Question 1 on the network, sharpness")
        func words(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        XCTAssertEqual(seen.answers.map(words), expected.answers.map(words))
    }

    // MARK: - report.pdf

    /// Runs a poppler tool and returns its stdout.
    private static func poppler(_ tool: String, _ arguments: [String]) throws -> String {
        let run = try ExternalProcess.run(try XCTUnwrap(ExternalProcess.find([tool])), arguments: arguments, timeout: 120)
        guard run.succeeded else { throw LabProcessError(description: "\(tool) failed: \(String(decoding: run.stderr, as: UTF8.self))") }
        return String(decoding: run.stdout, as: UTF8.self)
    }

    /// The PDF's pages: A4, each numbered "page k of N" with N the page count pdfinfo reads,
    /// the title and each question at the top of a page of its own, no empty page; every
    /// figure in it once (not cut across pages), at its PNG's size, printed at ≥ 150 dpi.
    func testPDFHasNumberedPagesAndEveryFigure() throws {
        try Self.requireBrowser()
        try Self.require("pdfinfo", "poppler-utils")
        let report = try Self.report()
        let pdf = report.appendingPathComponent("report.pdf").path

        let info = try Self.poppler("pdfinfo", [pdf])
        let pages = try XCTUnwrap(info.split(separator: "\n").first { $0.hasPrefix("Pages:") }
            .flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) })
        XCTAssertTrue(info.contains("(A4)"), info)
        // Title page, Question 1 from page 2, Question 2 on a later page: at least 3 pages. The
        // short run's report is 18 pages; more than 30 would mean figures or tables spill.
        XCTAssertTrue((3...30).contains(pages), "\(pages) pages")

        var firstLines: [String] = []
        for page in 1...pages {
            let text = try Self.poppler("pdftotext", ["-f", "\(page)", "-l", "\(page)", "-layout", pdf, "-"])
            let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            XCTAssertEqual(lines.last, "page \(page) of \(pages)", "page \(page)'s footer")
            XCTAssertGreaterThan(lines.count, 1, "page \(page) has more than its number")
            firstLines.append(lines.first ?? "")
        }
        XCTAssertTrue(firstLines[0].hasPrefix("gdlab report"), firstLines[0])
        let q1 = try XCTUnwrap(firstLines.firstIndex { $0.hasPrefix("Question 1 —") }, "Question 1 starts a page: \(firstLines)")
        let q2 = try XCTUnwrap(firstLines.firstIndex { $0.hasPrefix("Question 2 —") }, "Question 2 starts a page: \(firstLines)")
        XCTAssertEqual(q1, 1, "Question 1 follows the title page")
        XCTAssertGreaterThan(q2, q1)

        // pdfimages -list: page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
        try Self.require("pdfimages", "poppler-utils")
        let listing: String = try Self.poppler("pdfimages", ["-list", pdf])
        let table: [[Substring]] = listing.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ") }
        let rows: [[Substring]] = table.filter { $0.count >= 14 && $0[2] == "image" }
        let figures = try Self.figures(in: report)
        XCTAssertEqual(rows.count, figures.count, "every figure once: none missing, none cut across two pages")
        var printed = rows.map { "\($0[3])×\($0[4])" }
        for path in figures {
            let png = try PNGCheck.inspect(try Data(contentsOf: report.appendingPathComponent(path)))
            let size = "\(png.width)×\(png.height)"
            XCTAssertNotNil(printed.firstIndex(of: size).map { printed.remove(at: $0) }, "\(path) (\(size)) is in the PDF")
        }
        for row in rows {
            XCTAssertGreaterThanOrEqual(Int(row[12]) ?? 0, 150, "printed at ≥ 150 dpi: \(row.joined(separator: " "))")
        }
        let pageOfQ2 = q2 + 1
        let q1Figures = figures.filter { ($0 as NSString).lastPathComponent.hasPrefix("q1") }.count
        XCTAssertEqual(rows.filter { (Int($0[0]) ?? 0) < pageOfQ2 }.count, q1Figures, "Question 1's figures before Question 2's page")
    }

    // MARK: - Without a browser, and a browser that misbehaves

    /// A folder holding only a link to gnuplot (so figures are drawn) and, if given, a fake
    /// `chromium` script.
    private func binFolder(in base: URL, fakeBrowser: String?) throws -> URL {
        let bin = base.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        if let gnuplot = ExternalProcess.find(["gnuplot"]) {
            try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("gnuplot"), withDestinationURL: gnuplot)
        }
        if let fakeBrowser {
            let file = bin.appendingPathComponent("chromium")
            try Data(("#!/bin/sh\n" + fakeBrowser + "\n").utf8).write(to: file)
            chmod(file.path, 0o755)
        }
        return bin
    }

    /// Without a browser every other file is written, a previous report.pdf (which would not
    /// match) is removed, one line says how to get the PDF, and the exit status is 2.
    func testWithoutABrowserTheReportIsWrittenWithoutPDFAndExits2() throws {
        try Self.require("gnuplot", "gnuplot-nox")
        let base = try LabProcess.temporaryFolder("gdlab-nobrowser")
        defer { try? FileManager.default.removeItem(at: base) }
        let bin = try binFolder(in: base, fakeBrowser: nil)
        try FileManager.default.createDirectory(at: base.appendingPathComponent("r"), withIntermediateDirectories: true)
        try Data("%PDF-old".utf8).write(to: base.appendingPathComponent("r/report.pdf"))
        let output = try LabProcess.run(
            ["report", "--out", "r", "--data-dir", try RealMNIST.directory().path] + ReportCommandTests.shortRun,
            environment: ["PATH": bin.path], directory: base, timeout: 900)
        XCTAssertEqual(output.status, 2, output.stderr)
        let lines = output.stderr.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("lab: ") }.count, 1, output.stderr)
        let expected: String = "lab: report written, but report.pdf not written: " + BrowserError.notInstalled.description
        XCTAssertEqual(String(lines.last ?? ""), expected)
        XCTAssertTrue(expected.contains("no Chromium-family browser (chromium, chromium-browser, google-chrome) on PATH; install Chromium"))
        let names = try FileManager.default.contentsOfDirectory(atPath: base.appendingPathComponent("r").path)
        XCTAssertEqual(names.filter { !$0.hasPrefix(".") }.sorted(),
                       ["figures", "report.html", "report.ipynb", "report.md", "results.json"], "the old report.pdf is gone")
    }

    /// A browser that hangs is stopped at GDLAB_BROWSER_TIMEOUT together with the helper it
    /// started; one that fails, or exits without a PDF, is named in one line; none leaves its
    /// temporary profile behind. (Without MNIST, so only Question 1 runs: exit 1.)
    func testMisbehavingBrowserIsStoppedAndNamed() throws {
        let base = try LabProcess.temporaryFolder("gdlab-badbrowser")
        defer { try? FileManager.default.removeItem(at: base) }
        let noData = base.appendingPathComponent("no-data")
        let temporary = base.appendingPathComponent("tmp")
        for folder in [noData, temporary] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let pidFile = base.appendingPathComponent("helper.pid")
        let cases: [(script: String, message: String)] = [
            ("sleep 300 &\necho $! > '\(pidFile.path)'\nexec sleep 300", "report.pdf not written: the browser did not finish within 2 s and was stopped"),
            ("echo 'cannot open display' >&2\nexit 3", "report.pdf not written: the browser failed (exit 3): cannot open display"),
            ("exit 0", "report.pdf not written: the browser wrote no PDF (no file at the --print-to-pdf path)"),
        ]
        for (index, fake) in cases.enumerated() {
            let bin = try binFolder(in: base.appendingPathComponent("case\(index)"), fakeBrowser: fake.script)
            let output = try LabProcess.run(
                ["report", "--out", "r\(index)", "--data-dir", noData.path],
                environment: ["PATH": bin.path + ":/usr/bin:/bin", "GDLAB_BROWSER_TIMEOUT": "2", "TMPDIR": temporary.path],
                directory: base, timeout: 300)
            XCTAssertFalse(output.timedOut)
            XCTAssertEqual(output.status, 1, output.stderr)
            let last = String(output.stderr.split(separator: "\n").last ?? "")
            XCTAssertTrue(last.hasPrefix("lab: report written without Question 2"), last)
            XCTAssertTrue(last.contains(fake.message), last)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary.path), [], "the profile is removed")
            XCTAssertFalse(FileManager.default.fileExists(atPath: base.appendingPathComponent("r\(index)/report.pdf").path))
        }
        let helper = try XCTUnwrap(Int32(String(decoding: try Data(contentsOf: pidFile), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertFalse(Self.isRunning(helper), "the hanging browser's helper (pid \(helper)) was stopped with its group")
    }

    /// Whether `pid` is a live process (a zombie, ended but not yet reaped, is not).
    private static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        #if os(Linux)
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
        }
        #endif
        return true
    }

    /// A time limit that is not a number is one line (the report is not affected otherwise).
    func testBrowserTimeoutMustBeANumber() throws {
        XCTAssertEqual(try Browser.timeout(environment: [:]), Browser.defaultTimeout)
        XCTAssertEqual(try Browser.timeout(environment: ["GDLAB_BROWSER_TIMEOUT": " 30 "]), 30)
        for bad in ["", "abc", "0", "-1", "nan", "1e9"] {
            XCTAssertThrowsError(try Browser.timeout(environment: ["GDLAB_BROWSER_TIMEOUT": bad]), bad) { error in
                XCTAssertTrue("\(error)".hasPrefix("GDLAB_BROWSER_TIMEOUT is '"), "\(error)")
            }
        }
    }

    /// The browser's arguments: headless, private profile, --no-sandbox exactly when root.
    func testBrowserArguments() {
        let profile = URL(fileURLWithPath: "/tmp/p")
        let user = Browser.commonArguments(profile: profile, isRoot: false)
        XCTAssertTrue(user.contains("--headless"))
        XCTAssertTrue(user.contains("--user-data-dir=/tmp/p"))
        XCTAssertFalse(user.contains("--no-sandbox"))
        XCTAssertTrue(Browser.commonArguments(profile: profile, isRoot: true).contains("--no-sandbox"))
    }
}
