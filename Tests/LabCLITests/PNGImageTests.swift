// The PNG reader and writer: every PNG flavour a user may hand `lab predict` reads to the same
// pixels, what `lab` writes reads back unchanged, and each hostile input gives its exact error.

import Foundation
@testable import LabCLI
@testable import LabSupport
import XCTest
@testable import LabFigures
@testable import LabReport
@testable import Labs

final class PNGImageTests: XCTestCase {
    private var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("gdlab-png-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
    }

    // A 13×9 test pattern: odd sizes exercise every Adam7 pass and row padding.
    private let width = 13, height = 9
    private func gray(_ x: Int, _ y: Int) -> UInt8 { UInt8((x * 19 + y * 23 + 7) % 256) }
    private func alpha(_ x: Int, _ y: Int) -> UInt8 { (x + y) % 3 == 0 ? 0 : 255 }
    private var expectedGray: [UInt8] { (0..<height).flatMap { y in (0..<width).map { x in gray(x, y) } } }

    private func assertClose(_ actual: [UInt8], _ expected: [UInt8], tolerance: Int, _ name: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, name, file: file, line: line)
        let worst = zip(actual, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(name): largest difference \(worst)", file: file, line: line)
    }

    func testEveryPNGFlavourReadsToTheSameGrayPixels() throws {
        let palette = (0..<256).flatMap { [UInt8($0), UInt8($0), UInt8($0)] }
        // (name, bit depth, colour type, interlaced, extra chunks, pixel bytes, tolerance)
        let flavours: [(String, UInt8, UInt8, Bool, [[UInt8]], (Int, Int) -> [UInt8], Int)] = [
            ("gray 8-bit", 8, 0, false, [], { [self.gray($0, $1)] }, 0),
            ("gray 16-bit", 16, 0, false, [], { [self.gray($0, $1), self.gray($0, $1)] }, 1),
            ("gray+alpha opaque", 8, 4, false, [], { [self.gray($0, $1), 255] }, 0),
            ("RGB 8-bit", 8, 2, false, [], { let g = self.gray($0, $1); return [g, g, g] }, 1),
            ("RGBA 8-bit opaque", 8, 6, false, [], { let g = self.gray($0, $1); return [g, g, g, 255] }, 1),
            ("RGB 16-bit", 16, 2, false, [], { let g = self.gray($0, $1); return [g, g, g, g, g, g] }, 1),
            ("palette", 8, 3, false, [PNGForge.chunk("PLTE", palette)], { [self.gray($0, $1)] }, 1),
            ("gray 8-bit interlaced", 8, 0, true, [], { [self.gray($0, $1)] }, 0),
            ("RGB 16-bit interlaced", 16, 2, true, [], { let g = self.gray($0, $1); return [g, g, g, g, g, g] }, 1),
            ("gray+alpha 16-bit opaque", 16, 4, false, [], { let g = self.gray($0, $1); return [g, g, 255, 255] }, 1),
            ("RGBA 16-bit interlaced opaque", 16, 6, true, [], { let g = self.gray($0, $1); return [g, g, g, g, g, g, 255, 255] }, 1),
            ("palette interlaced", 8, 3, true, [PNGForge.chunk("PLTE", palette)], { [self.gray($0, $1)] }, 1),
        ]
        for (name, depth, type, interlaced, extra, pixel, tolerance) in flavours {
            let data = PNGForge.png(width: width, height: height, bitDepth: depth, colorType: type,
                                    interlaced: interlaced, extraChunks: extra, pixel: pixel)
            let image = try PNGImage.decode(data, as: .gray, name: name)
            XCTAssertEqual([image.width, image.height], [width, height], name)
            assertClose(image.pixels, expectedGray, tolerance: tolerance, name)
            let rgba = try PNGImage.decode(data, as: .rgba, name: name)
            let expected = expectedGray.flatMap { g -> [UInt8] in [g, g, g, 255] }
            assertClose(rgba.pixels, expected, tolerance: tolerance, name + " as RGBA")
        }
    }

