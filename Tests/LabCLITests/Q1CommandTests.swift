// End-to-end tests of `lab q1a` … `lab q1d`: the real binary, its text and JSON, the PNGs it
// writes (real PNGs of the stated size, not blank), --explain from any folder, one-line errors
// for bad input, and the install hint when gnuplot is missing.

import Foundation
import TestSupport
import XCTest

final class Q1CommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try LabProcess.temporaryFolder("gdlab-q1")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func run(_ arguments: [String], environment: [String: String] = [:]) throws -> LabOutput {
        let output = try LabProcess.run(arguments, environment: environment, directory: folder, timeout: 120)
        XCTAssertFalse(output.timedOut, "lab \(arguments) did not finish")
        return output
    }

    private func json(_ output: LabOutput) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
        return try XCTUnwrap((object as? [String: Any])?["result"] as? [String: Any])
    }

    /// The files a `--json` run lists as written.
    private func files(_ output: LabOutput) throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
        return try XCTUnwrap((object as? [String: Any])?["files"] as? [String])
    }

    private func checkFigures(_ names: [(String, Int, Int)], in out: URL) throws {
        for (name, width, height) in names {
            try PNGCheck.check(out.appendingPathComponent(name + ".png"), width: width, height: height)
            let csv = try String(contentsOf: out.appendingPathComponent(name + ".csv"), encoding: .utf8)
            XCTAssertGreaterThan(csv.split(separator: "\n").count, 2, "\(name).csv has no rows")
        }
    }

    func testQ1AShowsGradientMinimiserAndReachesIt() throws {
        let output = try run(["q1a", "--out", "figs"])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.contains("∇L(w) = (a·w1, b·w2) = (10·w1, 1·w2)"))
        XCTAssertTrue(output.stdout.contains("w* = (0, 0)"))
        XCTAssertTrue(output.stdout.contains("reached L ≤"))
        try checkFigures([("q1a-descent", 900, 600)], in: folder.appendingPathComponent("figs"))
    }

    func testQ1AJSONIsDeterministicAndChecksTheGradient() throws {
        let first = try run(["q1a", "--json", "--seed", "7", "--a", "3", "--b", "0.5"])
        let second = try run(["q1a", "--json", "--seed", "7", "--a", "3", "--b", "0.5"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stdout, second.stdout)
        let result = try json(first)
        XCTAssertLessThan(try XCTUnwrap(result["maxRelativeError"] as? Double), 1e-8)
        XCTAssertEqual(result["stopReason"] as? String, "reached-tolerance")
        XCTAssertLessThan(try XCTUnwrap(result["distanceToMinimizer"] as? Double), 1e-5)
        let other = try run(["q1a", "--json", "--seed", "8", "--a", "3", "--b", "0.5"])
        XCTAssertNotEqual(other.stdout, first.stdout, "the seed must choose the check points")
    }

    func testQ1BMeasuredRatiosMatchTheFormula() throws {
        let output = try run(["q1b", "--json", "--a", "7", "--b", "2", "--eta", "0.1", "--eta", "0.25", "--w0=-1.5,0.5"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let runs = try XCTUnwrap(try json(output)["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 2)
        for (run, eta) in zip(runs, [0.1, 0.25]) {
            let rho = try XCTUnwrap(run["rhoFormula"] as? [Double])
            XCTAssertEqual(rho[0], 1 - eta * 7, accuracy: 1e-15)
            XCTAssertEqual(rho[1], 1 - eta * 2, accuracy: 1e-15)
            XCTAssertLessThan(try XCTUnwrap(run["maxRatioDeviation"] as? Double), 1e-12)
            XCTAssertLessThan(try XCTUnwrap(run["maxClosedFormDeviation"] as? Double), 1e-12)
        }
        let text = try run(["q1b"])
        XCTAssertTrue(text.stdout.contains("w(t) = (ρ1ᵗ·w1(0), ρ2ᵗ·w2(0))"))
        try checkFigures([("q1b-trajectory", 900, 700), ("q1b-coordinates", 900, 600)],
                         in: folder.appendingPathComponent("plots"))
    }

    func testQ1CClassifiesExactlyAroundTheThreshold() throws {
        let output = try run(["q1c", "--json", "--a", "4", "--b", "1", "--eta", "0.49", "--eta", "0.51"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let result = try json(output)
        XCTAssertEqual(result["threshold"] as? Double, 0.5)
        let rows = try XCTUnwrap(result["rows"] as? [[String: Any]])
        XCTAssertGreaterThan(rows.count, 12)
        for row in rows {
            let eta = try XCTUnwrap(row["learningRate"] as? Double)
            let expected = eta < 0.5 ? "converges" : (eta == 0.5 ? "oscillates" : "diverges")
            XCTAssertEqual(row["convergence"] as? String, expected, "η = \(eta)")
            if expected == "diverges" { XCTAssertNotNil(row["nonFiniteStep"] as? Int, "η = \(eta)") }
            if let predicted = row["predictedIterations"] as? Int {
                let measured = try XCTUnwrap(row["measuredIterations"] as? Int)
                XCTAssertLessThanOrEqual(abs(measured - predicted), 1)
            }
        }
        XCTAssertEqual(try XCTUnwrap(result["thresholdAmplitudeDeviation"] as? Double), 0, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(result["aboveMeasuredGrowth"] as? Double),
                       try XCTUnwrap(result["aboveRate"] as? Double), accuracy: 1e-9)
        // The same run drew the figures (into plots/, the default) and lists them.
        let figures = [("q1c-rates", 1000, 600), ("q1c-trajectories", 1500, 560), ("q1c-loss", 900, 600)]
        XCTAssertEqual(try files(output), figures.flatMap { ["plots/\($0.0).csv", "plots/\($0.0).png"] })
        try checkFigures(figures, in: folder.appendingPathComponent("plots"))
    }

    func testQ1DIterationsGrowLikeKappaAndRootKappa() throws {
        let output = try run(["q1d", "--json", "--kappa", "10", "--kappa", "1000", "--tolerance", "absolute"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let rows = try XCTUnwrap(try json(output)["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 2)
        var gd: [Int] = [], ball: [Int] = []
        for row in rows {
            let measured = try XCTUnwrap(row["gdMeasured"] as? Int)
            XCTAssertLessThanOrEqual(abs(measured - (try XCTUnwrap(row["gdPredicted"] as? Int))), 1)
            gd.append(measured)
            ball.append(try XCTUnwrap(row["heavyBallMeasured"] as? Int))
        }
        // ×100 in κ: GD ≈ ×100 (rate → κ), heavy ball ≈ ×10 (rate → √κ); L₀ grows too, hence the ranges.
        XCTAssertGreaterThan(Double(gd[1]) / Double(gd[0]), 60)
        XCTAssertLessThan(Double(ball[1]) / Double(ball[0]), 25)
        XCTAssertLessThan(ball[1], gd[1] / 10)
        // The same run drew the figures (into plots/, the default) and lists them.
        let figures = [("q1d-iterations", 900, 600), ("q1d-zigzag", 1500, 680), ("q1d-heatmap", 950, 650),
                       ("q1d-momentum-map", 950, 650)]
        XCTAssertEqual(Set(try files(output)), Set(figures.flatMap { ["plots/\($0.0).csv", "plots/\($0.0).png"] }))
        try checkFigures(figures, in: folder.appendingPathComponent("plots"))
    }

    func testExplainPrintsTheWorksheetFromAnyFolder() throws {
        for name in ["q1a", "q1b", "q1c", "q1d"] {
            let output = try run([name, "--explain"])
            XCTAssertEqual(output.status, 0, output.stderr)
            XCTAssertTrue(output.stdout.hasPrefix("# Question 1"), "\(name): \(output.stdout.prefix(80))")
            XCTAssertTrue(output.stdout.contains("lab \(name)"))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "--explain wrote files")
    }

    /// Every bad value: non-zero exit, exactly one line on stderr naming the option, no output files.
    func testBadInputFailsWithOneLine() throws {
        let blocker = folder.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: blocker)
        let cases: [[String]] = [
            ["q1a", "--a", "0"], ["q1a", "--a", "-1"], ["q1a", "--b", "inf"], ["q1a", "--eta", "nan"],
            ["q1a", "--eta", "0"], ["q1a", "--eta", "-0.1"], ["q1a", "--steps", "-3"], ["q1a", "--w0", "1"],
            ["q1a", "--w0", "1,nan"], ["q1b", "--eta", "abc"], ["q1c", "--above", "0.5"], ["q1c", "--epsilon", "0"],
            ["q1d", "--kappa", "0.5"], ["q1d", "--w0", "0,0"], ["q1d", "--b", "-2"], ["q1d", "--epsilon", "2"],
            ["q1d", "--tolerance", "loose"],
            // Derived step sizes 2/max(a, b), 2/(a + b) that round to ∞ or 0 (issue 10, item 2).
            ["q1c", "--a", "1e-308", "--b", "1e-308"], ["q1c", "--a", "1e308", "--b", "1e308"],
            ["q1c", "--a", "5e-324", "--b", "5e-324"], ["q1d", "--b", "5e-324"], ["q1a", "--a", "5e-324", "--b", "5e-324"],
            ["q1a", "--out", blocker.path], ["q1b", "--out", blocker.path + "/sub"],
        ]
        for arguments in cases {
            let output = try run(arguments)
            XCTAssertNotEqual(output.status, 0, "\(arguments)")
            XCTAssertNotEqual(output.status, 2, "\(arguments)")
            let lines = output.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(arguments): \(output.stderr)")
            XCTAssertTrue(lines.first?.hasPrefix("lab: ") ?? false, "\(arguments): \(output.stderr)")
            XCTAssertEqual(output.stdout, "", "\(arguments)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["not-a-folder"])
    }

    /// Divergence is a result: exit 0, and the step at which the loss overflowed.
    func testDivergenceIsReportedNotAnError() throws {
        let output = try run(["q1a", "--eta", "0.5", "--steps", "100000", "--json"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let result = try json(output)
        XCTAssertEqual(result["stopReason"] as? String, "loss-not-finite")
        XCTAssertEqual(result["convergence"] as? String, "diverges")
        XCTAssertEqual(result["finalLoss"] as? String, "inf")
        XCTAssertGreaterThan(try XCTUnwrap(result["stepsTaken"] as? Int), 100)
    }

    /// Without gnuplot the text and CSVs still come out, then one line naming the package; exit 2.
    func testMissingGnuplotStillWritesResults() throws {
        let empty = folder.appendingPathComponent("empty-bin")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let output = try run(["q1b", "--out", "out"], environment: ["PATH": empty.path])
        XCTAssertEqual(output.status, 2, output.stderr)
        XCTAssertTrue(output.stdout.contains("ρᵢ = 1 − η·aᵢ"))
        XCTAssertEqual(output.stderr.split(separator: "\n").count, 1)
        XCTAssertTrue(output.stderr.contains("gnuplot-nox"), output.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("out").path).sorted()
        XCTAssertEqual(files, ["q1b-coordinates.csv", "q1b-trajectory.csv"])
    }
}
