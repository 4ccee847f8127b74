// End-to-end tests of `lab report`: the real binary on real MNIST with a short training run.
// Every file the report references exists, every PNG is real, results.json parses and agrees
// with report.md, two runs give identical bytes; and the failures: no gnuplot (exit 2, text
// still written), no MNIST (Question 1 still reported, exit 1), an --out that cannot be written.

import Foundation
import TestSupport
import XCTest

final class ReportCommandTests: XCTestCase {
    private var folder: URL!

    /// A short Question 2 run: enough to beat chance by far, quick in a debug build.
    static let shortRun = ["--train-limit", "3000", "--lr", "0.03", "--epochs", "1"]

    override func setUpWithError() throws {
        folder = try LabProcess.temporaryFolder("gdlab-report")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func run(_ arguments: [String], environment: [String: String] = [:]) throws -> LabOutput {
        let output = try LabProcess.run(["report"] + arguments, environment: environment, directory: folder, timeout: 600)
        XCTAssertFalse(output.timedOut, "lab report \(arguments) did not finish")
        return output
    }

    private func read(_ out: String, _ name: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(out).appendingPathComponent(name))
    }

    /// Relative targets of `](…)` links and images in Markdown, in order.
    static func links(in markdown: String) -> [String] {
        var links: [String] = []
        var rest = Substring(markdown)
        while let open = rest.range(of: "](") {
            let after = rest[open.upperBound...]
            guard let close = after.firstIndex(of: ")") else { break }
            let target = String(after[..<close])
            if !target.hasPrefix("#"), !target.contains("://") { links.append(target) }
            rest = after[close...]
        }
        return links
    }