    func testTransparencyIsKeptInRGBAAndCompositedOntoTheBackgroundInGray() throws {
        let withAlpha = PNGForge.png(width: width, height: height, bitDepth: 8, colorType: 6) { x, y in
            [self.gray(x, y), 0, 255 - self.gray(x, y), self.alpha(x, y)]
        }
        let rgba = try PNGImage.decode(withAlpha, as: .rgba)
        let expected: [UInt8] = (0..<height).flatMap { y in
            (0..<width).flatMap { x -> [UInt8] in [gray(x, y), 0, 255 - gray(x, y), alpha(x, y)] }
        }
        XCTAssertEqual(rgba.pixels, expected)

        // 16 bits with alpha: the same, through gdlab's own 16-to-8-bit reduction.
        let wide = PNGForge.png(width: width, height: height, bitDepth: 16, colorType: 6, interlaced: true) { x, y in
            let (g, b, a) = (self.gray(x, y), 255 - self.gray(x, y), self.alpha(x, y))
            return [g, g, 0, 0, b, b, a, a]
        }
        let wideRGBA = try PNGImage.decode(wide, as: .rgba).pixels
        XCTAssertEqual(wideRGBA.enumerated().filter { $0.offset % 4 == 3 }.map(\.element),
                       expected.enumerated().filter { $0.offset % 4 == 3 }.map(\.element))
        assertClose(wideRGBA.enumerated().filter { expected[$0.offset / 4 * 4 + 3] == 255 }.map(\.element),
                    expected.enumerated().filter { expected[$0.offset / 4 * 4 + 3] == 255 }.map(\.element),
                    tolerance: 1, "16-bit RGBA, opaque pixels")
        let wideGray = try PNGImage.decode(wide, as: .gray, background: 255).pixels
        for (index, value) in wideGray.enumerated() where expected[index * 4 + 3] == 0 {
            XCTAssertEqual(value, 255, "transparent pixel \(index) takes the background")
        }

        // A palette with a tRNS chunk (index 0 transparent): transparent pixels take the background.
        let palette = PNGForge.chunk("PLTE", (0..<256).flatMap { [UInt8($0), UInt8($0), UInt8($0)] })
        let transparency = PNGForge.chunk("tRNS", [0])
        let data = PNGForge.png(width: 4, height: 1, bitDepth: 8, colorType: 3, extraChunks: [palette, transparency]) { x, _ in
            [[0, 40, 0, 200][x]]
        }
        XCTAssertEqual(try PNGImage.decode(data, as: .gray, background: 255).pixels, [255, 40, 255, 200])
        XCTAssertEqual(try PNGImage.decode(data, as: .gray, background: 0).pixels, [0, 40, 0, 200])
        XCTAssertEqual(try PNGImage.decode(data, as: .rgba).pixels.enumerated().filter { $0.offset % 4 == 3 }.map(\.element),
                       [0, 255, 0, 255])
    }

    func testColourBecomesLuminanceInGray() throws {
        let data = PNGForge.png(width: 3, height: 1, bitDepth: 8, colorType: 2) { x, _ in
            [[255, 0, 0], [0, 255, 0], [0, 0, 255]][x]
        }
        let pixels = try PNGImage.decode(data, as: .gray).pixels
        // sRGB luminance: Y = 0.2126 R + 0.7152 G + 0.0722 B in linear light, re-encoded as sRGB.
        let expected = [0.2126, 0.7152, 0.0722].map { y in
            255 * (y <= 0.0031308 ? 12.92 * y : 1.055 * pow(y, 1 / 2.4) - 0.055)
        }
        for (actual, wanted) in zip(pixels, expected) {
            XCTAssertEqual(Double(actual), wanted, accuracy: 2, "\(pixels) vs \(expected)")
        }
    }

