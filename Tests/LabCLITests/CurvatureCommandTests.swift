// End-to-end tests of `lab q2-curvature` and `lab q2-sweep` (issue 12): the real binary on real
// MNIST, its JSON and figures, the worksheets' stated outcomes (labs/q2-curvature.md,
// labs/q2-sweep.md), and one-line failures for bad options.

import Foundation
import TestSupport
import XCTest

final class CurvatureCommandTests: Q2TestCase {
    /// labs/q2-curvature.md's exercise: scaled λmax ≈ 1.4 with every image far below η·λ = 2; raw
    /// pixels' mean-loss λmax more than 20× larger yet η·λmax < 2, while some images exceed 2.
    func testWorksheetExerciseRawAgainstScaled() throws {
        let common = ["q2-curvature", "--data-dir", mnist!, "--samples", "500", "--epochs", "0", "--no-compare",
                      "--per-sample", "8", "--trace-probes", "0", "--density-probes", "0", "--json", "--out", "figs"]
        let scaledOutput = try run(common)
        XCTAssertEqual(scaledOutput.status, 0, scaledOutput.stderr)
        let rawOutput = try run(common + ["--raw-pixels"])
        XCTAssertEqual(rawOutput.status, 0, rawOutput.stderr)
        func start(_ output: LabOutput) throws -> [String: Any] {
            try XCTUnwrap((try result(output)["snapshots"] as? [[String: Any]])?.first)
        }
        let scaled = try start(scaledOutput), raw = try start(rawOutput)
        let scaledLambda = try XCTUnwrap((scaled["top"] as? [Double])?.first)
        let rawLambda = try XCTUnwrap((raw["top"] as? [Double])?.first)
        XCTAssertEqual(scaledLambda, 1.4, accuracy: 0.1)
        XCTAssertGreaterThan(rawLambda, 20 * scaledLambda)
        XCTAssertLessThan(0.003 * rawLambda, 2)
        let scaledPer = try XCTUnwrap(scaled["perSample"] as? [String: Any])
        let rawPer = try XCTUnwrap(raw["perSample"] as? [String: Any])
        XCTAssertLessThan(0.003 * (try XCTUnwrap(scaledPer["maximum"] as? Double)), 0.1)
        XCTAssertGreaterThan(0.003 * (try XCTUnwrap(rawPer["maximum"] as? Double)), 2)
        XCTAssertGreaterThan(try XCTUnwrap(rawPer["fractionUnstable"] as? Double), 0)
    }

