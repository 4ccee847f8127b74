// End-to-end tests of `lab predict`: MNIST test digits written as large dark-on-white PNGs are
// classified as their labels by a trained model, --save-input writes the 28×28 it classified,
// the JSON parses, the default model is taken from the cache, and hostile files are one line each.

import Foundation
@testable import LabCLI
import MNISTData
import MNISTNet
import XCTest
@testable import LabFigures
@testable import LabReport
@testable import LabSupport
@testable import Labs

final class PredictTests: Q2TestCase {
    /// Test digit `index` as a `scale`× upscaled PNG, dark ink on white paper (as a student draws).
    private func writeDigit(_ test: ImageDataset, index: Int, scale: Int = 6, to name: String) throws -> URL {
        let side = 28 * scale
        var pixels = [UInt8](repeating: 255, count: side * side)
        let image = Array(test.image(at: index))
        for y in 0 ..< side { for x in 0 ..< side { pixels[y * side + x] = 255 - image[(y / scale) * 28 + x / scale] } }
        let url = folder.appendingPathComponent(name)
        try PNGImage(width: side, height: side, layout: .gray, pixels: pixels).pngData().write(to: url)
        return url
    }

    private func trainModel() throws -> String {
        let output = try run(["q2-train", "--data-dir", mnist, "--train-limit", "20000", "--lr", "0.03", "--epochs", "1",
                              "--save", "model.npz", "--json", "--out", "figs"])
        XCTAssertEqual(output.status, 0, output.stderr)
        return folder.appendingPathComponent("model.npz").path
    }

    func testPredictsTheLabelsOfRealTestDigits() throws {
        let model = try trainModel()
        let test = try Q2TestData.testSet()
        let indices = [0, 1, 2, 3]
        let files = try indices.map { try writeDigit(test, index: $0, to: "digit\($0).png").lastPathComponent }
        let output = try run(["predict"] + files + ["--load", model, "--json", "--save-input", "seen"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let r = try result(output)
        let images = try XCTUnwrap(r["images"] as? [[String: Any]])
        XCTAssertEqual(images.count, indices.count)
        for (index, image) in zip(indices, images) {
            XCTAssertEqual(image["prediction"] as? Int, Int(test.labels[index]), "test digit \(index): \(image)")
            let p = try XCTUnwrap(image["probabilities"] as? [Double])
            XCTAssertEqual(p.count, 10)
            XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-9)
            XCTAssertEqual(image["inverted"] as? Bool, true, "white paper means dark ink: auto inverts")
            let saved = try XCTUnwrap(image["savedInput"] as? String)
            try PNGCheck.check(URL(fileURLWithPath: saved, relativeTo: folder), width: 28, height: 28, minimumBytesPerPixel: 0.05)
            // What was classified looks like the original MNIST digit.
            let seen = try PNGImage.read(contentsOf: URL(fileURLWithPath: saved, relativeTo: folder), as: .gray)
            let original = Array(test.image(at: index))
            let difference = zip(seen.pixels, original).map { abs(Int($0) - Int($1)) }.reduce(0, +) / 784
            XCTAssertLessThan(difference, 40, "mean |Δpixel| between the prepared and the original digit \(index)")
        }

        let text = try run(["predict", files[0], "--load", model, "--save-input", "zero.png"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("digit0.png: predicted 7 with probability"), text.stdout)
        XCTAssertTrue(text.stdout.contains("  ←"), text.stdout)
        try PNGCheck.check(folder.appendingPathComponent("zero.png"), width: 28, height: 28, minimumBytesPerPixel: 0.05)
    }

    /// Without --load the default model comes from the cache when it is there (no training).
    func testDefaultModelIsReadFromTheCache() throws {
        let model = try trainModel()
        let cache = folder.appendingPathComponent("cache")
        let files = try XCTUnwrap(DatasetLocation(kind: .mnist, explicitFolder: URL(fileURLWithPath: mnist)).locate())
        let identity = try files.trainingDataIdentity()
        let key = ModelCache.Key(settings: ModelCache.settings(network: Q2NetworkSettings(), dataset: .mnist),
                                 trainingDataSHA256: identity)
        let url = ModelCache.url(for: key, environment: ["XDG_CACHE_HOME": cache.path])
        XCTAssertEqual(url.deletingLastPathComponent().path, cache.appendingPathComponent("gdlab").path)
        XCTAssertTrue(url.lastPathComponent.hasPrefix("model-") && url.lastPathComponent.hasSuffix(".npz"))
        var seeded = key
        seeded.settings = ModelCache.settings(network: Q2NetworkSettings(seed: 1), dataset: .mnist)
        XCTAssertNotEqual(url, ModelCache.url(for: seeded, environment: ["XDG_CACHE_HOME": cache.path]), "the seed is part of the key")
        var otherData = key
        otherData.trainingDataSHA256 = String(repeating: "0", count: 64)
        XCTAssertNotEqual(url, ModelCache.url(for: otherData, environment: ["XDG_CACHE_HOME": cache.path]), "the data is part of the key")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: model), to: url)
        let file = try writeDigit(try Q2TestData.testSet(), index: 0, to: "seven.png")
        let output = try run(["predict", file.path, "--data-dir", mnist])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertFalse(output.stderr.contains("training"), output.stderr)
        XCTAssertTrue(output.stdout.contains("cached at \(url.path)"), output.stdout)
        XCTAssertTrue(output.stdout.contains("predicted 7"), output.stdout)
    }

