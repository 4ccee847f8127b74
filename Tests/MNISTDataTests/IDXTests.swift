// IDX reading: tiny files made here, and every kind of damage a download or a user can cause;
// plus the real MNIST test set.

import Foundation
import MNISTData
import MNISTNet
import TestSupport
import XCTest

final class IDXTests: XCTestCase {
    /// An IDX images file: magic 0x00000803, count, rows, columns (big-endian), then pixels.
    static func imagesFile(count: UInt32, rows: UInt32, columns: UInt32, pixels: [UInt8]) -> Data {
        var data = Data([0, 0, 8, 3])
        for v in [count, rows, columns] { data.append(contentsOf: withUnsafeBytes(of: v.bigEndian, Array.init)) }
        data.append(contentsOf: pixels)
        return data
    }

    /// An IDX labels file: magic 0x00000801, count, then labels.
    static func labelsFile(count: UInt32, labels: [UInt8]) -> Data {
        var data = Data([0, 0, 8, 1])
        data.append(contentsOf: withUnsafeBytes(of: count.bigEndian, Array.init))
        data.append(contentsOf: labels)
        return data
    }

    let pixels: [UInt8] = Array(0 ..< 12)  // 2 images of 2×3
    var images: Data { Self.imagesFile(count: 2, rows: 2, columns: 3, pixels: pixels) }
    var labels: Data { Self.labelsFile(count: 2, labels: [7, 0]) }

    func testParsesATinyDataset() throws {
        let set = try ImageDataset.parse(images: images, labels: labels)
        XCTAssertEqual(set.count, 2)
        XCTAssertEqual(set.rows, 2)
        XCTAssertEqual(set.columns, 3)
        XCTAssertEqual(set.pixels, pixels)
        XCTAssertEqual(set.labels, [7, 0])
        XCTAssertEqual(Array(set.image(at: 1)), Array(6 ..< 12))
    }

