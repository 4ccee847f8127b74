// NumPy .npz files of float64 arrays (Question 2's --save / --load): a ZIP archive (written and
// read with ZIPFoundation) of .npy arrays in '<f8', C order, so `numpy.load` reads them
// directly. Which arrays a network stores (w1, b1, w2, b2, …) and how they chain is MNISTNet's
// business (MLP+NPZ.swift); this file reads and writes the archive and its arrays, hardened.
//
// About 470 lines in one file: the .npy header parser, the archive's limits (members, sizes,
// compression methods, encryption) and the writer are one hardened format, fuzzed as one unit
// (Fuzz/Targets/NPZ); split apart, a limit could drift from the check that relies on it.

import Foundation
import ZIPFoundation

/// What is wrong with a weights file, and what to do.
public enum NPZError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Not a ZIP archive, or a damaged one.
    case notAnArchive(String)
    /// The archive or one array is larger than any weights file should be.
    case tooLarge(String)
    /// An .npy member is malformed.
    case badArray(name: String, reason: String)
    /// Arrays are missing, extra, or do not chain into a network.
    case badNetwork(String)
    /// The file exists but cannot be read (permissions, an I/O error).
    case unreadable(path: String, reason: String)
    /// A ZIP member is stored in a way gdlab does not read (bzip2, LZMA, …, or encrypted).
    case unsupportedMember(name: String, detail: String)

    public var description: String {
        switch self {
        case .notAnArchive(let detail):
            return "not a NumPy .npz file (\(detail)); pass a file written by `lab q2-train --save` or numpy.savez"
        case .tooLarge(let detail):
            return "the weights file is too large (\(detail)); it is not a gdlab network — pass a file written by `lab q2-train --save`"
        case let .badArray(name, reason):
            return "array '\(name)' in the .npz: \(reason); \(Self.advice(for: reason))"
        case .badNetwork(let detail):
            return "the .npz does not describe a network: \(detail)"
        case let .unreadable(path, reason):
            return "cannot read '\(path)': \(reason); check the path and that the file is readable (ls -l)"
        case let .unsupportedMember(name, detail):
            return "array '\(name)' in the .npz is \(detail), which gdlab does not read; save the weights with numpy.savez "
                + "or numpy.savez_compressed (stored or deflate, no password)"
        }
    }

    /// What to do about a bad array: the remedy that fits the reason.
    static func advice(for reason: String) -> String {
        if reason.hasPrefix("fortran_order") {
            return "save C-ordered arrays: numpy.savez(file, w1=numpy.ascontiguousarray(w1), …)"
        }
        if reason.contains("diverged") {
            return "train again (a smaller --lr such as 0.003 keeps the weights finite) and save that run"
        }
        if reason.hasPrefix("dtype") {
            return "save float64 arrays: numpy.savez(file, w1=w1.astype(numpy.float64), …)"
        }
        return "save the weights again with float64 arrays (numpy.savez)"
    }
}

/// NumPy `.npz` archives of named float64 arrays, written as `numpy.savez` does and read with
/// every size checked before it is trusted. gdlab keeps network weights in them (`MNISTNet`
/// adds `NPZ.encode(_:)` and `NPZ.decode` for an `MLP`).
public enum NPZ {
    /// Largest total of uncompressed array bytes accepted when reading (a 784-32-32-10 network
    /// is 208 kB; 64 MB allows layers of a few thousand units).
    public static let maximumUncompressedBytes = 64 << 20

    // MARK: Writing

