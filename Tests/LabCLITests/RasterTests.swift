// The raster canvas, its 5×7 font, the diverging colour map and the three Question 2 figure
// builders, checked pixel by pixel on real MNIST digits. Set GDLAB_RASTER_SAMPLES=/some/folder
// to also write the sample figures there for a look.

import Foundation
@testable import LabCLI
@testable import LabSupport
import LabSupport
import MNISTData
import MNISTNet
import TestSupport
import XCTest
@testable import LabFigures
@testable import LabReport
@testable import Labs

final class RasterTests: XCTestCase {
    private func testDigits(_ count: Int) throws -> (images: [[UInt8]], labels: [Int]) {
        let pixels = [UInt8](try Gzip.decompress(Data(contentsOf: RealMNIST.file("t10k-images-idx3-ubyte.gz"))))
        let labels = [UInt8](try Gzip.decompress(Data(contentsOf: RealMNIST.file("t10k-labels-idx1-ubyte.gz"))))
        return ((0 ..< count).map { Array(pixels[16 + $0 * 784 ..< 16 + ($0 + 1) * 784]) },
                (0 ..< count).map { Int(labels[8 + $0]) })
    }

    private func saveSample(_ canvas: RasterCanvas, _ name: String) throws {
        guard let folder = ProcessInfo.processInfo.environment["GDLAB_RASTER_SAMPLES"], !folder.isEmpty else { return }
        try AtomicFile.prepareFolder(URL(fileURLWithPath: folder))
        try AtomicFile.write(canvas.pngData(), to: URL(fileURLWithPath: folder).appendingPathComponent(name))
    }

    func testFontGlyphsAreFiveBySevenAndUnknownCharactersShowAsQuestionMarks() {
        let characters = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz .,:-/%()=+?!'_#<>|±×→")
        for character in characters {
            let rows = RasterFont.rows(of: character)
            XCTAssertEqual(rows.count, 7, "\(character)")
            XCTAssertTrue(rows.allSatisfy { $0 < 32 }, "\(character) fits in five columns")
            if character != " " { XCTAssertTrue(rows.contains { $0 != 0 }, "\(character) is not blank") }
        }
        XCTAssertEqual(RasterFont.rows(of: "€"), RasterFont.rows(of: "?"))
        XCTAssertEqual(RasterFont.width(of: "abc", scale: 2), (3 * 6 - 1) * 2)

        var canvas = RasterCanvas(width: 7, height: 9)
        canvas.drawText("1", x: 1, y: 1, color: .black)
        let drawn = (0 ..< 9).map { y in String((0 ..< 7).map { canvas.color(x: $0, y: y) == .black ? "#" : "." }) }
        XCTAssertEqual(drawn, [".......", "...#...", "..##...", "...#...", "...#...", "...#...", "...#...", "..###..", "......."])
    }

    func testDrawingOffTheCanvasIsClipped() {
        var canvas = RasterCanvas(width: 10, height: 10, background: .white)
        canvas.fill(x: -100, y: -100, width: 105, height: 105, color: .black)
        canvas.drawText("Hello, world", x: 5, y: -3, scale: 4)
        canvas.drawGrayTile([UInt8](repeating: 9, count: 784), side: 28, x: -50, y: 3, scale: 2)
        canvas.fill(x: 8, y: 8, width: 1000, height: 1000, color: .mistake)
        XCTAssertEqual(canvas.color(x: 9, y: 9), .mistake)
        XCTAssertEqual(canvas.color(x: 0, y: 0), .black)
    }

    func testDivergingColourMapIsBlueWhiteRedAndSymmetric() {
        XCTAssertEqual(RasterFigures.divergingColor(-1), RGB(5, 113, 176))
        XCTAssertEqual(RasterFigures.divergingColor(0), RGB(247, 247, 247))
        XCTAssertEqual(RasterFigures.divergingColor(1), RGB(202, 0, 32))
        XCTAssertEqual(RasterFigures.divergingColor(7), RasterFigures.divergingColor(1), "clamped")
        XCTAssertEqual(RasterFigures.divergingColor(.nan), RasterFigures.divergingColor(0))
        var previous = RasterFigures.divergingColor(-1)
        for k in 1 ... 100 {
            let color = RasterFigures.divergingColor(-1 + Double(k) / 50)
            XCTAssertGreaterThanOrEqual(Int(color.r) - Int(color.b), Int(previous.r) - Int(previous.b),
                                        "warmth (red − blue) rises from blue to red (step \(k))")
            previous = color
        }
    }

