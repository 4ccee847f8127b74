// The non-zero pixels of a dataset, listed once (Question 2, fast-training issue): about 81 % of
// MNIST's pixels are 0, and the fast kernel's first layer only ever touches the others. The
// list is made the first time it is needed and kept with the dataset it describes.

import Foundation

extension ImageDataset {
    /// The non-zero pixels of every image, listed on first use and then shared by every copy
    /// of this dataset (the pixels never change).
    var sparsePixels: SparsePixels { sparse.value { SparsePixels(self) } }

    /// Lists the non-zero pixels now rather than at the fast kernel's first step (for timing).
    public func prepareSparsePixels() { _ = sparsePixels }
}

/// A value made once, on first use, by whichever thread asks first.
final class LazyBox<Value: Sendable>: @unchecked Sendable {  // `stored` is only touched under `lock`
    private let lock = NSLock()
    private var stored: Value?

    func value(_ make: () -> Value) -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let stored { return stored }
        let made = make()
        stored = made
        return made
    }
}

/// The non-zero pixels of every image of a dataset, as compressed sparse rows: image n's are
/// positions starts[n] ..< starts[n + 1] of `indices` (the pixel's index) and `bytes` (its
/// byte), in increasing pixel order.
///
/// MNIST's training set has 19 % non-zero pixels: 9.4 M entries of 3 bytes, 28 MB, listed once
/// (about 0.07 s) and read by every epoch, instead of each step scanning all 784 bytes of its
/// image again. Immutable once made.
final class SparsePixels: @unchecked Sendable {  // immutable after init
    let starts: UnsafeMutablePointer<Int>
    let indices: UnsafeMutablePointer<UInt16>
    let bytes: UnsafeMutablePointer<UInt8>

    init(_ data: ImageDataset) {
        let n0 = data.pixelsPerImage, count = data.count
        precondition(n0 <= 1 << 16, "pixel indices must fit in 16 bits")
        let starts = UnsafeMutablePointer<Int>.allocate(capacity: count + 1)
        var total = 0
        data.pixels.withUnsafeBufferPointer { pixels in
            for n in 0 ..< count {  // the counts first, so that the lists are allocated once
                starts[n] = total
                total += Self.nonZeroCount(pixels.baseAddress! + n * n0, count: n0)
            }
        }
        starts[count] = total
        // Eight spare entries: the listing below writes up to seven past the last one.
        let indices = UnsafeMutablePointer<UInt16>.allocate(capacity: total + 8)
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: total + 8)
        data.pixels.withUnsafeBufferPointer { pixels in
            for n in 0 ..< count {
                let image = pixels.baseAddress! + n * n0
                var t = starts[n], i = 0
                // Eight bytes at a time: an all-zero word is skipped with one test; in the others
                // every byte is written and t advances past the non-zero ones only, by
                // (byte + 255) >> 8 ∈ {0, 1}, so no branch depends on the pixel values.
                while i + 8 <= n0 {
                    let word = UInt64(littleEndian: UnsafeRawPointer(image).loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    if word != 0 {
                        for j in 0 ..< 8 {
                            let byte = UInt8(truncatingIfNeeded: word &>> UInt64(8 &* j))
                            indices[t] = UInt16(truncatingIfNeeded: i &+ j)
                            bytes[t] = byte
                            t &+= Int((UInt32(byte) &+ 255) &>> 8)
                        }
                    }
                    i += 8
                }
                while i < n0 {
                    indices[t] = UInt16(truncatingIfNeeded: i)
                    bytes[t] = image[i]
                    t &+= Int((UInt32(image[i]) &+ 255) &>> 8)
                    i += 1
                }
            }
        }
        self.starts = starts
        self.indices = indices
        self.bytes = bytes
    }

    deinit {
        starts.deallocate()
        indices.deallocate()
        bytes.deallocate()
    }

    /// The number of non-zero bytes of `image`, eight at a time without a branch per byte: in
    /// each word, a byte's top bit is set in `zero` exactly when the byte is 0.
    static func nonZeroCount(_ image: UnsafePointer<UInt8>, count: Int) -> Int {
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        var total = 0, i = 0
        while i + 8 <= count {
            let word = UnsafeRawPointer(image).loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let zero = ~(((word & low) &+ low) | word | low)
            total += 8 - zero.nonzeroBitCount
            i += 8
        }
        while i < count {
            total += image[i] != 0 ? 1 : 0
            i += 1
        }
        return total
    }
}

/// Read-only access to a dataset's non-zero pixel list (`SparsePixels`) for code outside this
/// module that reads the first layer as training does (MNISTNet's fast kernels, the curvature labs): image n's non-zero
/// pixels are positions `range(of: n)` of `indices` (pixel index) and `bytes` (its byte 1…255).
///
/// The pointers stay valid as long as this value (which holds the list) is alive.
public struct NonZeroPixels: @unchecked Sendable {  // immutable storage
    private let storage: SparsePixels

    init(_ storage: SparsePixels) { self.storage = storage }

    /// (count + 1,): image n's entries are starts[n] ..< starts[n + 1].
    public var starts: UnsafePointer<Int> { UnsafePointer(storage.starts) }
    /// Pixel index of each entry, increasing within an image.
    public var indices: UnsafePointer<UInt16> { UnsafePointer(storage.indices) }
    /// Pixel byte of each entry (never 0).
    public var bytes: UnsafePointer<UInt8> { UnsafePointer(storage.bytes) }

    /// The entries of image `n`.
    public func range(of n: Int) -> Range<Int> { storage.starts[n] ..< storage.starts[n + 1] }
}

extension ImageDataset {
    /// The non-zero pixels of every image, listed on first use and shared with training.
    public var nonZeroPixels: NonZeroPixels { NonZeroPixels(sparsePixels) }
}
