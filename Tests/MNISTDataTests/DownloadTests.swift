// The download path for real, against a local HTTP server on 127.0.0.1 serving the real MNIST
// files (read from ../shared/data/mnist into memory) and corrupted variants. The cache is a
// temporary folder; no test reaches the internet.

import Foundation
import LabSupport
@testable import MNISTData
@testable import MNISTNet
import TestSupport
import XCTest

final class DownloadTests: XCTestCase {
    private var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("gdlab-download-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
    }

    /// The real .gz files, keyed by server path under /mnist/.
    private func realFiles() throws -> [String: Data] {
        var files: [String: Data] = [:]
        for file in DatasetFile.allCases {
            files["/mnist/" + file.compressedFileName] = try Data(contentsOf: RealMNIST.file(file.compressedFileName))
        }
        return files
    }

    /// A location whose cache is in the temporary folder and which ignores the real environment.
    private func location() -> DatasetLocation {
        DatasetLocation(kind: .mnist, environment: ["XDG_CACHE_HOME": temporary.path])
    }

    private func folderContents(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    func testDownloadSkipsA404MirrorFillsTheCacheWithVerifiedFilesAndIsNotRepeated() throws {
        let files = try realFiles()
        let server = try DownloadTestServer(routes: files.mapValues { .ok($0) })
        defer { server.stop() }
        let downloader = DatasetDownloader(mirrors: [server.url("gone"), server.url("mnist")])
        let log = DownloadEventLog()

        let found = try location().resolve(downloader: downloader, progress: log.record)

        XCTAssertEqual(found.source, .downloaded)
        XCTAssertEqual(found.folder.path, temporary.appendingPathComponent("gdlab/mnist").path)
        for file in DatasetFile.allCases {
            let stored = found.url(of: file)
            XCTAssertEqual(stored.lastPathComponent, file.compressedFileName)
            XCTAssertEqual(try Data(contentsOf: stored), files["/mnist/" + file.compressedFileName], file.fileName)
        }
        XCTAssertEqual(folderContents(found.folder), DatasetFile.allCases.map(\.compressedFileName).sorted(),
                       "only the four files, no temporaries")
        let events = log.all
        let failures = events.compactMap { event -> String? in
            if case .mirrorFailed(_, let url, let reason) = event { return "\(url.path) \(reason)" }
            return nil
        }
        XCTAssertEqual(failures.count, 4)
        XCTAssertTrue(failures.allSatisfy { $0.hasPrefix("/gone/") && $0.hasSuffix("HTTP 404") }, "\(failures)")
        let lastReceived = events.compactMap { event -> (Int64, Int64?)? in
            if case .received(let file, let bytes, let expected) = event, file == "train-images-idx3-ubyte.gz" {
                return (bytes, expected)
            }
            return nil
        }.last
        XCTAssertEqual(lastReceived?.0, Int64(files["/mnist/train-images-idx3-ubyte.gz"]!.count))
        XCTAssertEqual(lastReceived?.1, lastReceived?.0, "the server's Content-Length reaches the callback")

        // A second run finds the cache and sends no request.
        let requests = server.requestedPaths.count
        let again = try location().resolve(downloader: downloader)
        XCTAssertEqual(again.source, .cache)
        XCTAssertEqual(server.requestedPaths.count, requests)
    }

    func testCorruptDownloadsAreRejectedAndNothingIsLeftInTheCache() throws {
        let good = try Data(contentsOf: RealMNIST.file("train-labels-idx1-ubyte.gz"))
        let content = try Gzip.decompress(good)
        var altered = content
        altered[altered.startIndex + 100] ^= 0x01  // one label changed: same size, valid gzip
        var flipped = good
        flipped[flipped.startIndex + good.count / 2] ^= 0xFF
        let cases: [(String, DownloadTestServer.Reply, String)] = [
            ("valid gzip, one byte of content changed", .ok(DownloadTestGzip.compress(altered)), "corrupt: its SHA-256 is"),
            ("valid gzip, content too short", .ok(DownloadTestGzip.compress(content.prefix(5000))), "corrupt: its content is 5000 bytes, expected 60008"),
            ("valid gzip, content too long", .ok(DownloadTestGzip.compress(content + Data(count: 10))), "larger than the expected 60008 bytes"),
            ("compressed bytes damaged", .ok(flipped), "not a valid gzip file"),
            ("truncated .gz", .ok(good.prefix(good.count / 2)), "not a valid gzip file"),
            ("an HTML page with status 200", .ok(Data("<html>moved</html>".utf8)), "the server did not send a gzip file"),
            ("connection closed early", .cutShort(good.prefix(1000), claimed: good.count), ""),
            ("server error", .status(500), "HTTP 500"),
        ]
        for (name, reply, phrase) in cases {
            let server = try DownloadTestServer(routes: ["/mnist/train-labels-idx1-ubyte.gz": reply])
            defer { server.stop() }
            let cache = temporary.appendingPathComponent(UUID().uuidString)
            let downloader = DatasetDownloader(mirrors: [server.url("mnist")])
            XCTAssertThrowsError(try downloader.fetch(.trainLabels, kind: .mnist, into: cache), name) { error in
                guard case DatasetError.downloadFailed(_, let file, let attempts, _) = error else {
                    return XCTFail("\(name): unexpected \(error)")
                }
                XCTAssertEqual(file, "train-labels-idx1-ubyte.gz")
                XCTAssertEqual(attempts.count, 1, name)
                XCTAssertTrue(phrase.isEmpty || attempts[0].contains(phrase), "\(name): \(attempts[0])")
                XCTAssertFalse("\(error)".contains("\n"), "one line")
            }
            XCTAssertEqual(folderContents(cache), [], "\(name): nothing left in the cache")
        }
    }

    func testACorruptMirrorIsSkippedForTheNextGoodOne() throws {
        let good = try Data(contentsOf: RealMNIST.file("t10k-labels-idx1-ubyte.gz"))
        var content = try Gzip.decompress(good)
        content[content.startIndex + 8] = 9 - content[content.startIndex + 8]  // flip the first label
        let server = try DownloadTestServer(routes: [
            "/evil/t10k-labels-idx1-ubyte.gz": .ok(DownloadTestGzip.compress(content)),
            "/mnist/t10k-labels-idx1-ubyte.gz": .ok(good),
        ])
        defer { server.stop() }
        let downloader = DatasetDownloader(mirrors: [server.url("evil"), server.url("mnist")])
        let stored = try downloader.fetch(.testLabels, kind: .mnist, into: temporary)
        XCTAssertEqual(try Data(contentsOf: stored), good)
        XCTAssertEqual(server.requestedPaths, ["/evil/t10k-labels-idx1-ubyte.gz", "/mnist/t10k-labels-idx1-ubyte.gz"])
    }

    /// A mirror redirecting to file: is refused for that reason (it read as "HTTP 404"), and a
    /// redirect to another http URL is still followed.
    func testRedirectToAFileURLIsNamedAndHTTPRedirectsAreFollowed() throws {
        let good = try Data(contentsOf: RealMNIST.file("t10k-labels-idx1-ubyte.gz"))
        let server = try DownloadTestServer(routes: [
            "/evil/t10k-labels-idx1-ubyte.gz": .redirect("file:///etc/passwd"),
            "/moved/t10k-labels-idx1-ubyte.gz": .redirect("/mnist/t10k-labels-idx1-ubyte.gz"),
            "/mnist/t10k-labels-idx1-ubyte.gz": .ok(good),
        ])
        defer { server.stop() }
        XCTAssertThrowsError(try DatasetDownloader(mirrors: [server.url("evil")]).fetch(.testLabels, kind: .mnist, into: temporary)) {
            XCTAssertTrue("\($0)".contains("redirected to 'file:///etc/passwd', which is not http(s)"), "\($0) \(server.requestedPaths)")
        }
        let stored = try DatasetDownloader(mirrors: [server.url("moved")]).fetch(.testLabels, kind: .mnist, into: temporary)
        XCTAssertEqual(try Data(contentsOf: stored), good)
    }

    func testOversizedBodiesAreCutOffAnnouncedOrNot() throws {
        let good = try Data(contentsOf: RealMNIST.file("train-labels-idx1-ubyte.gz"))
        let server = try DownloadTestServer(routes: [
            "/announced/train-labels-idx1-ubyte.gz": .ok(good),
            "/unannounced/train-labels-idx1-ubyte.gz": .unannounced(good),
        ])
        defer { server.stop() }
        for (folder, phrase) in [("announced", "announced \(good.count) bytes, more than the 1000-byte limit"),
                                 ("unannounced", "sent more than the 1000-byte limit")] {
            var downloader = DatasetDownloader(mirrors: [server.url(folder)])
            downloader.maximumDownloadBytes = 1000
            XCTAssertThrowsError(try downloader.fetch(.trainLabels, kind: .mnist, into: temporary)) { error in
                XCTAssertTrue("\(error)".contains(phrase), "\(error)")
            }
            // Without the cap the unannounced body (ended by closing the connection) is accepted.
            downloader.maximumDownloadBytes = 64 << 20
            XCTAssertNoThrow(try downloader.fetch(.trainLabels, kind: .mnist, into: temporary))
            try FileManager.default.removeItem(at: temporary.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        }
        XCTAssertEqual(folderContents(temporary), [])
    }

    func testWhenEveryMirrorFailsOneLineSaysWhereToPutTheFiles() throws {
        let server = try DownloadTestServer(routes: [:])
        let closedPort = server.port
        server.stop()  // nothing listens there any more: connection refused
        let notFound = try DownloadTestServer(routes: [:])
        defer { notFound.stop() }
        var downloader = DatasetDownloader(mirrors: [URL(string: "http://127.0.0.1:\(closedPort)/mnist/")!,
                                                     notFound.url("mnist")])
        downloader.requestTimeout = 5
        let location = location()
        XCTAssertThrowsError(try location.resolve(downloader: downloader)) { error in
            let text = "\(error)"
            XCTAssertFalse(text.contains("\n"), text)
            XCTAssertTrue(text.hasPrefix("could not download train-images-idx3-ubyte.gz ("), text)
            XCTAssertTrue(text.contains("127.0.0.1:\(closedPort)/mnist/train-images-idx3-ubyte.gz: connection refused"), text)
            XCTAssertTrue(text.contains("HTTP 404"), text)
            XCTAssertTrue(text.contains("in \(location.cacheFolder.path), or set MNIST_DIR / pass --data-dir"), text)
        }
        XCTAssertEqual(folderContents(location.cacheFolder), [])
    }

    func testNoDownloaderMeansNotFoundWithTheSamePlaces() {
        let location = location()
        XCTAssertThrowsError(try location.resolve(downloader: nil)) { error in
            XCTAssertEqual(error as? DatasetError, .notFound(kind: .mnist, cacheFolder: location.cacheFolder.path))
            XCTAssertTrue("\(error)".contains("set MNIST_DIR / pass --data-dir"))
        }
    }

    func testMirrorOptionAcceptsOnlyHTTPURLs() throws {
        for bad in ["file:///etc/", "ftp://example.org/mnist/", "not a url", "http://", "/tmp/mnist", ""] {
            XCTAssertThrowsError(try DatasetDownloader(kind: .mnist, mirror: bad), bad) { error in
                XCTAssertEqual(error as? DatasetError, .badMirror(bad))
            }
        }
        let chosen = try DatasetDownloader(kind: .mnist, mirror: "http://127.0.0.1:8000/data/")
        XCTAssertEqual(chosen.mirrors, [URL(string: "http://127.0.0.1:8000/data/")!])
        XCTAssertEqual(try DatasetDownloader(kind: .mnist).mirrors.first?.host, "ossci-datasets.s3.amazonaws.com")
    }

    func testHandMadeGzipRoundTrips() throws {
        var generator = SeededGenerator(seed: 7)
        let content = Data((0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        XCTAssertEqual(try Gzip.decompress(DownloadTestGzip.compress(content)), content)
        XCTAssertEqual(try Gzip.decompress(DownloadTestGzip.compress(Data())), Data())
    }
}