    func testReadsGzipAndPlainFilesFromDisk() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gdlab-idx-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let imagesURL = folder.appendingPathComponent("images")
        let labelsURL = folder.appendingPathComponent("labels")
        try images.write(to: imagesURL)
        try labels.write(to: labelsURL)
        // gzip through the system's gzip so the compressed path is exercised independently.
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c \"$0\" > \"$0.gz\"", labelsURL.path]
        try gzip.run()
        gzip.waitUntilExit()
        XCTAssertEqual(gzip.terminationStatus, 0)
        let plain = try ImageDataset.load(images: imagesURL, labels: labelsURL)
        let compressed = try ImageDataset.load(images: imagesURL, labels: URL(fileURLWithPath: labelsURL.path + ".gz"))
        XCTAssertEqual(plain.labels, compressed.labels)
        XCTAssertEqual(plain.pixels, compressed.pixels)
    }

    func testMissingFileNamesThePath() {
        let url = URL(fileURLWithPath: "/nonexistent/gdlab/t10k-images-idx3-ubyte.gz")
        XCTAssertThrowsError(try ImageDataset.load(images: url, labels: url)) { error in
            XCTAssertEqual(error as? IDXError, .unreadable(file: url.path, reason: "no such file"))
            XCTAssertTrue("\(error)".contains(url.path))
        }
    }

    func testTruncatedImagesAreRejected() {
        let cut = images.prefix(images.count - 1)
        XCTAssertThrowsError(try IDX.parseImages(cut, source: "x")) { error in
            XCTAssertEqual(error as? IDXError, .truncated(file: "x", expectedBytes: 28, actualBytes: 27))
        }
        // Cut inside the header.
        XCTAssertThrowsError(try IDX.parseImages(images.prefix(10), source: "x")) { error in
            XCTAssertEqual(error as? IDXError, .tooShort(file: "x", bytes: 10, headerBytes: 16))
        }
        XCTAssertThrowsError(try IDX.parseImages(Data(), source: "x")) { error in
            XCTAssertEqual(error as? IDXError, .tooShort(file: "x", bytes: 0, headerBytes: 16))
        }
    }

    func testTruncatedGzipIsRejected() throws {
        let url = try RealMNIST.file("t10k-labels-idx1-ubyte.gz")
        let compressed = try Data(contentsOf: url)
        XCTAssertThrowsError(try IDX.parseLabels(compressed.prefix(compressed.count - 20), source: "x")) { error in
            guard case .badCompression(file: "x", reason: _)? = error as? IDXError else {
                return XCTFail("expected badCompression, got \(error)")
            }
        }
    }

    func testTrailingBytesAreRejected() {
        XCTAssertThrowsError(try IDX.parseImages(images + Data([0]), source: "x")) { error in
            XCTAssertEqual(error as? IDXError, .trailingBytes(file: "x", expectedBytes: 28, actualBytes: 29))
        }
        XCTAssertThrowsError(try IDX.parseLabels(labels + Data([1, 2]), source: "y")) { error in
            XCTAssertEqual(error as? IDXError, .trailingBytes(file: "y", expectedBytes: 10, actualBytes: 12))
        }
    }

    func testWrongMagicIsRejected() {
        var bad = images
        bad[3] = 0x04
        XCTAssertThrowsError(try IDX.parseImages(bad, source: "x")) { error in
            XCTAssertEqual(error as? IDXError, .wrongMagic(file: "x", found: 0x0804, expected: .images))
            XCTAssertTrue("\(error)".contains("0x00000804"), "\(error)")
        }
        XCTAssertThrowsError(try IDX.parseLabels(Data("hello, world".utf8), source: "x"))
    }

    func testSwappedImagesAndLabelsAreExplained() {
        XCTAssertThrowsError(try ImageDataset.parse(images: labels, labels: images)) { error in
            XCTAssertEqual(error as? IDXError, .wrongMagic(file: "<images>", found: 0x0801, expected: .images))
            XCTAssertTrue("\(error)".contains("swapped"), "\(error)")
        }
    }

    func testCountMismatchIsRejected() {
        let oneLabel = Self.labelsFile(count: 1, labels: [3])
        XCTAssertThrowsError(try ImageDataset.parse(images: images, labels: oneLabel)) { error in
            XCTAssertEqual(
                error as? IDXError,
                .countMismatch(imagesFile: "<images>", images: 2, labelsFile: "<labels>", labels: 1))
        }
    }

    func testLabelAboveNineIsRejected() {
        let bad = Self.labelsFile(count: 3, labels: [1, 10, 2])
        XCTAssertThrowsError(try IDX.parseLabels(bad, source: "x")) { error in
            XCTAssertEqual(error as? IDXError, .labelOutOfRange(file: "x", index: 1, label: 10, classCount: 10))
        }
        XCTAssertNoThrow(try IDX.parseLabels(bad, classCount: 11, source: "x"))
    }

    func testAbsurdHeaderCountsAreRejectedWithoutAllocating() {
        // 4 billion images of 65535² pixels, 16 bytes long: must fail on the header, not allocate.
        let huge = Self.imagesFile(count: .max, rows: 65535, columns: 65535, pixels: [])
        XCTAssertThrowsError(try IDX.parseImages(huge, source: "x")) { error in
            XCTAssertEqual(
                error as? IDXError,
                .badDimension(file: "x", name: "the image count", value: .max, limit: IDX.maximumCount))
        }
        // Plausible count and size, but data missing: truncated, found from the header alone.
        let big = Self.imagesFile(count: 9_000_000, rows: 4096, columns: 4096, pixels: [1, 2, 3])
        XCTAssertThrowsError(try IDX.parseImages(big, source: "x")) { error in
            XCTAssertEqual(
                error as? IDXError, .truncated(file: "x", expectedBytes: 16 + 9_000_000 * 4096 * 4096, actualBytes: 19))
        }
        XCTAssertThrowsError(try IDX.parseLabels(Self.labelsFile(count: 0x7FFF_FFFF, labels: [1]), source: "x"))
    }

    func testZeroDimensionsAreRejected() {
        for (count, rows, columns) in [(0, 2, 3), (2, 0, 3), (2, 3, 0)] as [(UInt32, UInt32, UInt32)] {
            let file = Self.imagesFile(count: count, rows: rows, columns: columns, pixels: [])
            XCTAssertThrowsError(try IDX.parseImages(file, source: "x")) { error in
                guard case .badDimension? = error as? IDXError else { return XCTFail("\(error)") }
            }
        }
        XCTAssertThrowsError(try IDX.parseLabels(Self.labelsFile(count: 0, labels: []), source: "x"))
    }

    /// Every single-byte corruption and every truncation of a tiny file is either accepted
    /// (pixel bytes) or rejected with an IDXError — never a crash.
    func testEveryCorruptionOfATinyFileIsHandled() {
        let file = images
        for position in file.indices {
            for value: UInt8 in [0, 1, 0x7F, 0xFF] {
                var bad = file
                bad[position] = value
                do {
                    _ = try IDX.parseImages(bad)
                } catch {
                    XCTAssertTrue(error is IDXError, "\(error)")
                }
            }
            XCTAssertThrowsError(try IDX.parseImages(file.prefix(position)))
        }
    }

    func testRealMNISTTestSet() throws {
        let set = try ImageDataset.load(
            images: RealMNIST.file("t10k-images-idx3-ubyte.gz"),
            labels: RealMNIST.file("t10k-labels-idx1-ubyte.gz"))
        XCTAssertEqual(set.count, 10_000)
        XCTAssertEqual(set.rows, 28)
        XCTAssertEqual(set.columns, 28)
        XCTAssertEqual(Array(set.labels.prefix(5)), [7, 2, 1, 0, 4])
        // The documented class frequencies of the MNIST test set.
        let counts = (0 ... 9).map { c in set.labels.filter { $0 == c }.count }
        XCTAssertEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    }
}
