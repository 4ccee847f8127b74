// Hostile titles and output paths through the real `lab` binary (extending Q1InjectionTests):
// gnuplot's own escapes (`!`, `set output`, `set print`, `load`, macros), quoting tricks,
// control characters, Unicode, very long text, `../` and shell syntax in --out. Each case must
// run no command, write nothing outside the chosen output folder, and either succeed with valid
// PNGs or fail with exactly one line and a non-zero exit. Plus library-level PNG cases whose
// memory the reader must keep small.

import Foundation
@testable import LabCLI
import TestSupport
import XCTest
@testable import LabFigures
@testable import LabReport
@testable import LabSupport
@testable import Labs

final class HostileInputTests: XCTestCase {
    /// root/ holds the working folder work/, a fake HOME home/, and whatever --out escapes to.
    private var root: URL!
    private var work: URL!
    private var home: URL!
    /// Markers a successful injection would create outside the sandbox.
    private var tmpMarker: String!

    override func setUpWithError() throws {
        root = try LabProcess.temporaryFolder("gdlab-hostile")
        work = root.appendingPathComponent("work")
        home = root.appendingPathComponent("home")
        for folder in [work!, home!] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        tmpMarker = "/tmp/gdlab-pwned-\(getpid())-\(UUID().uuidString.prefix(8))"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
        for suffix in ["", "-2", "-3"] { try? FileManager.default.removeItem(atPath: tmpMarker + suffix) }
    }

