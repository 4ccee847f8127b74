// Regression tests for issue 10 ("Hardening, round 2"), each through the real `lab` binary and
// named after its case: the standard descriptors (closed, full, unwritable), non-finite
// predictions, the network-size limit and `--hidden` parsing, destinations that are not files,
// the model cache, downloads that write nothing outside the cache, and the messages. Case 17
// (names that are not UTF-8) has its own file, RawFileNameTests.
//
// About 400 lines: one test per case of the issue, kept together so the list reads against it.

import CLibZ
import Foundation
@testable import LabCLI
import MNISTData
@testable import MNISTNet
import TestSupport
import XCTest
@testable import LabFigures
@testable import LabReport
@testable import LabSupport
@testable import Labs

final class HardeningTests: Q2TestCase {
    /// A 112×112 PNG of a dark stroke on white paper.
    func writeDigitImage(_ name: String) throws -> URL {
        let side = 112
        var pixels = [UInt8](repeating: 255, count: side * side)
        for y in 20 ..< 92 { for x in 50 ..< 62 { pixels[y * side + x] = 0 } }
        let url = folder.appendingPathComponent(name)
        try PNGImage(width: side, height: side, layout: .gray, pixels: pixels).pngData().write(to: url)
        return url
    }

    /// A 784-32-10 network whose every weight is `value`, as an .npz.
    func writeWeights(_ name: String, value: Double) throws -> URL {
        let network = MLP(layers: [
            DenseLayer(inputCount: 784, outputCount: 32, weights: .init(repeating: value, count: 784 * 32),
                       biases: .init(repeating: 0, count: 32)),
            DenseLayer(inputCount: 32, outputCount: 10, weights: (0 ..< 320).map { $0 % 2 == 0 ? value : -value },
                       biases: .init(repeating: 0, count: 10)),
        ])
        let url = folder.appendingPathComponent(name)
        try NPZ.encode(network).write(to: url)
        return url
    }

    // MARK: - 1. Non-finite outputs

    func testHugeFiniteWeightsAreUnusableNotACrash() throws {
        _ = try writeDigitImage("digit.png")
        _ = try writeWeights("huge.npz", value: 1e308)
        for json in [false, true] {
            let output = try run(["predict", "digit.png", "--load", "huge.npz"] + (json ? ["--json"] : []))
            assertOneLineFailure(output, status: 1, containing: "non-finite class probabilities")
            XCTAssertTrue(output.stderr.contains("unusable"), output.stderr)
            XCTAssertFalse(output.stdout.contains("nan"), "no prediction is printed: \(output.stdout)")
        }
    }

