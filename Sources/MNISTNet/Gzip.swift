// gzip decompression through the system zlib. MNIST ships as .gz files; both the IDX reader
// and the download check (SHA-256 of the decompressed bytes) need the content. The output
// size is capped so a small hostile file cannot inflate into gigabytes.

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
        guard !data.isEmpty else { throw GzipError.corrupt("the file is empty") }
        var output = Data()
        var stream = z_stream()
        // 15 + 32: accept gzip or zlib headers, maximum window.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipError.corrupt("zlib could not start")
        }
        defer { inflateEnd(&stream) }

        let chunkSize = 1 << 20
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress!)
            stream.avail_in = uInt(input.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(chunkSize)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunkSize - Int(stream.avail_out)
                if output.count + produced > limit { throw GzipError.tooLarge(limit: limit) }
                output.append(contentsOf: chunk[..<produced])
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow; anything else after the end is an error.
                    if stream.avail_in == 0 { return }
                    guard inflateReset(&stream) == Z_OK else { throw GzipError.corrupt("bad trailing data") }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw GzipError.corrupt("the file is cut short")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw GzipError.corrupt(reason)
                }
            }
        }
        return output
    }
}
