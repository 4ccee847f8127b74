// FigureWriter's concurrent batches, in process: a batch writes the same files, in the same
// recorded order, with the same pixels, as writing the figures one by one; the error thrown is
// the first in batch order however the jobs finish; gnuplot's failures come back per figure from
// `draw`; and `Batch.map` really runs jobs side by side and returns results in job order.
// gnuplot must be installed (as for every figure test).

import Foundation
@testable import LabCLI
@testable import LabSupport
import LabSupport
import TestSupport
import XCTest
@testable import LabFigures
@testable import LabReport
@testable import Labs

final class FigureWriterTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try LabProcess.temporaryFolder("gdlab-figures")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// q1c's three gnuplot figures and q1d's three, with two raster figures drawn from seeded weights.
    private func batch() throws -> (figures: [Figure], rasters: [RasterFigure]) {
        let figures = Q1C.figures(for: try Q1C.compute(.init()), title: "batch")
            + Q1D.figures(for: try Q1D.compute(.init()), title: "batch")
        var generator = SeededGenerator(seed: 0xF16)
        let weights = (0 ..< 784 * 16).map { _ in generator.nextGaussian() }
        let rasters = [
            RasterFigure(name: "tiles", canvas: RasterFigures.weightTiles(weights: weights, units: 16, title: "tiles")),
            RasterFigure(name: "shared", canvas: RasterFigures.weightTiles(weights: weights, units: 16, sharedScale: true)),
        ]
        return (figures, rasters)
    }

    private func names(_ urls: [URL]) -> [String] { urls.map(\.lastPathComponent) }

    private func files(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    func testBatchWritesWhatOneByOneWrites() throws {
        let (figures, rasters) = try batch()
        let single = folder.appendingPathComponent("one-by-one"), together = folder.appendingPathComponent("batch")
        let sequential = try FigureWriter(folder: single)
        for figure in figures { try sequential.write(figure) }
        for raster in rasters { try sequential.write(raster) }
        let concurrent = try FigureWriter(folder: together)
        try concurrent.write(figures, rasters: rasters)

        let expected = figures.flatMap { [$0.name + ".csv", $0.name + ".png"] } + rasters.map { $0.name + ".png" }
        XCTAssertEqual(names(sequential.written), expected)
        XCTAssertEqual(names(concurrent.written), expected, "the batch records its files in batch order")
        XCTAssertEqual(try files(in: together), expected.sorted(), "no other file (no temporary) is left")
        XCTAssertTrue(concurrent.missing.isEmpty)
        XCTAssertNoThrow(try concurrent.finish())
        for name in expected {
            let a = try Data(contentsOf: single.appendingPathComponent(name))
            let b = try Data(contentsOf: together.appendingPathComponent(name))
            if name.hasSuffix(".csv") {
                XCTAssertEqual(a, b, name)
            } else {
                _ = try PNGCheck.inspect(b)
                // Decoded pixels, so a PNG written under another figure's name cannot pass.
                XCTAssertEqual(try PNGImage.decode(a, as: .rgb).pixels, try PNGImage.decode(b, as: .rgb).pixels, name)
            }
        }
    }

    /// Two figures whose files cannot be written (their names lead into a folder that does not
    /// exist): the one earlier in the batch is the error thrown, whichever job failed first.
    func testTheFirstErrorInBatchOrderIsThrown() throws {
        let (figures, rasters) = try batch()
        var broken = figures
        broken[1].name = "no-such-folder/first"
        broken[4].name = "no-such-folder/second"
        let writer = try FigureWriter(folder: folder)
        XCTAssertThrowsError(try writer.write(broken, rasters: rasters)) { error in
            let text = "\(error)"
            XCTAssertTrue(error is FileWriteError, text)
            XCTAssertTrue(text.contains("no-such-folder/first.csv"), text)
        }
        XCTAssertEqual(names(writer.written), [figures[0].name + ".csv", figures[0].name + ".png"],
                       "what came before the failing figure is recorded, nothing after it")
        XCTAssertFalse(try files(in: folder).contains { $0.hasPrefix(AtomicFile.temporaryPrefix) })
    }

    /// `draw` (for the report) keeps going past a figure gnuplot rejects and says why per figure.
    func testDrawReturnsGnuplotFailuresPerFigure() throws {
        var (figures, rasters) = try batch()
        figures[2].commands = "plot $no_such_block using 1:2 with lines\n"
        let writer = try FigureWriter(folder: folder)
        let failures = try writer.draw(figures, rasters: rasters)
        XCTAssertEqual(failures.count, figures.count)
        for (index, failure) in failures.enumerated() where index != 2 { XCTAssertNil(failure, "figure \(index)") }
        guard case .failed(let status, let message)? = failures[2] else {
            return XCTFail("figure 2 should fail in gnuplot, got \(String(describing: failures[2]))")
        }
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(message.contains("no_such_block"), message)
        var expected = figures.flatMap { [$0.name + ".csv", $0.name + ".png"] } + rasters.map { $0.name + ".png" }
        expected.removeAll { $0 == figures[2].name + ".png" }
        XCTAssertEqual(names(writer.written), expected, "the failing figure keeps its CSV, not a PNG")
        XCTAssertEqual(try files(in: folder), expected.sorted())
        XCTAssertTrue(writer.missing.isEmpty, "a failing gnuplot is not a missing one")
    }

    /// The strict `write` throws gnuplot's failure (the q1/q2 commands exit 1 with it).
    func testWriteThrowsGnuplotsFailure() throws {
        var (figures, _) = try batch()
        figures[3].commands = "plot $no_such_block using 1:2 with lines\n"
        let writer = try FigureWriter(folder: folder)
        XCTAssertThrowsError(try writer.write(figures)) { error in
            guard case GnuplotError.failed(_, let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("no_such_block"), message)
        }
        XCTAssertEqual(names(writer.written), figures.prefix(3).flatMap { [$0.name + ".csv", $0.name + ".png"] } + [figures[3].name + ".csv"])
    }

    /// gnuplots started side by side must not inherit each other's pipes (a leaked stdin or
    /// stdout would keep the other gnuplot from seeing end-of-file until the inheriting one
    /// exits). A fake gnuplot lists its open descriptors; none beyond 0, 1, 2 may be a pipe. This
    /// catches a launcher that passes open pipes on; the narrower race `Gnuplot.launching`
    /// closes (a pipe made between Process's descriptor scan and its spawn) is too brief to be
    /// provoked reliably here.
    func testConcurrentGnuplotsDoNotInheritEachOthersPipes() throws {
        let bin = folder.appendingPathComponent("fake-bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let script = bin.appendingPathComponent("gnuplot")
        try "#!/bin/sh\ncat > /dev/null\nls -l /proc/$$/fd\n".write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        setenv("PATH", bin.path + ":/usr/bin:/bin", 1)
        defer { setenv("PATH", path, 1) }

        let listings = Batch.map(24, width: 8) { _ in
            Result { String(decoding: try Gnuplot.run(script: "plot x\n", timeout: 30), as: UTF8.self) }
        }
        for listing in listings {
            let text = try listing.get()
            let leaked = text.split(separator: "\n").filter { line in
                guard let arrow = line.range(of: " -> ") else { return false }
                let fd = Int(line[..<arrow.lowerBound].split(separator: " ").last ?? "") ?? -1
                return fd > 2 && line[arrow.upperBound...].hasPrefix("pipe:")
            }
            XCTAssertEqual(leaked, [], text)
            XCTAssertTrue(text.contains("0 -> pipe:"), "the listing is the fake gnuplot's: \(text)")
        }
    }

    func testBatchMapKeepsJobOrder() {
        for width in [1, 2, 3, 8] {
            let results = Batch.map(20, width: width) { index -> Int in
                // The sleep is what is tested: later jobs finish sooner, so results returned in
                // the order they finish would come out reversed.
                usleep(UInt32((20 - index) * 200))
                return index * index
            }
            XCTAssertEqual(results, (0 ..< 20).map { $0 * $0 }, "width \(width)")
        }
        XCTAssertEqual(Batch.map(0, width: 4) { $0 }, [])
    }

    /// Three jobs that each wait until all three have started: they finish only if they run at
    /// the same time (one by one, the first would give up after 10 s and report it).
    func testBatchMapRunsJobsSideBySide() {
        let started = Counter()
        let together = Batch.map(3, width: 3) { _ -> Bool in
            started.increment()
            let deadline = Date().addingTimeInterval(10)
            while started.value < 3 {
                if Date() > deadline { return false }
                usleep(1000)
            }
            return true
        }
        XCTAssertEqual(together, [true, true, true])
    }
}

/// A counter several threads increment.
///
/// `@unchecked Sendable`: `count` is only touched while holding `lock`.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
