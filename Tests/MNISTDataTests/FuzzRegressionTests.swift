// Hostile files for Question 2's readers (IDX, gzip, .npz), one table: each case gives the exact
// line a user sees and stays within a memory budget measured on this process's peak RSS. Inputs
// the fuzzers (Fuzz/run.sh) once found troublesome are kept here as regression cases.

import Foundation
import MNISTData
import MNISTNet
import TestSupport
import XCTest

final class FuzzRegressionTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("gdlab-hostile-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// The most a hostile input may make a reader allocate beyond what the process already holds.
    /// The readers' caps: IDX/gzip content ≤ 256 MB (`IDX.maximumDecompressedBytes`), .npz
    /// arrays ≤ 64 MB (`NPZ.maximumUncompressedBytes`); every case here is refused long before.
    static let memoryBudget = 300 << 20

    // MARK: - The table

    func testHostileDataFilesGiveTheirExactErrorWithinTheMemoryBudget() throws {
        XCTAssertEqual(IDX.maximumDecompressedBytes, 256 << 20, "the budget above assumes this cap")
        XCTAssertEqual(NPZ.maximumUncompressedBytes, 64 << 20, "the budget above assumes this cap")

        let directory = folder.appendingPathComponent("a-folder.gz")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let missing = folder.appendingPathComponent("missing-images.gz")
        let labels = try file("labels.idx", Self.idx([0x801, 2]) + [1, 2])
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8))
        let gzipBomb = Self.gzipOfZeros(byteCount: 300 << 20)
        let npzBomb = try Self.npzBomb()
        XCTAssertLessThan(gzipBomb.count, 2_500_000, "a bomb is small on disk")

        let suffix = "; the file is corrupt or not a 10-class dataset — download it again"
        let cases: [(name: String, run: () throws -> Void, expected: String)] = [
            ("IDX with an absurd image count",
             { _ = try IDX.parseImages(Data(Self.idx([0x803, 0xFFFF_FFFF, 28, 28])), source: "absurd.idx") },
             "'absurd.idx' declares the image count = 4294967295, outside 1…10000000; the header is corrupt — download the file again"),
            ("IDX announcing 10 million 4096×4096 images in 16 bytes",
             { _ = try IDX.parseImages(Data(Self.idx([0x803, 10_000_000, 4096, 4096])), source: "huge.idx") },
             "'huge.idx' is cut short: the header announces 167772160000016 bytes but the file has 16; download it again"),
            ("IDX labels with an absurd count",
             { _ = try IDX.parseLabels(Data(Self.idx([0x801, 0xFFFF_FFFF])), source: "labels.idx") },
             "'labels.idx' declares the label count = 4294967295, outside 1…10000000; the header is corrupt — download the file again"),
            ("IDX label out of range",
             { _ = try IDX.parseLabels(Data(Self.idx([0x801, 3]) + [1, 2, 10]), source: "l.idx") },
             "'l.idx': label 10 at index 2 is not a class index 0…9" + suffix),
            ("gzip bomb: 2 MB inflating to 300 MB",
             { _ = try IDX.parseImages(gzipBomb, source: "bomb.gz") },
             "'bomb.gz' is not a valid gzip file (it decompresses to more than 268435456 bytes); delete it and download it again"),
            ("gzip cut short",
             { _ = try IDX.parseImages(Self.gzipOfZeros(byteCount: 100_000).prefix(50), source: "cut.gz") },
             "'cut.gz' is not a valid gzip file (the file is cut short); delete it and download it again"),
            ("a PNG given as IDX images",
             { _ = try IDX.parseImages(png, source: "digit.png") },
             "'digit.png' starts with 0x89504E47, not the IDX images magic 0x00000803; it is not an IDX images file — download it again"),
            ("a directory as the images file",
             { _ = try ImageDataset.load(images: directory, labels: labels) },
             "cannot read '\(directory.path)': it is a folder; check the path (or pass --data-dir)"),
            ("a missing images file",
             { _ = try ImageDataset.load(images: missing, labels: labels) },
             "cannot read '\(missing.path)': no such file; check the path (or pass --data-dir)"),

            (".npz whose shapes do not chain",
             { _ = try NPZ.decode(Self.npz([("w1", [3, 4]), ("b1", [4]), ("w2", [5, 2]), ("b2", [2])])) },
             "the .npz does not describe a network: w1 has 4 outputs but w2 has shape (5, 2); its first dimension must be 4"),
            (".npz whose bias does not match its weights",
             { _ = try NPZ.decode(Self.npz([("w1", [3, 4]), ("b1", [3]), ("w2", [4, 2]), ("b2", [2])])) },
             "the .npz does not describe a network: w1 has shape (3, 4) so b1 must have shape (4,), but it has (3,)"),
            (".npz with a weight matrix of rank 3",
             { _ = try NPZ.decode(Self.npz([("w1", [3, 4, 1]), ("b1", [4]), ("w2", [4, 2]), ("b2", [2])])) },
             "array 'w1' in the .npz: it has 3 dimensions (3, 4, 1), expected 2: (n_in, n_out); save the weights again with float64 arrays (numpy.savez)"),
            (".npz ZIP bomb declaring its size",
             { _ = try NPZ.decode(npzBomb) },
             "the weights file is too large (the arrays add up to more than 64 MB); it is not a gdlab network — pass a file written by `lab q2-train --save`"),
            (".npz ZIP bomb declaring 800 bytes",
             { _ = try NPZ.decode(Self.lyingAboutFirstSize(npzBomb)) },
             "the weights file is too large (array 'w1' inflates beyond 64 MB); it is not a gdlab network — pass a file written by `lab q2-train --save`"),
            (".npz that is a PNG",
             { _ = try NPZ.decode(png + Data(count: 20)) },
             "not a NumPy .npz file (it does not start with a ZIP signature); pass a file written by `lab q2-train --save` or numpy.savez"),
            (".npz path that is a directory",
             { _ = try NPZ.decode(contentsOf: directory) },
             "not a NumPy .npz file ('\(directory.path)' is a folder); pass a file written by `lab q2-train --save` or numpy.savez"),
            (".npz path that is missing",
             { _ = try NPZ.decode(contentsOf: missing) },
             "cannot read '\(missing.path)': no such file; check the path and that the file is readable (ls -l)"),
        ]

        for (name, run, expected) in cases {
            var message: String?
            let started = Date()
            let growth = try PeakMemory.growth {
                do { try run() } catch { message = "\(error)" }
            }
            print("hostile: \(name): peak RSS +\(growth >> 20) MB, \(Int(Date().timeIntervalSince(started) * 1000)) ms")
            XCTAssertEqual(message, expected, name)
            XCTAssertFalse(message?.contains("\n") ?? false, "\(name): one line")
            XCTAssertLessThan(growth, Self.memoryBudget, "\(name) grew the peak RSS by \(growth >> 20) MB")
        }
    }

    // MARK: - Builders

    private func file(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// An IDX header: big-endian 32-bit words.
    static func idx(_ words: [UInt32]) -> [UInt8] {
        words.flatMap { w in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: w >> $0) } }
    }

    /// A gzip member of `byteCount` zeros, deflated by hand with the fixed Huffman code: one
    /// literal 0, then "copy 258 bytes from distance 1" (13 bits each) until the count is reached,
    /// then end of block. The CRC and size trailer are zeros (a reader stops at the size cap first).
    static func gzipOfZeros(byteCount: Int) -> Data {
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
        var buffer: UInt32 = 0, bits = 0
        func put(_ value: UInt32, _ count: Int) {  // LSB-first, as deflate packs bits
            buffer |= value << bits
            bits += count
            while bits >= 8 { out.append(UInt8(buffer & 0xFF)); buffer >>= 8; bits -= 8 }
        }
        /// A Huffman code goes in most-significant bit first.
        func code(_ value: UInt32, _ count: Int) {
            for i in (0 ..< count).reversed() { put((value >> i) & 1, 1) }
        }
        put(1, 1)  // BFINAL
        put(1, 2)  // BTYPE = 01, fixed Huffman
        code(0x30, 8)  // literal 0
        var produced = 1
        while produced + 258 <= byteCount {
            // Length symbol 285 (= 258, code 11000101) then distance symbol 0 (= 1, code 00000),
            // both reversed into deflate's bit order in one go.
            put(0b1010_0011, 13)
            produced += 258
        }
        code(0, 7)  // end of block (256)
        if bits > 0 { out.append(UInt8(buffer & 0xFF)) }
        return Data(out + [UInt8](repeating: 0, count: 8))
    }

    /// One .npy (version 1.0, '<f8') of the given shape, filled with 0.5.
    static func npy(shape: [Int], payloadBytes: Int? = nil) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shapeText), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        let count = shape.reduce(1, *)
        if let payloadBytes {
            data.append(Data(count: payloadBytes))
        } else {
            for _ in 0 ..< count { withUnsafeBytes(of: (0.5).bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        }
        return data
    }

    static func npz(_ arrays: [(String, [Int])]) throws -> Data {
        try ZipArchives.make(arrays.map { ($0.0 + ".npy", npy(shape: $0.1)) }, compressed: false)
    }

    /// w1 holds 72 MB of zeros (over the 64 MB cap), deflated to about 70 kB.
    static func npzBomb() throws -> Data {
        let members = [("w1.npy", npy(shape: [9_000_000], payloadBytes: 72_000_000)),
                       ("b1.npy", npy(shape: [1])), ("w2.npy", npy(shape: [1, 1])), ("b2.npy", npy(shape: [1]))]
        return try ZipArchives.make(members, compressed: true)
    }

    /// `archive` with the first member's uncompressed size claimed to be 800 bytes in its local
    /// header and central entry, so only the cap while inflating can stop a bomb.
    static func lyingAboutFirstSize(_ archive: Data) -> Data {
        var data = archive
        // The first local header (PK\3\4, size at +22) and central entry (PK\1\2, size at +24) are w1's.
        let bytes = [UInt8](data)
        func first(_ signature: [UInt8]) -> Int {
            (0 ..< bytes.count - 4).first { bytes[$0 ..< $0 + 4].elementsEqual(signature) }!
        }
        let small: [UInt8] = [0x20, 0x03, 0, 0]  // 800, little-endian
        let local = first([0x50, 0x4B, 3, 4]), central = first([0x50, 0x4B, 1, 2])
        data.replaceSubrange(local + 22 ..< local + 26, with: small)
        data.replaceSubrange(central + 24 ..< central + 28, with: small)
        return data
    }
}
