// Checks that a file is a real, non-blank PNG without a PNG decoder: the 8-byte signature, the
// IHDR chunk (width, height, bit depth, colour type) with a valid CRC, and enough compressed
// image data (IDAT) to rule out a blank canvas.

import Foundation

/// What `PNGCheck.inspect` found.
struct PNGInfo: Equatable {
    var width: Int
    var height: Int
    var bitDepth: Int
    var colorType: Int
    /// Total bytes in all IDAT chunks (the deflate-compressed pixels).
    var compressedImageBytes: Int
}

/// Why a file is not an acceptable PNG.
struct PNGCheckError: Error, CustomStringConvertible {
    var description: String
}

/// Honest structural checks on PNG files.
///
/// "Not blank" is judged from the compressed size: a uniform image deflates to about 1 byte
/// per 1000 pixels (each row is a filter byte plus a repeated colour), so a 900×600 blank
/// canvas is ≈ 1–2 kB of IDAT. A figure with axes, text and curves is tens of kB. The check
/// requires IDAT ≥ `minimumBytesPerPixel`·width·height (default 1/100 byte per pixel, ten
/// times a uniform image); it cannot tell a plot of the right data from one of wrong data —
/// the CSV sidecars and the text output are checked for that.
enum PNGCheck {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Parses the signature and every chunk header; verifies IHDR (first, 13 bytes, CRC) and IEND.
    static func inspect(_ data: Data) throws -> PNGInfo {
        let bytes = [UInt8](data)
        guard bytes.count > 8, Array(bytes[0..<8]) == signature else { throw PNGCheckError(description: "no PNG signature") }
        func u32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        var offset = 8
        var info: PNGInfo?
        var idat = 0
        var sawEnd = false
        while offset + 12 <= bytes.count {
            let length = u32(offset)
            let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            guard offset + 12 + length <= bytes.count else { throw PNGCheckError(description: "chunk \(type) runs past the end") }
            if info == nil {
                guard type == "IHDR", length == 13 else { throw PNGCheckError(description: "first chunk is \(type), not IHDR") }
                guard crc32(bytes[offset + 4..<offset + 8 + length]) == UInt32(u32(offset + 8 + length)) else {
                    throw PNGCheckError(description: "IHDR CRC mismatch")
                }
                info = PNGInfo(width: u32(offset + 8), height: u32(offset + 12), bitDepth: Int(bytes[offset + 16]),
                               colorType: Int(bytes[offset + 17]), compressedImageBytes: 0)
            }
            if type == "IDAT" { idat += length }
            if type == "IEND" { sawEnd = true; break }
            offset += 12 + length
        }
        guard var result = info else { throw PNGCheckError(description: "no IHDR") }
        guard sawEnd else { throw PNGCheckError(description: "no IEND: the file is truncated") }
        result.compressedImageBytes = idat
        return result
    }

    /// Checks `url` is a PNG of `width`×`height` that is not blank.
    ///
    /// - Throws: `PNGCheckError` saying what is wrong.
    @discardableResult
    static func check(_ url: URL, width: Int, height: Int, minimumBytesPerPixel: Double = 0.01) throws -> PNGInfo {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw PNGCheckError(description: "\(url.lastPathComponent) is missing")
        }
        let info = try inspect(data)
        guard info.width == width, info.height == height else {
            throw PNGCheckError(description: "\(url.lastPathComponent) is \(info.width)×\(info.height), expected \(width)×\(height)")
        }
        let needed = Int(minimumBytesPerPixel * Double(width * height))
        guard info.compressedImageBytes >= needed else {
            throw PNGCheckError(description: "\(url.lastPathComponent) looks blank: \(info.compressedImageBytes) bytes of image data, expected ≥ \(needed)")
        }
        return info
    }

    /// CRC-32 (ISO 3309, as PNG uses), bitwise.
    static func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
