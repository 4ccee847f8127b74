// PNG files made byte by byte for the PNG reader's tests: every colour type and bit depth,
// Adam7 interlacing, palettes with transparency, and hostile headers (huge, zero, bad CRC).
// zlib data is written as stored (uncompressed) deflate blocks, so no compressor is needed.

import Foundation

enum PNGForge {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// CRC-32 as PNG uses it (IEEE, reflected, polynomial 0xEDB88320), bit by bit.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// One chunk: length, type, data, CRC of type + data (`badCRC` flips the CRC).
    static func chunk(_ type: String, _ data: [UInt8], badCRC: Bool = false) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        let crc = crc32(typeBytes + data)
        return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(badCRC ? ~crc : crc)
    }

    static func header(width: UInt32, height: UInt32, bitDepth: UInt8, colorType: UInt8,
                       interlaced: Bool = false, badCRC: Bool = false) -> [UInt8] {
        chunk("IHDR", bigEndian(width) + bigEndian(height) + [bitDepth, colorType, 0, 0, interlaced ? 1 : 0],
              badCRC: badCRC)
    }

    /// A zlib stream of stored blocks, with its Adler-32.
    static func zlibStored(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65535, raw.count - offset)
            out.append(offset + n == raw.count ? 1 : 0)
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += raw[offset ..< offset + n]
            offset += n
        } while offset < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + bigEndian(b << 16 | a)
    }

    /// A complete PNG whose pixel (x, y) is `pixel(x, y)`: the bytes of one pixel at the given
    /// bit depth (8 or 16) and colour type (0 gray, 2 RGB, 3 palette index, 4 gray+alpha, 6 RGBA).
    static func png(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, interlaced: Bool = false,
                    extraChunks: [[UInt8]] = [], pixel: (Int, Int) -> [UInt8]) -> Data {
        // Adam7 passes: (x start, y start, x step, y step); a plain image is one pass.
        let passes = interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)]
        var raw: [UInt8] = []
        for (x0, y0, dx, dy) in passes {
            let columns = Array(stride(from: x0, to: width, by: dx))
            let rows = Array(stride(from: y0, to: height, by: dy))
            if columns.isEmpty || rows.isEmpty { continue }
            for y in rows {
                raw.append(0)  // filter type None
                for x in columns { raw += pixel(x, y) }
            }
        }
        var bytes = signature
        bytes += header(width: UInt32(width), height: UInt32(height), bitDepth: bitDepth,
                        colorType: colorType, interlaced: interlaced)
        for extra in extraChunks { bytes += extra }
        bytes += chunk("IDAT", zlibStored(raw))
        bytes += chunk("IEND", [])
        return Data(bytes)
    }

    /// A signature, a header and a token IDAT (one row's worth of data at most): enough for a
    /// reader to learn the size, far too little for the pixels it announces.
    static func headerOnly(width: UInt32, height: UInt32, badCRC: Bool = false) -> Data {
        Data(signature + header(width: width, height: height, bitDepth: 8, colorType: 0, badCRC: badCRC)
             + chunk("IDAT", zlibStored([0, 0, 0])) + chunk("IEND", []))
    }
}
