// `lab report` killed in the middle of publishing (issue 10, case 6): an LD_PRELOAD shim counts
// the process's rename() and renameat2() calls and SIGKILLs it just before the n-th; after each
// such kill the report a reader sees must be complete and all of one run, old or new, and the
// next run must publish a complete report again.

import Foundation
import TestSupport
import XCTest

final class ReportSwapTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        #if !os(Linux)
        throw XCTSkip("the rename shim uses LD_PRELOAD (Linux)")
        #endif
        folder = try LabProcess.temporaryFolder("gdlab-swap")
    }

    override func tearDownWithError() throws {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    static let shimSource = """
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <signal.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <unistd.h>
        static int count;
        static void step(void) {
            int n = __atomic_add_fetch(&count, 1, __ATOMIC_SEQ_CST);
            const char *log = getenv("GDLAB_RENAME_LOG");
            if (log) { FILE *f = fopen(log, "w"); if (f) { fprintf(f, "%d\\n", n); fclose(f); } }
            const char *at = getenv("GDLAB_KILL_AT_RENAME");
            if (at && atoi(at) == n) kill(getpid(), SIGKILL);
        }
        int rename(const char *a, const char *b) {
            step();
            int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
            return real(a, b);
        }
        int renameat2(int fa, const char *a, int fb, const char *b, unsigned flags) {
            step();
            int (*real)(int, const char *, int, const char *, unsigned) =
                (int (*)(int, const char *, int, const char *, unsigned))dlsym(RTLD_NEXT, "renameat2");
            return real(fa, a, fb, b, flags);
        }
        """

    /// Compiles the shim with the C compiler on PATH (the Swift toolchain's clang, or cc).
    private func shim() throws -> URL {
        let source = folder.appendingPathComponent("shim.c"), library = folder.appendingPathComponent("shim.so")
        try Self.shimSource.write(to: source, atomically: true, encoding: .utf8)
        let compile = Process()
        compile.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compile.arguments = ["cc", "-shared", "-fPIC", "-O1", "-o", library.path, source.path, "-ldl"]
        try compile.run()
        compile.waitUntilExit()
        XCTAssertEqual(compile.terminationStatus, 0, "cc could not build the rename shim")
        return library
    }

    /// `lab report --out r` without MNIST (Question 1 only: fast, and still a whole report),
    /// marked by its learning rate, which report.md and report.html quote in their command line.
    private func report(rate: String, environment: [String: String] = [:]) throws -> LabOutput {
        let output = try LabProcess.run(["report", "--out", "r", "--data-dir", folder.appendingPathComponent("none").path,
                                         "--lr", rate],
                                        environment: environment, directory: folder, timeout: 300)
        XCTAssertFalse(output.timedOut)
        return output
    }

    /// The learning rate of the report a reader sees, after checking it is complete and of one run.
    private func visibleReport(expectedFigures: Set<String>, context: String) throws -> String? {
        let out = folder.appendingPathComponent("r")
        let markdown = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("results.json"))), context)
        let figures = Set(try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("figures").path))
        XCTAssertEqual(figures, expectedFigures, "\(context): figures/ is not complete")
        let rate = { (text: String) in text.range(of: #"--lr 0\.[0-9]+"#, options: .regularExpression).map { String(text[$0]) } }
        XCTAssertEqual(rate(markdown), rate(html), "\(context): report.md and report.html are from different runs")
        return rate(markdown)
    }

    func testReportIsOldOrNewCompleteWhenKilledAtAnyOfItsLastRenames() throws {
        let library = try shim()
        XCTAssertEqual(try report(rate: "0.01").status, 1, "a report without Question 2 (exit 1)")
        let figures = Set(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("r/figures").path))
        XCTAssertGreaterThan(figures.count, 10)
        // How many renames a run over an existing report makes.
        let log = folder.appendingPathComponent("renames")
        let counted = try report(rate: "0.02", environment: ["LD_PRELOAD": library.path, "GDLAB_RENAME_LOG": log.path])
        XCTAssertEqual(counted.status, 1, counted.stderr)
        let total = try XCTUnwrap(Int(String(contentsOf: log, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        var shown = try visibleReport(expectedFigures: figures, context: "after the counted run")
        XCTAssertEqual(shown, "--lr 0.02")
        // Kill just before each of the last eight renames (publishing happens there), each time
        // with a new rate, so old and new are told apart.
        for (k, n) in (max(1, total - 7) ... total).enumerated() {
            let rate = String(format: "0.%02d", 3 + k)
            let killed = try report(rate: rate, environment: ["LD_PRELOAD": library.path, "GDLAB_KILL_AT_RENAME": "\(n)"])
            XCTAssertEqual(killed.status, SIGKILL, "the run was to be killed at rename \(n) of \(total)")
            let context = "killed before rename \(n) of \(total)"
            let now = try visibleReport(expectedFigures: figures, context: context)
            XCTAssertTrue(now == shown || now == "--lr \(rate)", "\(context): shows \(now ?? "nothing"), neither old nor new")
            shown = now
        }
        // A normal run afterwards publishes a complete report and leaves only it behind.
        XCTAssertEqual(try report(rate: "0.2").status, 1)
        XCTAssertEqual(try visibleReport(expectedFigures: figures, context: "the run after"), "--lr 0.2")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("r").path)
        XCTAssertEqual(names.filter { !$0.hasPrefix(".") }.sorted(),
                       ["figures", "report.html", "report.ipynb", "report.md"]
                           + (ReportHandInTests.browserInstalled ? ["report.pdf"] : []) + ["results.json"])
        XCTAssertEqual(names.filter { $0.hasPrefix(".") }.count, 2, "the current link and one version folder: \(names.sorted())")
    }
}