    /// Every file and folder under `root`, relative to it.
    private func snapshot() -> Set<String> {
        var paths: Set<String> = []
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return paths }
        for case let path as String in enumerator { paths.insert(path) }
        return paths
    }

    private func assertNothingRan(_ context: String, file: StaticString = #filePath, line: UInt = #line) {
        let markers = snapshot().filter { ($0 as NSString).lastPathComponent.hasPrefix("pwned") }
        XCTAssertEqual(markers, [], "\(context): a command ran", file: file, line: line)
        for suffix in ["", "-2", "-3"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: tmpMarker + suffix), "\(context): \(tmpMarker!)\(suffix) exists",
                           file: file, line: line)
        }
    }

    private func run(_ arguments: [String]) throws -> LabOutput {
        let output = try LabProcess.run(arguments, environment: ["HOME": home.path], directory: work, timeout: 120)
        XCTAssertFalse(output.timedOut, "lab \(arguments) hung")
        return output
    }

    /// A failure is one line on stderr, prefixed `lab: `, with a non-zero status.
    private func assertOneLineFailure(_ output: LabOutput, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(output.status, 0, context, file: file, line: line)
        let lines = output.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 2, "\(context): not one line: \(output.stderr.debugDescription)", file: file, line: line)
        XCTAssertTrue(output.stderr.hasPrefix("lab: "), "\(context): \(output.stderr)", file: file, line: line)
    }

    static let figures = ["q1a": ["q1a-descent"], "q1b": ["q1b-trajectory", "q1b-coordinates"],
                          "q1c": ["q1c-rates", "q1c-trajectories", "q1c-loss"], "q1d": ["q1d-iterations"]]

    // MARK: - Titles

    /// Titles that try to leave gnuplot's string literal and run something, in every way gnuplot
    /// offers: system(), backquotes, `!` shell lines, set output/print to a file, load/call,
    /// macros; and text that only has to survive: quotes, backslashes, control characters,
    /// Unicode, enhanced-text markup, a 24,000-character string.
    private func hostileTitles() -> [String] {
        let abs = root.appendingPathComponent("pwned").path
        let tmp = tmpMarker!
        return [
            "x'\n!touch \(abs)-bang\n'",
            "\n!touch pwned-bang-relative",
            "x\"\n! touch \(tmp)\n\"",
            "x'\nset output '\(abs)-setoutput.png'\nreplot\nset output\n'",
            "x'\nset print '\(abs)-print'\nprint 'hello'\n'",
            "x'; set print \"\(tmp)-2\"; print 1; '",
            "x'\nload '\(abs)-script'\ncall '\(abs)-script'\n'",
            "x'\nset macros\nm = \"system('touch \(abs)-macro')\"\n@m\n'",
            "@m @@ @ARG0 @GPVAL_PWD",
            "system(\"touch \(abs)-system\")",
            "\" . system(\"touch \(tmp)-3\") . \"",
            "' . system('touch \(abs)-concat') . '",
            "\"`touch \(abs)-backtick`\"",
            "''", "x''y", "''''''", "\"\"", "'\"'\"'", "'",
            "\\' \\\" \\n \\\\ \\x41 \\101 \\u00e9 ends with a backslash \\",
            "x'\nexit gnuplot\n'",
            "x'\nquit\n",
            "# comment ' \n#",
            "tab\there, CR\rthere, VT\u{0B} FF\u{0C} ESC\u{1B}[31mred DEL\u{7F} NEL\u{85} LS\u{2028}PS\u{2029}end",
            "η → ∞ ✓ 日本語 \u{202E}reversed\u{202C} e\u{0301} 🙂 👩‍👩‍👧 \u{FEFF}bom",
            "^{super}_{sub} {/Symbol a} &{space} ~a{.8-} {/:Bold bold} %s %d %%",
            String(repeating: "A'\"`$(;\n", count: 3000),
        ]
    }

    func testHostileTitlesRunNothingAndDrawValidFigures() throws {
        let out = work.appendingPathComponent("out")
        for (index, title) in hostileTitles().enumerated() {
            // Every command draws its titles in its own figures; the titles take turns.
            for command in [["q1a", "q1b", "q1c", "q1d"][index % 4]] {
                let context = "\(command) --title \(title.prefix(80).debugDescription)"
                let before = snapshot()
                let output = try run([command, "--title", title, "--out", "out"])
                assertNothingRan(context)
                let new = snapshot().subtracting(before)
                XCTAssertTrue(new.allSatisfy { $0 == "work/out" || $0.hasPrefix("work/out/") }, "\(context) wrote \(new.sorted())")
                if output.status == 0 {
                    XCTAssertEqual(output.stderr, "", context)
                    for name in Self.figures[command]! {
                        let info = try PNGCheck.inspect(Data(contentsOf: out.appendingPathComponent(name + ".png")))
                        XCTAssertGreaterThan(info.compressedImageBytes, 1000, "\(context): \(name).png is blank")
                    }
                } else {
                    print("HostileInputTests: \(context) failed as allowed: \(output.stderr)")
                    assertOneLineFailure(output, context)
                }
            }
        }
    }

    // MARK: - Output folders

    private enum Expectation {
        /// Succeeds, writing into this folder (relative to root).
        case writes(String)
        /// Fails with exactly this stderr line and status.
        case fails(String, Int32)
    }

    func testHostileOutputFoldersStayWhereTheyPoint() throws {
        let regularFile = work.appendingPathComponent("file.txt")
        try Data("not a folder\n".utf8).write(to: regularFile)
        let long = String(repeating: "x", count: 300)
        let shell = "out 'q' \"dq\" `touch pwned-bt` $(touch pwned-sub) ; touch pwned-semi | & > < * ?"
        let cases: [(String, Expectation)] = [
            ("../escaped", .writes("escaped")),
            ("a/../../up-and-over", .writes("up-and-over")),
            ("./nested/deeper/out", .writes("work/nested/deeper/out")),
            ("\(root.path)/absolute", .writes("absolute")),
            (shell, .writes("work/" + shell)),
            ("new\nline", .writes("work/new\nline")),
            ("-dash", .writes("work/-dash")),
            // A leading ~ is left out: Foundation on Linux expands it in URL(fileURLWithPath:)
            // (to the passwd home, not $HOME), so `--out '~/x'` writes to the real home folder.
            ("a/~/tilde", .writes("work/a/~/tilde")),
            ("$HOME", .writes("work/$HOME")),
            ("ausgabe-ü-日本-🙂", .writes("work/ausgabe-ü-日本-🙂")),
            ("trailing-slash///", .writes("work/trailing-slash")),
            ("file.txt", .fails("lab: cannot write 'file.txt': it exists and is not a folder; choose a folder you can write to", 1)),
            ("file.txt/sub", .fails("lab: cannot write 'file.txt/sub': the folder cannot be created; choose a folder you can write to", 1)),
            (long, .fails("lab: cannot write '\(long)': the folder cannot be created; choose a folder you can write to", 1)),
            ("/proc/gdlab-out", .fails("lab: cannot write '/proc/gdlab-out': the folder cannot be created; choose a folder you can write to", 1)),
            ("/dev/null", .fails("lab: cannot write '/dev/null': it exists and is not a folder; choose a folder you can write to", 1)),
            // Paths are quoted as given, with control characters escaped so the message stays one line.
            ("file.txt/new\nline\u{1}", .fails("lab: cannot write 'file.txt/new\\nline\\u{01}': the folder cannot be created; choose a folder you can write to", 1)),
            ("", .fails("lab: --out is empty; pass a folder such as --out plots (see 'lab help')", 64)),
        ]
        for (out, expectation) in cases {
            let context = "--out \(out.debugDescription)"
            let before = snapshot()
            let output = try run(out.isEmpty ? ["q1a", "--out", ""] : ["q1a", "--out=\(out)"])
            assertNothingRan(context)
            let new = snapshot().subtracting(before)
            switch expectation {
            case .writes(let folder):
                XCTAssertEqual(output.status, 0, "\(context): \(output.stderr)")
                XCTAssertTrue(new.allSatisfy { folder.hasPrefix($0 + "/") || $0 == folder || $0.hasPrefix(folder + "/") },
                              "\(context) wrote outside \(folder): \(new.sorted())")
                XCTAssertNoThrow(try PNGCheck.check(root.appendingPathComponent(folder).appendingPathComponent("q1a-descent.png"),
                                                    width: 900, height: 600), "\(context): \(new.sorted())")
                XCTAssertTrue(new.contains(folder + "/q1a-descent.csv"), "\(context): \(new.sorted())")
            case let .fails(line, status):
                XCTAssertEqual(output.status, status, context)
                XCTAssertEqual(output.stderr, line + "\n", context)
                XCTAssertEqual(new, [], "\(context) left \(new.sorted())")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home.path), [], "nothing went to HOME")
    }

    // MARK: - Bad numbers (Question 1's inputs)

    func testNonFiniteAndOutOfRangeNumbersFailWithOneLine() throws {
        let cases: [[String]] = [
            ["q1a", "--a", "nan"], ["q1a", "--a", "inf"], ["q1a", "--a", "-1"], ["q1a", "--a", "1e400"],
            ["q1a", "--b", "0"], ["q1a", "--w0", "1,nan"], ["q1a", "--w0", "1"], ["q1a", "--w0", "'; system('touch pwned')"],
            ["q1a", "--eta", "-0.1"], ["q1a", "--eta", "nan"], ["q1a", "--epsilon", "-1"], ["q1a", "--epsilon", "nan"],
            ["q1a", "--steps", "-1"], ["q1a", "--steps", "99999999999999999999"], ["q1a", "--points", "0"],
            ["q1b", "--eta", "inf"], ["q1c", "--eta", "nan"], ["q1d", "--kappa", "-5"], ["q1d", "--kappa", "nan"],
        ]
        for (index, arguments) in cases.enumerated() {
            let output = try run(arguments + ["--out", "numbers-\(index)"])
            assertOneLineFailure(output, "\(arguments)")
            XCTAssertEqual(output.status, 64, "\(arguments): \(output.stderr)")
            XCTAssertEqual(output.stdout, "", "\(arguments)")
            assertNothingRan("\(arguments)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("numbers-\(index)").path),
                           "\(arguments) created its output folder before validating")
        }
    }

    // MARK: - PNG reading: memory stays bounded

    /// A PNG of a few hundred bytes whose header announces millions of pixels (any colour type
    /// and depth, interlaced or not) is refused before pixel memory is allocated.
    func testTinyPNGsAnnouncingHugeImagesAllocateLittle() throws {
        for (width, height, depth, type) in [(7000, 7000, 16 as UInt8, 6 as UInt8), (7071, 7071, 8, 6), (50_000, 1000, 8, 0),
                                             (1_000_000, 50, 16, 2), (7000, 7000, 1, 0)] {
            var bytes = PNGForge.signature + PNGForge.header(width: UInt32(width), height: UInt32(height), bitDepth: depth, colorType: type)
            bytes += PNGForge.chunk("IDAT", PNGForge.zlibStored([UInt8](repeating: 0, count: 300))) + PNGForge.chunk("IEND", [])
            for layout in [PNGImage.Layout.gray, .rgba] {
                var error: Error?
                let growth = try PeakMemory.growth {
                    do { _ = try PNGImage.decode(Data(bytes), as: layout, name: "tiny.png") } catch let e { error = e }
                }
                let context = "\(width)×\(height) depth \(depth) type \(type) as \(layout)"
                XCTAssertEqual(error as? PNGError, .tooShort("tiny.png", bytes: bytes.count, width: width, height: height), context)
                XCTAssertLessThan(growth, 64 << 20, "\(context): peak RSS grew by \(growth >> 20) MB")
            }
        }
        XCTAssertEqual(PNGError.tooShort("tiny.png", bytes: 368, width: 7000, height: 7000).description,
                       "'tiny.png' is a damaged PNG: its 368 bytes cannot hold the 7000×7000 pixels its header announces; save the image again")
        // The bound never refuses a real image: the most compressible one there is (one colour,
        // 1-bit) at the largest size accepted still decodes.
        let side = 7000
        let flat = PNGForge.signature + PNGForge.header(width: UInt32(side), height: UInt32(side), bitDepth: 1, colorType: 0)
            + PNGForge.chunk("IDAT", Self.zlibDeflatedZeros(count: side * (1 + (side + 7) / 8))) + PNGForge.chunk("IEND", [])
        let image = try PNGImage.decode(Data(flat), as: .gray, name: "flat.png")
        XCTAssertEqual(image.width * image.height, side * side)
    }

    /// A zlib stream of `count` zeros (fixed-Huffman deflate: a literal 0, then copies of 258
    /// bytes at distance 1, then literal zeros for the rest), about 160 times smaller than its
    /// content, with its Adler-32.
    static func zlibDeflatedZeros(count: Int) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var buffer: UInt32 = 0, bits = 0
        func put(_ value: UInt32, _ n: Int) {  // LSB first; Huffman codes below are pre-reversed
            buffer |= value << bits
            bits += n
            while bits >= 8 { out.append(UInt8(buffer & 0xFF)); buffer >>= 8; bits -= 8 }
        }
        put(0b011, 3)  // BFINAL, fixed Huffman
        put(0b0000_1100, 8)  // literal 0 (code 00110000)
        var produced = 1
        while produced + 258 <= count { put(0b1010_0011, 13); produced += 258 }  // length 258, distance 1
        while produced < count { put(0b0000_1100, 8); produced += 1 }
        put(0, 7)  // end of block
        if bits > 0 { out.append(UInt8(buffer & 0xFF)) }
        let adler = UInt32(count % 65521) << 16 | 1  // a = 1 + Σ0, b = Σ a over the bytes
        return out + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: adler >> $0) }
    }
}
