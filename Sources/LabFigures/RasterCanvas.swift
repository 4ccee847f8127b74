// A small RGB canvas for the raster figures of Question 2 (digit grids, weight tiles): filled
// rectangles, frames, scaled image tiles and 5×7 bitmap text, saved as PNG through libpng.
// Everything is clipped to the canvas, so no coordinate can write out of bounds.

import Foundation
import LabSupport

/// An 8-bit sRGB colour.
package struct RGB: Equatable, Sendable {
    package var r: UInt8, g: UInt8, b: UInt8

    package init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r; self.g = g; self.b = b
    }

    package static let white = RGB(255, 255, 255)
    package static let black = RGB(0, 0, 0)
    package static let ink = RGB(34, 34, 34)
    package static let muted = RGB(110, 110, 110)
    package static let mistake = RGB(214, 39, 40)
    package static let rule = RGB(200, 200, 200)

    /// Linear interpolation in sRGB, t in [0, 1].
    package static func mix(_ a: RGB, _ b: RGB, _ t: Double) -> RGB {
        func channel(_ x: UInt8, _ y: UInt8) -> UInt8 {
            UInt8((Double(x) + (Double(y) - Double(x)) * min(max(t, 0), 1)).rounded())
        }
        return RGB(channel(a.r, b.r), channel(a.g, b.g), channel(a.b, b.b))
    }
}

/// A width × height RGB image to draw on.
package struct RasterCanvas: Sendable {
    package let width: Int
    package let height: Int
    /// (height, width, 3) row-major.
    package private(set) var pixels: [UInt8]

    package init(width: Int, height: Int, background: RGB = .white) {
        precondition(width > 0 && height > 0, "a canvas has at least one pixel")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(x: 0, y: 0, width: width, height: height, color: background)
    }

    /// The colour at (x, y).
    package func color(x: Int, y: Int) -> RGB {
        let k = (y * width + x) * 3
        return RGB(pixels[k], pixels[k + 1], pixels[k + 2])
    }

    /// Fills a rectangle (clipped to the canvas).
    package mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: RGB) {
        let x0 = max(x, 0), x1 = min(x + w, width), y0 = max(y, 0), y1 = min(y + h, height)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0 ..< y1 {
            for column in x0 ..< x1 {
                let k = (row * width + column) * 3
                pixels[k] = color.r; pixels[k + 1] = color.g; pixels[k + 2] = color.b
            }
        }
    }

    /// A frame of the given thickness drawn inside the rectangle.
    package mutating func frame(x: Int, y: Int, width w: Int, height h: Int, thickness: Int, color: RGB) {
        fill(x: x, y: y, width: w, height: thickness, color: color)
        fill(x: x, y: y + h - thickness, width: w, height: thickness, color: color)
        fill(x: x, y: y, width: thickness, height: h, color: color)
        fill(x: x + w - thickness, y: y, width: thickness, height: h, color: color)
    }

    /// Draws a (side, side) tile of colours, each as a scale × scale block, top-left at (x, y).
    package mutating func drawTile(_ colors: [RGB], side: Int, x: Int, y: Int, scale: Int) {
        precondition(colors.count == side * side, "a tile has side × side colours")
        for row in 0 ..< side {
            for column in 0 ..< side {
                fill(x: x + column * scale, y: y + row * scale, width: scale, height: scale,
                     color: colors[row * side + column])
            }
        }
    }

    /// Draws a grayscale (side, side) tile: 0 black … 255 white.
    package mutating func drawGrayTile(_ gray: [UInt8], side: Int, x: Int, y: Int, scale: Int) {
        drawTile(gray.map { RGB($0, $0, $0) }, side: side, x: x, y: y, scale: scale)
    }

    /// Draws `text` in the 5×7 font, each font pixel a scale × scale block, top-left at (x, y).
    package mutating func drawText(_ text: String, x: Int, y: Int, scale: Int = 1, color: RGB = .ink) {
        var left = x
        for character in text {
            let rows = RasterFont.rows(of: character)
            let drop = RasterFont.drop(of: character)
            for (row, bits) in rows.enumerated() {
                for column in 0 ..< RasterFont.glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
                    fill(x: left + column * scale, y: y + (row + drop) * scale, width: scale, height: scale, color: color)
                }
            }
            left += RasterFont.advance * scale
        }
    }

    /// Draws `text` centred horizontally on `centreX`.
    package mutating func drawCentredText(_ text: String, centreX: Int, y: Int, scale: Int = 1, color: RGB = .ink) {
        drawText(text, x: centreX - RasterFont.width(of: text, scale: scale) / 2, y: y, scale: scale, color: color)
    }

    /// The canvas as PNG bytes.
    package func pngData() throws -> Data {
        try PNGImage(width: width, height: height, layout: .rgb, pixels: pixels).pngData()
    }
}