    func testCachedDefaultModelWithHugeWeightsSaysDeleteIt() throws {
        _ = try writeDigitImage("digit.png")
        let small = try mnistSubset(1000, name: "small")
        let files = try XCTUnwrap(DatasetLocation(kind: .mnist, explicitFolder: small).locate())
        let key = ModelCache.Key(settings: ModelCache.settings(network: Q2NetworkSettings(hidden: [32]), dataset: .mnist),
                                 trainingDataSHA256: try files.trainingDataIdentity())
        let url = ModelCache.url(for: key, environment: ["XDG_CACHE_HOME": folder.appendingPathComponent("cache").path])
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: try writeWeights("huge.npz", value: 1e308), to: url)
        let output = try run(["predict", "digit.png", "--hidden", "32"], environment: ["MNIST_DIR": small.path])
        assertOneLineFailure(output, status: 1, containing: "non-finite class probabilities")
        XCTAssertTrue(output.stderr.contains("delete that cached model"), output.stderr)
    }

    // MARK: - 3, 9, 12. Standard descriptors

    func testStderrThatCannotBeWrittenDoesNotStopTrainingOrSaving() throws {
        for redirect in ["2>/dev/full", "2>&-"] {
            let output = try shell(
                "\"$LAB\" q2-train --data-dir '\(mnist!)' --train-limit 1000 --epochs 1 --save w.npz --out figs \(redirect)")
            XCTAssertEqual(output.status, 0, "\(redirect): \(output.stderr)")
            XCTAssertNoThrow(try NPZ.decode(contentsOf: folder.appendingPathComponent("w.npz")), redirect)
            try FileManager.default.removeItem(at: folder.appendingPathComponent("w.npz"))
        }
    }

    func testStdoutWriteErrorsAreReported() throws {
        for arguments in ["q1a --out figs", "q1a --json --out figs"] {
            let output = try shell("\"$LAB\" \(arguments) > /dev/full")
            assertOneLineFailure(output, status: 1, containing: "cannot write the results to standard output (No space left on device)")
        }
    }

    /// `lab q1d --json | head -3`: the reader leaves early. No message (the user chose to stop
    /// reading), status 141 as for a program SIGPIPE ended, and the figures are written.
    func testStdoutWhoseReaderLeftEndsQuietly() throws {
        let process = Process()
        process.executableURL = try LabProcess.executable()
        process.arguments = ["q1d", "--json", "--out", "figs"]
        process.currentDirectoryURL = folder
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()  // the reader is gone before lab writes a byte
        process.standardOutput = pipe
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 141, stderr)
        XCTAssertEqual(stderr, "")
        _ = try PNGCheck.check(folder.appendingPathComponent("figs/q1d-iterations.png"), width: 900, height: 600)
    }

    func testClosedStdoutAtStartStillDrawsEveryFigure() throws {
        for attempt in 1 ... 6 {
            let output = try shell("\"$LAB\" q1a --out figs\(attempt) >&-")
            XCTAssertEqual(output.status, 0, "run \(attempt): \(output.stderr)")
            _ = try PNGCheck.check(folder.appendingPathComponent("figs\(attempt)/q1a-descent.png"), width: 900, height: 600)
        }
    }

    // MARK: - 4. Network size, and --hidden parsing

    func testNetworkAboveTheParameterLimitIsRefusedUpFront() throws {
        for hidden in ["16384,16384", "16384,16384,16384,16384"] {
            let output = try run(["q2-train", "--data-dir", "/nonexistent", "--hidden", hidden], timeout: 30)
            assertOneLineFailure(output, status: 64, containing: "parameters and would need about")
            XCTAssertTrue(output.stderr.contains("at most 8,000,000 parameters"), output.stderr)
        }
        let size = try run(["q2-init", "--hidden", "2048,2048", "--json", "--out", "figs"])
        XCTAssertEqual(size.status, 0, "5.8 M parameters are within the limit: \(size.stderr)")
    }

    func testHiddenSizesWithStrayOrWrongSeparatorsAreRefused() throws {
        for text in ["32,", ",32", "32;32", "32,,32", "32,x", ""] {
            let output = try run(["q2-init", "--hidden", text, "--out", "figs"], timeout: 30)
            assertOneLineFailure(output, status: 64, containing: "--hidden")
        }
        for text in ["32,32", "32, 32", "32 32", "64"] {
            XCTAssertEqual(try HiddenSizes.parse(text), text == "64" ? [64] : [32, 32], text)
        }
    }

    // MARK: - 5, 14. Destinations

    /// A Unix-domain socket bound at `path` (closed again; the name stays).
    private func makeSocket(_ path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (k, byte) in path.utf8.enumerated() where k < raw.count - 1 { raw[k] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0, "bind \(path)")
    }

    private func fileType(_ name: String) -> mode_t {
        var status = stat()
        guard lstat(folder.appendingPathComponent(name).path, &status) == 0 else { return 0 }
        return status.st_mode & S_IFMT
    }

    func testSaveRefusesDevicesFIFOsSocketsAndFoldersBeforeTraining() throws {
        XCTAssertEqual(mkfifo(folder.appendingPathComponent("fifo.npz").path, 0o644), 0)
        try makeSocket(folder.appendingPathComponent("socket.npz").path)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("dir"), withIntermediateDirectories: true)
        var targets: [(String, mode_t)] = [("fifo.npz", S_IFIFO), ("socket.npz", S_IFSOCK), ("dir", S_IFDIR)]
        // A copy of /dev/null (major 1, minor 3; only root may make one); the real one is never a target.
        if mknod(folder.appendingPathComponent("null.npz").path, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 {
            targets.append(("null.npz", S_IFCHR))
        }
        for (name, type) in targets {
            let output = try run(["q2-train", "--data-dir", mnist, "--train-limit", "100", "--epochs", "1", "--save", name,
                                  "--out", "figs"])
            assertOneLineFailure(output, status: 1, containing: "--save: cannot write '\(name)'")
            XCTAssertEqual(fileType(name), type, "\(name) was replaced")
        }
        // `folder/` that does not exist: no file named `new` appears.
        let slash = try run(["q2-train", "--data-dir", mnist, "--train-limit", "100", "--epochs", "1", "--save", "new/",
                             "--out", "figs"])
        assertOneLineFailure(slash, status: 1, containing: "it names a folder (it ends with '/')")
        XCTAssertEqual(fileType("new"), 0, "a file named 'new' was created")
        // --save-input onto a FIFO named like a PNG.
        _ = try writeDigitImage("digit.png")
        XCTAssertEqual(mkfifo(folder.appendingPathComponent("seen.png").path, 0o644), 0)
        let input = try run(["predict", "digit.png", "--load", try writeWeights("w.npz", value: 0.01).path,
                             "--save-input", "seen.png"])
        assertOneLineFailure(input, status: 1, containing: "it is a FIFO")
        XCTAssertEqual(fileType("seen.png"), S_IFIFO)
    }

    func testSaveOverASymbolicLinkReplacesTheLinkNotItsTarget() throws {
        let target = folder.appendingPathComponent("target.npz")
        try Data("keep".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("link.npz").path,
                                                   withDestinationPath: "target.npz")
        let output = try run(["q2-train", "--data-dir", mnist, "--train-limit", "100", "--epochs", "1", "--save", "link.npz",
                              "--out", "figs"])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertEqual(fileType("link.npz"), S_IFREG)
        XCTAssertEqual(try Data(contentsOf: target), Data("keep".utf8))
        XCTAssertNoThrow(try NPZ.decode(contentsOf: folder.appendingPathComponent("link.npz")))
    }

    func testSaveFolderIsCheckedBeforeTraining() throws {
        try Data().write(to: folder.appendingPathComponent("afile"))
        let output = try run(["q2-train", "--data-dir", mnist, "--train-limit", "2000", "--epochs", "1",
                              "--save", "afile/w.npz", "--out", "figs"])
        // One line and nothing else: no progress line, so training never started.
        assertOneLineFailure(output, status: 1, containing: "cannot write 'afile': it exists and is not a folder")
    }

    func testSaveRemovesStaleTemporariesInItsFolder() throws {
        let sub = folder.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        // pid 2^22 + 1 is above Linux's largest pid, so its writer is certainly gone.
        let stale = sub.appendingPathComponent(".gdlab-tmp-4194305-1-w.npz")
        try Data("half".utf8).write(to: stale)
        let output = try run(["q2-train", "--data-dir", mnist, "--train-limit", "100", "--epochs", "1", "--save", "sub/w.npz",
                              "--out", "figs"])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path), "the stale temporary is still there")
    }

    // MARK: - 16. Compressed data beyond the image

    /// A 28×28 gray PNG whose one zlib stream holds the pixels and then `extra` zero bytes.
    static func pngWithTrailingZeros(extra: Int) throws -> Data {
        var raw = [UInt8]()
        for y in 0 ..< 28 { raw.append(0); for x in 0 ..< 28 { raw.append(UInt8((x * 9 + y) % 256)) } }
        raw += [UInt8](repeating: 0, count: extra)
        var size = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(size))
        XCTAssertEqual(compress2(&compressed, &size, raw, uLong(raw.count), 9), Z_OK)
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            let crc = UInt32(crc32(0, typed, uInt(typed.count)))
            let length = UInt32(body.count)
            return [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) } + typed
                + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> $0) }
        }
        let header: [UInt8] = [0, 0, 0, 28, 0, 0, 0, 28, 8, 0, 0, 0, 0]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header)
                    + chunk("IDAT", Array(compressed.prefix(Int(size)))) + chunk("IEND", []))
    }

    func testPNGWithCompressedDataBeyondItsPixelsIsRefusedBeforeInflating() throws {
        let hostile = try Self.pngWithTrailingZeros(extra: 64 << 20)
        XCTAssertThrowsError(try PNGImage.decode(hostile, as: .gray, name: "bomb.png")) { error in
            guard case .excessImageData = error as? PNGError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("more than its 28×28 pixels can need"), "\(error)")
        }
        // The same image without the excess reads, and so does one whose stream is stored, not compressed.
        XCTAssertEqual(try PNGImage.decode(try Self.pngWithTrailingZeros(extra: 0), as: .gray).width, 28)
    }

    // MARK: - Messages: unreadable files

    /// Runs `lab arguments` as an unprivileged user when the tests run as root (root reads any
    /// file, so a permission error needs someone else); skips when no way to switch is installed.
    private func runUnprivileged(_ arguments: [String]) throws -> LabOutput {
        if getuid() != 0 { return try run(arguments) }
        let setpriv = "/usr/bin/setpriv"
        guard FileManager.default.isExecutableFile(atPath: setpriv) else { throw XCTSkip("running as root without setpriv") }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        let quoted = arguments.map { "'" + $0 + "'" }.joined(separator: " ")
        return try shell("exec \(setpriv) --reuid=65534 --regid=65534 --clear-groups \"$LAB\" \(quoted)")
    }

    func testUnreadableWeightsAndImagesSayPermissionDenied() throws {
        _ = try writeDigitImage("digit.png")
        _ = try writeWeights("w.npz", value: 0.01)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("digit.png"), to: folder.appendingPathComponent("locked.png"))
        try FileManager.default.copyItem(at: folder.appendingPathComponent("w.npz"), to: folder.appendingPathComponent("locked.npz"))
        for name in ["locked.png", "locked.npz"] {
            try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: folder.appendingPathComponent(name).path)
        }
        let npz = try runUnprivileged(["predict", "digit.png", "--load", "locked.npz"])
        assertOneLineFailure(npz, status: 1, containing: "cannot read 'locked.npz': Permission denied; check the path and that the file is readable")
        XCTAssertFalse(npz.stderr.contains("not a NumPy .npz file"), npz.stderr)
        let png = try runUnprivileged(["predict", "locked.png", "--load", "w.npz"])
        assertOneLineFailure(png, status: 1, containing: "cannot read 'locked.png': Permission denied; check its permissions")
    }

    // MARK: - 7, 13. The default model's cache

    /// A folder whose training files are the first `count` MNIST training images (plain IDX)
    /// and whose test files are MNIST's own.
    private func mnistSubset(_ count: Int, name: String) throws -> URL {
        let subset = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: subset, withIntermediateDirectories: true)
        let train = try ImageDataset.load(images: URL(fileURLWithPath: mnist).appendingPathComponent("train-images-idx3-ubyte.gz"),
                                          labels: URL(fileURLWithPath: mnist).appendingPathComponent("train-labels-idx1-ubyte.gz"))
        func header(_ words: [Int]) -> [UInt8] { words.flatMap { w in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: w >> $0) } } }
        var images = header([0x803, count, 28, 28])
        for k in 0 ..< count { images += Array(train.image(at: k)) }
        try Data(images).write(to: subset.appendingPathComponent("train-images-idx3-ubyte"))
        try Data(header([0x801, count]) + Array(train.labels.prefix(count))).write(to: subset.appendingPathComponent("train-labels-idx1-ubyte"))
        for file in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            try FileManager.default.copyItem(at: URL(fileURLWithPath: mnist).appendingPathComponent(file),
                                             to: subset.appendingPathComponent(file))
        }
        return subset
    }

    func testDefaultModelCacheIsKeyedByTheTrainingData() throws {
        _ = try writeDigitImage("digit.png")
        let small = try mnistSubset(1000, name: "small"), other = try mnistSubset(1200, name: "other")
        let first = try run(["predict", "digit.png"], environment: ["MNIST_DIR": small.path])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("training the default MNIST model once"), first.stderr)
        let again = try run(["predict", "digit.png"], environment: ["MNIST_DIR": small.path])
        XCTAssertEqual(again.stderr, "", "the same data reuses the cached model")
        // Other training data must not get the model cached for the first.
        let second = try run(["predict", "digit.png"], environment: ["MNIST_DIR": other.path])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("training the default MNIST model once"), "the subset's model was reused: \(second.stderr)")
        let cache = folder.appendingPathComponent("cache/gdlab")
        let names = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        XCTAssertEqual(names.filter { $0.hasSuffix(".npz") }.count, 2, names.description)
        // Each model has its key recorded beside it: settings and the training data's SHA-256.
        for name in names where name.hasSuffix(".json") {
            let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: cache.appendingPathComponent(name))) as? [String: Any])
            XCTAssertEqual((record["trainingDataSHA256"] as? String)?.count, 64, "\(record)")
            XCTAssertNotNil(record["settings"])
        }
    }

    func testUnwritableCacheStillPredictsAndWarns() throws {
        _ = try writeDigitImage("digit.png")
        let small = try mnistSubset(1000, name: "small")
        try Data().write(to: folder.appendingPathComponent("afile"))
        let output = try run(["predict", "digit.png"],
                             environment: ["MNIST_DIR": small.path, "XDG_CACHE_HOME": folder.appendingPathComponent("afile/cache").path])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.contains("digit.png: predicted"), output.stdout)
        XCTAssertTrue(output.stdout.contains("(not cached)"), output.stdout)
        XCTAssertTrue(output.stderr.contains("lab: warning: the default model could not be cached"), output.stderr)
    }

    /// DatasetLocation accepts "a regular file or a link to one"; the readers must too.
    func testDatasetAndWeightsFilesMayBeSymbolicLinks() throws {
        let real = URL(fileURLWithPath: mnist)
        for file in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(file),
                                                       withDestinationURL: real.appendingPathComponent(file))
        }
        let test = try ImageDataset.load(images: folder.appendingPathComponent("t10k-images-idx3-ubyte.gz"),
                                         labels: folder.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        XCTAssertEqual(test.count, 10_000)
        let weights = try writeWeights("w.npz", value: 0.01)
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("link.npz"), withDestinationURL: weights)
        XCTAssertEqual(try NPZ.decode(contentsOf: folder.appendingPathComponent("link.npz")).layerSizes, [784, 32, 10])
    }

    // MARK: - 15. Downloads write nothing under the current folder

    func testRelativeHomeAndCacheFoldersAreIgnored() throws {
        let mirror = "http://127.0.0.1:9/"  // the discard port: connection refused, nothing downloaded
        for environment in [["HOME": "relhome", "XDG_CACHE_HOME": folder.appendingPathComponent("cache").path],
                            ["HOME": folder.appendingPathComponent("home").path, "XDG_CACHE_HOME": "relcache", "XDG_DATA_HOME": "reldata"]] {
            var environment = environment
            environment["MNIST_DIR"] = ""  // removed: the data must be looked for in the cache, then downloaded
            let output = try run(["q2-train", "--mirror", mirror, "--out", "figs"], environment: environment, timeout: 120)
            XCTAssertEqual(output.status, 1, output.stderr)
            XCTAssertTrue(output.stderr.contains("lab: could not download"), output.stderr)
            for name in ["relhome", "relcache", "reldata"] {
                XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path),
                               "\(environment): \(name) was created under the current folder")
            }
        }
    }

    // MARK: - Messages: images of the wrong size

    /// A folder of plain IDX files: `count` blank training images of `train` size, test images of `test` size.
    private func idxFolder(_ name: String, train: (Int, Int), test: (Int, Int), count: Int = 2) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        func header(_ words: [Int]) -> [UInt8] { words.flatMap { w in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: w >> $0) } } }
        for (prefix, size) in [("train", train), ("t10k", test)] {
            var images = Data(header([0x803, count, size.0, size.1]))
            images.append(Data(count: count * size.0 * size.1))
            try images.write(to: url.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
            try Data(header([0x801, count]) + (0 ..< count).map { UInt8($0 % 10) }).write(to: url.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
        }
        return url
    }

    func testImagesOfDifferentOrHugeSizesAreExplainedAsADataProblem() throws {
        let mixed = try idxFolder("mixed", train: (28, 28), test: (20, 20))
        let output = try run(["q2-train", "--data-dir", mixed.path, "--out", "figs"])
        assertOneLineFailure(output, status: 1, containing: "the training images are 28×28 but the test images are 20×20")
        XCTAssertFalse(output.stderr.contains("--load") || output.stderr.contains("weights made for"), output.stderr)
        let huge = try idxFolder("huge", train: (4096, 4096), test: (4096, 4096), count: 1)
        let big = try run(["q2-train", "--data-dir", huge.path, "--out", "figs"])
        assertOneLineFailure(big, status: 1, containing: "are 4096×4096 = 16,777,216 pixels, more than the 16,384 inputs")
        XCTAssertFalse(big.stderr.contains("--hidden"), big.stderr)
    }

    // MARK: - Messages: paths as the user gave them

    /// A relative --data-dir is named as typed, in the missing-files message and in a damaged
    /// file's message, not resolved to an absolute path the user never wrote.
    func testDataFolderMessagesNameThePathAsGiven() throws {
        let partial = folder.appendingPathComponent("partial")
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        try Data([0]).write(to: partial.appendingPathComponent("train-images-idx3-ubyte"))
        let missing = try run(["q2-forward", "--data-dir", "partial", "--out", "figs"])
        assertOneLineFailure(missing, status: 1, containing: "--data-dir names 'partial', which lacks train-labels-idx1-ubyte.gz")
        XCTAssertFalse(missing.stderr.contains(folder.path), missing.stderr)

        let damaged = try idxFolder("damaged", train: (28, 28), test: (28, 28))
        try Data("garbage".utf8).write(to: damaged.appendingPathComponent("train-images-idx3-ubyte"))
        let output = try run(["q2-forward", "--data-dir", "damaged", "--out", "figs"])
        assertOneLineFailure(output, status: 1, containing: "'damaged/train-images-idx3-ubyte' starts with")
        XCTAssertFalse(output.stderr.contains(folder.path), output.stderr)
    }
}
