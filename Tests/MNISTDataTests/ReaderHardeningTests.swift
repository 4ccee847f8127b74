// Reader cases from issue 10 ("Hardening, round 2"): a damaged gzip whose trailer announces a
// large content must cost what its real content costs, ZIP members gdlab cannot inflate are
// named with their method, and the .npz hints fit the problem (Fortran order, non-finite values).

import CLibZ
import Foundation
@testable import MNISTData
@testable import MNISTNet
import TestSupport
import XCTest

final class ReaderHardeningTests: XCTestCase {
    /// `FuzzRegressionTests.gzipOfZeros` with a true trailer: CRC-32 and ISIZE of the content.
    /// (The helper writes 1 + 258·k zeros, the most of that form up to `byteCount`.)
    static func gzipOfZerosWithTrailer(byteCount: Int) -> Data {
        var data = FuzzRegressionTests.gzipOfZeros(byteCount: byteCount)
        let count = 1 + (byteCount - 1) / 258 * 258
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        var crc: uLong = 0
        var left = count
        while left > 0 {
            let n = min(left, zeros.count)
            crc = zeros.withUnsafeBufferPointer { CLibZ.crc32(crc, $0.baseAddress, uInt(n)) }
            left -= n
        }
        let trailer = [UInt32(crc), UInt32(truncatingIfNeeded: count)]
        data.removeLast(8)
        for word in trailer { for shift in stride(from: 0, to: 32, by: 8) { data.append(UInt8(truncatingIfNeeded: word >> shift)) } }
        return data
    }

    /// 300 MB of zeros as gzip (about 300 kB): a bomb past the 256 MB limit, its trailer
    /// announcing 300 MB. Before, the buffer was sized and zero-filled from the trailer (292 MB
    /// peak for such a file); now the size is learnt by inflating into 64 kB first.
    func testOversizedGzipIsRefusedWithoutAllocatingWhatItsTrailerAnnounces() throws {
        let bomb = Self.gzipOfZerosWithTrailer(byteCount: 300 << 20)
        for libdeflate in [true, false] {
            var thrown: Error?
            let growth = try PeakMemory.growth {
                do { _ = try Gzip.decompressedBytes(bomb, limit: 256 << 20, libdeflate: libdeflate) } catch { thrown = error }
            }
            XCTAssertEqual(thrown as? GzipError, .tooLarge(limit: 256 << 20), "libdeflate: \(libdeflate)")
            // 16 MB: the scratch buffer, zlib's window and the test's own noise.
            XCTAssertLessThan(growth, 16 << 20, "libdeflate: \(libdeflate): peak RSS grew by \(growth >> 20) MB")
        }
    }

    /// A damaged stream (one byte flipped near its end) whose content would be 40 MB.
    func testDamagedGzipIsRefusedWithoutHoldingItsContent() throws {
        var damaged = Self.gzipOfZerosWithTrailer(byteCount: 40 << 20)
        damaged[damaged.count - 12] ^= 0xFF
        var thrown: Error?
        let growth = try PeakMemory.growth {
            do { _ = try Gzip.decompressedBytes(damaged, libdeflate: false) } catch { thrown = error }
        }
        XCTAssertNotNil(thrown as? GzipError)
        XCTAssertLessThan(growth, 16 << 20, "peak RSS grew by \(growth >> 20) MB")
    }

    func testGoodGzipStillRoundTripsThroughBothPaths() throws {
        let gzip = Self.gzipOfZerosWithTrailer(byteCount: 3_000_000)
        for libdeflate in [true, false] {
            let content = try Gzip.decompressedBytes(gzip, libdeflate: libdeflate)
            XCTAssertEqual(content.count, 1 + 2_999_999 / 258 * 258, "libdeflate: \(libdeflate)")
            XCTAssertTrue(content.allSatisfy { $0 == 0 }, "libdeflate: \(libdeflate)")
        }
    }

    // MARK: - .npz members and hints

    // NPZTests' helpers (archive, npy, validMembers, assertRejected), borrowed from an instance.
    private let tests = NPZTests(name: "helpers", testClosure: { _ in })

    /// `archive` with the central-directory entry of its first member patched: compression
    /// method `method`, general-purpose flags `flags`.
    private func patched(method: UInt16, flags: UInt16 = 0) throws -> Data {
        var data = try tests.archive(tests.validMembers(sizes: [5, 4, 3]))
        let signature = Data([0x50, 0x4B, 0x01, 0x02])
        let at = try XCTUnwrap(data.range(of: signature)).lowerBound
        data[at + 8] = UInt8(flags & 0xFF)
        data[at + 9] = UInt8(flags >> 8)
        data[at + 10] = UInt8(method & 0xFF)
        data[at + 11] = UInt8(method >> 8)
        return data
    }

    func testBzip2LZMAAndEncryptedMembersAreNamed() throws {
        for (method, words) in [(UInt16(12), "compressed with bzip2 (ZIP method 12)"), (14, "compressed with LZMA (ZIP method 14)"),
                                (93, "compressed with Zstandard (ZIP method 93)")] {
            tests.assertRejected(try patched(method: method), mentioning: "array 'w1' in the .npz is \(words), which gdlab does not read")
        }
        tests.assertRejected(try patched(method: 0, flags: 1), mentioning: "array 'w1' in the .npz is encrypted")
        tests.assertRejected(try patched(method: 0, flags: 1), mentioning: "no password")
    }

    func testFortranOrderHintSaysAscontiguousarray() throws {
        var members = tests.validMembers(sizes: [5, 4, 3])
        members[0] = ("w1.npy", tests.npy(fortran: "True", shape: "(5, 4)", payloadBytes: 160))
        let message = "\(try XCTUnwrap(decodeError(try tests.archive(members))))"
        XCTAssertTrue(message.contains("numpy.ascontiguousarray"), message)
        XCTAssertFalse(message.contains("float64 arrays"), message)
    }

    func testNonFiniteWeightHintSaysTrainAgainNotFloat64() throws {
        var network = try MLP(layerSizes: [5, 4, 3])
        network.layers[0] = DenseLayer(inputCount: 5, outputCount: 4,
                                       weights: [.nan] + Array(repeating: 0.5, count: 19), biases: network.layers[0].biases)
        let message = "\(try XCTUnwrap(decodeError(try NPZ.encode(network))))"
        XCTAssertTrue(message.contains("diverged run") && message.contains("train again"), message)
        XCTAssertFalse(message.contains("float64"), message)
    }

    private func decodeError(_ data: Data) -> Error? {
        do { _ = try NPZ.decode(data); return nil } catch { return error }
    }
}
