// PNG input and output for `lab`: the raster figures of Question 2 and the digit images of
// `lab predict`. Only libpng's simplified `png_image_*` API is used: it catches libpng's errors
// internally (no longjmp ever crosses Swift) and reports them in `png_image.message`.
//
// About 380 lines: reading (every layout, with the limits a hostile file meets) and writing share
// the one C API and its error handling, and the fuzz target exercises them as one unit.

import CPNG
import Foundation

/// An 8-bit image in memory, rows top to bottom.
public struct PNGImage: Equatable, Sendable {
    /// How the channels of one pixel are laid out.
    public enum Layout: Int, Sendable {
        /// One byte per pixel: 0 black … 255 white (sRGB-encoded gray).
        case gray = 1
        /// Red, green, blue.
        case rgb = 3
        /// Red, green, blue, alpha (not premultiplied).
        case rgba = 4

        public var channels: Int { rawValue }

        /// libpng's `PNG_FORMAT_GRAY`, `PNG_FORMAT_RGB`, `PNG_FORMAT_RGBA` (8-bit sRGB).
        public var pngFormat: UInt32 {
            switch self {
            case .gray: return 0
            case .rgb: return 2  // PNG_FORMAT_FLAG_COLOR
            case .rgba: return 3  // PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA
            }
        }
    }

    /// Images larger than this many pixels are refused before any pixel memory is allocated
    /// (50 MP as RGBA is 200 MB).
    public static let maximumPixels = 50_000_000
    /// Files larger than this are refused before reading.
    public static let maximumFileBytes = 256 << 20

    public let width: Int
    public let height: Int
    public let layout: Layout
    /// (height, width, channels) row-major.
    public var pixels: [UInt8]

