// End-to-end tests of `lab q2-init`, `q2-forward` and `q2-backprop`, and the bad-option table of
// the Question 2 commands: the real binary on real MNIST ($MNIST_DIR, else ../shared/data/mnist
// beside the repository), its text and JSON, the PNGs it writes, one-line errors.

import Foundation
@testable import LabCLI
import MNISTData
import MNISTNet
import TestSupport
import XCTest
@testable import LabFigures
@testable import LabReport
@testable import LabSupport
@testable import Labs

/// Real MNIST for the LabCLI tests (`RealMNIST`, TestSupport); they fail (never skip) when it is missing.
enum Q2TestData {
    /// The MNIST test set, read by the library.
    static func testSet() throws -> ImageDataset {
        try ImageDataset.load(images: RealMNIST.file("t10k-images-idx3-ubyte.gz"),
                              labels: RealMNIST.file("t10k-labels-idx1-ubyte.gz"))
    }
}

/// Shared helpers of the Question 2 end-to-end tests.
class Q2TestCase: XCTestCase {
    var folder: URL!
    var mnist: String!

    override func setUpWithError() throws {
        folder = try LabProcess.temporaryFolder("gdlab-q2")
        mnist = try RealMNIST.directory().path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs lab in the test folder with its own cache folder (nothing touches the user's cache).
    func run(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 600) throws -> LabOutput {
        var env = ["XDG_CACHE_HOME": folder.appendingPathComponent("cache").path]
        for (key, value) in environment { env[key] = value }
        let output = try LabProcess.run(arguments, environment: env, directory: folder, timeout: timeout)
        XCTAssertFalse(output.timedOut, "lab \(arguments) did not finish")
        return output
    }

    /// Runs `script` with `/bin/sh -c` in the test folder, `$LAB` naming the binary (for
    /// redirections such as `>&-` and `2>/dev/full`, which `Process` cannot express).
    func shell(_ script: String, environment: [String: String] = [:], timeout: TimeInterval = 600) throws -> LabOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        var env = ProcessInfo.processInfo.environment
        env["LAB"] = try LabProcess.executable().path
        env["XDG_CACHE_HOME"] = folder.appendingPathComponent("cache").path
        for (key, value) in environment { env[key] = value.isEmpty ? nil : value }
        process.environment = env
        process.currentDirectoryURL = folder
        let out = folder.appendingPathComponent(".shell-out-\(UUID().uuidString)")
        let err = folder.appendingPathComponent(".shell-err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        let timedOut = exited.wait(timeout: .now() + timeout) == .timedOut
        if timedOut { process.terminate() }
        process.waitUntilExit()
        return LabOutput(stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
                         status: process.terminationStatus, timedOut: timedOut)
    }

    func result(_ output: LabOutput) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
        return try XCTUnwrap((object as? [String: Any])?["result"] as? [String: Any], output.stdout)
    }

    func checkFigure(_ name: String, width: Int, height: Int, in out: URL, csv: Bool = true) throws {
        try PNGCheck.check(out.appendingPathComponent(name + ".png"), width: width, height: height)
        if csv {
            let text = try String(contentsOf: out.appendingPathComponent(name + ".csv"), encoding: .utf8)
            XCTAssertGreaterThan(text.split(separator: "\n").count, 2, "\(name).csv has no rows")
        }
    }

    func assertOneLineFailure(_ output: LabOutput, status: Int32, containing text: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(output.status, status, output.stderr, file: file, line: line)
        let lines = output.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "expected one line, got: \(output.stderr)", file: file, line: line)
        XCTAssertTrue(output.stderr.hasPrefix("lab: "), output.stderr, file: file, line: line)
        XCTAssertTrue(output.stderr.contains(text), "'\(text)' not in: \(output.stderr)", file: file, line: line)
    }
}

