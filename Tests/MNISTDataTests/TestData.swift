// Where the tests find real MNIST: $MNIST_DIR, else ../shared/data/mnist beside the repository.
// Tests never download.

import Foundation
import XCTest

enum TestData {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "real MNIST not found: set MNIST_DIR to a folder with the four IDX .gz files" }
    }

    /// The MNIST folder; the tests that need it fail (never skip) when it is missing.
    static func mnistDirectory() throws -> URL {
        if let dir = ProcessInfo.processInfo.environment["MNIST_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let shared = repository.deletingLastPathComponent().appendingPathComponent("shared/data/mnist")
        guard FileManager.default.fileExists(atPath: shared.path) else {
            throw Missing()
        }
        return shared
    }

    static func mnistFile(_ name: String) throws -> URL {
        try mnistDirectory().appendingPathComponent(name)
    }
}
