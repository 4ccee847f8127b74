// The IDX file format of MNIST and Fashion-MNIST (Question 2's data): a big-endian header —
// magic 0x00000803 + count, rows, columns for images; 0x00000801 + count for labels — then
// one unsigned byte per pixel or label. Files may be gzip-compressed (detected by magic bytes).
// Everything is validated before anything is allocated from the header's numbers.

import Foundation

/// What is wrong with an IDX file, in words that say what to do about it.
public enum IDXError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read at all.
    case unreadable(file: String, reason: String)
    /// The gzip layer is damaged or decompresses to more than any dataset file.
    case badCompression(file: String, reason: String)
    /// The file is shorter than its header.
    case tooShort(file: String, bytes: Int, headerBytes: Int)
    /// The magic number is not the expected kind (images or labels).
    case wrongMagic(file: String, found: UInt32, expected: IDX.Kind)
    /// A header dimension is zero or beyond what any image dataset uses.
    case badDimension(file: String, name: String, value: UInt32, limit: Int)
    /// The data is shorter than the header announces.
    case truncated(file: String, expectedBytes: Int, actualBytes: Int)
    /// There are bytes after the data the header announces.
    case trailingBytes(file: String, expectedBytes: Int, actualBytes: Int)
    /// Images and labels files disagree on the number of samples.
    case countMismatch(imagesFile: String, images: Int, labelsFile: String, labels: Int)
    /// A label is not a class index.
    case labelOutOfRange(file: String, index: Int, label: UInt8, classCount: Int)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "cannot read '\(file)': \(reason); check the path (or pass --data-dir)"
        case let .badCompression(file, reason):
            return "'\(file)' is not a valid gzip file (\(reason)); delete it and download it again"
        case let .tooShort(file, bytes, headerBytes):
            return "'\(file)' has \(bytes) bytes, fewer than the \(headerBytes)-byte IDX header; it is not an IDX file — download it again"
        case let .wrongMagic(file, found, expected):
            let hex = "0x" + String(found, radix: 16, uppercase: true).leftPadded(to: 8)
            var text = "'\(file)' starts with \(hex), not the IDX \(expected.rawValue) magic \(expected.magicText)"
            if found == expected.other.magic {
                text += "; it is an IDX \(expected.other.rawValue) file — pass the \(expected.rawValue) file here (are images and labels swapped?)"
            } else {
                text += "; it is not an IDX \(expected.rawValue) file — download it again"
            }
            return text
        case let .badDimension(file, name, value, limit):
            return "'\(file)' declares \(name) = \(value), outside 1…\(limit); the header is corrupt — download the file again"
        case let .truncated(file, expected, actual):
            return "'\(file)' is cut short: the header announces \(expected) bytes but the file has \(actual); download it again"
        case let .trailingBytes(file, expected, actual):
            return "'\(file)' has \(actual - expected) bytes after the \(expected) the header announces; the file is corrupt — download it again"
        case let .countMismatch(imagesFile, images, labelsFile, labels):
            return "'\(imagesFile)' holds \(images) images but '\(labelsFile)' holds \(labels) labels; pass the images and labels of the same set (train or t10k)"
        case let .labelOutOfRange(file, index, label, classCount):
            return "'\(file)': label \(label) at index \(index) is not a class index 0…\(classCount - 1); the file is corrupt or not a \(classCount)-class dataset — download it again"
        }
    }
}

/// Parsing of IDX bytes (plain or gzip), usable on untrusted input: every failure is an
/// `IDXError`, never a crash, and nothing is allocated from header numbers before the byte
/// count has been checked against them.
public enum IDX {
    /// The two IDX file kinds gdlab reads.
    public enum Kind: String, Sendable {
        case images, labels

        /// The magic number: 0x00 0x00, type 0x08 (unsigned byte), number of dimensions.
        public var magic: UInt32 { self == .images ? 0x0000_0803 : 0x0000_0801 }
        var magicText: String { self == .images ? "0x00000803" : "0x00000801" }
        var other: Kind { self == .images ? .labels : .images }
        var headerBytes: Int { self == .images ? 16 : 8 }
    }

