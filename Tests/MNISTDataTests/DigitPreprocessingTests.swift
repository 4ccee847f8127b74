// MNIST-style preprocessing of a user's digit: polarity, 20×20 fit, centre of mass at (14, 14),
// flat images refused, and real MNIST digits surviving an enlarge-and-reprocess round trip.

import Foundation
import LabSupport
@testable import MNISTData
@testable import MNISTNet
import TestSupport
import XCTest

final class DigitPreprocessingTests: XCTestCase {
    /// A thick dark "7" on white paper, 200 wide and 300 tall, off centre.
    private func darkSevenOnWhite() -> [UInt8] {
        let width = 200, height = 300
        var image = [UInt8](repeating: 255, count: width * height)
        for y in 0 ..< height {
            for x in 0 ..< width {
                let bar = y >= 60 && y < 90 && x >= 40 && x < 170
                // The stem: within 15 px of the segment from (160, 90) to (70, 260).
                let (ax, ay, bx, by) = (160.0, 90.0, 70.0, 260.0)
                let t = min(max(((Double(x) - ax) * (bx - ax) + (Double(y) - ay) * (by - ay))
                                / ((bx - ax) * (bx - ax) + (by - ay) * (by - ay)), 0), 1)
                let dx = Double(x) - (ax + t * (bx - ax)), dy = Double(y) - (ay + t * (by - ay))
                if bar || dx * dx + dy * dy <= 15 * 15 { image[y * width + x] = 20 }
            }
        }
        return image
    }

    /// Bounding box (width, height) of nonzero pixels and the centre of mass in pixel indices.
    private func geometry(_ pixels: [UInt8]) -> (width: Int, height: Int, x: Double, y: Double) {
        var minX = 28, minY = 28, maxX = -1, maxY = -1
        var mass = 0.0, sx = 0.0, sy = 0.0
        for y in 0 ..< 28 {
            for x in 0 ..< 28 where pixels[y * 28 + x] > 0 {
                let v = Double(pixels[y * 28 + x])
                minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
                mass += v; sx += v * Double(x); sy += v * Double(y)
            }
        }
        return (maxX - minX + 1, maxY - minY + 1, sx / mass, sy / mass)
    }