    /// The .npz bytes holding `arrays` in order (stored, not compressed, as `numpy.savez`
    /// does), each a version 1.0 .npy of little-endian float64 named `name.npy`.
    ///
    /// - Parameter arrays: name (without `.npy`), shape, and the values in C (row-major) order;
    ///   the values must number the product of the shape.
    /// - Throws: ZIPFoundation's error if the in-memory archive cannot be built (not expected).
    public static func encode(_ arrays: [(name: String, shape: [Int], values: [Double])]) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        for array in arrays {
            precondition(array.values.count == array.shape.reduce(1, *), "the values must fill the shape")
            try add(array.name, npy(array.values, shape: array.shape), to: archive)
        }
        guard let data = archive.data else { throw NPZError.notAnArchive("the archive could not be built") }
        return data
    }

    /// One .npy file, format version 1.0:
    /// ```
    /// \x93NUMPY 0x01 0x00 <header length: UInt16 LE> <header> <data>
    /// header = "{'descr': '<f8', 'fortran_order': False, 'shape': (r, c), }" + spaces + "\n"
    /// ```
    /// padded so that magic + length + header is a multiple of 64 bytes.
    static func npy(_ values: [Double], shape: [Int]) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.reserveCapacity(data.count + 8 * values.count)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    private static func add(_ name: String, _ content: Data, to archive: Archive) throws {
        try archive.addEntry(
            with: name + ".npy", type: .file, uncompressedSize: Int64(content.count), compressionMethod: .none
        ) { position, size in
            content.subdata(in: Int(position) ..< Int(position) + size)
        }
    }

    // MARK: Reading

    /// Runs `body` on a private temporary file holding `data`, removed afterwards.
    ///
    /// .npz bytes are read through a file: ZIPFoundation 0.9.20's in-memory reader traps on a
    /// central directory that points past the end of the data, while its file-backed reader
    /// reports an error, and hostile input must never crash.
    ///
    /// - Throws: `NPZError.notAnArchive` when `data` does not start like a ZIP archive or the
    ///   copy cannot be written; whatever `body` throws.
    public static func withArchiveFile<T>(holding data: Data, _ body: (URL) throws -> T) throws -> T {
        guard data.count >= 22, data.prefix(2) == Data("PK".utf8) else {
            throw NPZError.notAnArchive("it does not start with a ZIP signature")
        }
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("gdlab-npz-\(getpid())-\(UInt64.random(in: 0 ... .max)).npz")
        do {
            try data.write(to: url, options: [.withoutOverwriting])
        } catch {
            throw NPZError.notAnArchive("a temporary copy could not be written to \(url.deletingLastPathComponent().path)")
        }
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url)
    }

    /// Reads the ZIP central directory (found from the end-of-directory record in the last
    /// 64 kB) and refuses members gdlab cannot inflate — compression other than stored (0) or
    /// deflate (8), or encryption — by name, before ZIPFoundation reports them as damage.
    /// Anything it cannot make sense of is left for ZIPFoundation to report.
    fileprivate static func checkMembers(_ handle: FileHandle) throws {
        guard let size = try? handle.seekToEnd(), size >= 22 else { return }
        let tailLength = min(size, 65_557)
        guard (try? handle.seek(toOffset: size - tailLength)) != nil,
              let tail = try? handle.read(upToCount: Int(tailLength)) else { return }
        let bytes = [UInt8](tail)
        func word(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
        func long(_ b: [UInt8], _ at: Int) -> Int { word(b, at) | word(b, at + 2) << 16 }
        guard let end = stride(from: bytes.count - 22, through: 0, by: -1).first(where: {
            bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4B && bytes[$0 + 2] == 5 && bytes[$0 + 3] == 6
        }) else { return }
        let (directorySize, directoryOffset) = (long(bytes, end + 12), long(bytes, end + 16))
        guard directorySize <= 1 << 20, directoryOffset + directorySize <= Int(size),
              (try? handle.seek(toOffset: UInt64(directoryOffset))) != nil,
              let directory = (try? handle.read(upToCount: directorySize)).map({ [UInt8]($0) }),
              directory.count == directorySize else { return }
        let methods = [1: "shrunk", 6: "imploded", 9: "compressed with deflate64", 12: "compressed with bzip2",
                       14: "compressed with LZMA", 93: "compressed with Zstandard", 95: "compressed with xz",
                       98: "compressed with PPMd"]
        var at = 0
        while at + 46 <= directory.count, long(directory, at) == 0x0201_4B50 {
            let (flags, method) = (word(directory, at + 8), word(directory, at + 10))
            let nameLength = word(directory, at + 28)
            let next = at + 46 + nameLength + word(directory, at + 30) + word(directory, at + 32)
            guard next <= directory.count else { return }
            let path = String(decoding: directory[at + 46 ..< at + 46 + nameLength], as: UTF8.self)
            let name = path.hasSuffix(".npy") ? String(path.dropLast(4)) : path
            if flags & 1 != 0 { throw NPZError.unsupportedMember(name: name, detail: "encrypted") }
            if method != 0 && method != 8 {
                throw NPZError.unsupportedMember(name: name, detail: (methods[method] ?? "compressed") + " (ZIP method \(method))")
            }
            at = next
        }
    }

    static func shapeText(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}

/// One float64 array read from an .npz: its shape and its values in C (row-major) order.
public struct NPYArray: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Double]
}

