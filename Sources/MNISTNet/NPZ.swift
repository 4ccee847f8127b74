// Network weights as a NumPy .npz (Question 2's --save / --load): a ZIP archive (written and
// read with ZIPFoundation, in memory) of .npy arrays w1, b1, w2, b2, … in float64 '<f8',
// weights shaped (n_in, n_out) and biases (n_out,), so `numpy.load` reads them directly.

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

/// Reading and writing `MLP` parameters as NumPy `.npz`.
public enum NPZ {
    /// Largest total of uncompressed array bytes accepted when reading (a 784-32-32-10 network
    /// is 208 kB; 64 MB allows layers of a few thousand units).
    public static let maximumUncompressedBytes = 64 << 20

    // MARK: Writing

    /// The .npz bytes for `network`: arrays w1, b1, …, wL, bL (stored, not compressed, as
    /// `numpy.savez` does), each a version 1.0 .npy of little-endian float64.
    ///
    /// - Throws: ZIPFoundation's error if the in-memory archive cannot be built (not expected).
    public static func encode(_ network: MLP) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (l, layer) in network.layers.enumerated() {
            try add("w\(l + 1)", npy(layer.weights, shape: [layer.inputCount, layer.outputCount]), to: archive)
            try add("b\(l + 1)", npy(layer.biases, shape: [layer.outputCount]), to: archive)
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

    /// The network stored in an .npz file.
    ///
    /// Checks, in order: the file is a ZIP archive; the members are exactly w1, b1, …, wL, bL
    /// (L ≥ 2) as .npy files; the uncompressed sizes stay below `maximumUncompressedBytes`
    /// (checked both on the declared sizes and while extracting, so a ZIP bomb stops early);
    /// each header is a version 1–3 .npy header with descr '<f8', fortran_order False and a
    /// shape of the right rank whose byte count matches the data; the shapes chain
    /// (w_l is (n_{l−1}, n_l), b_l is (n_l,)); every value is finite.
    ///
    /// - Throws: `NPZError` saying exactly what is wrong.
    public static func decode(contentsOf url: URL) throws -> MLP {
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
        try checkMembers(handle)
        try? handle.close()
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw NPZError.notAnArchive("the ZIP directory of '\(shown)' cannot be read")
        }
        return try decode(archive)
    }

    /// The network stored in .npz bytes (see `decode(contentsOf:)` for the checks).
    ///
    /// The bytes are read through a private temporary file: ZIPFoundation 0.9.20's in-memory
    /// reader traps on a central directory that points past the end of the data, while its
    /// file-backed reader reports an error, and hostile input must never crash.
    ///
    /// - Throws: `NPZError` saying exactly what is wrong.
    public static func decode(_ data: Data) throws -> MLP {
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
        return try decode(contentsOf: url)
    }

