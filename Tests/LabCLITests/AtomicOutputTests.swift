// Atomic outputs, tested where they could break: `lab q1c` / `lab q1d` are killed with SIGKILL
// (nothing can catch it) at every stage of every file they write, through the writer's own kill
// point (`GDLAB_KILL_AT`, AtomicFile.KillPoint), and once more, end to end, while a real gnuplot
// draws. Afterwards every output is a complete file from one run or the other, never a partial
// one, and the next successful run leaves no temporary file behind. A source scan keeps every
// write going through AtomicFile.

import Foundation
@testable import LabSupport
import LabSupport
import TestSupport
import XCTest

final class AtomicOutputTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try LabProcess.temporaryFolder("gdlab-atomic")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    static let commands = ["q1c", "q1d"]
    static let stems = ["q1c-rates", "q1c-trajectories", "q1c-loss", "q1d-iterations", "q1d-zigzag", "q1d-heatmap",
                        "q1d-momentum-map"]

    /// The references, made by the first test that needs them (the tests run one at a time).
    nonisolated(unsafe) private static var cachedReferences: [String: [Data]]?

    /// Two complete references per output, `[title A bytes, title B bytes]` by file name: a file
    /// replaced by a killed run (title B) can be told from the file it replaced (title A).
    private func references() throws -> [String: [Data]] {
        if let cached = Self.cachedReferences { return cached }
        var references: [String: [Data]] = [:]
        for command in Self.commands {
            for title in ["run A", "run B"] {
                let out = folder.appendingPathComponent("reference-\(command)-\(title.last!)")
                let result = try LabProcess.run([command, "--title", title, "--out", out.path])
                XCTAssertEqual(result.status, 0, result.stderr)
                for name in try FileManager.default.contentsOfDirectory(atPath: out.path) {
                    let bytes = try Data(contentsOf: out.appendingPathComponent(name))
                    try Self.checkComplete(name, bytes)
                    references[name, default: []].append(bytes)
                }
            }
        }
        XCTAssertEqual(Set(references.keys), Set(Self.stems.flatMap { [$0 + ".png", $0 + ".csv"] }))
        XCTAssertTrue(references.values.allSatisfy { $0.count == 2 })
        for name in Self.stems.map({ $0 + ".png" }) {
            XCTAssertNotEqual(references[name]?.first, references[name]?.last, "\(name): the title must change the PNG")
        }
        Self.cachedReferences = references
        return references
    }

    /// The kill point at each of its four stages in every write of both commands (q1c writes 6
    /// files, q1d 8; the figures are drawn side by side, so the n-th write is whichever file
    /// got there n-th, and other writes may be half done when the process dies). Into a folder
    /// holding run A's outputs every file stays a complete A or B; into a fresh folder (killed
    /// in the first write) a file is complete B or absent. The temporary files the killed
    /// process left prove where it died.
    func testKillAtEveryStageOfEveryWriteLeavesOnlyCompleteFiles() throws {
        let references = try references()
        let kept = folder.appendingPathComponent("kept")
        for command in Self.commands {
            XCTAssertEqual(try LabProcess.run([command, "--title", "run A", "--out", kept.path]).status, 0)
        }
        var runs = 0
        for command in Self.commands {
            let writes = Self.stems.filter { $0.hasPrefix(command + "-") }.count * 2
            for write in 1 ... writes {
                for stage in AtomicFile.KillPoint.Stage.allCases {
                    // The kept folder for every write; a fresh folder too for the first.
                    for out in write == 1 ? [kept, folder.appendingPathComponent("fresh-\(runs)")] : [kept] {
                        runs += 1
                        let point = "\(stage.rawValue):\(write)"
                        let context = "lab \(command) killed at \(point) in \(out.lastPathComponent)"
                        let lab = try RunningLab([command, "--title", "run B", "--out", out.path],
                                                 environment: [AtomicFile.KillPoint.variable: point])
                        let result = lab.finish()
                        XCTAssertTrue(result.signaled && result.status == SIGKILL,
                                      "\(context): exited with \(result.status) instead: \(result.stderr)")
                        try assertComplete(out, references: references, allPresent: out == kept, context)
                        try assertDiedAt(stage, in: out, pid: lab.processIdentifier, references: references, context)
                    }
                }
            }
        }
        print("AtomicOutputTests: \(runs) runs killed at a kill point")
        try assertNextRunCleansUp(kept, references: references)
    }

    /// One kill of the real binary at a real moment, without the kill point: `lab q1d` is sent
    /// SIGKILL as soon as it has a gnuplot child (its figures are being drawn, some files may be
    /// written, others half), into a folder holding run A's outputs.
    func testKillWhileGnuplotDrawsLeavesOnlyCompleteFiles() throws {
        let references = try references()
        let kept = folder.appendingPathComponent("kept")
        for command in Self.commands {
            XCTAssertEqual(try LabProcess.run([command, "--title", "run A", "--out", kept.path]).status, 0)
        }
        let lab = try RunningLab(["q1d", "--title", "run B", "--out", kept.path])
        let drawing = Self.waitForChild(of: lab, named: "gnuplot", timeout: 120)
        lab.send(SIGKILL)
        let result = lab.finish()
        XCTAssertTrue(drawing, "lab q1d never started gnuplot: \(result.stderr)")
        XCTAssertTrue(result.signaled && result.status == SIGKILL, "lab q1d finished before the kill: \(result.stderr)")
        try assertComplete(kept, references: references, allPresent: true, "lab q1d killed while gnuplot drew")
        try assertNextRunCleansUp(kept, references: references)
    }

    /// Only `<stage>:<n>` exactly arms the kill point; any other value, and a write number the
    /// run never reaches, let `lab` finish normally.
    func testKillPointArmsOnlyOnItsExactForm() throws {
        XCTAssertEqual(AtomicFile.KillPoint("written:3")?.stage, .written)
        XCTAssertEqual(AtomicFile.KillPoint("written:3")?.write, 3)
        XCTAssertEqual(AtomicFile.KillPoint("created:1")?.stage, .created)
        for bad in ["", "written", "written:", ":3", "written:0", "written:-1", "written:+3", "written: 3", " written:3",
                    "written:3 ", "Written:3", "written:3:4", "written:3.0", "written:٣", "1:written", "renamed:99999999999999999999"] {
            XCTAssertNil(AtomicFile.KillPoint(bad), "'\(bad)' must not arm the kill point")
        }
        for value in ["written", "WRITTEN:1", "renamed:99"] {
            let out = folder.appendingPathComponent("unarmed")
            let result = try LabProcess.run(["q1c", "--out", out.path], environment: [AtomicFile.KillPoint.variable: value])
            XCTAssertEqual(result.status, 0, "GDLAB_KILL_AT=\(value): \(result.stderr)")
            XCTAssertFalse(result.signaled, "GDLAB_KILL_AT=\(value)")
        }
    }

    // MARK: - Checks

    /// Every output in `out` is a complete reference file (A or B); with `allPresent`, none is
    /// missing.
    private func assertComplete(_ out: URL, references: [String: [Data]], allPresent: Bool, _ context: String,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
        for name in names where !name.hasPrefix(AtomicFile.temporaryPrefix) {
            let bytes = try Data(contentsOf: out.appendingPathComponent(name))
            let known = try XCTUnwrap(references[name], "\(context): unexpected file \(name)", file: file, line: line)
            XCTAssertTrue(known.contains(bytes), "\(context): \(name) is not a complete output (\(bytes.count) bytes)",
                          file: file, line: line)
        }
        if allPresent {
            for name in references.keys where !names.contains(name) {
                XCTFail("\(context): \(name) vanished", file: file, line: line)
            }
        }
    }

    /// The killed process's own temporary files (named with its pid) show the stage it died at:
    /// an empty one (created), one holding the first half of a new file (partial), one holding a
    /// whole new file not yet renamed (written). After `renamed` the new file is in place and
    /// no stage-specific trace is left (other writes may still have temporaries).
    private func assertDiedAt(_ stage: AtomicFile.KillPoint.Stage, in out: URL, pid: Int32,
                              references: [String: [Data]], _ context: String) throws {
        guard stage != .renamed else { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
        let temporaries = try names.filter { $0.hasPrefix(AtomicFile.temporaryPrefix + "\(pid)-") }
            .map { try Data(contentsOf: out.appendingPathComponent($0)) }
        let newFiles = references.values.compactMap(\.last)
        let found: Bool
        switch stage {
        case .created: found = temporaries.contains { $0.isEmpty }
        case .partial: found = temporaries.contains { t in newFiles.contains { !t.isEmpty && t == $0.prefix($0.count / 2) } }
        case .written: found = temporaries.contains { newFiles.contains($0) }
        case .renamed: found = true
        }
        XCTAssertTrue(found, "\(context): no temporary file shows a kill at '\(stage)' (\(temporaries.map(\.count)) bytes)")
    }

    /// The next successful runs remove every temporary file a killed writer left and write run
    /// A's files again.
    private func assertNextRunCleansUp(_ kept: URL, references: [String: [Data]]) throws {
        for command in Self.commands {
            let result = try LabProcess.run([command, "--title", "run A", "--out", kept.path])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: kept.path)
        XCTAssertEqual(left.filter { $0.hasPrefix(AtomicFile.temporaryPrefix) }, [])
        XCTAssertEqual(Set(left), Set(references.keys))
        for name in left {
            XCTAssertEqual(try Data(contentsOf: kept.appendingPathComponent(name)), references[name]?.first, name)
        }
    }

    /// A complete output: a PNG has its signature, IHDR and IEND (PNGCheck); a CSV is a header and
    /// rows of the same number of fields, ending with a newline.
    static func checkComplete(_ name: String, _ bytes: Data) throws {
        if name.hasSuffix(".png") {
            _ = try PNGCheck.inspect(bytes)
        } else if name.hasSuffix(".csv") {
            let text = String(decoding: bytes, as: UTF8.self)
            XCTAssertTrue(text.hasSuffix("\n"), "\(name) does not end with a newline")
            let lines = text.split(separator: "\n")
            XCTAssertGreaterThan(lines.count, 2, name)
            let fields = lines[0].split(separator: ",", omittingEmptySubsequences: false).count
            for line in lines {
                XCTAssertEqual(line.split(separator: ",", omittingEmptySubsequences: false).count, fields, "\(name): \(line)")
            }
        } else {
            XCTFail("unexpected output \(name)")
        }
    }

    /// Waits until `lab` has a child whose command name starts with `name` (`gnuplot` may be
    /// `gnuplot-nox` behind a link), reading /proc (Linux) every millisecond; false if `lab`
    /// ends or `timeout` seconds pass first.
    static func waitForChild(of lab: RunningLab, named name: String, timeout: TimeInterval) -> Bool {
        let parent = lab.processIdentifier
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, lab.process.isRunning {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
                // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after ')'.
                guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                      let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.count > 1, Int32(fields[1]) == parent, stat[stat.index(after: open) ..< close].hasPrefix(name) {
                    return true
                }
            }
            usleep(1000)
        }
        return false
    }

    // MARK: - Every write goes through AtomicFile

    /// Scans the sources of `lab` and its libraries for ways of writing a file other than
    /// AtomicFile. The allowed ones: AtomicFile itself, NPZ.decode's private temporary copy of
    /// the bytes it reads (an input, removed right after, never an output), and the report's
    /// staging folder, whose files are written by AtomicFile and then renamed into place whole,
    /// `/dev/null` opened in place of a closed stdout or stderr at startup (nothing created), and
    /// the report's copy of a previous report into a version folder (where it cannot be hard-
    /// linked), which readers reach only after it is complete, through one link rename.
    func testNoSourceWritesAFileBypassingAtomicFile() throws {
        let sources = Repository.sources
        let patterns = ["write(to:", "write(toFile:", "createFile(", "FileHandle(forWriting", "FileHandle(forUpdating",
                        "fopen(", "O_CREAT", "O_WRONLY", "O_RDWR", ".copyItem(", ".moveItem(", ".linkItem(", "rename(",
                        "OutputStream(", "freopen("]
        let allowed: Set<String> = [
            "LabSupport/AtomicFile.swift: O_CREAT", "LabSupport/AtomicFile.swift: O_WRONLY",
            "LabSupport/AtomicFile.swift: rename(",
            "MNISTData/NPZ.swift: write(to:",
            "LabReport/Document/ReportFolder.swift: rename(",
            "LabCLI/Support/StandardStreams.swift: O_WRONLY",
            "LabReport/Document/ReportFolder.swift: .copyItem(",
        ]
        var found: Set<String> = []
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        var scanned = 0
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            scanned += 1
            let relative = url.path.replacingOccurrences(of: sources.path + "/", with: "")
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                let code = line.components(separatedBy: "//").first ?? ""
                for pattern in patterns where code.contains(pattern) { found.insert("\(relative): \(pattern)") }
            }
        }
        XCTAssertGreaterThan(scanned, 30, "the scan found the sources")
        XCTAssertEqual(found.subtracting(allowed), [], "files written without AtomicFile")
    }
}