/// An .npz archive opened for reading: its member names, then its arrays one at a time, all
/// within `NPZ.maximumUncompressedBytes` together.
public struct NPZReader {
    private let archive: Archive
    private let members: [String: Entry]
    /// Uncompressed bytes the arrays still read may take.
    private var budget = NPZ.maximumUncompressedBytes

    /// The member names without `.npy` (`w1`, `b1`, … in a weights file).
    public var names: Set<String> { Set(members.keys) }

    /// Opens the .npz at `url`.
    ///
    /// Checks, in order: the path is a regular file that can be opened; it is a ZIP archive; no
    /// member is encrypted or compressed other than stored or deflated; ZIPFoundation reads
    /// its directory; every member is a file, none appears twice (with or without `.npy`), and
    /// the declared uncompressed sizes stay below `NPZ.maximumUncompressedBytes` (at most 128
    /// members).
    ///
    /// - Throws: `NPZError` saying exactly what is wrong.
    public init(contentsOf url: URL) throws {
        let shown = url.relativePath
        // A folder opens for reading on Linux, and FileHandle.readData(ofLength:) then traps.
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw NPZError.notAnArchive("'\(shown)' is a folder")
        }
        // Opening a pipe would block until something writes to it: only regular files are weights.
        var status = stat()  // follows a symbolic link to the file
        if stat(url.path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
            throw NPZError.notAnArchive("'\(shown)' is not a regular file (a pipe or a device?)")
        }
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw NPZError.unreadable(path: shown, reason: errno == ENOENT ? "no such file" : String(cString: strerror(errno)))
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let signature = (try? handle.read(upToCount: 4)) ?? Data()
        guard signature.count == 4, signature.prefix(2) == Data("PK".utf8) else {
            throw NPZError.notAnArchive("'\(shown)' does not start with a ZIP signature")
        }
        try NPZ.checkMembers(handle)
        try? handle.close()
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw NPZError.notAnArchive("the ZIP directory of '\(shown)' cannot be read")
        }
        var members: [String: Entry] = [:]
        var declaredTotal: UInt64 = 0
        for entry in archive {
            guard entry.type == .file else { throw NPZError.notAnArchive("it contains '\(entry.path)', which is not a file") }
            let name = entry.path.hasSuffix(".npy") ? String(entry.path.dropLast(4)) : entry.path
            guard members[name] == nil else { throw NPZError.badNetwork("array '\(name)' appears twice") }
            members[name] = entry
            declaredTotal = declaredTotal &+ min(entry.uncompressedSize, UInt64(Int.max))
            guard declaredTotal <= UInt64(NPZ.maximumUncompressedBytes), members.count <= 2 * 64 else {
                throw NPZError.tooLarge("the arrays add up to more than \(NPZ.maximumUncompressedBytes >> 20) MB")
            }
        }
        self.archive = archive
        self.members = members
    }

    /// The array `name` (one of `names`), extracted within what is left of the budget and parsed.
    ///
    /// Checks: the ZIP member inflates intact (CRC-32) and within the budget, so a ZIP bomb stops
    /// early; the .npy header is version 1–3 with descr '<f8', fortran_order False and a shape
    /// of `rank` dimensions whose byte count matches the data; every value is finite.
    ///
    /// - Parameters:
    ///   - name: the member, without `.npy`.
    ///   - rank: the number of dimensions expected.
    ///   - expectedShape: the shape in words, for the message when the rank is wrong, e.g. "(n_in, n_out)".
    /// - Throws: `NPZError` saying exactly what is wrong.
    public mutating func array(_ name: String, rank: Int, expectedShape: String) throws -> NPYArray {
        guard let entry = members[name] else { preconditionFailure("'\(name)' is not a member; check `names` first") }
        var content = Data()
        var remaining = budget
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                remaining -= chunk.count
                if remaining < 0 { throw BudgetExceeded() }
                content.append(chunk)
            }
        } catch is BudgetExceeded {
            throw NPZError.tooLarge("array '\(name)' inflates beyond \(NPZ.maximumUncompressedBytes >> 20) MB")
        } catch {
            throw NPZError.badArray(name: name, reason: "its ZIP member is damaged")
        }
        budget = remaining
        return try Self.parseNPY(content, name: name, rank: rank, expectedShape: expectedShape)
    }

    private struct BudgetExceeded: Error {}

    /// Parses one .npy file of float64 values with the given rank.
    private static func parseNPY(_ data: Data, name: String, rank: Int, expectedShape: String) throws -> NPYArray {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1 ..< 6]) == Array("NUMPY".utf8) else {
            throw NPZError.badArray(name: name, reason: "it does not start with the .npy magic \\x93NUMPY")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw NPZError.badArray(name: name, reason: "the header is cut short") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw NPZError.badArray(name: name, reason: "unknown .npy format version \(major)")
        }
        guard headerLength <= 65536, headerStart + headerLength <= bytes.count else {
            throw NPZError.badArray(name: name, reason: "the header is cut short or implausibly long")
        }
        guard let header = String(bytes: bytes[headerStart ..< headerStart + headerLength], encoding: .utf8) else {
            throw NPZError.badArray(name: name, reason: "the header is not text")
        }
        var parser = HeaderParser(text: header, name: name)
        let fields = try parser.parseDictionary()
        guard Set(fields.keys) == ["descr", "fortran_order", "shape"] else {
            throw NPZError.badArray(name: name, reason: "the header must have exactly the keys descr, fortran_order, shape")
        }
        guard case .string(let descr) = fields["descr"] else {
            throw NPZError.badArray(name: name, reason: "descr is not a string")
        }
        guard descr == "<f8" else {
            throw NPZError.badArray(name: name, reason: "dtype is '\(descr)', not float64 '<f8'")
        }
        guard case .bool(let fortran) = fields["fortran_order"], !fortran else {
            throw NPZError.badArray(name: name, reason: "fortran_order must be False (C order), but this array is in Fortran order")
        }
        guard case .tuple(let shape) = fields["shape"] else {
            throw NPZError.badArray(name: name, reason: "shape is not a tuple of integers")
        }
        guard shape.count == rank else {
            throw NPZError.badArray(
                name: name, reason: "it has \(shape.count) dimensions \(NPZ.shapeText(shape)), expected \(rank): \(expectedShape)")
        }
        // Each dimension is below 2^31 (parser limit); check the product before trusting it.
        var count = 1
        for d in shape {
            guard d >= 1 else { throw NPZError.badArray(name: name, reason: "shape \(NPZ.shapeText(shape)) has an empty dimension") }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= NPZ.maximumUncompressedBytes / 8 else {
                throw NPZError.tooLarge("array '\(name)' declares shape \(NPZ.shapeText(shape))")
            }
            count = product
        }
        let dataStart = headerStart + headerLength
        guard bytes.count - dataStart == 8 * count else {
            throw NPZError.badArray(
                name: name,
                reason: "shape \(NPZ.shapeText(shape)) needs \(8 * count) bytes of data but there are \(bytes.count - dataStart)")
        }
        var values = [Double](repeating: 0, count: count)
        for k in 0 ..< count {
            var bits: UInt64 = 0
            for b in 0 ..< 8 { bits |= UInt64(bytes[dataStart + 8 * k + b]) << (8 * b) }
            values[k] = Double(bitPattern: bits)
            guard values[k].isFinite else {
                throw NPZError.badArray(name: name, reason: "entry \(k) is \(values[k]): the weights come from a diverged run")
            }
        }
        return NPYArray(shape: shape, values: values)
    }
}

