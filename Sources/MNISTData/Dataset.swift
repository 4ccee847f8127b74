// Question 2's data: which dataset (MNIST or Fashion-MNIST), its four IDX files, their class
// names, and the SHA-256 and size of each file's decompressed content, so a download (or any
// copy a user supplies) can be checked against the original release.

import Crypto
import Foundation

/// The two datasets the lab can train on. Both are 28×28 grayscale, 60,000 + 10,000 images,
/// 10 classes, in the same IDX format and with the same file names.
public enum DatasetKind: String, Codable, Sendable, CaseIterable {
    /// Handwritten digits (LeCun, Cortes, Burges).
    case mnist
    /// Zalando's clothing images (Xiao, Rasul, Vollgraf), a drop-in replacement for MNIST.
    case fashion

    /// The name shown to users.
    public var displayName: String {
        switch self {
        case .mnist: return "MNIST"
        case .fashion: return "Fashion-MNIST"
        }
    }

    /// The name of class `k`, for k = 0…9.
    public var classNames: [String] {
        switch self {
        case .mnist:
            return (0...9).map(String.init)
        case .fashion:
            return ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        }
    }

    /// The environment variable naming a folder that holds the four files.
    public var environmentVariable: String {
        switch self {
        case .mnist: return "MNIST_DIR"
        case .fashion: return "FASHION_MNIST_DIR"
        }
    }

