// Turning a user's own digit image (any size, either polarity) into a 28×28 MNIST-style input
// for `lab predict`, the way MNIST itself was made: white ink on black, the digit fitted into a
// 20×20 box with its aspect ratio kept (anti-aliased gray levels), then centred by its centre of
// mass in the 28×28 field (LeCun et al., "The MNIST database", preprocessing notes).

/// Whether to swap black and white before fitting the digit.
public enum DigitInversion: String, Sendable, CaseIterable {
    /// Decide from the border: a bright border means dark ink on light paper, so invert.
    case auto
    /// Always invert (the image is dark ink on a light background).
    case yes
    /// Never invert (the image is already light ink on a dark background, like MNIST).
    case no
}

/// What went wrong preparing a digit.
public enum DigitPreprocessingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Nothing stands out from the background.
    case noDigitFound(inverted: Bool)

    public var description: String {
        switch self {
        case .noDigitFound(let inverted):
            return "no digit found: the image is one flat colour (after \(inverted ? "inverting" : "not inverting") it); "
                + "draw the digit in a colour that contrasts with the background, or try --invert \(inverted ? "no" : "yes")"
        }
    }
}

/// A digit ready for the network, and how it was made.
public struct PreparedDigit: Sendable, Equatable {
    /// (28, 28) row-major, 0 = background, 255 = ink.
    public let pixels: [UInt8]
    /// Whether the input was inverted.
    public let inverted: Bool
    /// The ink's bounding box in the input: x, y, width, height.
    public let inkBox: (x: Int, y: Int, width: Int, height: Int)

    public static func == (a: PreparedDigit, b: PreparedDigit) -> Bool {
        a.pixels == b.pixels && a.inverted == b.inverted && a.inkBox == b.inkBox
    }
}

/// MNIST's preprocessing, applied to any grayscale image.
public enum DigitPreprocessing {
    /// The output side (28) and the box the digit is fitted into (20).
    public static let side = 28
    public static let box = 20