/// A parser for the Python literal in an .npy header: a dict with string keys whose values
/// are strings, True/False or tuples of non-negative integers. Anything else is an error.
private struct HeaderParser {
    enum Value: Equatable {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    let characters: [Character]
    let name: String
    var position = 0

    init(text: String, name: String) {
        characters = Array(text)
        self.name = name
    }

    mutating func parseDictionary() throws -> [String: Value] {
        var result: [String: Value] = [:]
        try expect("{")
        while true {
            skipSpaces()
            if peek() == "}" { position += 1; break }
            let key = try parseString()
            try expect(":")
            skipSpaces()
            let value: Value
            switch peek() {
            case "'", "\"": value = .string(try parseString())
            case "(": value = .tuple(try parseTuple())
            case "T", "F": value = .bool(try parseBool())
            default: throw failure("unexpected value for '\(key)'")
            }
            guard result[key] == nil else { throw failure("key '\(key)' appears twice") }
            result[key] = value
            skipSpaces()
            if peek() == "," { position += 1; continue }
            try expect("}")
            break
        }
        skipSpaces()
        guard position == characters.count else { throw failure("text after the header dictionary") }
        return result
    }

    private func peek() -> Character? { position < characters.count ? characters[position] : nil }

    private mutating func skipSpaces() {
        while let c = peek(), c == " " || c == "\n" || c == "\t" { position += 1 }
    }

