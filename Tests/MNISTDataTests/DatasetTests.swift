// Finding the dataset: the order of places (--data-dir, environment variable, system package,
// cache), `name` or `name.gz`, no silent fallback from a folder the user named, and the
// checksum constants against the real files.

import Foundation
@testable import MNISTData
@testable import MNISTNet
import TestSupport
import XCTest

final class DatasetTests: XCTestCase {
    private var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("gdlab-dataset-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: temporary)
    }

    /// A folder with placeholder files of the given names.
    private func folder(_ name: String, files: [String]) throws -> URL {
        let url = temporary.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for file in files { try Data([1]).write(to: url.appendingPathComponent(file)) }
        return url
    }

    private let gzNames = DatasetFile.allCases.map(\.compressedFileName)
    private let plainNames = DatasetFile.allCases.map(\.fileName)

    func testClassNamesAndFileNames() {
        XCTAssertEqual(DatasetKind.mnist.classNames, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
        XCTAssertEqual(DatasetKind.fashion.classNames,
                       ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])
        XCTAssertEqual(gzNames, ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])
    }

    func testMNISTConstantsMatchTheRealFiles() throws {
        for file in DatasetFile.allCases {
            let content = try Gzip.decompress(Data(contentsOf: RealMNIST.file(file.compressedFileName)))
            XCTAssertNil(DatasetKind.mnist.expectedContent(of: file).mismatch(content), file.fileName)
            XCTAssertNotNil(DatasetKind.fashion.expectedContent(of: file).mismatch(content), "MNIST is not Fashion-MNIST")
        }
    }

    func testFashionConstantsMatchTheDebianPackageWhenInstalled() throws {
        let folder = DatasetKind.fashion.systemFolders[0]
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw XCTSkip("dataset-fashion-mnist is not installed (optional)")
        }
        for file in DatasetFile.allCases {
            let content = try Gzip.decompress(Data(contentsOf: folder.appendingPathComponent(file.compressedFileName)))
            XCTAssertNil(DatasetKind.fashion.expectedContent(of: file).mismatch(content), file.fileName)
        }
    }

    func testPlacesAreTriedInOrder() throws {
        let explicit = try folder("explicit", files: plainNames)
        let fromEnvironment = try folder("env", files: gzNames)
        let cache = try folder("xdg/gdlab/mnist", files: gzNames)
        let environment = ["MNIST_DIR": fromEnvironment.path, "XDG_CACHE_HOME": temporary.appendingPathComponent("xdg").path]

        let first = try XCTUnwrap(DatasetLocation(kind: .mnist, explicitFolder: explicit, environment: environment).locate())
        XCTAssertEqual(first.source, .explicitFolder)
        XCTAssertEqual(first.trainImages.lastPathComponent, "train-images-idx3-ubyte", "plain files are accepted")

        let second = try XCTUnwrap(DatasetLocation(kind: .mnist, environment: environment).locate())
        XCTAssertEqual(second.source, .environment("MNIST_DIR"))
        XCTAssertEqual(second.testLabels, fromEnvironment.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))

        var noVariable = environment
        noVariable["MNIST_DIR"] = ""
        let third = try XCTUnwrap(DatasetLocation(kind: .mnist, environment: noVariable).locate())
        XCTAssertEqual(third.source, .cache)
        XCTAssertEqual(third.folder.standardizedFileURL.path, cache.standardizedFileURL.path)
    }

    func testFashionLooksInTheSystemFolderBeforeTheCache() throws {
        let system = try folder("system", files: gzNames)
        _ = try folder("xdg/gdlab/fashion-mnist", files: gzNames)
        var location = DatasetLocation(kind: .fashion, environment: ["XDG_CACHE_HOME": temporary.appendingPathComponent("xdg").path,
                                                                     "MNIST_DIR": "/nonexistent"])
        XCTAssertEqual(location.systemFolders.map(\.path), ["/usr/share/datasets/fashion-mnist"])
        XCTAssertTrue(location.cacheFolder.path.hasSuffix("xdg/gdlab/fashion-mnist"))
        location.systemFolders = [temporary.appendingPathComponent("missing"), system]
        XCTAssertEqual(try location.locate()?.source, .system)
        location.systemFolders = []
        XCTAssertEqual(try location.locate()?.source, .cache)
        location.environment["FASHION_MNIST_DIR"] = system.path
        XCTAssertEqual(try location.locate()?.source, .environment("FASHION_MNIST_DIR"))
    }

    func testANamedFolderLackingFilesIsAnErrorNotAFallback() throws {
        let partial = try folder("partial", files: ["train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"])
        try FileManager.default.createDirectory(at: partial.appendingPathComponent("t10k-labels-idx1-ubyte.gz"),
                                                withIntermediateDirectories: true)  // a folder is not a file
        _ = try folder("xdg/gdlab/mnist", files: gzNames)  // a complete cache must not be used instead
        let environment = ["XDG_CACHE_HOME": temporary.appendingPathComponent("xdg").path]

        XCTAssertThrowsError(try DatasetLocation(kind: .mnist, explicitFolder: partial, environment: environment).locate()) { error in
            XCTAssertEqual(error as? DatasetError, .folderIncomplete(
                kind: .mnist, folder: partial.path, namedBy: "--data-dir",
                missing: ["train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]))
            XCTAssertEqual("\(error)", "--data-dir names '\(partial.path)', which lacks train-labels-idx1-ubyte.gz, t10k-labels-idx1-ubyte.gz "
                           + "(each as name or name.gz); put the four MNIST files there, or point --data-dir at the folder that has them")
        }
        var withVariable = environment
        withVariable["MNIST_DIR"] = temporary.appendingPathComponent("nowhere").path
        XCTAssertThrowsError(try DatasetLocation(kind: .mnist, environment: withVariable).locate()) { error in
            guard case DatasetError.folderIncomplete(_, _, "MNIST_DIR", let missing) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(missing.count, 4)
        }
    }

    func testCacheRootFollowsXDGThenHome() {
        XCTAssertEqual(DatasetLocation.cacheRoot(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"]).path, "/x/cache/gdlab")
        XCTAssertEqual(DatasetLocation.cacheRoot(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/u"]).path, "/home/u/.cache/gdlab")
        XCTAssertEqual(DatasetLocation.cacheRoot(environment: ["HOME": "/home/u"]).path, "/home/u/.cache/gdlab")
        XCTAssertEqual(DatasetLocation(kind: .mnist, environment: ["HOME": "/home/u"]).cacheFolder.path, "/home/u/.cache/gdlab/mnist")
    }

    func testCompleteCacheIsFoundWithoutDownloading() throws {
        _ = try folder("xdg/gdlab/mnist", files: gzNames)
        let location = DatasetLocation(kind: .mnist, environment: ["XDG_CACHE_HOME": temporary.appendingPathComponent("xdg").path])
        // Mirrors that cannot be reached: resolving must not try them.
        let downloader = DatasetDownloader(mirrors: [URL(string: "http://127.0.0.1:9/never/")!])
        XCTAssertEqual(try location.resolve(downloader: downloader).source, .cache)
    }
}
