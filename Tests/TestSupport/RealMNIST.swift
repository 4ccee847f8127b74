// Where the tests find real MNIST and the repository: $MNIST_DIR, else ../shared/data/mnist
// beside the repository. Tests never download; the ones that need MNIST fail (never skip) when
// it is missing. Shared by every test target (a plain library, Foundation only).

import Foundation

/// The checkout the tests were built from, found from this file's path.
public enum Repository {
    /// The repository's root folder (the one holding Package.swift).
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Sources/` of the repository.
    public static var sources: URL { root.appendingPathComponent("Sources") }
}

/// The real MNIST files the tests read.
public enum RealMNIST {
    /// Real MNIST is not where the tests look for it.
    public struct Missing: Error, CustomStringConvertible {
        public var description: String { "real MNIST not found: set MNIST_DIR to a folder with the four IDX .gz files" }
    }

    /// The MNIST folder: `$MNIST_DIR` if set, else `../shared/data/mnist` beside the repository.
    ///
    /// - Throws: `Missing` when neither is there.
    public static func directory() throws -> URL {
        if let dir = ProcessInfo.processInfo.environment["MNIST_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        let shared = Repository.root.deletingLastPathComponent().appendingPathComponent("shared/data/mnist")
        guard FileManager.default.fileExists(atPath: shared.path) else { throw Missing() }
        return shared
    }

    /// A file of the MNIST folder, e.g. `t10k-images-idx3-ubyte.gz`.
    public static func file(_ name: String) throws -> URL {
        try directory().appendingPathComponent(name)
    }
}
