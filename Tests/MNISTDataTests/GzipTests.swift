// Gzip: real MNIST files decompress to their documented sizes; damaged input is rejected.

import Foundation
@testable import MNISTData
@testable import MNISTNet
import TestSupport
import XCTest

final class GzipTests: XCTestCase {
    func testDecompressesRealMNISTLabels() throws {
        let url = try RealMNIST.file("t10k-labels-idx1-ubyte.gz")
        let content = try Gzip.decompress(Data(contentsOf: url))
        XCTAssertEqual(content.count, 10_008)
        XCTAssertEqual(Array(content.prefix(4)), [0, 0, 8, 1], "IDX label magic")
        XCTAssertEqual(content[8], 7, "the first test label is 7")
    }

    func testTruncatedStreamIsRejected() throws {
        let url = try RealMNIST.file("t10k-labels-idx1-ubyte.gz")
        let compressed = try Data(contentsOf: url)
        XCTAssertThrowsError(try Gzip.decompress(compressed.prefix(compressed.count / 2))) { error in
            XCTAssertEqual(error as? GzipError, .corrupt("the file is cut short"))
        }
    }

    func testGarbageIsRejected() {
        XCTAssertThrowsError(try Gzip.decompress(Data([0x1F, 0x8B, 0x08, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9])))
        XCTAssertThrowsError(try Gzip.decompress(Data("hello, not gzip".utf8)))
        XCTAssertThrowsError(try Gzip.decompress(Data()))
    }

    func testOutputLimitStopsABomb() throws {
        let url = try RealMNIST.file("t10k-labels-idx1-ubyte.gz")
        XCTAssertThrowsError(try Gzip.decompress(Data(contentsOf: url), limit: 1000)) { error in
            XCTAssertEqual(error as? GzipError, .tooLarge(limit: 1000))
        }
    }

    func testMagicDetection() {
        XCTAssertTrue(Gzip.isCompressed(Data([0x1F, 0x8B, 0])))
        XCTAssertFalse(Gzip.isCompressed(Data([0, 0, 8, 3])))
    }

    /// The libdeflate path and the zlib path give the
    /// same bytes for every MNIST file, and the same bytes or the same error for damaged,
    /// multi-member and padded copies, which libdeflate declines and zlib judges.
    func testLibDeflateAndZlibAgree() throws {
        for name in ["t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"] {
            let data = try Data(contentsOf: try RealMNIST.file(name))
            XCTAssertEqual(try Gzip.decompressedBytes(data), try Gzip.decompressedBytes(data, libdeflate: false), name)
            XCTAssertNotNil(LibDeflate.decompress(data, capacity: 1 << 24), "libdeflate takes \(name)")
        }
        let labels = try Data(contentsOf: try RealMNIST.file("t10k-labels-idx1-ubyte.gz"))
        var variants: [(String, Data)] = [
            ("cut short", labels.prefix(labels.count - 3)),
            ("two members", labels + labels),
            ("trailing bytes", labels + Data([1, 2, 3])),
            ("short announced size", labels.prefix(labels.count - 4) + Data([0x10, 0, 0, 0])),
        ]
        for offset in [20, labels.count / 2, labels.count - 8, labels.count - 2] {  // data, CRC-32, length
            var damaged = labels
            damaged[offset] ^= 0x5A
            variants.append(("byte \(offset) flipped", damaged))
        }
        for (label, data) in variants {
            let fast = Result { try Gzip.decompressedBytes(data) }
            let zlib = Result { try Gzip.decompressedBytes(data, libdeflate: false) }
            switch (fast, zlib) {
            case let (.success(a), .success(b)): XCTAssertEqual(a, b, label)
            case let (.failure(a), .failure(b)): XCTAssertEqual(a as? GzipError, b as? GzipError, label)
            default: XCTFail("\(label): the two paths disagree: \(fast) vs \(zlib)")
            }
        }
        XCTAssertEqual(try Gzip.decompressedBytes(labels + labels).count, 2 * 10_008, "members are joined")
    }
}