final class Q2CommandTests: Q2TestCase {
    func testInitShowsShapesCountAndStatisticsNearTheory() throws {
        let output = try run(["q2-init", "--json", "--out", "figs"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let r = try result(output)
        XCTAssertEqual(r["layerSizes"] as? [Int], [784, 32, 32, 10])
        XCTAssertEqual(r["parameterCount"] as? Int, 784 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10)
        let tensors = try XCTUnwrap(r["tensors"] as? [[String: Any]])
        XCTAssertEqual(tensors.map { $0["name"] as? String }, ["w1", "b1", "w2", "b2", "w3", "b3"])
        for tensor in tensors where (tensor["name"] as? String)?.hasPrefix("w") == true {
            let count = Double(try XCTUnwrap(tensor["count"] as? Int))
            let std = try XCTUnwrap(tensor["std"] as? Double), theory = try XCTUnwrap(tensor["theoreticalStd"] as? Double)
            let shape = try XCTUnwrap(tensor["shape"] as? [Int])
            XCTAssertEqual(theory, 1 / Double(max(shape[0], shape[1])).squareRoot(), accuracy: 1e-15)
            // The sample std of n normal draws has relative sd ≈ 1/√(2n); allow 4 of them.
            XCTAssertEqual(std / theory, 1, accuracy: 4 / (2 * count).squareRoot())
            XCTAssertEqual(try XCTUnwrap(tensor["mean"] as? Double), 0, accuracy: 4 * theory / count.squareRoot())
        }
        for tensor in tensors where (tensor["name"] as? String)?.hasPrefix("b") == true {
            XCTAssertEqual(tensor["std"] as? Double, 0)
            XCTAssertEqual(tensor["max"] as? Double, 0)
        }
        try checkFigure("q2-init-weights", width: 900, height: 600, in: folder.appendingPathComponent("figs"))

        let text = try run(["q2-init", "--hidden", "64", "--seed", "3"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("784 → 64 → 10"), text.stdout)
        XCTAssertTrue(text.stdout.contains("50,890 parameters"), text.stdout)
        XCTAssertTrue(text.stdout.contains("seed 3"), text.stdout)
    }

    func testForwardBeforeTrainingIsNearChanceAndLn10() throws {
        let output = try run(["q2-forward", "--data-dir", mnist, "--json"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let r = try result(output)
        XCTAssertEqual(r["count"] as? Int, 10000)
        let accuracy = try XCTUnwrap(r["accuracy"] as? Double)
        XCTAssertGreaterThan(accuracy, 0.03)
        XCTAssertLessThan(accuracy, 0.2)
        XCTAssertEqual(try XCTUnwrap(r["averageLoss"] as? Double), log(10), accuracy: 0.3)
        XCTAssertEqual(try XCTUnwrap(r["uniformLoss"] as? Double), log(10), accuracy: 1e-15)
        XCTAssertEqual((r["predictedCounts"] as? [Int])?.reduce(0, +), 10000)
        XCTAssertEqual((r["trueCounts"] as? [Int])?.reduce(0, +), 10000)
        let scaled = try XCTUnwrap((r["saturationScaled"] as? [String: Any])?["fraction"] as? Double)
        let raw = try XCTUnwrap((r["saturationRaw"] as? [String: Any])?["fraction"] as? Double)
        XCTAssertLessThan(scaled, 0.05, "pixel/255 inputs leave the sigmoids in their middle")
        XCTAssertGreaterThan(raw, 0.8, "raw pixels saturate most first-layer units")
        let data = try XCTUnwrap(r["data"] as? [String: Any])
        XCTAssertEqual(data["source"] as? String, "--data-dir")

        let text = try run(["q2-forward", "--data-dir", mnist, "--raw-pixels", "--out", "figs"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("Data: MNIST from --data-dir"), text.stdout)
        XCTAssertTrue(text.stdout.contains("ln 10 = 2.3026"), text.stdout)
        XCTAssertTrue(text.stdout.contains("raw pixels 0…255:"), text.stdout)
        XCTAssertTrue(text.stdout.contains("← this run"), text.stdout)
        try checkFigure("q2-forward-predictions", width: 900, height: 600, in: folder.appendingPathComponent("figs"))
    }

    func testBackpropGradientCheckPasses() throws {
        let output = try run(["q2-backprop", "--data-dir", mnist, "--json", "--out", "figs"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let r = try result(output)
        let rows = try XCTUnwrap(r["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["name"] as? String }, ["w1", "b1", "w2", "b2", "w3", "b3"])
        for row in rows {
            let size = try XCTUnwrap(row["shape"] as? [Int]).reduce(1, *)
            XCTAssertEqual(row["checked"] as? Int, min(20, size), "all entries of a tensor with fewer than 20")
            XCTAssertLessThanOrEqual(try XCTUnwrap(row["maxRelativeError"] as? Double), 1e-6, "\(row)")
            XCTAssertGreaterThan(try XCTUnwrap(row["largestGradient"] as? Double), 0)
        }
        XCTAssertEqual(r["passed"] as? Bool, true)
        try checkFigure("q2-backprop-errors", width: 900, height: 600, in: folder.appendingPathComponent("figs"))

        let text = try run(["q2-backprop", "--data-dir", mnist, "--entries", "5", "--samples", "2", "--hidden", "8"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("PASS"), text.stdout)
        XCTAssertTrue(text.stdout.contains("784 × 8"), text.stdout)
    }

    func testExplainPrintsEachWorksheet() throws {
        for (command, heading) in [("q2-init", "initialisation"), ("q2-forward", "forward pass"),
                                   ("q2-backprop", "backpropagation"), ("q2-train", "stochastic gradient descent")] {
            let output = try run([command, "--explain"])
            XCTAssertEqual(output.status, 0, output.stderr)
            XCTAssertTrue(output.stdout.hasPrefix("# Question 2"), output.stdout)
            XCTAssertTrue(output.stdout.contains(heading), "\(command): \(output.stdout.prefix(200))")
            XCTAssertTrue(output.stdout.contains("## Exercise"))
        }
    }

    /// Every bad value: one line on stderr, a non-zero exit, nothing on stdout.
    func testBadOptionsFailWithOneLine() throws {
        let wrongInputs = folder.appendingPathComponent("wrong-inputs.npz")
        try NPZ.encode(try MLP(layerSizes: [100, 8, 10], seed: 1)).write(to: wrongInputs)
        let garbage = folder.appendingPathComponent("garbage.npz")
        try Data("not a zip file".utf8).write(to: garbage)
        let cases: [([String], Int32, String)] = [
            (["q2-train", "--hidden", "0"], 64, "--hidden"),
            (["q2-train", "--hidden", "32,x"], 64, "--hidden"),
            (["q2-init", "--hidden", "100000"], 64, "--hidden"),
            (["q2-train", "--lr", "0"], 64, "--lr"),
            (["q2-train", "--lr", "-0.1"], 64, "--lr"),
            (["q2-train", "--lr", "nan"], 64, "--lr"),
            (["q2-train", "--lr", "inf"], 64, "--lr"),
            (["q2-train", "--epochs", "0"], 64, "--epochs"),
            (["q2-train", "--batch-size", "0"], 64, "--batch-size"),
            (["q2-train", "--batch-size", "many"], 64, "--batch-size"),
            (["q2-train", "--train-limit", "0"], 64, "--train-limit"),
            (["q2-forward", "--dataset", "cifar"], 64, "--dataset"),
            (["q2-forward", "--mirror", "ftp://example.org/"], 64, "--mirror"),
            (["q2-backprop", "--samples", "0"], 64, "--samples"),
            (["q2-forward", "--data-dir", folder.appendingPathComponent("nowhere").path], 1, "lacks"),
            (["q2-forward", "--data-dir", mnist, "--load", wrongInputs.path], 1, "takes 100 inputs"),
            (["q2-forward", "--data-dir", mnist, "--load", garbage.path], 1, "--load"),
            (["q2-forward", "--data-dir", mnist, "--load", folder.appendingPathComponent("missing.npz").path], 1, "--load"),
            (["q2-init", "--load", wrongInputs.path, "--hidden", "32,32"], 1, "--hidden 8"),
        ]
        for (arguments, status, text) in cases {
            let output = try run(arguments)
            assertOneLineFailure(output, status: status, containing: text)
            XCTAssertEqual(output.stdout, "", "\(arguments)")
        }
    }
}