    /// HEAVY: without --load and with an empty cache, the default model is trained once (3 epochs
    /// on 60,000), cached atomically, and reused by the next run.
    func testDefaultModelIsTrainedOnceThenReused() throws {
        #if DEBUG
        if ProcessInfo.processInfo.environment["GDLAB_HEAVY_TESTS"] != "1" {
            throw XCTSkip("heavy: runs with `swift test -c release`, or set GDLAB_HEAVY_TESTS=1")
        }
        #endif
        let file = try writeDigit(try Q2TestData.testSet(), index: 1, to: "two.png")
        let first = try run(["predict", file.path, "--data-dir", mnist], timeout: 1800)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("training the default MNIST model once"), first.stderr)
        XCTAssertTrue(first.stdout.contains("trained now and cached at"), first.stdout)
        XCTAssertTrue(first.stdout.contains("predicted 2"), first.stdout)
        let cached = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("cache/gdlab").path)
        XCTAssertEqual(cached.filter { $0.hasPrefix("model-") && $0.hasSuffix(".npz") }.count, 1, "\(cached)")
        let second = try run(["predict", file.path, "--data-dir", mnist])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.stderr, "", "the cached model is reused without training")
        XCTAssertTrue(second.stdout.contains("predicted 2"), second.stdout)
    }

    /// Each hostile input: one line, exit 1, before any model is trained.
    func testHostileFilesAreOneLineEach() throws {
        let garbage = folder.appendingPathComponent("garbage.png")
        try Data((0 ..< 4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: garbage)
        let huge = folder.appendingPathComponent("huge.png")
        try hugeHeader().write(to: huge)
        let blank = folder.appendingPathComponent("blank.png")
        try PNGImage(width: 40, height: 40, layout: .gray, pixels: [UInt8](repeating: 255, count: 1600)).pngData().write(to: blank)
        let cases: [(String, String)] = [
            (folder.appendingPathComponent("missing.png").path, "missing.png"),
            (folder.path, folder.lastPathComponent),
            (garbage.path, "garbage.png"),
            (huge.path, "huge.png"),
            (blank.path, "no digit found"),
        ]
        for (path, text) in cases {
            let output = try run(["predict", path, "--data-dir", mnist], timeout: 60)
            assertOneLineFailure(output, status: 1, containing: text)
            XCTAssertFalse(output.stderr.contains("training"))
        }
        let bad = try run(["predict"])
        XCTAssertEqual(bad.status, 64, bad.stderr)
        let clash = try run(["predict", "a.png", "b.png", "--save-input", "one.png"])
        assertOneLineFailure(clash, status: 64, containing: "--save-input")
    }

    /// A PNG signature and a valid IHDR chunk declaring 100000×100000 pixels, then nothing.
    private func hugeHeader() -> Data {
        var chunk: [UInt8] = Array("IHDR".utf8)
        for value in [100_000, 100_000] {
            chunk += [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        }
        chunk += [8, 0, 0, 0, 0]
        let crc = PNGCheck.crc32(chunk)
        let bytes = PNGCheck.signature + [0, 0, 0, 13] + chunk
            + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        return Data(bytes)
    }
}