    /// Most images in one file (MNIST has 60,000; EMNIST about 800,000).
    public static let maximumCount = 10_000_000
    /// Largest side of an image.
    public static let maximumSide = 4096
    /// Largest decompressed size of a gzip file, in bytes (MNIST's largest is 47 MB).
    public static let maximumDecompressedBytes = 256 << 20

    /// Images parsed from IDX bytes.
    public struct Images: Sendable {
        /// (count, rows · columns) row-major.
        public let pixels: [UInt8]
        public let count: Int
        public let rows: Int
        public let columns: Int
    }

    /// Parses an IDX images file (magic 0x00000803).
    ///
    /// - Parameters:
    ///   - data: the file's bytes, plain or gzip-compressed.
    ///   - source: the name used in error messages (the file path).
    /// - Throws: `IDXError` for anything but a well-formed images file.
    /// - Complexity: O(n) in the size of the file.
    public static func parseImages(_ data: Data, source: String = "<data>") throws -> Images {
        var content = try decompressIfNeeded(data, source: source)
        try checkHeader(content, kind: .images, source: source)
        let count = try dimension(content, at: 4, name: "the image count", limit: maximumCount, source: source)
        let rows = try dimension(content, at: 8, name: "rows", limit: maximumSide, source: source)
        let columns = try dimension(content, at: 12, name: "columns", limit: maximumSide, source: source)
        // count ≤ 10^7 and rows · columns ≤ 2^24 keep the product below 2^48: no overflow.
        let expected = Kind.images.headerBytes + count * rows * columns
        try checkLength(content, expected: expected, source: source)
        content.removeFirst(Kind.images.headerBytes)  // in place: no second 47 MB buffer
        return Images(pixels: content, count: count, rows: rows, columns: columns)
    }

    /// Parses an IDX labels file (magic 0x00000801).
    ///
    /// - Parameters:
    ///   - data: the file's bytes, plain or gzip-compressed.
    ///   - classCount: every label must be below this (10 for MNIST).
    ///   - source: the name used in error messages (the file path).
    /// - Throws: `IDXError` for anything but a well-formed labels file with valid labels.
    /// - Complexity: O(n) in the size of the file.
    public static func parseLabels(_ data: Data, classCount: Int = 10, source: String = "<data>") throws -> [UInt8] {
        precondition(classCount > 0 && classCount <= 256, "classCount must be in 1…256")
        var content = try decompressIfNeeded(data, source: source)
        try checkHeader(content, kind: .labels, source: source)
        let count = try dimension(content, at: 4, name: "the label count", limit: maximumCount, source: source)
        try checkLength(content, expected: Kind.labels.headerBytes + count, source: source)
        content.removeFirst(Kind.labels.headerBytes)
        let labels = content
        if let index = labels.firstIndex(where: { Int($0) >= classCount }) {
            throw IDXError.labelOutOfRange(file: source, index: index, label: labels[index], classCount: classCount)
        }
        return labels
    }

    // MARK: - Pieces

    /// The content as bytes: gzip is inflated straight into the array (`Gzip.decompressedBytes`),
    /// plain files are copied once.
    private static func decompressIfNeeded(_ data: Data, source: String) throws -> [UInt8] {
        guard Gzip.isCompressed(data) else { return [UInt8](data) }
        do {
            return try Gzip.decompressedBytes(data, limit: maximumDecompressedBytes)
        } catch let error as GzipError {
            switch error {
            case .corrupt(let detail): throw IDXError.badCompression(file: source, reason: detail)
            case .tooLarge(let limit):
                throw IDXError.badCompression(file: source, reason: "it decompresses to more than \(limit) bytes")
            }
        }
    }

