// Weights as .npz: exact round trip, numpy.load reads the file, and hostile or wrong files are
// rejected with a message (no crash, no huge allocation).

import Foundation
import MNISTData
import MNISTNet
import XCTest
import ZIPFoundation

final class NPZTests: XCTestCase {
    func testRoundTripIsExact() throws {
        let net = try MLP(layerSizes: [784, 32, 16, 10], seed: 42)
        let data = try NPZ.encode(net)
        let back = try NPZ.decode(data)
        XCTAssertEqual(back.layerSizes, net.layerSizes)
        for l in net.layers.indices {
            XCTAssertEqual(back.layers[l].weights.map(\.bitPattern), net.layers[l].weights.map(\.bitPattern))
            XCTAssertEqual(back.layers[l].biases.map(\.bitPattern), net.layers[l].biases.map(\.bitPattern))
        }
        // Deterministic bytes... except ZIP timestamps; the arrays' content is what matters.
        XCTAssertEqual(try NPZ.decode(NPZ.encode(back)), net)
    }

    func testNPYHeaderIsAlignedVersionOne() throws {
        let data = try NPZ.encode(try MLP(layerSizes: [4, 3, 2]))
        let archive = try Archive(data: data, accessMode: .read)
        XCTAssertEqual(archive.map(\.path).sorted(), ["b1.npy", "b2.npy", "w1.npy", "w2.npy"])
        var w1 = Data()
        _ = try archive.extract(archive["w1.npy"]!) { w1.append($0) }
        XCTAssertEqual(Array(w1.prefix(8)), [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(w1[8]) | Int(w1[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        let header = String(decoding: w1[10 ..< 10 + headerLength], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 3), }"), header)
        XCTAssertTrue(header.hasSuffix("\n"))
        XCTAssertEqual(w1.count, 10 + headerLength + 8 * 12)
    }

    /// numpy.load reads the file: names, shapes, dtype and values (when python3 with numpy is
    /// installed; the README lists numpy as optional, for this check and the benchmark only).
    func testNumpyLoadsTheFile() throws {
        try requireNumpy()
        let net = try MLP(seed: 80085)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gdlab-npz-\(getpid()).npz")
        try NPZ.encode(net).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let script = """
            import numpy, sys
            z = numpy.load(sys.argv[1])
            print(sorted(z.files))
            for k in ['w1', 'b1', 'w2', 'b2', 'w3', 'b3']:
                print(k, z[k].dtype, z[k].shape)
            print(repr(float(z['w1'][0, 0])), repr(float(z['w1'][783, 31])), repr(float(z['w3'][5, 7])))
            """
        let (status, output) = try runPython(script, url.path)
        XCTAssertEqual(status, 0)
        let w = net.layers
        let expected = """
            ['b1', 'b2', 'b3', 'w1', 'w2', 'w3']
            w1 float64 (784, 32)
            b1 float64 (32,)
            w2 float64 (32, 32)
            b2 float64 (32,)
            w3 float64 (32, 10)
            b3 float64 (10,)
            \(w[0].weights[0]) \(w[0].weights[783 * 32 + 31]) \(w[2].weights[5 * 10 + 7])

            """
        XCTAssertEqual(output, expected)
    }

    /// Files written by numpy itself (savez: stored, with ZIP64 extras; savez_compressed:
    /// deflate) decode to the same values.
    func testReadsFilesWrittenByNumpy() throws {
        try requireNumpy()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gdlab-npz-numpy-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = """
            import numpy, sys
            r = numpy.arange(784 * 4, dtype=float).reshape(784, 4) / 7
            a = dict(w1=r, b1=numpy.ones(4), w2=numpy.full((4, 10), -0.5), b2=numpy.zeros(10))
            numpy.savez(sys.argv[1] + '/plain.npz', **a)
            numpy.savez_compressed(sys.argv[1] + '/compressed.npz', **a)
            """
        XCTAssertEqual(try runPython(script, folder.path).status, 0)
        for name in ["plain.npz", "compressed.npz"] {
            let net = try NPZ.decode(contentsOf: folder.appendingPathComponent(name))
            XCTAssertEqual(net.layerSizes, [784, 4, 10], name)
            XCTAssertEqual(net.layers[0].weights[783 * 4 + 3], Double(784 * 4 - 1) / 7, name)
            XCTAssertEqual(net.layers[0].biases, [1, 1, 1, 1], name)
            XCTAssertEqual(net.layers[1].weights, [Double](repeating: -0.5, count: 40), name)
        }
    }

    func requireNumpy() throws {
        let result: (status: Int32, output: String)
        do { result = try runPython("import numpy") } catch { throw XCTSkip("python3 is not installed") }
        guard result.status == 0 else { throw XCTSkip("numpy is not installed") }
    }

    func runPython(_ script: String, _ arguments: String...) throws -> (status: Int32, output: String) {
        let run = Process()
        run.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        run.arguments = ["python3", "-c", script] + arguments
        let pipe = Pipe()
        run.standardOutput = pipe
        run.standardError = FileHandle.nullDevice
        try run.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        run.waitUntilExit()
        return (run.terminationStatus, output)
    }

    // MARK: Bad files

    /// An .npz built from raw .npy payloads, for corruption tests.
    func archive(_ members: [(String, Data)], compressed: Bool = false) throws -> Data {
        try ZipArchives.make(members, compressed: compressed)
    }

    func npy(descr: String = "<f8", fortran: String = "False", shape: String, payloadBytes: Int) -> Data {
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(count: payloadBytes))
        return data
    }

    func validMembers(sizes: [Int]) -> [(String, Data)] {
        var members: [(String, Data)] = []
        for l in 1 ..< sizes.count {
            members.append(("w\(l).npy", npy(shape: "(\(sizes[l - 1]), \(sizes[l]))", payloadBytes: 8 * sizes[l - 1] * sizes[l])))
            members.append(("b\(l).npy", npy(shape: "(\(sizes[l]),)", payloadBytes: 8 * sizes[l])))
        }
        return members
    }

    func assertRejected(_ data: Data, mentioning text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try NPZ.decode(data), file: file, line: line) { error in
            XCTAssertTrue(error is NPZError, "\(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(text), "'\(error)' should mention '\(text)'", file: file, line: line)
        }
    }

    func testHandMadeValidFileLoads() throws {
        let net = try NPZ.decode(archive(validMembers(sizes: [5, 4, 3])))
        XCTAssertEqual(net.layerSizes, [5, 4, 3])
        // numpy.savez_compressed (deflate) is accepted too.
        XCTAssertEqual(try NPZ.decode(archive(validMembers(sizes: [5, 4, 3]), compressed: true)).layerSizes, [5, 4, 3])
    }

    func testShapesThatDoNotChainAreExplained() throws {
        var members = validMembers(sizes: [5, 4, 3])
        members[2] = ("w2.npy", npy(shape: "(7, 3)", payloadBytes: 8 * 21))
        assertRejected(try archive(members), mentioning: "w1 has 4 outputs but w2 has shape (7, 3)")
        members = validMembers(sizes: [5, 4, 3])
        members[1] = ("b1.npy", npy(shape: "(5,)", payloadBytes: 40))
        assertRejected(try archive(members), mentioning: "b1 must have shape (4,), but it has (5,)")
        members = validMembers(sizes: [5, 4, 3])
        members[0] = ("w1.npy", npy(shape: "(20,)", payloadBytes: 160))
        assertRejected(try archive(members), mentioning: "it has 1 dimensions (20,), expected 2")
    }

    func testMissingOrExtraArraysAreExplained() throws {
        assertRejected(try archive(Array(validMembers(sizes: [5, 4, 3]).dropLast())), mentioning: "expected arrays w1, b1")
        assertRejected(try archive(validMembers(sizes: [5, 4, 3]) + [("extra.npy", npy(shape: "(1,)", payloadBytes: 8))]),
                       mentioning: "extra")
        assertRejected(try archive(Array(validMembers(sizes: [5, 3]))), mentioning: "at least one hidden layer")
    }

    func testWrongDtypeOrderOrSizeIsExplained() throws {
        var members = validMembers(sizes: [5, 4, 3])
        members[0] = ("w1.npy", npy(descr: "<f4", shape: "(5, 4)", payloadBytes: 80))
        assertRejected(try archive(members), mentioning: "'<f4', not float64")
        members[0] = ("w1.npy", npy(fortran: "True", shape: "(5, 4)", payloadBytes: 160))
        assertRejected(try archive(members), mentioning: "fortran_order must be False")
        members[0] = ("w1.npy", npy(shape: "(5, 4)", payloadBytes: 159))
        assertRejected(try archive(members), mentioning: "needs 160 bytes of data but there are 159")
        members[0] = ("w1.npy", npy(shape: "(5, 4", payloadBytes: 160))
        assertRejected(try archive(members), mentioning: "malformed header")
        members[0] = ("w1.npy", Data("not numpy at all".utf8))
        assertRejected(try archive(members), mentioning: "magic")
    }

    func testNonFiniteWeightsAreRejected() throws {
        var members = validMembers(sizes: [5, 4, 3])
        var w1 = npy(shape: "(5, 4)", payloadBytes: 160)
        let nan = Double.nan.bitPattern.littleEndian
        w1.replaceSubrange((w1.count - 8) ..< w1.count, with: withUnsafeBytes(of: nan, Array.init))
        members[0] = ("w1.npy", w1)
        assertRejected(try archive(members), mentioning: "diverged")
    }

    func testHugeDeclaredShapesDoNotAllocate() throws {
        var members = validMembers(sizes: [5, 4, 3])
        members[0] = ("w1.npy", npy(shape: "(999999999, 999999999)", payloadBytes: 16))
        assertRejected(try archive(members), mentioning: "too large")
        members[0] = ("w1.npy", npy(shape: "(99999999999999999999, 4)", payloadBytes: 16))
        assertRejected(try archive(members), mentioning: "malformed header")
    }

    /// A ZIP bomb: 100 MB of zeros deflate to about 100 kB; decoding stops at the 64 MB cap.
    func testZipBombIsStoppedBeforeInflating() throws {
        let bomb = npy(shape: "(12500000,)", payloadBytes: 100_000_000)
        let data = try archive([("w1.npy", bomb), ("b1.npy", npy(shape: "(1,)", payloadBytes: 8)),
                                ("w2.npy", npy(shape: "(1, 1)", payloadBytes: 8)), ("b2.npy", npy(shape: "(1,)", payloadBytes: 8))],
                               compressed: true)
        XCTAssertLessThan(data.count, 1_000_000)
        assertRejected(data, mentioning: "too large")
    }

    func testGarbageIsNotAnArchive() throws {
        assertRejected(Data(), mentioning: "ZIP")
        assertRejected(Data("PK this is not a zip file at all, just text".utf8), mentioning: "not a NumPy .npz")
        // Every truncation of a real file is rejected without a crash.
        let good = try NPZ.encode(try MLP(layerSizes: [3, 2, 2]))
        for length in stride(from: 0, to: good.count, by: 7) {
            XCTAssertThrowsError(try NPZ.decode(good.prefix(length)))
        }
        // Single-byte corruptions: accepted (a changed weight) or rejected, never a crash.
        for position in good.indices {
            for value: UInt8 in [0x00, 0xFF, good[position] ^ 0x5A] {
                var bad = good
                bad[position] = value
                do { _ = try NPZ.decode(bad) } catch { XCTAssertTrue(error is NPZError, "\(error)") }
            }
        }
        XCTAssertThrowsError(try NPZ.decode(contentsOf: URL(fileURLWithPath: "/nonexistent/w.npz")))
    }
}
