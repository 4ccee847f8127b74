// libFuzzer target for Question 2's data reader: IDX images, IDX labels, the two-file dataset
// parser and gzip decompression, all on untrusted bytes. Any trap, sanitizer report, hang or
// allocation past the RSS limit is a bug; a thrown IDXError/GzipError is the expected outcome.

import Foundation
import FuzzSupport
import MNISTData

/// Input layout for the dataset parser: two big-endian bytes give where the images file ends
/// and the labels file begins; the other parsers take the whole input as one file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ bytes: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = FuzzInput.data(bytes, count)
    _ = try? IDX.parseImages(data)
    _ = try? IDX.parseLabels(data)
    // A small cap keeps a bomb cheap; IDX itself uses 256 MB (more than libFuzzer's inputs reach).
    _ = try? Gzip.decompress(data, limit: 1 << 20)
    if data.count >= 2 {
        let split = min(data.count, 2 + (Int(data[data.startIndex]) << 8 | Int(data[data.startIndex + 1])))
        // Slices keep their indices: the parsers must honour a non-zero startIndex.
        let images = data[2 ..< split], labels = data[split...]
        if let dataset = try? ImageDataset.parse(images: images, labels: labels) {
            precondition(dataset.count >= 1 && dataset.pixels.count == dataset.count * dataset.rows * dataset.columns)
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initializeIDX(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzSeeds.writeIfRequested(idxSeeds)
    return 0
}

/// Tiny valid files, a dataset pair, and pieces of the real MNIST files. Fuzz/run.sh adds gzip
/// versions of the plain ones.
func idxSeeds() throws -> [(String, Data)] {
    func header(_ words: [UInt32]) -> [UInt8] { words.flatMap { w in (0 ..< 4).reversed().map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } } }
    func images(_ count: Int, _ rows: Int, _ columns: Int) -> Data {
        Data(header([0x803, UInt32(count), UInt32(rows), UInt32(columns)]) + (0 ..< count * rows * columns).map { UInt8(($0 * 37) & 0xFF) })
    }
    func labels(_ count: Int) -> Data { Data(header([0x801, UInt32(count)]) + (0 ..< count).map { UInt8($0 % 10) }) }
    func pair(_ a: Data, _ b: Data) -> Data { Data([UInt8(a.count >> 8), UInt8(a.count & 0xFF)]) + a + b }

    var seeds: [(String, Data)] = [
        ("images-1x1x1.idx", images(1, 1, 1)),
        ("images-3x4x5.idx", images(3, 4, 5)),
        ("images-2x28x28.idx", images(2, 28, 28)),
        ("labels-1.idx", labels(1)),
        ("labels-12.idx", labels(12)),
        ("pair-3.bin", pair(images(3, 2, 2), labels(3))),
        ("pair-2x28.bin", pair(images(2, 28, 28), labels(2))),
        ("pair-mismatch.bin", pair(images(2, 3, 3), labels(5))),
    ]
    if let folder = FuzzSeeds.mnistFolder {
        // The real test labels (4.5 kB of gzip, complete) and the start of the test images.
        let labelsGz = try Data(contentsOf: folder.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        let imagesGz = try Data(contentsOf: folder.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        seeds.append(("mnist-t10k-labels.gz", labelsGz))
        seeds.append(("mnist-t10k-images-prefix.gz", imagesGz.prefix(3000)))
        // Three real digits as a valid plain file, and their labels.
        let content = try Gzip.decompress(imagesGz)
        let realImages = Data(header([0x803, 3, 28, 28])) + content[16 ..< 16 + 3 * 784]
        let realLabels = Data(header([0x801, 3])) + (try Gzip.decompress(labelsGz))[8 ..< 11]
        seeds.append(("mnist-3-images.idx", realImages))
        seeds.append(("mnist-3-pair.bin", pair(realImages, realLabels)))
    }
    return seeds
}
