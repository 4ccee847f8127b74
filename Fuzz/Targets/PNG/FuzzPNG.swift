// libFuzzer target for `lab predict`'s image path: PNG decoding through libpng's simplified API
// into each layout (`PNGImage`, from the LabFigures library `lab` draws with), then MNIST-style
// preprocessing of the gray image (MNISTData).

import Foundation
import FuzzSupport
import LabFigures
import MNISTData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ bytes: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = FuzzInput.data(bytes, count)
    // The layout and background vary with the input so every conversion path is reached.
    let layout: PNGImage.Layout = [.gray, .rgb, .rgba][count % 3]
    let background: UInt8 = count % 2 == 0 ? 255 : 0
    guard let image = try? PNGImage.decode(data, as: layout, background: background) else { return 0 }
    precondition(image.pixels.count == image.width * image.height * layout.channels)
    if layout == .gray, image.width * image.height <= 1 << 20 {
        if let digit = try? DigitPreprocessing.prepare(gray: image.pixels, width: image.width, height: image.height) {
            precondition(digit.pixels.count == 28 * 28)
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initializePNG(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzSeeds.writeIfRequested(pngSeeds)
    return 0
}

/// PNGs of every colour type and bit depth: libpng-compressed ones from PNGImage, and
/// byte-built ones (16-bit, palette with transparency, gray+alpha, Adam7) from PNGForge.
func pngSeeds() throws -> [(String, Data)] {
    func digit(_ x: Int, _ y: Int, _ side: Int) -> UInt8 {
        let (dx, dy) = (Double(x) - Double(side) / 2, Double(y) - Double(side) / 2)
        return abs((dx * dx + dy * dy).squareRoot() - Double(side) / 3) < 1.5 ? 0 : 255
    }
    var seeds: [(String, Data)] = []
    for (layout, name) in [(PNGImage.Layout.gray, "gray"), (.rgb, "rgb"), (.rgba, "rgba")] {
        let side = 12
        var pixels: [UInt8] = []
        for y in 0 ..< side { for x in 0 ..< side {
            let v = digit(x, y, side)
            pixels += Array([v, v &+ UInt8(x), v &- UInt8(y), UInt8(255 - 10 * x)].prefix(layout.channels))
        } }
        seeds.append(("libpng-\(name)-12.png", try PNGImage(width: side, height: side, layout: layout, pixels: pixels).pngData()))
    }
    let forged: [(String, UInt8, UInt8, Bool)] = [
        ("gray16", 16, 0, false), ("rgb16-interlaced", 16, 2, true), ("rgba16", 16, 6, false),
        ("gray-alpha8", 8, 4, false), ("gray-alpha16-interlaced", 16, 4, true), ("rgba8-interlaced", 8, 6, true),
    ]
    for (name, depth, type, interlaced) in forged {
        let samples = [0: 1, 2: 3, 4: 2, 6: 4][Int(type)]!
        seeds.append(("forge-\(name).png", PNGForge.png(width: 9, height: 7, bitDepth: depth, colorType: type, interlaced: interlaced) { x, y in
            (0 ..< samples * Int(depth) / 8).map { UInt8(truncatingIfNeeded: Int(digit(x, y, 9)) + $0 * 40) }
        }))
    }
    let palette = PNGForge.chunk("PLTE", [0, 0, 0, 255, 255, 255, 200, 30, 30])
    let transparency = PNGForge.chunk("tRNS", [255, 128, 0])
    seeds.append(("forge-palette-trns.png", PNGForge.png(width: 8, height: 8, bitDepth: 8, colorType: 3,
                                                          extraChunks: [palette, transparency]) { x, y in [UInt8((x + y) % 3)] }))
    return seeds
}