    /// The full measurement on a small budget: two snapshots, trace, density figure, comparison.
    func testCurvatureTextFiguresAndComparison() throws {
        let output = try run(["q2-curvature", "--data-dir", mnist!, "--samples", "300", "--per-sample", "3",
                              "--trace-probes", "4", "--density-probes", "1", "--top", "2", "--out", "figs", "--json"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let r = try result(output)
        let snapshots = try XCTUnwrap(r["snapshots"] as? [[String: Any]])
        XCTAssertEqual(snapshots.count, 2, "the start and after one epoch")
        for snapshot in snapshots {
            let top = try XCTUnwrap(snapshot["top"] as? [Double])
            XCTAssertEqual(top.count, 2)
            XCTAssertGreaterThanOrEqual(top[0], top[1])
            XCTAssertNotNil(snapshot["trace"] as? [String: Any])
        }
        let comparison = try XCTUnwrap(r["comparison"] as? [[String: Any]])
        XCTAssertEqual(comparison.map { $0["name"] as? String },
                       ["scaled pixels", "raw pixels", "raw pixels, W¹/255", "scaled pixels, W¹×255"])
        // W¹/255 on raw pixels gives exactly the scaled network's first-layer inputs: same saturation.
        XCTAssertEqual(comparison[2]["saturationAtStart"] as? Double, comparison[0]["saturationAtStart"] as? Double)
        try checkFigure("q2-curvature-density", width: 900, height: 600, in: folder.appendingPathComponent("figs"))

        let text = try run(["q2-curvature", "--data-dir", mnist!, "--samples", "200", "--epochs", "0", "--no-compare",
                            "--per-sample", "2", "--trace-probes", "0", "--density-probes", "0", "--out", "figs"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("η·λmax"), text.stdout)
        XCTAssertTrue(text.stdout.contains("below 2"), text.stdout)
    }

    /// labs/q2-sweep.md's exercise: converges up to η = 0.3, fails from η = 1, 2/λmax of the
    /// sharpest single image about 1.08, of the median image about 1.24, of the mean about 1.38.
    func testWorksheetExerciseBreakdown() throws {
        let output = try run(["q2-sweep", "--data-dir", mnist!, "--seeds", "1", "--train-limit", "5000",
                              "--lr-min", "0.01", "--lr-max", "10", "--json", "--out", "figs"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let r = try result(output)
        XCTAssertEqual(r["lastConverging"] as? Double, 0.3)
        XCTAssertEqual(r["firstFailing"] as? Double, 1)
        XCTAssertEqual(2 / (try XCTUnwrap(r["perSampleMaximum"] as? Double)), 1.08, accuracy: 0.01)
        XCTAssertEqual(2 / (try XCTUnwrap(r["perSampleMedian"] as? Double)), 1.24, accuracy: 0.01)
        XCTAssertEqual(2 / (try XCTUnwrap(r["meanLambdaMax"] as? Double)), 1.38, accuracy: 0.01)
        let runs = try XCTUnwrap(r["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 7)
        // η = 10 ends at chance level and says so.
        let last = try XCTUnwrap(runs.last)
        XCTAssertEqual(last["atChance"] as? Bool, true)
        XCTAssertNotEqual(last["verdict"] as? String, "converges")
        let out = folder.appendingPathComponent("figs")
        try checkFigure("q2-sweep-accuracy", width: 1100, height: 600, in: out)
        try checkFigure("q2-sweep-loss", width: 1100, height: 600, in: out)
    }

    /// One job or two: the same runs, the same numbers (each run is independent and deterministic).
    func testJobsDoNotChangeResults() throws {
        let args = ["q2-sweep", "--data-dir", mnist!, "--seeds", "2", "--train-limit", "500", "--lr-min", "0.1",
                    "--lr-max", "0.3", "--json", "--out", "figs"]
        let one = try run(args + ["--jobs", "1"]), two = try run(args + ["--jobs", "2"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(two.status, 0, two.stderr)
        let a = try XCTUnwrap(try result(one)["runs"] as? [[String: Any]])
        let b = try XCTUnwrap(try result(two)["runs"] as? [[String: Any]])
        XCTAssertEqual(a.map { $0["testAccuracy"] as? Double }, b.map { $0["testAccuracy"] as? Double })
        XCTAssertEqual(a.map { $0["seed"] as? Int }, [80085, 1, 80085, 1])
    }

    func testBadOptionsFailWithOneLine() throws {
        let cases: [([String], String)] = [
            (["q2-curvature", "--samples", "0"], "--samples"),
            (["q2-curvature", "--top", "50"], "--top"),
            (["q2-curvature", "--trace-probes", "1"], "--trace-probes"),
            (["q2-curvature", "--lr", "nan"], "--lr"),
            (["q2-sweep", "--lr-min", "-1"], "--lr-min"),
            (["q2-sweep", "--lr-min", "5", "--lr-max", "1"], "--lr-min"),
            (["q2-sweep", "--lr-min", "4", "--lr-max", "5"], "widen the range"),
            (["q2-sweep", "--jobs", "0"], "--jobs"),
            (["q2-sweep", "--seeds", "100"], "--seeds"),
        ]
        for (arguments, text) in cases {
            assertOneLineFailure(try run(arguments), status: 64, containing: text)
        }
        // A network too large for 100 Lanczos vectors is refused before any work, in one line.
        assertOneLineFailure(try run(["q2-curvature", "--data-dir", mnist!, "--hidden", "4000"]), status: 1,
                             containing: "use smaller --hidden layers")
    }

    func testExplainPrintsTheWorksheets() throws {
        for name in ["q2-curvature", "q2-sweep"] {
            let output = try run([name, "--explain"])
            XCTAssertEqual(output.status, 0, output.stderr)
            XCTAssertTrue(output.stdout.contains("## Exercise"), output.stdout)
        }
    }
}
