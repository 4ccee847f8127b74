// Gzip: real MNIST files decompress to their documented sizes; damaged input is rejected.

import Foundation
import MNISTNet
import XCTest

final class GzipTests: XCTestCase {
    func testDecompressesRealMNISTLabels() throws {
        let url = try TestData.mnistFile("t10k-labels-idx1-ubyte.gz")
        let content = try Gzip.decompress(Data(contentsOf: url))
        XCTAssertEqual(content.count, 10_008)
        XCTAssertEqual(Array(content.prefix(4)), [0, 0, 8, 1], "IDX label magic")
        XCTAssertEqual(content[8], 7, "the first test label is 7")
    }

    func testTruncatedStreamIsRejected() throws {
        let url = try TestData.mnistFile("t10k-labels-idx1-ubyte.gz")
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
        let url = try TestData.mnistFile("t10k-labels-idx1-ubyte.gz")
        XCTAssertThrowsError(try Gzip.decompress(Data(contentsOf: url), limit: 1000)) { error in
            XCTAssertEqual(error as? GzipError, .tooLarge(limit: 1000))
        }
    }

    func testMagicDetection() {
        XCTAssertTrue(Gzip.isCompressed(Data([0x1F, 0x8B, 0])))
        XCTAssertFalse(Gzip.isCompressed(Data([0, 0, 8, 3])))
    }
}
