// The raster figures of Question 2, built on RasterCanvas: test digits labelled with the
// network's prediction (mistakes framed in red), the most confidently wrong digits, and the
// first-layer weight vectors as 28×28 tiles in a blue–white–red diverging colour map.

import Foundation
import LabSupport

package enum RasterFigures {
    private static let margin = 16
    private static let titleScale = 2
    private static let gap = 12

    // MARK: - Digit grids

    /// A grid of 28×28 digits, each scaled up and captioned; mistakes get a red frame and a red
    /// caption.
    ///
    /// - Parameters:
    ///   - images: (count) tiles of (28, 28) bytes, 0 = black background, 255 = white ink.
    ///   - captions: one per image; "\n" separates lines (e.g. "3\ntrue 5").
    ///   - mistakes: one per image: whether it is marked as wrong.
    ///   - columns: tiles per row.
    ///   - title: a line above the grid.
    ///   - scale: screen pixels per image pixel.
    package static func digitGrid(images: [[UInt8]], captions: [String], mistakes: [Bool], columns: Int,
                          title: String? = nil, scale: Int = 3) -> RasterCanvas {
        precondition(!images.isEmpty && images.count == captions.count && images.count == mistakes.count,
                     "one caption and one mistake flag per image")
        precondition(images.allSatisfy { $0.count == 784 }, "each image is 28 × 28")
        precondition(columns > 0 && scale > 0)
        let tile = 28 * scale
        let cellWidth = tile + 2 * gap
        let lines = captions.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        let captionLines = lines.map(\.count).max() ?? 1
        let lineHeight = 9 * 2
        let cellHeight = tile + 8 + captionLines * lineHeight + gap
        let rows = (images.count + columns - 1) / columns
        let top = margin + (title == nil ? 0 : 7 * titleScale + 14)
        let footer = 7 + 14
        var canvas = RasterCanvas(width: 2 * margin + columns * cellWidth,
                                  height: top + rows * cellHeight + footer + margin)
        if let title { drawTitle(title, on: &canvas) }

        for (index, image) in images.enumerated() {
            let x = margin + (index % columns) * cellWidth + gap
            let y = top + (index / columns) * cellHeight
            if mistakes[index] {
                canvas.fill(x: x - 4, y: y - 4, width: tile + 8, height: tile + 8, color: .mistake)
            }
            canvas.drawGrayTile(image, side: 28, x: x, y: y, scale: scale)
            for (line, text) in lines[index].enumerated() {
                let color: RGB = mistakes[index] ? .mistake : (line == 0 ? .ink : .muted)
                drawFitted(text, centreX: x + tile / 2, y: y + tile + 8 + line * lineHeight,
                           maximumWidth: cellWidth - 4, color: color, on: &canvas)
            }
        }
        let wrong = mistakes.filter { $0 }.count
        canvas.drawText("red frame: wrong prediction (\(wrong) of \(images.count) shown)",
                        x: margin, y: canvas.height - margin - 7, color: .muted)
        return canvas
    }

    /// Test digits captioned with the predicted class, and the true class when it differs.
    ///
    /// - Parameters:
    ///   - predicted, actual: class indices into `classNames`.
    package static func predictionGrid(images: [[UInt8]], predicted: [Int], actual: [Int], classNames: [String],
                               columns: Int, title: String? = nil, scale: Int = 3) -> RasterCanvas {
        precondition(predicted.count == images.count && actual.count == images.count)
        let captions = zip(predicted, actual).map { p, a in
            p == a ? classNames[p] : "\(classNames[p])\ntrue \(classNames[a])"
        }
        return digitGrid(images: images, captions: captions, mistakes: zip(predicted, actual).map { $0 != $1 },
                         columns: columns, title: title, scale: scale)
    }

    /// The most confidently wrong digits: each captioned with the prediction, its probability,
    /// and the true class.
    ///
    /// - Parameter confidence: the predicted class's probability, in [0, 1].
    package static func confidentlyWrong(images: [[UInt8]], predicted: [Int], actual: [Int], confidence: [Double],
                                 classNames: [String], columns: Int, title: String? = nil,
                                 scale: Int = 3) -> RasterCanvas {
        precondition(predicted.count == images.count && actual.count == images.count && confidence.count == images.count)
        let captions = images.indices.map { k in
            "\(classNames[predicted[k]]) \(percent(confidence[k]))\ntrue \(classNames[actual[k]])"
        }
        return digitGrid(images: images, captions: captions, mistakes: zip(predicted, actual).map { $0 != $1 },
                         columns: columns, title: title, scale: scale)
    }

    /// "99.9%" with one decimal, "100%" only when it really is 1.
    package static func percent(_ p: Double) -> String {
        guard p.isFinite else { return "?%" }
        let value = min(max(p, 0), 1) * 100
        return value >= 100 ? "100%" : String(format: "%.1f%%", min(value, 99.9))
    }

    // MARK: - Weight tiles

    /// The first layer's weight vectors as 28×28 tiles: tile j shows w[i·units + j] for the 784
    /// inputs i, blue for negative, white for zero, red for positive.
    ///
    /// - Parameters:
    ///   - weights: (inputs, units) row-major, inputs = 784.
    ///   - sharedScale: one colour scale ±max|w| for all tiles (compare magnitudes), or each
    ///     tile scaled to its own ±max|w_j| (see every unit's pattern; the default).
    package static func weightTiles(weights: [Double], inputs: Int = 784, units: Int, columns: Int = 8,
                            sharedScale: Bool = false, title: String? = nil, scale: Int = 3) -> RasterCanvas {
        precondition(inputs == 784 && units > 0 && weights.count == inputs * units, "weights are (784, units)")
        precondition(columns > 0 && scale > 0)
        let tile = 28 * scale
        let cellWidth = tile + 2 * gap
        let cellHeight = tile + 8 + 9 + gap
        let rows = (units + columns - 1) / columns
        let top = margin + (title == nil ? 0 : 7 * titleScale + 14)
        let legendHeight = 14 + 7 + 6 + 7
        let canvasWidth = max(2 * margin + columns * cellWidth, 2 * margin + 360)
        var canvas = RasterCanvas(width: canvasWidth, height: top + rows * cellHeight + legendHeight + margin)
        if let title { drawTitle(title, on: &canvas) }

        let largest = weights.lazy.filter(\.isFinite).map(abs).max() ?? 0
        for unit in 0 ..< units {
            let column = (0 ..< inputs).map { weights[$0 * units + unit] }
            let own = column.lazy.filter(\.isFinite).map(abs).max() ?? 0
            let bound = sharedScale ? largest : own
            let colors = column.map { divergingColor(bound > 0 && $0.isFinite ? $0 / bound : 0) }
            let x = margin + (unit % columns) * cellWidth + gap
            let y = top + (unit / columns) * cellHeight
            canvas.frame(x: x - 1, y: y - 1, width: tile + 2, height: tile + 2, thickness: 1, color: .rule)
            canvas.drawTile(colors, side: 28, x: x, y: y, scale: scale)
            canvas.drawCentredText("#\(unit + 1) ±\(String(format: "%.2f", own))", centreX: x + tile / 2,
                                   y: y + tile + 6, color: .muted)
        }

        // Legend: the colour bar from −max to +max.
        let barY = canvas.height - margin - legendHeight + 8
        let barWidth = 240
        for k in 0 ..< barWidth {
            let t = Double(k) / Double(barWidth - 1) * 2 - 1
            canvas.fill(x: margin + k, y: barY, width: 1, height: 12, color: divergingColor(t))
        }
        canvas.frame(x: margin - 1, y: barY - 1, width: barWidth + 2, height: 14, thickness: 1, color: .rule)
        let labelY = barY + 16
        let limit = sharedScale ? "+\(String(format: "%.2f", largest))" : "+max"
        canvas.drawText(sharedScale ? "-\(String(format: "%.2f", largest))" : "-max", x: margin, y: labelY, color: .muted)
        canvas.drawCentredText("0", centreX: margin + barWidth / 2, y: labelY, color: .muted)
        canvas.drawText(limit, x: margin + barWidth - RasterFont.width(of: limit, scale: 1), y: labelY, color: .muted)
        canvas.drawText(sharedScale ? "one scale for all tiles" : "each tile scaled to its own max |w|",
                        x: margin + barWidth + 16, y: barY + 3, color: .muted)
        return canvas
    }

    /// The blue–white–red diverging colour map (ColorBrewer RdBu, 5 classes), t in [−1, 1]:
    /// −1 dark blue, 0 near-white, +1 dark red, linear in sRGB between the stops.
    package static func divergingColor(_ t: Double) -> RGB {
        let stops = [RGB(5, 113, 176), RGB(146, 197, 222), RGB(247, 247, 247), RGB(244, 165, 130), RGB(202, 0, 32)]
        let u = (min(max(t.isFinite ? t : 0, -1), 1) + 1) * 2  // 0 … 4
        let k = min(Int(u), 3)
        return RGB.mix(stops[k], stops[k + 1], u - Double(k))
    }

    // MARK: - Text helpers

    private static func drawTitle(_ title: String, on canvas: inout RasterCanvas) {
        drawFitted(title, x: margin, y: margin, maximumWidth: canvas.width - 2 * margin,
                   preferredScale: titleScale, color: .ink, on: &canvas)
    }

    /// Draws one line at scale 2 when it fits in `maximumWidth`, else scale 1, else cut with "..".
    private static func drawFitted(_ text: String, centreX: Int? = nil, x: Int = 0, y: Int, maximumWidth: Int,
                                   preferredScale: Int = 2, color: RGB, on canvas: inout RasterCanvas) {
        let oneLine = text.replacingOccurrences(of: "\n", with: " ")
        var scale = preferredScale
        while scale > 1 && RasterFont.width(of: oneLine, scale: scale) > maximumWidth { scale -= 1 }
        var shown = oneLine
        if RasterFont.width(of: shown, scale: 1) > maximumWidth {
            let fits = max(1, (maximumWidth + 1) / RasterFont.advance - 2)
            shown = String(oneLine.prefix(fits)) + ".."
        }
        // Centre the scale-1 text vertically in the space a scale-2 line takes.
        let yOffset = (preferredScale - scale) * 7 / 2
        if let centreX {
            canvas.drawCentredText(shown, centreX: centreX, y: y + yOffset, scale: scale, color: color)
        } else {
            canvas.drawText(shown, x: x, y: y + yOffset, scale: scale, color: color)
        }
    }
}
