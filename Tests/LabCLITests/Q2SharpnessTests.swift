// `lab q2-sharpness` as a user runs it: a short run on real MNIST with its table, JSON and three
// figures; Ctrl-C that still writes what was measured; bad options as one line; and the
// worksheet's exercises, whose stated outcomes are checked here.

import Foundation
import TestSupport
import XCTest

final class Q2SharpnessTests: Q2TestCase {
    /// A short run every test can afford: 200 images, 40 steps, measured every 20.
    var short: [String] {
        ["q2-sharpness", "--data-dir", mnist, "--samples", "200", "--steps", "40", "--every", "20", "--out", "figs"]
    }

    func runs(_ output: LabOutput) throws -> [[String: Any]] {
        let lab = try XCTUnwrap(try result(output)["lab"] as? [String: Any])
        return try XCTUnwrap(lab["runs"] as? [[String: Any]])
    }

    func testShortRunPrintsTableJSONAndFigures() throws {
        let output = try run(short + ["--eta", "0.5", "--eta", "4", "--json"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let runs = try runs(output)
        XCTAssertEqual(runs.map { $0["eta"] as? Double }, [0.5, 4])
        for r in runs {
            let eta = try XCTUnwrap(r["eta"] as? Double)
            XCTAssertEqual(try XCTUnwrap(r["threshold"] as? Double), 2 / eta, accuracy: 1e-12)
            XCTAssertEqual(r["status"] as? String, "completed")
            XCTAssertEqual(r["diverged"] as? Bool, false)
            XCTAssertEqual((r["losses"] as? [Double])?.count, 41)
            let measurements = try XCTUnwrap(r["measurements"] as? [[String: Any]])
            XCTAssertEqual(measurements.compactMap { $0["step"] as? Int }, [0, 20, 40])
            let final = try XCTUnwrap(r["final"] as? [String: Any])
            let sharpness = try XCTUnwrap(final["sharpness"] as? Double)
            XCTAssertEqual(try XCTUnwrap(r["ratio"] as? Double), sharpness * eta / 2, accuracy: 1e-12)
        }
        for name in ["q2-sharpness-sharpness", "q2-sharpness-loss", "q2-sharpness-edge"] {
            for ext in ["png", "csv"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("figs/\(name).\(ext)").path), "\(name).\(ext)")
            }
        }
        XCTAssertTrue(output.stderr.contains("λmax"), "progress shows the sharpness: \(output.stderr)")

        let text = try run(short + ["--eta", "2"])
        XCTAssertEqual(text.status, 0, text.stderr)
        for line in ["Q1(c): on a fixed quadratic", "first within 10 % of 2/η", "At the start: loss", "Wrote: figs/q2-sharpness-sharpness.csv"] {
            XCTAssertTrue(text.stdout.contains(line), "missing '\(line)' in:\n\(text.stdout)")
        }
    }

