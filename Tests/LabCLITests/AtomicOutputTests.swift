// Atomic outputs, tested the hard way: real `lab q1c` / `lab q1d` processes are killed with
// SIGKILL at random moments while they write their figures and CSVs; afterwards every output is
// a complete file from one run or the other, never a partial one, and the next successful run
// leaves no temporary file behind. A source scan keeps every write going through AtomicFile.

import Foundation
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

    /// Kills per test run, and the wall-clock bound on the kill loop (it stops early, after at
    /// least `minimumKills`, if the machine is slow).
    static let kills = 36
    static let minimumKills = 20
    static let loopSeconds: Double = 90

    func testKilledRunsLeaveOnlyCompleteFiles() throws {
        let commands = ["q1c", "q1d"]
        // Two complete references per command, differing in their titles, so a file replaced by
        // a killed run can be told from the file it replaced.
        var references: [String: [Data]] = [:]  // file name → [title A bytes, title B bytes]
        var durations: [String: Double] = [:]
        for command in commands {
            for title in ["run A", "run B"] {
                let out = folder.appendingPathComponent("reference-\(command)-\(title.last!)")
                let start = Date()
                let result = try LabProcess.run([command, "--title", title, "--out", out.path])
                // The shorter of the two runs: a kill drawn within it lands before the run ends
                // even when one reference run was slowed down (a cold start, a busy machine).
                durations[command] = min(durations[command] ?? .infinity, Date().timeIntervalSince(start))
                XCTAssertEqual(result.status, 0, result.stderr)
                for name in try FileManager.default.contentsOfDirectory(atPath: out.path) {
                    let bytes = try Data(contentsOf: out.appendingPathComponent(name))
                    try Self.checkComplete(name, bytes)
                    references[name, default: []].append(bytes)
                }
            }
        }
        let stems = ["q1c-rates", "q1c-trajectories", "q1c-loss", "q1d-iterations", "q1d-zigzag", "q1d-heatmap", "q1d-momentum-map"]
        XCTAssertEqual(Set(references.keys), Set(stems.flatMap { [$0 + ".png", $0 + ".csv"] }))
        XCTAssertTrue(references.values.allSatisfy { $0.count == 2 })
        for name in stems.map({ $0 + ".png" }) {
            XCTAssertNotEqual(references[name]![0], references[name]![1], "\(name): the title must change the PNG")
        }

        // `kept` starts from a complete run, so every file must always be there; every fifth
        // kill goes to a fresh folder instead, where a file may also be absent.
        let kept = folder.appendingPathComponent("kept")
        for command in commands {
            XCTAssertEqual(try LabProcess.run([command, "--title", "run A", "--out", kept.path]).status, 0)
        }
        var generator = SeededGenerator(seed: 0x6B11)
        var killed = 0, killedAfterWriting = 0, caughtWriting = 0, runs = 0
        let deadline = Date().addingTimeInterval(Self.loopSeconds)
        while runs < Self.kills, runs < Self.minimumKills || Date() < deadline {
            let command = commands[runs % 2]
            let fresh = runs % 5 == 4
            let out = fresh ? folder.appendingPathComponent("fresh-\(runs)") : kept
            let delay = Double.random(in: 0 ... durations[command]!, using: &generator)
            let before = Self.contents(of: out)
            // Each command alternates its title, so a run that got to write replaces files.
            let wasKilled = try Self.runAndKill([command, "--title", runs % 4 < 2 ? "run B" : "run A", "--out", out.path],
                                                after: delay)
            if wasKilled, Self.contents(of: out).contains(where: { before[$0.key] != $0.value }) { killedAfterWriting += 1 }
            runs += 1
            if wasKilled { killed += 1 }

            let names = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
            if names.contains(where: { $0.hasPrefix(AtomicFile.temporaryPrefix) }) { caughtWriting += 1 }
            for name in names where !name.hasPrefix(AtomicFile.temporaryPrefix) {
                let bytes = try Data(contentsOf: out.appendingPathComponent(name))
                let known = try XCTUnwrap(references[name], "unexpected file \(name)")
                XCTAssertTrue(known.contains(bytes), "kill \(runs) after \(delay) s: \(name) is not a complete output (\(bytes.count) bytes)")
            }
            if !fresh {
                for name in references.keys {
                    XCTAssertTrue(names.contains(name), "kill \(runs): \(name) vanished")
                }
            }
        }
        print("AtomicOutputTests: \(runs) runs, \(killed) killed by SIGKILL, \(killedAfterWriting) of them after replacing "
              + "some files (killed between files), \(caughtWriting) left a temporary file (killed inside a write)")
        XCTAssertGreaterThanOrEqual(killed, runs / 3, "too few runs were killed before finishing to test anything")

        // The next successful run cleans up every temporary file a killed writer left.
        for command in commands {
            let result = try LabProcess.run([command, "--title", "run A", "--out", kept.path])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: kept.path)
        XCTAssertEqual(left.filter { $0.hasPrefix(AtomicFile.temporaryPrefix) }, [])
        XCTAssertEqual(Set(left), Set(references.keys))
        for name in left {
            XCTAssertEqual(try Data(contentsOf: kept.appendingPathComponent(name)), references[name]![0], name)
        }
    }

    /// The outputs in `folder` (temporary files excluded), by name.
    static func contents(of folder: URL) -> [String: Data] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var result: [String: Data] = [:]
        for name in names where !name.hasPrefix(AtomicFile.temporaryPrefix) {
            result[name] = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
        }
        return result
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

    /// Runs `lab arguments…`, sends SIGKILL after `delay` seconds, and returns whether the signal
    /// ended it (rather than the run finishing first).
    static func runAndKill(_ arguments: [String], after delay: Double) throws -> Bool {
        let process = Process()
        process.executableURL = try LabProcess.executable()
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(useconds_t(delay * 1_000_000))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
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
            "MNISTNet/NPZ.swift: write(to:",
            "LabCLI/Report/ReportFolder.swift: rename(",
            "LabCLI/Support/LabError.swift: O_WRONLY",
            "LabCLI/Report/ReportFolder.swift: .copyItem(",
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