    private func correlation(_ a: [UInt8], _ b: [UInt8]) -> Double {
        let x = a.map(Double.init), y = b.map(Double.init)
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (p, q) in zip(x, y) {
            sxy += (p - mx) * (q - my); sxx += (p - mx) * (p - mx); syy += (q - my) * (q - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }

    func testDarkStrokeOnWhiteIsInvertedFittedIntoTwentyAndCentred() throws {
        let digit = try DigitPreprocessing.prepare(gray: darkSevenOnWhite(), width: 200, height: 300)
        XCTAssertTrue(digit.inverted, "a white border means dark ink: invert")
        XCTAssertEqual(digit.pixels.count, 784)
        XCTAssertEqual(digit.inkBox.width, 136, "bar from x 40, stem (radius 15 around x 160) to x 175")
        let shape = geometry(digit.pixels)
        XCTAssertLessThanOrEqual(shape.width, 20)
        XCTAssertEqual(shape.height, 20, "the longer side (height) fills the 20-pixel box")
        XCTAssertEqual(shape.x, 14, accuracy: 1)
        XCTAssertEqual(shape.y, 14, accuracy: 1)
        XCTAssertEqual(digit.pixels.max(), 255, "the strongest ink is white")
        XCTAssertEqual([digit.pixels[0], digit.pixels[27], digit.pixels[756], digit.pixels[783]], [0, 0, 0, 0])
    }

    func testPolarityAutoMatchesTheForcedChoice() throws {
        let dark = darkSevenOnWhite()
        let light = dark.map { 255 - $0 }
        let fromDark = try DigitPreprocessing.prepare(gray: dark, width: 200, height: 300)
        let fromLight = try DigitPreprocessing.prepare(gray: light, width: 200, height: 300)
        XCTAssertFalse(fromLight.inverted)
        XCTAssertEqual(fromLight.pixels, fromDark.pixels, "both polarities give the same digit")
        XCTAssertEqual(try DigitPreprocessing.prepare(gray: dark, width: 200, height: 300, inversion: .yes), fromDark)
        XCTAssertEqual(try DigitPreprocessing.prepare(gray: light, width: 200, height: 300, inversion: .no), fromLight)
        // Forcing the wrong polarity makes the whole paper "ink" with no background left.
        XCTAssertThrowsError(try DigitPreprocessing.prepare(gray: light, width: 200, height: 300, inversion: .yes)) { error in
            XCTAssertEqual(error as? DigitPreprocessingError, .noDigitFound(inverted: true))
            XCTAssertTrue("\(error)".hasSuffix("or try --invert no"), "\(error)")
        }
    }

    func testFlatImagesHaveNoDigit() {
        for level: UInt8 in [0, 128, 255] {
            XCTAssertThrowsError(try DigitPreprocessing.prepare(gray: [UInt8](repeating: level, count: 50 * 40), width: 50, height: 40)) { error in
                XCTAssertTrue("\(error)".hasPrefix("no digit found"), "\(error)")
            }
        }
        XCTAssertThrowsError(try DigitPreprocessing.prepare(gray: [255], width: 1, height: 1))
    }

    func testGrayPaperAndFaintInkAreStretched() throws {
        // Gray paper (200) with mid-gray ink (120): after stretching the ink is white, paper black.
        var image = [UInt8](repeating: 200, count: 60 * 60)
        for y in 10 ..< 50 { for x in 25 ..< 33 { image[y * 60 + x] = 120 } }
        let digit = try DigitPreprocessing.prepare(gray: image, width: 60, height: 60)
        XCTAssertTrue(digit.inverted)
        XCTAssertEqual(digit.pixels.max(), 255)
        let shape = geometry(digit.pixels)
        XCTAssertEqual([shape.width, shape.height], [4, 20])
        XCTAssertEqual(shape.x, 14, accuracy: 1)
    }

    func testExtremeShapesStayInside() throws {
        // A single bright pixel on black becomes a filled 20×20 square.
        var dot = [UInt8](repeating: 0, count: 9)
        dot[4] = 255
        let square = try DigitPreprocessing.prepare(gray: dot, width: 3, height: 3)
        XCTAssertEqual(geometry(square.pixels).width, 20)
        XCTAssertEqual(square.pixels.filter { $0 == 255 }.count, 400)
        // A thin horizontal line: 20 wide, at least one row tall.
        var line = [UInt8](repeating: 0, count: 300 * 40)
        for y in 18 ..< 21 { for x in 10 ..< 290 { line[y * 300 + x] = 255 } }
        let flat = geometry(try DigitPreprocessing.prepare(gray: line, width: 300, height: 40).pixels)
        XCTAssertEqual(flat.width, 20)
        XCTAssertEqual(flat.height, 1)
        XCTAssertEqual(flat.y, 14, accuracy: 1)
    }

    func testAreaAveragingKeepsTheMeanAndBilinearKeepsConstants() {
        var generator = SeededGenerator(seed: 5)
        for _ in 0 ..< 200 {
            let n = Int.random(in: 2 ... 300, using: &generator)
            let m = Int.random(in: 1 ... n, using: &generator)
            let line = (0 ..< n).map { _ in Double.random(in: 0 ... 1, using: &generator) }
            let out = DigitPreprocessing.resampleLine(line, to: m)
            let meanIn = line.reduce(0, +) / Double(n), meanOut = out.reduce(0, +) / Double(m)
            XCTAssertEqual(meanOut, meanIn, accuracy: 1e-12, "area averaging conserves the mean (n \(n) → m \(m))")
        }
        XCTAssertEqual(DigitPreprocessing.resampleLine([0.25, 0.25, 0.25], to: 17), [Double](repeating: 0.25, count: 17))
        XCTAssertEqual(DigitPreprocessing.resampleLine([0, 1], to: 4), [0, 0.25, 0.75, 1])
    }

    func testRealMNISTDigitsSurviveEnlargingAndReprocessing() throws {
        let file = try RealMNIST.file("t10k-images-idx3-ubyte.gz")
        let content = try Gzip.decompress(Data(contentsOf: file))
        let images = [UInt8](content.dropFirst(16))  // IDX header: magic, count, rows, columns
        var correlations: [Double] = []
        for index in 0 ..< 100 {
            let original = Array(images[index * 784 ..< (index + 1) * 784])
            // Enlarge ×4 bilinearly and draw it dark on white, as a user's scan would be.
            let big = DigitPreprocessing.resample(width: 28, height: 28, toWidth: 112, toHeight: 112) { x, y in
                Double(original[y * 28 + x]) / 255
            }.map { UInt8(255 - ($0 * 255).rounded()) }
            let digit = try DigitPreprocessing.prepare(gray: big, width: 112, height: 112)
            XCTAssertTrue(digit.inverted)
            correlations.append(correlation(digit.pixels, original))
        }
        let mean = correlations.reduce(0, +) / Double(correlations.count)
        XCTAssertGreaterThan(mean, 0.93, "mean correlation with the original")
        // Thin strokes (a "1") lose most of their correlation to a one-pixel shift, so the
        // bound is on the many, not the worst.
        XCTAssertGreaterThanOrEqual(correlations.filter { $0 > 0.85 }.count, 90, "\(correlations.sorted().prefix(12))")
    }
}