    /// Ctrl-C after the first measurement: exit 130, and the text and figures of what was measured.
    func testInterruptStillWritesWhatWasMeasured() throws {
        let lab = try RunningLab(["q2-sharpness", "--data-dir", mnist, "--samples", "200", "--steps", "100000", "--every", "5",
                                  "--eta", "2", "--out", "figs"], directory: folder)
        XCTAssertTrue(lab.waitForStderr(containing: "λmax", timeout: 600), "no measurement: \(lab.stderrSoFar)")
        lab.send(SIGINT)
        // Both pipes read to their end and the exit waited for: the last lines are in.
        let output = lab.finish(timeout: 600)
        XCTAssertEqual(output.status, 130, output.stderr)
        XCTAssertFalse(output.signaled, "lab must catch Ctrl-C and exit, not die of it")
        XCTAssertTrue(output.stderr.contains("lab: interrupted"), output.stderr)
        XCTAssertTrue(output.stdout.contains("stopped at step"), output.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("figs/q2-sharpness-sharpness.png").path))
    }

    func testBadOptionsAreOneLine() throws {
        for (arguments, hint) in [(["--eta", "-1"], "--eta"), (["--every", "0"], "--every"), (["--samples", "0"], "--samples"),
                                  (["--tolerance", "2"], "--tolerance"), (["--steps", "0"], "--steps")] {
            let output = try run(["q2-sharpness", "--data-dir", mnist] + arguments)
            XCTAssertEqual(output.status, 64, "\(arguments): \(output.stderr)")
            let lines = output.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, output.stderr)
            XCTAssertTrue(output.stderr.contains(hint), output.stderr)
        }
    }

    /// labs/q2-sharpness.md, exercises 1 and 2: η = 4 does not diverge although 2/η is far
    /// below the starting λmax (where the quadratic of `lab q1c` overflows), and ends below 2/η;
    /// η = 40 does not diverge either but ends above its starting loss, near chance.
    func testWorksheetExercises() throws {
        #if DEBUG
        if ProcessInfo.processInfo.environment["GDLAB_HEAVY_TESTS"] != "1" {
            throw XCTSkip("heavy in a debug build (400 steps and 41 Lanczos runs on 500 images): runs with `swift test -c release`, or set GDLAB_HEAVY_TESTS=1")
        }
        #endif
        let output = try run(["q2-sharpness", "--data-dir", mnist, "--samples", "500", "--eta", "4", "--eta", "40",
                              "--steps", "200", "--every", "10", "--json", "--out", "figs"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let lab = try XCTUnwrap(try result(output)["lab"] as? [String: Any])
        let initial = try XCTUnwrap(lab["initial"] as? [String: Any])
        let start = try XCTUnwrap(initial["sharpness"] as? Double), startLoss = try XCTUnwrap(initial["loss"] as? Double)
        XCTAssertEqual(start, 1.446, accuracy: 0.0005)
        let runs = try runs(output)
        let four = runs[0], forty = runs[1]
        XCTAssertEqual(four["diverged"] as? Bool, false)
        XCTAssertLessThan(2.0 / 4, start)
        let fourFinal = try XCTUnwrap(four["final"] as? [String: Any])
        XCTAssertLessThan(try XCTUnwrap(fourFinal["sharpness"] as? Double), 0.5)
        XCTAssertLessThan(try XCTUnwrap((four["losses"] as? [Double])?.last), 0.02)
        XCTAssertEqual(forty["diverged"] as? Bool, false)
        XCTAssertGreaterThan(try XCTUnwrap((forty["losses"] as? [Double])?.last), startLoss)
        let fortyFinal = try XCTUnwrap(forty["final"] as? [String: Any])
        XCTAssertLessThan(try XCTUnwrap(fortyFinal["testAccuracy"] as? Double), 0.2)

        let quadratic = try run(["q1c", "--a", "1.446", "--b", "0.1", "--eta", "4", "--out", "q1"])
        XCTAssertEqual(quadratic.status, 0, quadratic.stderr)
        let row = try XCTUnwrap(quadratic.stdout.split(separator: "\n").first { $0.hasPrefix("  4 ") })
        XCTAssertTrue(row.contains("diverges") && row.contains("overflow at step 227"), String(row))
    }

    /// `lab report` has a sharpness section after Question 2 (release builds only: a debug build
    /// skips it, saying so), its numbers in results.json. Read from the report ReportHandInTests
    /// makes once (the same short run), instead of a report of its own.
    func testReportHasTheSharpnessSection() throws {
        let report = try ReportHandInTests.report()
        let markdown = String(decoding: try Data(contentsOf: report.appendingPathComponent("report.md")), as: UTF8.self)
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: report.appendingPathComponent("results.json"))) as? [String: Any])
        #if DEBUG
        let stderr = ReportHandInTests.reportStderr
        XCTAssertTrue(stderr.contains("q2-sharpness: skipped in a debug build"), stderr)
        XCTAssertNil(results["sharpness"])
        #else
        XCTAssertTrue(markdown.contains("## Sharpness during training: the edge of stability"), markdown)
        XCTAssertTrue(markdown.contains("figures/q2-sharpness-sharpness.png"))
        let sharpness = try XCTUnwrap(results["sharpness"] as? [String: Any])
        let lab = try XCTUnwrap(sharpness["lab"] as? [String: Any])
        let initial = try XCTUnwrap(lab["initial"] as? [String: Any])
        XCTAssertTrue(markdown.contains("λmax = " + String(format: "%.3f", try XCTUnwrap(initial["sharpness"] as? Double))))
        #endif
    }

    func testExplainPrintsTheWorksheet() throws {
        let output = try run(["q2-sharpness", "--explain"])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.contains("|1 − ηλ|"), output.stdout)
    }
}
