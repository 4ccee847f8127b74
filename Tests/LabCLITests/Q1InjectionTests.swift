// Hostile titles and output paths for the Question 1 commands: quotes, backticks, newlines,
// gnuplot's system() and shell substitution must be drawn or used literally and run nothing.

import Foundation
import TestSupport
import XCTest

final class Q1InjectionTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try LabProcess.temporaryFolder("gdlab-q1-injection")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Each payload tries to create a marker file (relative to the working folder and by
    /// absolute path); after every command, no marker may exist.
    private func payloads() -> [String] {
        let marker = folder.appendingPathComponent("pwned").path
        return [
            "x\" ; system(\"touch \(marker)1\") ; \"",
            "x' ; system('touch \(marker)2') ; '",
            "`touch \(marker)3`",
            "x'\nsystem(\"touch \(marker)4\")\nset title '",
            "x\"\nsystem(\"touch pwned5\")\n#",
            "$(touch \(marker)6) @macro {^_} \\' \\\" ;",
            "'''; system('touch pwned7'); '",
        ]
    }

    private func assertNothingRan(_ context: String) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssertTrue(names.allSatisfy { !$0.hasPrefix("pwned") }, "\(context) created \(names)")
    }

    func testHostileTitlesAreDrawnLiterally() throws {
        for (index, title) in payloads().enumerated() {
            let command = ["q1a", "q1b", "q1c", "q1d"][index % 4]
            let output = try LabProcess.run([command, "--title", title, "--out", "out"], directory: folder)
            XCTAssertEqual(output.status, 0, "\(command) \(title): \(output.stderr)")
            XCTAssertEqual(output.stderr, "")
            try assertNothingRan("title \(title)")
            let pngs = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("out").path)
                .filter { $0.hasSuffix(".png") }
            XCTAssertFalse(pngs.isEmpty)
            for png in pngs {
                _ = try PNGCheck.inspect(Data(contentsOf: folder.appendingPathComponent("out/\(png)")))
            }
        }
    }

    func testHostileOutputPathsAreUsedLiterally() throws {
        for (index, payload) in payloads().enumerated() {
            let name = payload.replacingOccurrences(of: "/", with: "_")
            let output = try LabProcess.run(["q1a", "--out", name], directory: folder)
            XCTAssertEqual(output.status, 0, "\(index): \(output.stderr)")
            try assertNothingRan("out \(payload)")
            let png = folder.appendingPathComponent(name).appendingPathComponent("q1a-descent.png")
            try PNGCheck.check(png, width: 900, height: 600)
        }
    }
}
