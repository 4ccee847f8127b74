// A faster gzip path for MNIST's files: libdeflate inflates a whole buffer at once (2–3× faster
// than zlib on the training images; Gzip.swift has the measurements). A declared build
// dependency (the `CLibDeflate` system-library target, Debian's libdeflate-dev); everything it
// does not handle goes to the zlib path.

import CLibDeflate
import Foundation

/// libdeflate's whole-buffer gzip decompressor.
enum LibDeflate {
    /// The content of a single-member gzip file whose content fits in `capacity` bytes, or nil
    /// when libdeflate cannot give it: damaged data, a larger content, several members or
    /// trailing bytes (or no memory for a decompressor). libdeflate checks the CRC-32 and the
    /// length in the trailer.
    static func decompress(_ data: Data, capacity: Int) -> [UInt8]? {
        guard capacity > 0, let decompressor = libdeflate_alloc_decompressor() else { return nil }
        defer { libdeflate_free_decompressor(decompressor) }
        var used = 0, produced = 0
        let output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            let status = data.withUnsafeBytes { input in
                libdeflate_gzip_decompress_ex(
                    decompressor, input.baseAddress, input.count, buffer.baseAddress, capacity, &used, &produced)
            }
            count = status == LIBDEFLATE_SUCCESS && used == data.count ? produced : 0
        }
        return output.count == produced && produced > 0 ? output : nil
    }
}