    func testPercentLabels() {
        XCTAssertEqual(RasterFigures.percent(0.99996), "99.9%", "never rounds up to a false 100%")
        XCTAssertEqual(RasterFigures.percent(1), "100%")
        XCTAssertEqual(RasterFigures.percent(0.5), "50.0%")
        XCTAssertEqual(RasterFigures.percent(.nan), "?%")
    }

    func testPredictionGridMarksMistakesInRed() throws {
        let (images, labels) = try testDigits(24)
        let predicted = labels.enumerated().map { $0.offset % 5 == 2 ? ($0.element + 1) % 10 : $0.element }
        let canvas = RasterFigures.predictionGrid(images: images, predicted: predicted, actual: labels,
                                                  classNames: DatasetKind.mnist.classNames, columns: 8,
                                                  title: "Test digits: predicted class (true class when wrong)")
        try saveSample(canvas, "digit-grid.png")
        // Layout: margin 16, title 28, cells 108 wide (84 tile + 2·12), tile at x 16 + 12 = 28.
        let top = 16 + 28
        for index in 0 ..< 24 {
            let x = 28 + (index % 8) * 108, y = top + (index / 8) * (84 + 8 + 2 * 18 + 12)
            let frame = canvas.color(x: x - 2, y: y - 2)
            XCTAssertEqual(frame, predicted[index] != labels[index] ? .mistake : .white, "tile \(index)")
            XCTAssertEqual(canvas.color(x: x, y: y), RGB(images[index][0], images[index][0], images[index][0]))
        }
        let png = try canvas.pngData()
        let decoded = try PNGImage.decode(png, as: .rgb)
        XCTAssertEqual([decoded.width, decoded.height], [canvas.width, canvas.height])
    }

    func testConfidentlyWrongGridCaptionsFitEvenForFashionNames() throws {
        let (images, labels) = try testDigits(12)
        let predicted = labels.map { ($0 + 3) % 10 }
        let confidence = (0 ..< 12).map { 0.999 - Double($0) * 0.031 }
        for (kind, name) in [(DatasetKind.mnist, "confidently-wrong.png"), (.fashion, "confidently-wrong-fashion.png")] {
            let canvas = RasterFigures.confidentlyWrong(images: images, predicted: predicted, actual: labels,
                                                        confidence: confidence, classNames: kind.classNames,
                                                        columns: 6, title: "Most confidently wrong test images")
            try saveSample(canvas, name)
            XCTAssertEqual(canvas.width, 2 * 16 + 6 * 108)
            // No caption spills into the next cell: the gap column between cells stays white.
            for y in 0 ..< canvas.height - 40 {
                XCTAssertEqual(canvas.color(x: 16 + 108 - 1, y: y), .white, "\(kind) gap at y \(y)")
            }
        }
    }

    func testWeightTilesShowSignsInBlueAndRed() throws {
        var generator = SeededGenerator(seed: 80085)
        let units = 32
        var weights = (0 ..< 784 * units).map { _ in generator.nextGaussian() * 0.1 }
        // Unit 0: + on the left half, − on the right half, so its tile is red | blue.
        for i in 0 ..< 784 { weights[i * units] = (i % 28) < 14 ? 0.5 : -0.5 }
        // Give the other units some structure to look at: a smooth blob per unit.
        for j in 1 ..< units {
            let (cx, cy) = (Double(4 + (j * 7) % 20), Double(4 + (j * 11) % 20))
            for i in 0 ..< 784 {
                let dx = Double(i % 28) - cx, dy = Double(i / 28) - cy
                weights[i * units + j] += (j % 2 == 0 ? 1 : -1) * 0.4 * exp(-(dx * dx + dy * dy) / 30)
            }
        }
        let canvas = RasterFigures.weightTiles(weights: weights, units: units, title: "First-layer weights (784 → 32)")
        try saveSample(canvas, "weights.png")
        let shared = RasterFigures.weightTiles(weights: weights, units: units, sharedScale: true,
                                               title: "First-layer weights, one colour scale")
        try saveSample(shared, "weights-shared.png")
        let x = 28, y = 16 + 28
        XCTAssertEqual(canvas.color(x: x + 5, y: y + 40), RGB(202, 0, 32), "positive at its own maximum: dark red")
        XCTAssertEqual(canvas.color(x: x + 80, y: y + 40), RGB(5, 113, 176), "negative at its own maximum: dark blue")
        XCTAssertEqual(try PNGImage.decode(canvas.pngData(), as: .rgb).pixels, canvas.pixels)
    }
}