    /// An image of the given size and layout; `pixels.count` must be width · height · channels.
    public init(width: Int, height: Int, layout: Layout, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "an image has at least one pixel")
        precondition(pixels.count == width * height * layout.channels, "pixel count does not match the size")
        self.width = width
        self.height = height
        self.layout = layout
        self.pixels = pixels
    }

    // MARK: - Reading

    /// Reads the PNG file at `url`, converted by libpng to `layout`.
    ///
    /// Any PNG is accepted: gray, gray+alpha, RGB, RGBA, palette, 1–16 bits, interlaced.
    /// Transparency is composited onto `background` when `layout` has no alpha channel.
    ///
    /// - Throws: `PNGError` naming the file: missing, a folder, unreadable, too large, empty,
    ///   not a PNG, over `maximumPixels`, or damaged.
    public static func read(contentsOf url: URL, as layout: Layout, background: UInt8 = 255) throws -> PNGImage {
        let path = url.relativePath  // as the user gave it, for messages
        var status = stat()
        guard stat(url.path, &status) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw PNGError.missingFile(path) }
            throw PNGError.unreadable(path, reason: String(cString: strerror(errno)))
        }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw PNGError.isDirectory(path) }
        // A pipe or device would block the read (or never end): only regular files are images.
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw PNGError.unreadable(path, reason: "it is not a regular file (a pipe or a device?); pass a PNG file")
        }
        if Int(status.st_size) > maximumFileBytes {
            throw PNGError.fileTooLarge(path, bytes: Int(status.st_size), limit: maximumFileBytes)
        }
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PNGError.unreadable(path, reason: String(cString: strerror(errno))) }
        let data: Data
        do {
            data = try FileHandle(fileDescriptor: fd, closeOnDealloc: true).readToEnd() ?? Data()
        } catch {
            throw PNGError.unreadable(path, reason: Self.reason(error))
        }
        return try decode(data, as: layout, background: background, name: path)
    }

    /// Decodes PNG bytes (the entry point the fuzzer drives).
    ///
    /// - Parameters:
    ///   - data: the file's bytes.
    ///   - layout: the layout wanted; libpng converts (gray from colour uses sRGB luminance).
    ///   - background: the gray level transparency is composited onto when `layout` has no alpha.
    ///   - name: how the image is named in errors.
    /// - Complexity: O(width · height); the header is checked against `maximumPixels` first.
    public static func decode(_ data: Data, as layout: Layout, background: UInt8 = 255,
                       name: String = "the image") throws -> PNGImage {
        guard !data.isEmpty else { throw PNGError.empty(name) }
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard data.count >= 8, data.prefix(8).elementsEqual(signature) else { throw PNGError.notPNG(name) }
        if let (width, height) = headerSize(data) {
            // Checked here for clearer messages than libpng's "Invalid IHDR data".
            if width == 0 || height == 0 { throw PNGError.zeroSize(name, width: width, height: height) }
            if width > maximumSide || height > maximumSide || width * height > maximumPixels {
                throw PNGError.tooManyPixels(name, width: width, height: height, limit: maximumPixels)
            }
            // A few hundred bytes announcing 50 MP would otherwise cost up to 400 MB of buffers
            // before libpng finds the pixel data missing.
            if let bits = bitsPerPixel(data), width * height * bits / 8 > data.count * maximumExpansion {
                throw PNGError.tooShort(name, bytes: data.count, width: width, height: height)
            }
            // libpng inflates the whole IDAT stream, also what lies beyond the last row: 3 MB of
            // compressed zeros after a 28×28 image cost 14 s. Compressed pixel data never needs
            // much more than the raw rows (deflate's worst case is stored blocks, 5 bytes per
            // 64 kB), so a stream far larger than that is refused before inflating anything.
            if let bits = bitsPerPixel(data) {
                let rows = height * ((width * bits + 7) / 8 + 1) + 8 * (height + 8)  // + Adam7's extra filter bytes
                let allowed = rows + rows / 8 + 4096
                let compressed = imageDataBytes(data)
                if compressed > allowed {
                    throw PNGError.excessImageData(name, compressed: compressed, allowed: allowed, width: width, height: height)
                }
            }
        }

        return try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) -> PNGImage in
            var image = png_image()
            image.version = UInt32(PNG_IMAGE_VERSION)
            defer { png_image_free(&image) }  // safe when libpng already freed it
            guard png_image_begin_read_from_memory(&image, input.baseAddress, input.count) != 0 else {
                throw PNGError.corrupt(name, detail: message(of: image))
            }
            let width = Int(image.width), height = Int(image.height)
            guard width > 0, height > 0 else { throw PNGError.zeroSize(name, width: width, height: height) }
            guard width * height <= maximumPixels else {
                throw PNGError.tooManyPixels(name, width: width, height: height, limit: maximumPixels)
            }
            if image.format & 0x04 != 0 {  // PNG_FORMAT_FLAG_LINEAR: a 16-bit file
                return try finishSixteenBit(&image, layout: layout, background: background, name: name)
            }
            image.format = layout.pngFormat
            var pixels = [UInt8](repeating: background, count: width * height * layout.channels)
            var backdrop = png_color(red: background, green: background, blue: background)
            let stride = Int32(width * layout.channels)
            let finished = pixels.withUnsafeMutableBytes { output in
                withUnsafePointer(to: &backdrop) { backdropPointer in
                    png_image_finish_read(&image, layout == .rgba ? nil : backdropPointer,
                                          output.baseAddress, stride, nil)
                }
            }
            guard finished != 0 else { throw PNGError.corrupt(name, detail: message(of: image)) }
            return PNGImage(width: width, height: height, layout: layout, pixels: pixels)
        }
    }

    /// Why a read failed, as a clause: the POSIX reason when there is one ("Permission denied"),
    /// else Foundation's sentence without its final period.
    private static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let posix = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        var text = nsError.localizedDescription
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// libpng's own limit on a side (PNG_USER_WIDTH_MAX / PNG_USER_HEIGHT_MAX).
    public static let maximumSide = 1_000_000

    /// deflate expands data at most 1032:1 (zlib's documented limit), so a file of n bytes holds
    /// at most 1032·n bytes of pixel data.
    public static let maximumExpansion = 1032

    /// Bits per pixel from the IHDR's bit depth and colour type (bytes 24 and 25), or `nil` for
    /// a combination PNG does not allow (libpng rejects it).
    private static func bitsPerPixel(_ data: Data) -> Int? {
        guard data.count >= 26 else { return nil }
        let depth = Int(data[data.startIndex + 24]), type = data[data.startIndex + 25]
        let channels: [UInt8: Int] = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4]
        let depths: Set<Int> = type == 0 ? [1, 2, 4, 8, 16] : type == 3 ? [1, 2, 4, 8] : [8, 16]
        guard let count = channels[type], depths.contains(depth) else { return nil }
        return count * depth
    }

    /// Why `data` is not a whole PNG of `width`×`height`, or `nil` when it is: the signature, an
    /// IHDR first with that size, a chain of chunks whose lengths fit, and IEND last. Cheap (no
    /// decoding); for what gnuplot sends back, where a signature alone is not a figure.
    public static func structureProblem(_ data: Data, width: Int, height: Int) -> String? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard data.count >= 8, data.prefix(8).elementsEqual(signature) else { return "no PNG signature" }
        guard let size = headerSize(data) else { return "no IHDR chunk" }
        guard size == (width, height) else { return "\(size.0)×\(size.1) pixels, expected \(width)×\(height)" }
        let start = data.startIndex
        var at = 8
        while at + 12 <= data.count {
            let length = (0 ..< 4).reduce(0) { $0 << 8 | Int(data[start + at + $1]) }
            let end = at + 12 + length
            guard end <= data.count else { return "a chunk runs past the end" }
            if data[start + at + 4 ..< start + at + 8].elementsEqual(Array("IEND".utf8)) {
                return end == data.count ? nil : "bytes after IEND"
            }
            at = end
        }
        return "no IEND chunk: the PNG is cut short"
    }

    /// The total length of the IDAT chunks, walking the chunk list up to IEND (or as far as the
    /// bytes go; a damaged list is left for libpng to report).
    private static func imageDataBytes(_ data: Data) -> Int {
        let bytes = data.startIndex
        var at = 8, total = 0
        while at + 8 <= data.count {
            let length = (0 ..< 4).reduce(0) { $0 << 8 | Int(data[bytes + at + $1]) }
            let type = data[bytes + at + 4 ..< bytes + at + 8]
            if type.elementsEqual(Array("IDAT".utf8)) { total += length }
            if type.elementsEqual(Array("IEND".utf8)) { break }
            at += 12 + length
        }
        return total
    }

    /// Width and height from the IHDR chunk, which must follow the signature.
    private static func headerSize(_ data: Data) -> (Int, Int)? {
        guard data.count >= 24 else { return nil }
        let bytes = [UInt8](data.prefix(24))
        guard bytes[12...15].elementsEqual(Array("IHDR".utf8)) else { return nil }
        func word(_ at: Int) -> Int { bytes[at ..< at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (word(16), word(20))
    }

    /// Reads a 16-bit file as 16-bit samples and reduces it to 8 bits here.
    ///
    /// libpng 1.6's simplified reader garbles the first rows of interlaced 16-bit images when it
    /// converts them to 8 bits itself, so the samples are taken as they are (flags 0: no colour
    /// conversion; gray from colour is Y = 0.2126 R + 0.7152 G + 0.0722 B on the stored values)
    /// with alpha premultiplied, and then
    ///
    /// ```
    /// gray/RGB:  v = c·a + background·(1 − a)      RGBA:  v = c, alpha = a
    /// byte = round(255 · v)
    /// ```
    ///
    /// The 16-bit buffer holds 2 or 4 samples per pixel (at most 400 MB at 50 megapixels).
    private static func finishSixteenBit(_ image: inout png_image, layout: Layout, background: UInt8,
                                         name: String) throws -> PNGImage {
        let width = Int(image.width), height = Int(image.height)
        let colour = layout != .gray
        let samples = colour ? 4 : 2
        image.format = 0x04 | 0x01 | (colour ? 0x02 : 0)  // LINEAR | ALPHA | COLOR?
        image.flags = 0
        var buffer = [UInt16](repeating: 0, count: width * height * samples)
        let finished = buffer.withUnsafeMutableBytes { output in
            png_image_finish_read(&image, nil, output.baseAddress, Int32(width * samples), nil)
        }
        guard finished != 0 else { throw PNGError.corrupt(name, detail: message(of: image)) }
        let channels = layout.channels
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let backdrop = Double(background) / 255
        for p in 0 ..< width * height {
            let alpha = Double(buffer[p * samples + samples - 1]) / 65535
            for c in 0 ..< min(channels, 3) {
                let premultiplied = Double(buffer[p * samples + (colour ? c : 0)]) / 65535
                let value = layout == .rgba
                    ? (alpha > 0 ? premultiplied / alpha : 0)
                    : premultiplied + backdrop * (1 - alpha)
                pixels[p * channels + c] = UInt8((min(max(value, 0), 1) * 255).rounded())
            }
            if layout == .rgba { pixels[p * channels + 3] = UInt8((alpha * 255).rounded()) }
        }
        return PNGImage(width: width, height: height, layout: layout, pixels: pixels)
    }

    // MARK: - Writing

    /// The image as an 8-bit PNG file's bytes (write them with `AtomicFile.write`).
    ///
    /// Encoded once, into a buffer of libpng's upper bound for the image (`encodedSizeBound`,
    /// libpng's `PNG_IMAGE_PNG_SIZE_MAX`); should libpng still need more it says how much, and
    /// the image is encoded again into that. `PNG_IMAGE_FLAG_FAST` asks for no row filters and
    /// zlib level 3: PNG is lossless, so the pixels are the same, and for gdlab's figures (flat
    /// backgrounds, scaled-up tiles) it is about 5× faster than the default at a size within
    /// ±50 % (q2-train-predictions: 24 → 4 ms, 27 → 41 kB; q2-train-weights: 97 → 89 kB).
    ///
    /// - Throws: `PNGError.encodingFailed` with libpng's message (it does not fail for a valid
    ///   image short of running out of memory).
    public func pngData() throws -> Data {
        var capacity = encodedSizeBound
        return try pixels.withUnsafeBytes { (input: UnsafeRawBufferPointer) -> Data in
            for _ in 0 ..< 2 {
                var image = png_image()
                image.version = UInt32(PNG_IMAGE_VERSION)
                image.width = UInt32(width)
                image.height = UInt32(height)
                image.format = layout.pngFormat
                image.flags = UInt32(PNG_IMAGE_FLAG_FAST)
                var output = Data(count: capacity)
                var size = png_alloc_size_t(capacity)
                let written = output.withUnsafeMutableBytes { buffer in
                    png_image_write_to_memory(&image, buffer.baseAddress, &size, 0, input.baseAddress, 0, nil)
                }
                if written != 0 {
                    output.count = Int(size)
                    return output
                }
                defer { png_image_free(&image) }
                // Too small a buffer: libpng sets `size` to what it needs (more than offered).
                guard Int(size) > capacity else { throw PNGError.encodingFailed(Self.message(of: image)) }
                capacity = Int(size)
            }
            throw PNGError.encodingFailed("the encoded size kept growing")
        }
    }

    /// An upper bound on the PNG's size in bytes (libpng's `PNG_IMAGE_PNG_SIZE_MAX` for an image
    /// without a colour map): the pixel bytes plus a filter byte per row, zlib's worst-case
    /// expansion of those, 12 bytes per IDAT chunk of 8 KiB, and the fixed chunks.
    public var encodedSizeBound: Int {
        let data = width * height * layout.channels + height  // PNG_IMAGE_DATA_SIZE
        let compressed = data + (data + 7) / 8 + (data + 63) / 64 + 11  // PNG_ZLIB_MAX_SIZE
        return 8 + 25 + 16 + 44 + 12 + 12 + 12 * (compressed / 8192) + compressed
    }

    /// libpng's message from a failed call, or a generic one.
    private static func message(of image: png_image) -> String {
        var copy = image.message
        let text = withUnsafeBytes(of: &copy) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return text.isEmpty ? "libpng error" : text
    }
}

/// Why an image could not be read or written; each message names the file and what to do.
public enum PNGError: Error, CustomStringConvertible, Equatable {
    case missingFile(String)
    case isDirectory(String)
    case unreadable(String, reason: String)
    case fileTooLarge(String, bytes: Int, limit: Int)
    case empty(String)
    case notPNG(String)
    case tooManyPixels(String, width: Int, height: Int, limit: Int)
    case zeroSize(String, width: Int, height: Int)
    case tooShort(String, bytes: Int, width: Int, height: Int)
    case excessImageData(String, compressed: Int, allowed: Int, width: Int, height: Int)
    case corrupt(String, detail: String)
    case encodingFailed(String)

    public var description: String {
        switch self {
        case .missingFile(let name):
            return "'\(name)' does not exist; check the path"
        case .isDirectory(let name):
            return "'\(name)' is a folder, not a PNG file; pass the image file itself"
        case let .unreadable(name, reason):
            return "cannot read '\(name)': \(reason); check its permissions"
        case let .fileTooLarge(name, bytes, limit):
            return "'\(name)' is \(bytes) bytes, more than the \(limit >> 20) MB accepted; scale the image down first"
        case .empty(let name):
            return "'\(name)' is empty (0 bytes); save the image again as PNG"
        case .notPNG(let name):
            return "'\(name)' is not a PNG file (no PNG signature); export the image as PNG"
        case let .tooManyPixels(name, width, height, limit):
            return "'\(name)' is \(width)×\(height) pixels, more than gdlab reads (\(limit / 1_000_000) megapixels, "
                + "1,000,000 pixels a side); scale it down first"
        case let .zeroSize(name, width, height):
            return "'\(name)' says it is \(width)×\(height) pixels: an image needs at least one pixel; save it again"
        case let .tooShort(name, bytes, width, height):
            return "'\(name)' is a damaged PNG: its \(bytes) bytes cannot hold the \(width)×\(height) pixels its header announces; save the image again"
        case let .excessImageData(name, compressed, allowed, width, height):
            return "'\(name)' is a damaged or hostile PNG: it carries \(compressed) bytes of compressed image data, "
                + "more than its \(width)×\(height) pixels can need (at most \(allowed)); save the image again"
        case let .corrupt(name, detail):
            return "'\(name)' is a damaged PNG (libpng: \(detail)); save the image again"
        case .encodingFailed(let detail):
            return "cannot encode the PNG (libpng: \(detail))"
        }
    }
}