    func testWrittenImagesReadBackUnchanged() throws {
        var generator = SeededGenerator(seed: 3)
        for layout in [PNGImage.Layout.gray, .rgb, .rgba] {
            let pixels = (0..<(31 * 17 * layout.channels)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let image = PNGImage(width: 31, height: 17, layout: layout, pixels: pixels)
            let data = try image.pngData()
            XCTAssertTrue(data.starts(with: PNGForge.signature))
            XCTAssertEqual(try PNGImage.decode(data, as: layout), image, "\(layout)")
        }
    }

    /// Noise does not compress: the encoded file comes close to the size bound the single-pass
    /// encoder allocates, must stay within it, and must read back unchanged.
    func testIncompressibleNoiseEncodesWithinTheBoundAndReadsBack() throws {
        var generator = SeededGenerator(seed: 0xB0B)
        for (width, height, layout) in [(1, 1, PNGImage.Layout.gray), (640, 480, .rgb), (97, 1001, .rgba)] {
            let pixels = (0..<(width * height * layout.channels)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let image = PNGImage(width: width, height: height, layout: layout, pixels: pixels)
            let data = try image.pngData()
            XCTAssertLessThanOrEqual(data.count, image.encodedSizeBound, "\(width)×\(height) \(layout)")
            XCTAssertGreaterThan(data.count, pixels.count, "noise cannot be compressed, so the test reaches the bound's region")
            XCTAssertEqual(try PNGImage.decode(data, as: layout), image, "\(width)×\(height) \(layout)")
        }
    }

    func testHostileInputsGiveTheirExactErrors() throws {
        let file = { (name: String, bytes: Data) -> URL in
            let url = self.temporary.appendingPathComponent(name)
            try! bytes.write(to: url)
            return url
        }
        let valid = PNGForge.png(width: 64, height: 64, bitDepth: 8, colorType: 0) { x, y in [UInt8((x * y) & 0xFF)] }
        var badData = Array(PNGForge.signature)
        badData += PNGForge.header(width: 4, height: 4, bitDepth: 8, colorType: 0)
        badData += PNGForge.chunk("IDAT", [0x78, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]) + PNGForge.chunk("IEND", [])
        var garbageGenerator = SeededGenerator(seed: 11)
        let garbage = Data((0..<1000).map { _ in UInt8(truncatingIfNeeded: garbageGenerator.next()) })
        let folder = temporary.appendingPathComponent("a-folder.png")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let missing = temporary.appendingPathComponent("missing.png")

        let cases: [(String, URL, (String) -> PNGError)] = [
            ("missing file", missing, { .missingFile($0) }),
            ("a path through a missing folder", missing.appendingPathComponent("x.png"), { .missingFile($0) }),
            ("a directory", folder, { .isDirectory($0) }),
            ("zero bytes", file("empty.png", Data()), { .empty($0) }),
            ("garbage", file("garbage.png", garbage), { .notPNG($0) }),
            ("text", file("text.png", Data("hello, I am not an image\n".utf8)), { .notPNG($0) }),
            ("a JPEG", file("photo.png", Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A, 0x46, 0x49, 0x46])), { .notPNG($0) }),
            ("100000×100000 header", file("huge.png", PNGForge.headerOnly(width: 100_000, height: 100_000)),
             { .tooManyPixels($0, width: 100_000, height: 100_000, limit: 50_000_000) }),
            ("7072×7072 header, just over 50 MP", file("over.png", PNGForge.headerOnly(width: 7072, height: 7072)),
             { .tooManyPixels($0, width: 7072, height: 7072, limit: 50_000_000) }),
            ("width beyond libpng's limit", file("wide.png", PNGForge.headerOnly(width: 2_000_000, height: 1)),
             { .tooManyPixels($0, width: 2_000_000, height: 1, limit: 50_000_000) }),
            ("zero width", file("zero.png", PNGForge.headerOnly(width: 0, height: 10)),
             { .zeroSize($0, width: 0, height: 10) }),
            ("header CRC wrong", file("crc.png", PNGForge.headerOnly(width: 10, height: 10, badCRC: true)),
             { .corrupt($0, detail: "IHDR: CRC error") }),
            ("signature only", file("sig.png", Data(PNGForge.signature)), { .corrupt($0, detail: "read beyond end of data") }),
            ("truncated", file("truncated.png", valid.prefix(valid.count / 2)), { .corrupt($0, detail: "read beyond end of data") }),
            ("damaged image data", file("idat.png", Data(badData)), { .corrupt($0, detail: "IDAT: invalid block type") }),
        ]
        for (name, url, expected) in cases {
            XCTAssertThrowsError(try PNGImage.read(contentsOf: url, as: .gray), name) { error in
                XCTAssertEqual(error as? PNGError, expected(url.path), name)
                XCTAssertFalse("\(error)".contains("\n"), name)
            }
        }
        // A sample of the exact lines a user sees.
        let huge = temporary.appendingPathComponent("huge.png").path
        XCTAssertEqual(PNGError.tooManyPixels(huge, width: 100_000, height: 100_000, limit: 50_000_000).description,
                       "'\(huge)' is 100000×100000 pixels, more than gdlab reads (50 megapixels, 1,000,000 pixels a side); scale it down first")
        XCTAssertEqual(PNGError.isDirectory("d").description, "'d' is a folder, not a PNG file; pass the image file itself")
        XCTAssertEqual(PNGError.empty("e.png").description, "'e.png' is empty (0 bytes); save the image again as PNG")
        // The valid file itself reads.
        XCTAssertEqual(try PNGImage.read(contentsOf: file("valid.png", valid), as: .gray).width, 64)
    }

    func testEveryPrefixOfAValidFileFailsCleanly() throws {
        let valid = PNGForge.png(width: 20, height: 20, bitDepth: 8, colorType: 6, interlaced: true) { x, y in
            [UInt8(x * 12), UInt8(y * 12), 7, 255]
        }
        // Every cut before the end of the image data fails; a file missing only its 12-byte IEND
        // chunk has every pixel and is read (as other viewers do).
        let endOfPixels = valid.count - 12
        for length in 0 ..< endOfPixels {
            XCTAssertThrowsError(try PNGImage.decode(valid.prefix(length), as: .gray), "prefix \(length)")
        }
        let full = try PNGImage.decode(valid, as: .gray)
        for length in endOfPixels ..< valid.count {
            XCTAssertEqual(try PNGImage.decode(valid.prefix(length), as: .gray), full, "prefix \(length)")
        }
    }
}