    private static func checkHeader(_ content: [UInt8], kind: Kind, source: String) throws {
        guard content.count >= kind.headerBytes else {
            // Even a short file may reveal the wrong kind: check the magic when it is there.
            if content.count >= 4 {
                let magic = readUInt32(content, at: 0)
                if magic != kind.magic { throw IDXError.wrongMagic(file: source, found: magic, expected: kind) }
            }
            throw IDXError.tooShort(file: source, bytes: content.count, headerBytes: kind.headerBytes)
        }
        let magic = readUInt32(content, at: 0)
        guard magic == kind.magic else { throw IDXError.wrongMagic(file: source, found: magic, expected: kind) }
    }

    private static func dimension(_ content: [UInt8], at offset: Int, name: String, limit: Int, source: String) throws -> Int {
        let value = readUInt32(content, at: offset)
        guard value >= 1, Int(value) <= limit else {
            throw IDXError.badDimension(file: source, name: name, value: value, limit: limit)
        }
        return Int(value)
    }

    private static func checkLength(_ content: [UInt8], expected: Int, source: String) throws {
        if content.count < expected {
            throw IDXError.truncated(file: source, expectedBytes: expected, actualBytes: content.count)
        }
        if content.count > expected {
            throw IDXError.trailingBytes(file: source, expectedBytes: expected, actualBytes: content.count)
        }
    }

    /// Big-endian 32-bit unsigned integer at `offset` bytes from the start of `bytes`.
    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset ..< offset + 4].reduce(0) { ($0 << 8) | UInt32($1) }
    }
}

extension ImageDataset {
    /// Reads an images file and a labels file (each plain or gzip) into a dataset.
    ///
    /// - Parameters:
    ///   - images: an IDX images file, e.g. `t10k-images-idx3-ubyte.gz`.
    ///   - labels: the matching IDX labels file.
    ///   - classCount: every label must be below this (10 for MNIST and Fashion-MNIST).
    /// - Throws: `IDXError` naming the file and the problem.
    public static func load(images: URL, labels: URL, classCount: Int = 10) throws -> ImageDataset {
        let imageBytes = try read(images)
        let labelBytes = try read(labels)
        return try parse(
            images: imageBytes, labels: labelBytes, classCount: classCount,
            imagesSource: images.relativePath, labelsSource: labels.relativePath)
    }

    /// Parses a dataset from the bytes of an images file and a labels file.
    ///
    /// - Throws: `IDXError` for malformed files or different counts.
    public static func parse(
        images: Data, labels: Data, classCount: Int = 10,
        imagesSource: String = "<images>", labelsSource: String = "<labels>"
    ) throws -> ImageDataset {
        let parsedImages = try IDX.parseImages(images, source: imagesSource)
        let parsedLabels = try IDX.parseLabels(labels, classCount: classCount, source: labelsSource)
        guard parsedImages.count == parsedLabels.count else {
            throw IDXError.countMismatch(
                imagesFile: imagesSource, images: parsedImages.count, labelsFile: labelsSource, labels: parsedLabels.count)
        }
        return ImageDataset(
            pixels: parsedImages.pixels, labels: parsedLabels, rows: parsedImages.rows, columns: parsedImages.columns)
    }

    private static func read(_ url: URL) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw IDXError.unreadable(file: url.relativePath, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw IDXError.unreadable(file: url.relativePath, reason: "it is a folder") }
        // A pipe or device would block the read forever: only regular files (or links to one,
        // which stat follows) are datasets.
        var status = stat()
        guard stat(url.path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw IDXError.unreadable(file: url.relativePath, reason: "it is not a regular file (a pipe or a device?)")
        }
        // A gzip file of MNIST is ~10 MB; a plain one 47 MB. Refuse anything far larger
        // before reading it into memory.
        if Int64(status.st_size) > Int64(IDX.maximumDecompressedBytes) {
            throw IDXError.unreadable(file: url.relativePath, reason: "it is \(status.st_size) bytes, larger than any dataset file")
        }
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IDXError.unreadable(file: url.relativePath, reason: String(cString: strerror(errno))) }
        do {
            return try FileHandle(fileDescriptor: fd, closeOnDealloc: true).readToEnd() ?? Data()
        } catch {
            throw IDXError.unreadable(file: url.relativePath, reason: "it cannot be read (\(error))")
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