    /// Folders where a system package installs the files (Debian's `dataset-fashion-mnist`).
    public var systemFolders: [URL] {
        switch self {
        case .mnist: return []
        case .fashion: return [URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist", isDirectory: true)]
        }
    }

    /// The name of this dataset's folder inside gdlab's cache.
    public var cacheFolderName: String {
        switch self {
        case .mnist: return "mnist"
        case .fashion: return "fashion-mnist"
        }
    }

    /// What file `file`'s content must be: its size and SHA-256 after gunzip.
    ///
    /// MNIST's values are those of `../shared/data/mnist/README.md` (the original release);
    /// Fashion-MNIST's were computed from Debian's `dataset-fashion-mnist`, which packages the
    /// files of github.com/zalandoresearch/fashion-mnist unchanged.
    public func expectedContent(of file: DatasetFile) -> ExpectedContent {
        switch (self, file) {
        case (.mnist, .trainImages):
            return ExpectedContent(byteCount: 47_040_016, sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db")
        case (.mnist, .trainLabels):
            return ExpectedContent(byteCount: 60_008, sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5")
        case (.mnist, .testImages):
            return ExpectedContent(byteCount: 7_840_016, sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7")
        case (.mnist, .testLabels):
            return ExpectedContent(byteCount: 10_008, sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2")
        case (.fashion, .trainImages):
            return ExpectedContent(byteCount: 47_040_016, sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888")
        case (.fashion, .trainLabels):
            return ExpectedContent(byteCount: 60_008, sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9")
        case (.fashion, .testImages):
            return ExpectedContent(byteCount: 7_840_016, sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b")
        case (.fashion, .testLabels):
            return ExpectedContent(byteCount: 10_008, sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34")
        }
    }
}

/// One of the four files of a dataset.
public enum DatasetFile: String, Sendable, CaseIterable {
    case trainImages, trainLabels, testImages, testLabels

    /// The file's name without `.gz`, as in the original release.
    public var fileName: String {
        switch self {
        case .trainImages: return "train-images-idx3-ubyte"
        case .trainLabels: return "train-labels-idx1-ubyte"
        case .testImages: return "t10k-images-idx3-ubyte"
        case .testLabels: return "t10k-labels-idx1-ubyte"
        }
    }

    /// The name mirrors serve and the cache keeps: `fileName + ".gz"`.
    public var compressedFileName: String { fileName + ".gz" }

    /// The four names as a user would list them.
    static let allCompressedNames = allCases.map(\.compressedFileName).joined(separator: ", ")
}

/// The size and SHA-256 (lowercase hex) of a file's decompressed content.
public struct ExpectedContent: Sendable, Equatable {
    public let byteCount: Int
    public let sha256: String

    /// Why `content` is not this file, or `nil` when it is.
    ///
    /// - Complexity: O(n): one SHA-256 pass over `content`.
    public func mismatch(_ content: Data) -> String? {
        guard content.count == byteCount else {
            return "its content is \(content.count) bytes, expected \(byteCount)"
        }
        let digest = SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined()
        guard digest == sha256 else {
            return "its SHA-256 is \(digest), expected \(sha256)"
        }
        return nil
    }
}

/// The four files of a dataset, found (or downloaded) and ready for the IDX reader. Each URL
/// names either the gzip file or the plain file; the reader accepts both.
public struct DatasetFiles: Sendable, Equatable {
    public let kind: DatasetKind
    /// The folder the four files are in.
    public let folder: URL
    /// How that folder was chosen.
    public let source: DatasetSource
    public let trainImages: URL
    public let trainLabels: URL
    public let testImages: URL
    public let testLabels: URL

    /// The URL of one file.
    public func url(of file: DatasetFile) -> URL {
        switch file {
        case .trainImages: return trainImages
        case .trainLabels: return trainLabels
        case .testImages: return testImages
        case .testLabels: return testLabels
        }
    }
}

extension DatasetFiles {
    /// SHA-256 (lowercase hex) of the training images' and labels' bytes as stored: the
    /// identity of the data a model is trained on (a subset, another copy or another dataset
    /// gives another identity). Read in 1 MB pieces; about 10 MB for MNIST's `.gz` files.
    ///
    /// - Throws: `IDXError.unreadable` when a file cannot be read.
    public func trainingDataIdentity() throws -> String {
        var hasher = SHA256()
        for url in [trainImages, trainLabels] {
            guard let handle = FileHandle(forReadingAtPath: url.path) else {
                throw IDXError.unreadable(file: url.relativePath, reason: "it cannot be opened")
            }
            defer { try? handle.close() }
            var total = 0
            while let piece = try? handle.read(upToCount: 1 << 20), !piece.isEmpty {
                total += piece.count
                guard total <= IDX.maximumDecompressedBytes else {
                    throw IDXError.unreadable(file: url.relativePath, reason: "it is larger than any dataset file")
                }
                hasher.update(data: piece)
            }
            // The boundary between the two files is part of what is hashed.
            hasher.update(data: Data("|\(total)|".utf8))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// Where the dataset folder came from, in the order they are tried.
public enum DatasetSource: Sendable, Equatable, CustomStringConvertible {
    /// `--data-dir`.
    case explicitFolder
    /// `MNIST_DIR` or `FASHION_MNIST_DIR`.
    case environment(String)
    /// A system package's folder, e.g. /usr/share/datasets/fashion-mnist.
    case system
    /// gdlab's cache, filled earlier.
    case cache
    /// gdlab's cache, some files downloaded just now.
    case downloaded

    public var description: String {
        switch self {
        case .explicitFolder: return "--data-dir"
        case .environment(let name): return "$\(name)"
        case .system: return "system package"
        case .cache: return "cache"
        case .downloaded: return "downloaded"
        }
    }
}

/// What went wrong finding or downloading the dataset; each message says where to put the files.
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A folder the user named (`--data-dir` or the environment variable) is missing or lacks files.
    case folderIncomplete(kind: DatasetKind, folder: String, namedBy: String, missing: [String])
    /// Not in any known place, and downloading is turned off.
    case notFound(kind: DatasetKind, cacheFolder: String)
    /// Every mirror failed for one file.
    case downloadFailed(kind: DatasetKind, file: String, attempts: [String], cacheFolder: String)
    /// A `--mirror` that is not an http(s) URL.
    case badMirror(String)

    public var description: String {
        switch self {
        case let .folderIncomplete(kind, folder, namedBy, missing):
            return "\(namedBy) names '\(folder)', which lacks \(missing.joined(separator: ", ")) (each as name or name.gz); "
                + "put the four \(kind.displayName) files there, or point \(namedBy) at the folder that has them"
        case let .notFound(kind, cacheFolder):
            return "\(kind.displayName) not found; put \(DatasetFile.allCompressedNames) in \(cacheFolder), "
                + "or set \(kind.environmentVariable) / pass --data-dir to a folder that has them"
        case let .downloadFailed(kind, file, attempts, cacheFolder):
            return "could not download \(file) (\(attempts.joined(separator: "; "))); put the four \(kind.displayName) files "
                + "(\(DatasetFile.allCompressedNames)) in \(cacheFolder), or set \(kind.environmentVariable) / pass --data-dir to a folder that has them"
        case .badMirror(let text):
            return "--mirror '\(text)' is not an http:// or https:// URL; pass the base URL of a folder that serves the .gz files"
        }
    }
}
