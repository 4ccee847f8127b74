// Labelled images as the readers deliver them: MNIST (or Fashion-MNIST) pixels kept as bytes,
// one row-major image after another. 60,000 training images are 47 MB as bytes; as Doubles
// they would be 376 MB, so conversion to floating point happens one sample at a time.

/// A set of labelled grayscale images with bytes for pixels.
public struct ImageDataset: Sendable {
    /// Pixels, image after image: (count, rows · columns) row-major, 0 = black, 255 = white.
    public let pixels: [UInt8]
    /// One class index per image, each below `classCount`.
    public let labels: [UInt8]
    public let rows: Int
    public let columns: Int
    /// The non-zero pixels, listed on first use (`sparsePixels`).
    let sparse = LazyBox<SparsePixels>()

    /// Creates a dataset; the sizes must agree (a programmer error otherwise: readers validate
    /// user files before they get here).
    public init(pixels: [UInt8], labels: [UInt8], rows: Int, columns: Int) {
        precondition(rows > 0 && columns > 0, "image size must be positive")
        precondition(pixels.count == labels.count * rows * columns, "pixel count does not match labels × rows × columns")
        self.pixels = pixels
        self.labels = labels
        self.rows = rows
        self.columns = columns
    }

    /// Number of images.
    public var count: Int { labels.count }

    /// Pixels in one image (784 for MNIST).
    public var pixelsPerImage: Int { rows * columns }

    /// The pixels of image `index`.
    public func image(at index: Int) -> ArraySlice<UInt8> {
        let start = index * pixelsPerImage
        return pixels[start ..< start + pixelsPerImage]
    }

    /// The first `n` images (all of them when `n ≥ count`).
    public func prefix(_ n: Int) -> ImageDataset {
        let kept = max(0, min(n, count))
        return ImageDataset(
            pixels: Array(pixels[..<(kept * pixelsPerImage)]), labels: Array(labels[..<kept]),
            rows: rows, columns: columns)
    }
}
