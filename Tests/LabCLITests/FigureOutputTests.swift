// Figure output end to end, through the real `lab` binary: the files q2-train lists after its
// concurrent batch (and their order), and the ways gnuplot can let a command down — missing,
// failing, hanging past the time limit, or a time limit that is not a number — each one clear
// line with its exit status, and no half-written or temporary file left behind.

import Foundation
@testable import LabSupport
import XCTest

final class FigureOutputTests: Q2TestCase {
    /// A short training run (two epochs over 2,000 samples) that draws all six q2-train figures.
    private var short: [String] {
        ["q2-train", "--data-dir", mnist, "--train-limit", "2000", "--lr", "0.03", "--epochs", "2", "--out", "figs"]
    }

    private var out: URL { folder.appendingPathComponent("figs") }

    /// A folder holding only an executable `gnuplot` with the given shell script body.
    private func fakeGnuplot(_ body: String) throws -> String {
        let bin = folder.appendingPathComponent("fake-bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let script = bin.appendingPathComponent("gnuplot")
        try ("#!/bin/sh\n" + body + "\n").write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return bin.path + ":/usr/bin:/bin"
    }

    private func files(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    /// Every file in `folder` is complete: no temporary name, CSVs with a header and rows.
    private func assertOnlyCompleteFiles(in folder: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        for name in try files(in: folder) {
            XCTAssertFalse(name.hasPrefix(AtomicFile.temporaryPrefix), "left behind: \(name)", file: file, line: line)
            if name.hasSuffix(".csv") {
                let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
                XCTAssertTrue(text.hasSuffix("\n") && text.split(separator: "\n").count > 1, name, file: file, line: line)
            }
        }
    }

    // MARK: - The files a run lists

    func testQ2TrainListsItsFiguresInOrderAfterTheConcurrentBatch() throws {
        let output = try run(short)
        XCTAssertEqual(output.status, 0, output.stderr)
        let wrote = try XCTUnwrap(output.stdout.split(separator: "\n").last { $0.hasPrefix("Wrote: ") })
        let listed = ["loss.csv", "loss.png", "epochs.csv", "epochs.png", "confusion.csv", "confusion.png",
                      "predictions.png", "weights.png", "mistakes.png"].map { "figs/q2-train-" + $0 }
        XCTAssertEqual(String(wrote), "Wrote: " + listed.joined(separator: ", "))
        XCTAssertEqual(try files(in: out), listed.map { String($0.dropFirst(5)) }.sorted())
        try checkFigure("q2-train-predictions", width: 1112, height: 641, in: out, csv: false)
        try checkFigure("q2-train-weights", width: 896, height: 546, in: out, csv: false)
        try checkFigure("q2-train-mistakes", width: 1112, height: 361, in: out, csv: false)
        try checkFigure("q2-train-confusion", width: 820, height: 760, in: out)
    }

    /// Without gnuplot: the CSVs and the three rasters (libpng, no gnuplot) are written and listed,
    /// then one line names the three missing PNGs and the package; exit 2.
    func testQ2TrainWithoutGnuplotWritesCSVsAndRastersThenExits2() throws {
        let empty = folder.appendingPathComponent("empty-bin")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let output = try run(short, environment: ["PATH": empty.path])
        XCTAssertEqual(output.status, 2, output.stderr)
        let last = try XCTUnwrap(output.stderr.split(separator: "\n").last)
        XCTAssertTrue(last.hasPrefix("lab: 3 figures not drawn (q2-train-loss.png, q2-train-epochs.png, q2-train-confusion.png): "), String(last))
        XCTAssertTrue(last.contains("gnuplot-nox"), String(last))
        let listed = ["loss.csv", "epochs.csv", "confusion.csv", "predictions.png", "weights.png", "mistakes.png"]
            .map { "figs/q2-train-" + $0 }
        XCTAssertTrue(output.stdout.contains("\nWrote: " + listed.joined(separator: ", ") + "\n"), output.stdout)
        XCTAssertEqual(try files(in: out), listed.map { String($0.dropFirst(5)) }.sorted())
        try checkFigure("q2-train-weights", width: 896, height: 546, in: out, csv: false)
        try assertOnlyCompleteFiles(in: out)
    }

    // MARK: - gnuplot letting the command down

    /// A gnuplot that reads its script and fails: one line with its message, exit 1, no PNG.
    func testFailingGnuplotIsOneLineAndLeavesNoPartialFile() throws {
        let path = try fakeGnuplot("cat > /dev/null\necho 'line 3: fake gnuplot refuses this plot' >&2\nexit 1")
        let output = try run(["q1c", "--out", "figs"], environment: ["PATH": path])
        assertOneLineFailure(output, status: 1, containing: "gnuplot failed (exit 1): line 3: fake gnuplot refuses this plot")
        XCTAssertEqual(output.stdout, "", "no results are printed when a figure fails")
        XCTAssertFalse(try files(in: out).contains { $0.hasSuffix(".png") })
        try assertOnlyCompleteFiles(in: out)
    }

    /// A gnuplot that hangs (it starts a helper and waits for it, reading nothing) is stopped at
    /// the time limit, helper included; one line, exit 1, no PNG.
    func testHangingGnuplotIsStoppedAtTheTimeLimit() throws {
        let pidFile = folder.appendingPathComponent("helper.pid")
        let path = try fakeGnuplot("sleep 60 &\necho $! > '\(pidFile.path)'\nwait")
        let output = try run(["q1c", "--out", "figs"], environment: ["PATH": path, "GDLAB_GNUPLOT_TIMEOUT": "0.5"],
                             timeout: 45)
        assertOneLineFailure(output, status: 1, containing: "gnuplot did not finish within 0.5 s and was stopped")
        XCTAssertFalse(try files(in: out).contains { $0.hasSuffix(".png") })
        try assertOnlyCompleteFiles(in: out)
        // The helper went with gnuplot's process group (SIGTERM, SIGKILL a second later): it is
        // gone once the signal has landed and it has been reaped, which `lab` does not wait
        // for; polled until then, for up to 60 s on a busy machine.
        let pid = try XCTUnwrap(Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        var alive = Self.isRunning(pid)
        let deadline = Date().addingTimeInterval(60)
        while alive, Date() < deadline {
            usleep(10_000)
            alive = Self.isRunning(pid)
        }
        XCTAssertFalse(alive, "gnuplot's helper process \(pid) is still running")
    }

    /// A gnuplot that floods stdout or stderr: its output is read to the end but only a bounded
    /// part is kept; the message stays one short line and nothing is accepted as a figure.
    func testGnuplotOutputIsBoundedAndChecked() throws {
        let flood = try fakeGnuplot("cat > /dev/null\nhead -c 100000000 /dev/zero")
        let big = try run(["q1a", "--out", "figs"], environment: ["PATH": flood], timeout: 120)
        assertOneLineFailure(big, status: 1, containing: "gnuplot wrote more than 64 MB")
        let chatty = try fakeGnuplot("cat > /dev/null\nhead -c 37000000 /dev/zero | tr '\\0' x >&2\nexit 1")
        let long = try run(["q1a", "--out", "figs"], environment: ["PATH": chatty], timeout: 120)
        assertOneLineFailure(long, status: 1, containing: "gnuplot failed (exit 1): xxx")
        XCTAssertLessThan(long.stderr.count, 600, "the message is one short line")
        let signature = try fakeGnuplot("cat > /dev/null\nprintf '\\211PNG\\r\\n\\032\\n'")
        let bare = try run(["q1a", "--out", "figs"], environment: ["PATH": signature])
        assertOneLineFailure(bare, status: 1, containing: "gnuplot wrote no usable PNG for q1a-descent (no IHDR chunk)")
        XCTAssertFalse(try files(in: out).contains { $0.hasSuffix(".png") })
        try assertOnlyCompleteFiles(in: out)
    }

    func testTimeLimitOfZeroSaysWhatIsAllowed() throws {
        let output = try run(["q1a", "--out", "figs"], environment: ["GDLAB_GNUPLOT_TIMEOUT": "0"])
        assertOneLineFailure(output, status: 1, containing: "not a number of seconds greater than 0 and at most 86400")
    }

    func testTimeLimitThatIsNotANumberIsOneLine() throws {
        for value in ["soon", "-1", "0", "nan", "1e9"] {
            let output = try run(["q1a", "--out", "figs"], environment: ["GDLAB_GNUPLOT_TIMEOUT": value])
            assertOneLineFailure(output, status: 1, containing: "GDLAB_GNUPLOT_TIMEOUT is '\(value)'")
        }
    }

    /// Whether `pid` is a live process (a zombie waiting to be reaped counts as gone).
    private static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return !stat[close...].dropFirst(2).hasPrefix("Z")
    }
}