    /// The whole report on real MNIST, twice: complete, consistent, valid, identical.
    func testReportEndToEnd() throws {
        let data = try RealMNIST.directory().path
        let first = try run(["--out", "one", "--data-dir", data] + Self.shortRun)
        // Without a browser the report lacks only report.pdf (exit 2); CI installs Chromium.
        let complete: Int32 = ReportHandInTests.browserInstalled ? 0 : 2
        XCTAssertEqual(first.status, complete, first.stderr)
        XCTAssertEqual(first.stdout, "", "the report goes to files; progress to stderr")
        let stderrLines = first.stderr.split(separator: "\n")
        XCTAssertGreaterThan(stderrLines.count, 8, "one progress line per step")
        XCTAssertTrue(stderrLines.last { !$0.hasPrefix("lab: ") }?.hasPrefix("Wrote one/report.md") ?? false, first.stderr)

        let out = folder.appendingPathComponent("one")
        let markdown = String(decoding: try read("one", "report.md"), as: UTF8.self)
        let html = String(decoding: try read("one", "report.html"), as: UTF8.self)
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: try read("one", "results.json")) as? [String: Any])

        // Every file the report links exists; every PNG is a real, non-blank image.
        let links = Self.links(in: markdown)
        let pngs = links.filter { $0.hasSuffix(".png") }
        XCTAssertGreaterThanOrEqual(pngs.count, 9 + 3, "Question 1's nine figures and Question 2's")
        for link in links {
            XCTAssertFalse(link.hasPrefix("/"), "links are relative: \(link)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(link).path), link)
        }
        for png in pngs {
            let info = try PNGCheck.inspect(try Data(contentsOf: out.appendingPathComponent(png)))
            XCTAssertGreaterThan(info.width, 100, png)
            XCTAssertGreaterThan(info.compressedImageBytes, info.width * info.height / 1000, "\(png) looks blank")
        }
        // results.json lists exactly the figures the report shows, all drawn.
        let figures = try XCTUnwrap(results["figures"] as? [[String: Any]])
        XCTAssertEqual(figures.compactMap { $0["path"] as? String }, pngs)
        XCTAssertTrue(figures.allSatisfy { $0["missingReason"] == nil })
        XCTAssertEqual(results["complete"] as? Bool, true)

        // The HTML is self-contained: one embedded image per figure, nothing fetched.
        XCTAssertEqual(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1, pngs.count)
        XCTAssertFalse(html.contains("src=\"figures/"))
        XCTAssertFalse(html.contains("http://") || html.contains("https://"), "no external resources")
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))

        // results.json agrees with report.md.
        let q1 = try XCTUnwrap(results["question1"] as? [String: Any])
        let q1a = try XCTUnwrap(q1["q1a"] as? [String: Any])
        let steps = try XCTUnwrap(q1a["stepsTaken"] as? Int)
        XCTAssertTrue(markdown.contains("after \(steps) steps"), "q1a's step count in both")
        let q1c = try XCTUnwrap(q1["q1c"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(q1c["threshold"] as? Double), 0.2, accuracy: 1e-15)
        XCTAssertTrue(markdown.contains("2/max(a, b) = 0.2 here"))
        try checkQuestion2(results: results, markdown: markdown)

        // No timings, dates or absolute paths in the deterministic files.
        for text in [markdown, String(decoding: try read("one", "results.json"), as: UTF8.self)] {
            XCTAssertFalse(text.contains(folder.path), "no absolute output path")
            XCTAssertFalse(text.contains(data), "no absolute data path")
        }

        // A second run, into another folder from another working folder, gives the same bytes:
        // the report ReportHandInTests makes once with the same options (its run checks the
        // exit status).
        let second = try ReportHandInTests.report()
        for name in ["report.md", "results.json", "report.html", "report.ipynb"] {
            XCTAssertEqual(try read("one", name), try Data(contentsOf: second.appendingPathComponent(name)), name)
        }

        // Nothing but the report is left in the folder (no staging folders, no temporaries): the
        // published names, the link to the version in use and that version.
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
        XCTAssertEqual(names.filter { !$0.hasPrefix(".") }.sorted(),
                       ["figures", "report.html", "report.ipynb", "report.md"]
                           + (ReportHandInTests.browserInstalled ? ["report.pdf"] : []) + ["results.json"])
        XCTAssertEqual(names.filter { $0.hasPrefix(".") }.count, 2, names.sorted().description)
    }

    /// Question 2's numbers: accuracy per epoch, the forward pass and the gradient check, the
    /// same in both files (formatted as the report formats them).
    private func checkQuestion2(results: [String: Any], markdown: String) throws {
        let q2 = try XCTUnwrap(results["question2"] as? [String: Any])
        XCTAssertNil(q2["unavailable"])
        let training = try XCTUnwrap(q2["training"] as? [String: Any])
        let epochs = try XCTUnwrap(training["epochs"] as? [[String: Any]])
        XCTAssertEqual(epochs.count, 1)
        for epoch in epochs {
            let accuracy = try XCTUnwrap(epoch["testAccuracy"] as? Double)
            XCTAssertGreaterThan(accuracy, 0.5, "a short run beats chance (10 %) by far")
            let number = try XCTUnwrap(epoch["epoch"] as? Int)
            XCTAssertTrue(markdown.contains("| \(number) | " + String(format: "%.4f", try XCTUnwrap(epoch["trainLoss"] as? Double))
                                            + " | " + String(format: "%.4f", try XCTUnwrap(epoch["testLoss"] as? Double))
                                            + " | " + String(format: "%.2f %%", 100 * accuracy) + " |"), "epoch \(number) row")
        }
        let after = try XCTUnwrap(training["after"] as? [String: Any])
        XCTAssertTrue(markdown.contains("to " + String(format: "%.2f %%", 100 * (try XCTUnwrap(after["testAccuracy"] as? Double)))))

        let forward = try XCTUnwrap(q2["forward"] as? [String: Any])
        let before = try XCTUnwrap(forward["accuracy"] as? Double)
        XCTAssertEqual(before, 0.1, accuracy: 0.05, "the untrained network is near chance")
        XCTAssertTrue(markdown.contains("accuracy " + String(format: "%.2f %%", 100 * before)))

        let check = try XCTUnwrap(q2["gradientCheck"] as? [String: Any])
        XCTAssertEqual(check["passed"] as? Bool, true)
        let rows = try XCTUnwrap(check["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 6, "w1, b1, w2, b2, w3, b3")
        for row in rows {
            let name = try XCTUnwrap(row["name"] as? String)
            let error = try XCTUnwrap(row["maxRelativeError"] as? Double)
            XCTAssertLessThanOrEqual(error, 1e-6, name)
            XCTAssertTrue(markdown.contains("| \(name) | "), name)
            XCTAssertTrue(markdown.contains(" | " + String(format: "%.2e", error) + " | "), "\(name)'s error in the table")
        }
    }

    /// Without gnuplot: the report is still written (text, tables, CSVs), each missing figure
    /// is named with the install hint, and the exit status is 2.
    func testWithoutGnuplotTheReportIsWrittenAndIncomplete() throws {
        let data = try RealMNIST.directory().path
        let empty = folder.appendingPathComponent("empty-bin")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let output = try run(["--out", "r", "--data-dir", data] + Self.shortRun, environment: ["PATH": empty.path])
        XCTAssertEqual(output.status, 2, output.stderr)
        let lastLine = try XCTUnwrap(output.stderr.split(separator: "\n").last)
        XCTAssertTrue(lastLine.hasPrefix("lab: report written without"), String(lastLine))
        XCTAssertTrue(lastLine.contains("gnuplot-nox"), String(lastLine))
        let markdown = String(decoding: try read("r", "report.md"), as: UTF8.self)
        XCTAssertTrue(markdown.contains("**Figure not drawn: `figures/q1a-descent.png`**"))
        XCTAssertTrue(markdown.contains("gnuplot-nox"))
        XCTAssertTrue(markdown.contains("**Answer.**"), "the answers are still there")
        let figures = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("r/figures").path)
        XCTAssertTrue(figures.contains("q1a-descent.csv"), "the data of each figure is still written")
        XCTAssertFalse(figures.contains("q1a-descent.png"))
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: try read("r", "results.json")) as? [String: Any])
        XCTAssertEqual(results["complete"] as? Bool, false)
        let html = String(decoding: try read("r", "report.html"), as: UTF8.self)
        XCTAssertTrue(html.contains("Figure not drawn"))
    }

    /// Without MNIST: Question 1 is reported, Question 2 says how to get the data, exit 1.
    func testWithoutMNISTQuestion1IsStillReported() throws {
        let empty = folder.appendingPathComponent("no-data")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let output = try run(["--out", "r", "--data-dir", empty.path])
        XCTAssertEqual(output.status, 1, output.stderr)
        let lastLine = try XCTUnwrap(output.stderr.split(separator: "\n").last)
        XCTAssertTrue(lastLine.hasPrefix("lab: "), String(lastLine))
        XCTAssertTrue(lastLine.contains("no-data"), "names the folder: \(lastLine)")
        let markdown = String(decoding: try read("r", "report.md"), as: UTF8.self)
        XCTAssertTrue(markdown.contains("## Question 1"))
        XCTAssertEqual(markdown.components(separatedBy: "**Answer.**").count - 1, 4, "q1a–q1d answered")
        XCTAssertTrue(markdown.contains("## Question 2"))
        XCTAssertTrue(markdown.contains("t10k-images-idx3-ubyte.gz"), "the missing files are named")
        XCTAssertTrue(markdown.contains("which lacks"), "the data error itself is quoted")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("r/report.html").path))
    }

    /// An --out that cannot be written: one line, non-zero exit, nothing created.
    func testUnwritableOutIsOneLine() throws {
        try Data("x".utf8).write(to: folder.appendingPathComponent("a-file"))
        for out in ["a-file", "a-file/report"] {
            let output = try run(["--out", out])
            XCTAssertEqual(output.status, 1, output.stderr)
            XCTAssertEqual(output.stderr.split(separator: "\n").count, 1, output.stderr)
            XCTAssertTrue(output.stderr.hasPrefix("lab: cannot write"), output.stderr)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["a-file"])
    }

    /// A figures/ folder holding files the report did not write is not replaced.
    func testForeignFilesInFiguresAreNotReplaced() throws {
        let figures = folder.appendingPathComponent("r/figures")
        try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: figures.appendingPathComponent("notes.txt"))
        let output = try run(["--out", "r"])
        XCTAssertEqual(output.status, 1, output.stderr)
        XCTAssertEqual(output.stderr.split(separator: "\n").count, 1, output.stderr)
        XCTAssertTrue(output.stderr.contains("notes.txt"), output.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: figures.path), ["notes.txt"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("r").path), ["figures"])
    }
}