    /// Prepares `gray` as MNIST was prepared.
    ///
    /// 1. Ink level `i = 255 − g` when inverting, else `g`; `auto` inverts when the median of the
    ///    border pixels is above 127 (a light background).
    /// 2. Stretch: `i' = (i − b) / (p − b)` clamped to [0, 1], with `b` the border median and `p`
    ///    the brightest ink, so gray paper becomes black and the strongest stroke white.
    /// 3. Crop to the bounding box of `i' ≥ threshold`.
    /// 4. Scale so the longer side is 20 px, keeping the aspect ratio: area averaging (box
    ///    filter with fractional coverage) when shrinking, bilinear when enlarging.
    /// 5. Place in 28×28 so the centre of mass `(Σ i·x / Σ i, Σ i·y / Σ i)`, in pixel indices,
    ///    lands on pixel (14, 14), shifting by the rounded offset and clamping so the digit stays
    ///    inside. (MNIST's own digits have their centre of mass at index 14.0 ± 0.01 on average
    ///    over the first 2,000 test images, so this is its convention.)
    ///
    /// - Parameters:
    ///   - gray: (height, width) row-major, 0 black … 255 white.
    ///   - width: columns of `gray`.
    ///   - height: rows of `gray`.
    ///   - inversion: whether to swap black and white first (by default decided from the border).
    ///   - threshold: the stretched ink level (0…1) that counts as ink for the bounding box.
    /// - Throws: `DigitPreprocessingError.noDigitFound` when the image has no contrast.
    /// - Complexity: O(width · height).
    public static func prepare(gray: [UInt8], width: Int, height: Int, inversion: DigitInversion = .auto,
                               threshold: Double = 0.2) throws -> PreparedDigit {
        precondition(width > 0 && height > 0 && gray.count == width * height, "gray must hold width × height pixels")
        precondition(threshold > 0 && threshold < 1, "threshold must be in (0, 1)")

        // 1. Polarity from the border.
        var border: [UInt8] = []
        border.reserveCapacity(2 * (width + height))
        for x in 0 ..< width {
            border.append(gray[x])
            border.append(gray[(height - 1) * width + x])
        }
        for y in 0 ..< height {
            border.append(gray[y * width])
            border.append(gray[y * width + width - 1])
        }
        border.sort()
        let borderMedian = Int(border[border.count / 2])
        let invert: Bool
        switch inversion {
        case .auto: invert = borderMedian > 127
        case .yes: invert = true
        case .no: invert = false
        }

        // 2. Ink levels, stretched between the background and the strongest ink.
        let background = Double(invert ? 255 - borderMedian : borderMedian)
        var peak = 0.0
        for g in gray { peak = max(peak, Double(invert ? 255 - Int(g) : Int(g))) }
        guard peak - background >= 16 else { throw DigitPreprocessingError.noDigitFound(inverted: invert) }
        let range = peak - background
        // Computed on demand: a 50-megapixel input must not become 400 MB of Doubles.
        func ink(_ k: Int) -> Double {
            let level = Double(invert ? 255 - Int(gray[k]) : Int(gray[k]))
            return min(max((level - background) / range, 0), 1)
        }

        // 3. Bounding box of the ink.
        var minX = width, minY = height, maxX = -1, maxY = -1
        for y in 0 ..< height {
            for x in 0 ..< width where ink(y * width + x) >= threshold {
                minX = min(minX, x); maxX = max(maxX, x)
                minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        guard maxX >= 0 else { throw DigitPreprocessingError.noDigitFound(inverted: invert) }
        let boxWidth = maxX - minX + 1, boxHeight = maxY - minY + 1

        // 4. Fit the longer side to 20 pixels.
        let scale = Double(box) / Double(max(boxWidth, boxHeight))
        let fittedWidth = max(1, min(box, Int((Double(boxWidth) * scale).rounded())))
        let fittedHeight = max(1, min(box, Int((Double(boxHeight) * scale).rounded())))
        let fitted = resample(width: boxWidth, height: boxHeight, toWidth: fittedWidth, toHeight: fittedHeight) { x, y in
            ink((y + minY) * width + x + minX)
        }

        // 5. Centre of mass to (14, 14).
        var mass = 0.0, sumX = 0.0, sumY = 0.0
        for y in 0 ..< fittedHeight {
            for x in 0 ..< fittedWidth {
                let v = fitted[y * fittedWidth + x]
                mass += v; sumX += v * Double(x); sumY += v * Double(y)
            }
        }
        let centreX = mass > 0 ? sumX / mass : Double(fittedWidth - 1) / 2
        let centreY = mass > 0 ? sumY / mass : Double(fittedHeight - 1) / 2
        let target = Double(side / 2)  // pixel index 14
        let left = min(max(Int((target - centreX).rounded()), 0), side - fittedWidth)
        let top = min(max(Int((target - centreY).rounded()), 0), side - fittedHeight)
        var pixels = [UInt8](repeating: 0, count: side * side)
        for y in 0 ..< fittedHeight {
            for x in 0 ..< fittedWidth {
                pixels[(y + top) * side + x + left] = UInt8((fitted[y * fittedWidth + x] * 255).rounded())
            }
        }
        return PreparedDigit(pixels: pixels, inverted: invert, inkBox: (minX, minY, boxWidth, boxHeight))
    }

    /// Resamples a (height, width) image given by `sample(x, y)` to (toHeight, toWidth), one
    /// axis at a time: area averaging along an axis that shrinks, bilinear along one that grows.
    static func resample(width: Int, height: Int, toWidth: Int, toHeight: Int,
                         sample: (Int, Int) -> Double) -> [Double] {
        // Rows first: (height, width) → (height, toWidth).
        var rows = [Double](repeating: 0, count: height * toWidth)
        for y in 0 ..< height {
            let line = resampleLine((0 ..< width).map { sample($0, y) }, to: toWidth)
            for x in 0 ..< toWidth { rows[y * toWidth + x] = line[x] }
        }
        // Then columns: (height, toWidth) → (toHeight, toWidth).
        var out = [Double](repeating: 0, count: toHeight * toWidth)
        for x in 0 ..< toWidth {
            let column = resampleLine((0 ..< height).map { rows[$0 * toWidth + x] }, to: toHeight)
            for y in 0 ..< toHeight { out[y * toWidth + x] = column[y] }
        }
        return out
    }

    /// One line of `n` samples to `m` samples.
    ///
    /// Shrinking (m ≤ n): output k is the mean of the input over [k·n/m, (k+1)·n/m), each input
    /// sample weighted by how much of it lies in that interval. Enlarging: output k samples the
    /// input at u = (k + ½)·n/m − ½ by linear interpolation (clamped at the ends).
    static func resampleLine(_ line: [Double], to m: Int) -> [Double] {
        let n = line.count
        if m == n { return line }
        var out = [Double](repeating: 0, count: m)
        let ratio = Double(n) / Double(m)
        if m < n {
            for k in 0 ..< m {
                let start = Double(k) * ratio, end = Double(k + 1) * ratio
                var sum = 0.0
                var i = Int(start)
                while Double(i) < end && i < n {
                    let overlap = min(end, Double(i + 1)) - max(start, Double(i))
                    if overlap > 0 { sum += line[i] * overlap }
                    i += 1
                }
                out[k] = sum / ratio
            }
        } else {
            for k in 0 ..< m {
                let u = min(max((Double(k) + 0.5) * ratio - 0.5, 0), Double(n - 1))
                let i = min(Int(u), n - 1), j = min(i + 1, n - 1)
                let t = u - Double(i)
                out[k] = line[i] * (1 - t) + line[j] * t
            }
        }
        return out
    }
}
