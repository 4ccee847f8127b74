// File names that are not valid UTF-8 (issue 10, case 17): `RawFileNames` in the library (the
// split, the stand-in path, the names put back) and `lab` itself through a shell, since such a
// name cannot be passed through `Process`, whose arguments are Swift strings.

import Foundation
import TestSupport
import XCTest
@testable import LabFigures
@testable import LabSupport

final class RawFileNameTests: Q2TestCase {
    /// `name` (Latin-1 bytes, e.g. "d\u{E9}" for d + 0xE9) as the bytes of a path in the test folder.
    private func latin1Path(_ name: String) -> [UInt8] {
        Array(folder.path.utf8) + [UInt8(ascii: "/")] + name.unicodeScalars.map { UInt8($0.value) }
    }

    private func makeFolder(_ bytes: [UInt8]) throws {
        let made = (bytes + [0]).withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { mkdir($0.baseAddress!, 0o755) }
        }
        XCTAssertEqual(made, 0, String(cString: strerror(errno)))
    }

    private func writeFile(_ bytes: [UInt8], contents: String) throws {
        let fd = (bytes + [0]).withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        }
        XCTAssertGreaterThanOrEqual(fd, 0, String(cString: strerror(errno)))
        _ = Array(contents.utf8).withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
    }

    private func resolved(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        switch RawFileNames.resolve(bytes) {
        case .success(let path): return path
        case .failure(let error): XCTFail("\(error)", file: file, line: line); throw error
        }
    }

    // MARK: - The library

    func testUTF8NamesAreLeftAsTheyAre() throws {
        XCTAssertEqual(try resolved(Array("plots/café.png".utf8)), "plots/café.png")
        XCTAssertEqual(RawFileNames.shown(in: "plots/café.png"), "plots/café.png")
    }

    func testAFileIsReachedThroughItsDescriptorAndShownAsTyped() throws {
        let name = latin1Path("w\u{E9}.txt")
        try writeFile(name, contents: "weights")
        let path = try resolved(name)
        XCTAssertTrue(path.hasPrefix("/proc/\(getpid())/fd/"), path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "weights")
        XCTAssertEqual(RawFileNames.shown(in: "cannot read '\(path)'"), "cannot read '\(folder.path)/w\\xE9.txt'")
        XCTAssertEqual(RawFileNames.repaired(path), folder.path + "/w\u{FFFD}.txt")
        XCTAssertTrue(RawFileNames.isWholeNameStandIn(path))
    }

    func testTheSplitIsAfterTheLastByteThatIsNotUTF8() throws {
        let parent = latin1Path("d\u{E9}")
        try makeFolder(parent)
        try makeFolder(parent + Array("/sub".utf8))
        let path = try resolved(parent + Array("/sub/new.csv".utf8))
        XCTAssertTrue(path.hasSuffix("/sub/new.csv"), path)
        XCTAssertFalse(RawFileNames.isWholeNameStandIn(path), "a file inside the opened folder can be written")
        try AtomicFile.write("x,y\n", to: URL(fileURLWithPath: path))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "x,y\n")
        XCTAssertEqual(RawFileNames.shown(in: path), folder.path + "/d\\xE9/sub/new.csv")
    }

    func testAParentComponentAfterTheNameIsLeftToTheKernel() throws {
        // "d\xE9/../beside.txt" is the file beside d\xE9; a URL's textual standardisation of
        // "/proc/<pid>/fd/<n>/../beside.txt" would instead name /proc/<pid>/fd/beside.txt.
        try makeFolder(latin1Path("e\u{E9}"))
        try "beside".write(to: folder.appendingPathComponent("beside.txt"), atomically: true, encoding: .utf8)
        let path = try resolved(latin1Path("e\u{E9}/../beside.txt"))
        XCTAssertFalse(path.contains(".."), path)
        XCTAssertEqual(try String(contentsOf: URL(fileURLWithPath: path).standardizedFileURL, encoding: .utf8), "beside")
    }

    func testANameOfNothingIsRefusedWithWhatToDo() throws {
        guard case .failure(let error) = RawFileNames.resolve(latin1Path("n\u{E9}.npz")) else {
            return XCTFail("a missing file with such a name was resolved")
        }
        XCTAssertTrue(error.description.contains("n\\xE9.npz' is not valid UTF-8 and no file or folder of that name can be opened"),
                      error.description)
        XCTAssertTrue(error.description.contains("use UTF-8 for the name of a new file"), error.description)
        guard case .failure(let inFolder) = RawFileNames.resolve(latin1Path("m\u{E9}/x.npz")) else {
            return XCTFail("a file in a missing folder with such a name was resolved")
        }
        XCTAssertTrue(inFolder.description.contains("its folder '\(folder.path)/m\\xE9' cannot be opened"), inFolder.description)
    }

    // MARK: - lab

    /// A digit image and untrained weights, both under Latin-1 names, and a Latin-1 folder.
    private func prepareLatin1Inputs() throws -> LabOutput {
        let side = 112
        var pixels = [UInt8](repeating: 255, count: side * side)
        for y in 20 ..< 92 { for x in 50 ..< 62 { pixels[y * side + x] = 0 } }
        try PNGImage(width: side, height: side, layout: .gray, pixels: pixels).pngData()
            .write(to: folder.appendingPathComponent("digit.png"))
        return try shell("""
            "$LAB" q2-init --save w.npz --out figs >/dev/null && cp w.npz "$(printf 'w\\351.npz')" \
            && cp digit.png "$(printf 'd\\351.png')" && mkdir "$(printf 'o\\351')" \
            && ln -s "$MNIST" "$(printf 'm\\351')"
            """, environment: ["MNIST": mnist])
    }

    func testLabReadsImagesAndWeightsUnderSuchNamesAndNamesThemAsTyped() throws {
        let setup = try prepareLatin1Inputs()
        XCTAssertEqual(setup.status, 0, setup.stderr)
        let text = try shell("\"$LAB\" predict \"$(printf 'd\\351.png')\" --load \"$(printf 'w\\351.npz')\"")
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("d\\xE9.png: predicted"), text.stdout)
        XCTAssertTrue(text.stdout.contains("w\\xE9.npz"), text.stdout)
        XCTAssertFalse(text.stdout.contains("/proc/"), text.stdout)

        let json = try shell("\"$LAB\" predict \"--load=$(printf 'w\\351.npz')\" --json \"$(printf 'd\\351.png')\" "
                             + "--save-input \"$(printf 'o\\351')/inputs\"")
        XCTAssertEqual(json.status, 0, json.stderr)
        let result = try result(json)
        let image = try XCTUnwrap((result["images"] as? [[String: Any]])?.first)
        XCTAssertEqual(image["file"] as? String, "d\\xE9.png")
        XCTAssertEqual(image["savedInput"] as? String, "o\\xE9/inputs/d\u{FFFD}-28x28.png")
        let listing = try shell("ls \"$(printf 'o\\351')/inputs\"")
        XCTAssertEqual(listing.stdout, "d\u{FFFD}-28x28.png\n", "the input is saved under the image's name, repaired")
    }

    func testLabWritesFiguresIntoSuchAFolderAndReadsMNISTFromOne() throws {
        let setup = try prepareLatin1Inputs()
        XCTAssertEqual(setup.status, 0, setup.stderr)
        let output = try shell("MNIST_DIR=\"$(printf 'm\\351')\" \"$LAB\" q2-forward --out \"$(printf 'o\\351')/plots\"",
                               environment: ["MNIST_DIR": ""])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.contains("MNIST from $MNIST_DIR (m\\xE9)"), output.stdout)
        XCTAssertTrue(output.stdout.contains("Wrote: o\\xE9/plots/q2-forward-predictions.csv"), output.stdout)
        let copied = try shell("cp \"$(printf 'o\\351')/plots/q2-forward-predictions.png\" seen.png")
        XCTAssertEqual(copied.status, 0, copied.stderr)
        _ = try PNGCheck.check(folder.appendingPathComponent("seen.png"), width: 900, height: 600)
    }

    func testANewFileOrAReplacedOneUnderSuchANameIsRefused() throws {
        let setup = try prepareLatin1Inputs()
        XCTAssertEqual(setup.status, 0, setup.stderr)
        let new = try shell("\"$LAB\" q2-init --save \"$(printf 'n\\351.npz')\" --out figs")
        assertOneLineFailure(new, status: 64, containing: "argument 3: 'n\\xE9.npz' is not valid UTF-8 and no file or folder")
        let existing = try shell("\"$LAB\" q2-init --seed 1 --save \"$(printf 'w\\351.npz')\" --out figs")
        assertOneLineFailure(existing, status: 1, containing: "'w\\xE9.npz': its name is not valid UTF-8")
        let unchanged = try shell("cmp w.npz \"$(printf 'w\\351.npz')\"")
        XCTAssertEqual(unchanged.status, 0, "the file under that name was left as it was: \(unchanged.stdout)")
    }
}
