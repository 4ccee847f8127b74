// `lab bench` end to end on a small workload: it runs, prints its table (or JSON) with every
// measurement, finds bench/reference.py or says in one line why numpy was not run, and rejects
// bad numbers. Timing figures are printed, never asserted.

import Foundation
import TestSupport
import XCTest

final class BenchTests: XCTestCase {
    /// Real MNIST; when it is missing, `lab bench` is given a folder that is not there and fails
    /// (the tests never skip).
    static var mnistFolder: String {
        (try? RealMNIST.directory().path) ?? Repository.root.appendingPathComponent("no-mnist-here").path
    }

    static var repository: URL { Repository.root }

    static let small = ["bench", "--runs", "1", "--train-limit", "2000", "--reference-limit", "300", "--numpy-limit", "100",
                        "--data-dir", mnistFolder]

    func testSmallBenchPrintsItsTable() throws {
        let output = try LabProcess.run(Self.small, directory: Self.repository, timeout: 600)
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertFalse(output.timedOut)
        for row in ["CPU: ", "per-sample SGD, fast kernel", "per-sample SGD, reference kernel", "mini-batch SGD, B = 64",
                    "train + evaluate, 3 epochs", "peak memory", "test accuracy after epochs", "s/epoch"] {
            XCTAssertTrue(output.stdout.contains(row), "missing '\(row)' in:\n\(output.stdout)")
        }
        // numpy either ran (a ratio) or one line says why not.
        XCTAssertTrue(output.stdout.contains("gdlab is ") || output.stdout.contains("numpy: not run"), output.stdout)
        print(output.stdout)
    }

    func testJSONHasEveryFigure() throws {
        let output = try LabProcess.run(
            Self.small + ["--json", "--no-numpy", "--batch-size", "32"], directory: Self.repository, timeout: 600)
        XCTAssertEqual(output.status, 0, output.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        for key in ["fastEpochSeconds", "fastSamplesPerSecond", "batchEpochSeconds", "referenceEpochSeconds",
                    "trainEvaluateWallSeconds", "trainEvaluatePeakMB", "cpu", "cores"] {
            XCTAssertNotNil(object[key], key)
        }
        XCTAssertEqual(object["epochSize"] as? Int, 2000)
        XCTAssertEqual(object["batchSize"] as? Int, 32)
        XCTAssertEqual(object["numpyNote"] as? String, "numpy: skipped (--no-numpy)")
        let seconds = try XCTUnwrap(object["fastEpochSeconds"] as? Double)
        XCTAssertTrue(seconds > 0 && seconds.isFinite)
        let accuracies = try XCTUnwrap(object["trainEvaluateAccuracy"] as? [Double])
        XCTAssertEqual(accuracies.count, 3)
    }

    func testMissingReferenceScriptIsOneLineAndGdlabFiguresStillPrint() throws {
        let output = try LabProcess.run(
            Self.small + ["--reference", "/nonexistent/reference.py"], directory: Self.repository, timeout: 600)
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.contains("per-sample SGD, fast kernel"))
        let note = output.stdout.split(separator: "\n").filter { $0.hasPrefix("numpy: not run") }
        XCTAssertEqual(note.count, 1, output.stdout)
    }

    func testBadNumbersAreRejected() throws {
        for arguments in [["--runs", "0"], ["--train-limit", "0"], ["--batch-size", "1"], ["--numpy-limit", "-3"]] {
            let output = try LabProcess.run(["bench"] + arguments)
            XCTAssertEqual(output.status, 64, "\(arguments): \(output.stderr)")
            XCTAssertEqual(output.stderr.split(separator: "\n").count, 1, output.stderr)
        }
        let missing = try LabProcess.run(["bench", "--data-dir", "/nonexistent/mnist", "--runs", "1"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
    }
}
