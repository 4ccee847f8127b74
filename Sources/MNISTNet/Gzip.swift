// gzip decompression through the system zlib (and libdeflate, when the system has it, for the
// common case). MNIST ships as .gz files; both the IDX reader and the download check (SHA-256
// of the decompressed bytes) need the content. The output size is capped so a small hostile
// file cannot inflate into gigabytes.

import CLibZ
import Foundation

/// What went wrong decompressing.
public enum GzipError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The bytes are not a valid gzip (or zlib) stream, or it is cut short.
    case corrupt(String)
    /// The content would be larger than the limit.
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .corrupt(let detail):
            return "not a valid gzip file (\(detail)); download it again or use the uncompressed file"
        case .tooLarge(let limit):
            return "decompresses to more than \(limit) bytes, larger than any MNIST file; it is not a dataset file"
        }
    }
}

/// gzip decompression.
public enum Gzip {
    /// Whether `data` starts with the gzip magic bytes 1f 8b.
    public static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// The decompressed content of a gzip stream (several concatenated members are joined,
    /// as `gunzip` does).
    ///
    /// - Parameters:
    ///   - data: the compressed bytes.
    ///   - limit: the largest content accepted, in bytes.
    /// - Throws: `GzipError.corrupt` for damaged or truncated input, `GzipError.tooLarge`
    ///   when the content exceeds `limit`.
    /// - Complexity: O(n) in the size of the content.
    public static func decompress(_ data: Data, limit: Int = 256 << 20) throws -> Data {
        Data(try decompressedBytes(data, limit: limit))
    }

    /// `decompress(_:limit:)` as bytes, inflated straight into one buffer: its size is the one
    /// the gzip trailer announces (ISIZE, the last member's length mod 2³²), capped by `limit`
    /// and by deflate's largest ratio (1032 : 1), so no header number can make it allocate
    /// much more than the input justifies. When the announcement is short (several members,
    /// a damaged trailer), the buffer doubles as needed, still bounded by `limit`.
    ///
    /// A single-member gzip file goes to libdeflate first when the system has it (2–3× faster,
    /// same checks: CRC-32 and length); anything it declines — damage included — is inflated
    /// again by zlib, whose verdict and message are the ones reported.
    ///
    /// - Parameter libdeflate: whether the libdeflate path may be tried (the tests compare both).
    /// - Throws: as `decompress(_:limit:)`.
    static func decompressedBytes(_ data: Data, limit: Int = 256 << 20, libdeflate: Bool = true) throws -> [UInt8] {
        guard !data.isEmpty else { throw GzipError.corrupt("the file is empty") }
        let announced = data.count >= 4 ? data.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) } : 0
        let plausible = min(announced, data.count * 1032, limit) + 1
        if libdeflate, isCompressed(data), let fast = LibDeflate.shared?.decompress(data, capacity: plausible) {
            guard fast.count <= limit else { throw GzipError.tooLarge(limit: limit) }
            return fast
        }
        var stream = z_stream()
        // 15 + 32: accept gzip or zlib headers, maximum window.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipError.corrupt("zlib could not start")
        }
        defer { inflateEnd(&stream) }

        // One byte more than the content (`plausible`), so the last inflate call ends the stream
        // with room to spare; `limit + 1` bytes are enough to tell that the content is too large.
        var output = [UInt8](repeating: 0, count: max(plausible, min(1 << 16, limit + 1)))
        var produced = 0
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress!)
            stream.avail_in = uInt(input.count)
            while true {
                if produced == output.count {
                    guard output.count <= limit else { throw GzipError.tooLarge(limit: limit) }
                    output += repeatElement(0, count: min(output.count, limit + 1 - output.count))
                }
                let room = min(output.count - produced, Int(UInt32.max))
                let status: Int32 = output.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress! + produced
                    stream.avail_out = uInt(room)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                produced += room - Int(stream.avail_out)
                if produced > limit { throw GzipError.tooLarge(limit: limit) }
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow; anything else after the end is an error.
                    if stream.avail_in == 0 { return }
                    guard inflateReset(&stream) == Z_OK else { throw GzipError.corrupt("bad trailing data") }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw GzipError.corrupt("the file is cut short")
                case Z_BUF_ERROR where stream.avail_out == 0:
                    continue  // the buffer is full: it grows above
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw GzipError.corrupt(reason)
                }
            }
        }
        output.removeSubrange(produced...)
        return output
    }
}