    /// Reads the ZIP central directory (found from the end-of-directory record in the last
    /// 64 kB) and refuses members gdlab cannot inflate — compression other than stored (0) or
    /// deflate (8), or encryption — by name, before ZIPFoundation reports them as damage.
    /// Anything it cannot make sense of is left for ZIPFoundation to report.
    private static func checkMembers(_ handle: FileHandle) throws {
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

    private static func decode(_ archive: Archive) throws -> MLP {
        var members: [String: Entry] = [:]
        var declaredTotal: UInt64 = 0
        for entry in archive {
            guard entry.type == .file else { throw NPZError.notAnArchive("it contains '\(entry.path)', which is not a file") }
            let name = entry.path.hasSuffix(".npy") ? String(entry.path.dropLast(4)) : entry.path
            guard members[name] == nil else { throw NPZError.badNetwork("array '\(name)' appears twice") }
            members[name] = entry
            declaredTotal = declaredTotal &+ min(entry.uncompressedSize, UInt64(Int.max))
            guard declaredTotal <= UInt64(maximumUncompressedBytes), members.count <= 2 * 64 else {
                throw NPZError.tooLarge("the arrays add up to more than \(maximumUncompressedBytes >> 20) MB")
            }
        }
        let layerCount = members.count / 2
        let expected = (1 ... max(1, layerCount)).flatMap { ["w\($0)", "b\($0)"] }
        guard members.count >= 4, members.count % 2 == 0, Set(members.keys) == Set(expected) else {
            let found = members.keys.sorted().joined(separator: ", ")
            throw NPZError.badNetwork(
                "expected arrays w1, b1, w2, b2, … (at least one hidden layer) but found [\(found)]")
        }

        var budget = maximumUncompressedBytes
        var layers: [DenseLayer] = []
        for l in 1 ... layerCount {
            let weights = try readArray(archive, members["w\(l)"]!, name: "w\(l)", rank: 2, budget: &budget)
            let biases = try readArray(archive, members["b\(l)"]!, name: "b\(l)", rank: 1, budget: &budget)
            let (nIn, nOut) = (weights.shape[0], weights.shape[1])
            guard biases.shape[0] == nOut else {
                throw NPZError.badNetwork("w\(l) has shape (\(nIn), \(nOut)) so b\(l) must have shape (\(nOut),), but it has (\(biases.shape[0]),)")
            }
            if let previous = layers.last, previous.outputCount != nIn {
                throw NPZError.badNetwork(
                    "w\(l - 1) has \(previous.outputCount) outputs but w\(l) has shape (\(nIn), \(nOut)); its first dimension must be \(previous.outputCount)")
            }
            guard nIn <= MLP.maximumLayerSize, nOut <= MLP.maximumLayerSize else {
                throw NPZError.badNetwork("w\(l) has shape (\(nIn), \(nOut)); layers are limited to \(MLP.maximumLayerSize) units")
            }
            layers.append(DenseLayer(inputCount: nIn, outputCount: nOut, weights: weights.values, biases: biases.values))
        }
        return MLP(layers: layers)
    }

    private struct ParsedArray {
        var shape: [Int]
        var values: [Double]
    }

    private struct BudgetExceeded: Error {}

    private static func readArray(_ archive: Archive, _ entry: Entry, name: String, rank: Int, budget: inout Int) throws -> ParsedArray {
        var content = Data()
        var remaining = budget
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                remaining -= chunk.count
                if remaining < 0 { throw BudgetExceeded() }
                content.append(chunk)
            }
        } catch is BudgetExceeded {
            throw NPZError.tooLarge("array '\(name)' inflates beyond \(maximumUncompressedBytes >> 20) MB")
        } catch {
            throw NPZError.badArray(name: name, reason: "its ZIP member is damaged")
        }
        budget = remaining
        return try parseNPY(content, name: name, rank: rank)
    }

    /// Parses one .npy file of float64 values with the given rank.
    private static func parseNPY(_ data: Data, name: String, rank: Int) throws -> ParsedArray {
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
            let expected = rank == 2 ? "(n_in, n_out)" : "(n_out,)"
            throw NPZError.badArray(name: name, reason: "it has \(shape.count) dimensions \(shapeText(shape)), expected \(rank): \(expected)")
        }
        // Each dimension is below 2^31 (parser limit); check the product before trusting it.
        var count = 1
        for d in shape {
            guard d >= 1 else { throw NPZError.badArray(name: name, reason: "shape \(shapeText(shape)) has an empty dimension") }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maximumUncompressedBytes / 8 else {
                throw NPZError.tooLarge("array '\(name)' declares shape \(shapeText(shape))")
            }
            count = product
        }
        let dataStart = headerStart + headerLength
        guard bytes.count - dataStart == 8 * count else {
            throw NPZError.badArray(
                name: name,
                reason: "shape \(shapeText(shape)) needs \(8 * count) bytes of data but there are \(bytes.count - dataStart)")
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
        return ParsedArray(shape: shape, values: values)
    }

    private static func shapeText(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
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