    private mutating func expect(_ c: Character) throws {
        skipSpaces()
        guard peek() == c else { throw failure("expected '\(c)'") }
        position += 1
    }

    private mutating func parseString() throws -> String {
        skipSpaces()
        guard let quote = peek(), quote == "'" || quote == "\"" else { throw failure("expected a quoted string") }
        position += 1
        var text = ""
        while let c = peek(), c != quote {
            guard c != "\\", text.count < 64 else { throw failure("unsupported string") }
            text.append(c)
            position += 1
        }
        try expect(quote)
        return text
    }

    private mutating func parseBool() throws -> Bool {
        for (word, value) in [("True", true), ("False", false)] {
            let end = position + word.count
            if end <= characters.count, String(characters[position ..< end]) == word {
                position = end
                return value
            }
        }
        throw failure("expected True or False")
    }

    private mutating func parseTuple() throws -> [Int] {
        try expect("(")
        var values: [Int] = []
        while true {
            skipSpaces()
            if peek() == ")" { position += 1; return values }
            var digits = ""
            while let c = peek(), c.isASCII, c.isNumber {
                digits.append(c)
                position += 1
            }
            // Python 2 wrote long integers as 784L.
            if peek() == "L" { position += 1 }
            guard !digits.isEmpty, digits.count <= 9, let value = Int(digits) else {
                throw failure("shape entries must be integers below 10^9")
            }
            guard values.count < 8 else { throw failure("too many dimensions") }
            values.append(value)
            skipSpaces()
            if peek() == "," { position += 1; continue }
            try expect(")")
            return values
        }
    }

    private func failure(_ reason: String) -> NPZError {
        .badArray(name: name, reason: "malformed header (\(reason))")
    }
}
