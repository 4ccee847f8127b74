// The shape every Question 2 command shares (like Q1Lab): settings → compute → an Encodable
// result → text, gnuplot figures and raster figures, presented by the same presenter as
// Question 1. Also the small summaries and number formats the Question 2 results reuse.

import Foundation
import MNISTNet

/// A Question 2 lab's presentation. `compute` differs per command (it takes the loaded data
/// and, for `lab report`, an existing network), so it is not part of the protocol; see each
/// command's `compute(_:…)`.
protocol Q2Lab {
    associatedtype Result: Encodable
    /// The worksheet's name (labs/<name>.md).
    static var worksheet: String { get }
    static func text(for result: Result) -> String
    /// gnuplot figures (PNG + CSV sidecar).
    static func figures(for result: Result, title: String?) -> [Figure]
    /// Figures drawn directly with libpng.
    static func rasters(for result: Result, title: String?) -> [RasterFigure]
}

extension Q2Lab {
    static func rasters(for result: Result, title: String?) -> [RasterFigure] { [] }

    /// Figures into `output.out`, then text or JSON on stdout (listing `saved` files first
    /// among those written), then the gnuplot verdict.
    static func present(_ result: Result, output: OutputOptions, saved: [String] = []) throws {
        try Presenter.present(
            result, text: text(for: result), figures: figures(for: result, title: output.title),
            rasters: rasters(for: result, title: output.title), saved: saved, options: output)
    }
}

/// Which data a result was computed on.
struct Q2DataSummary: Codable, Sendable {
    var dataset: String
    var source: String
    var folder: String
    var trainCount: Int
    var testCount: Int
    var classNames: [String]

    init(_ data: Q2Data) {
        dataset = data.kind.displayName
        source = "\(data.files.source)"
        folder = data.files.folder.path
        trainCount = data.train.count
        testCount = data.test.count
        classNames = data.kind.classNames
    }

    /// "Data: MNIST from $MNIST_DIR (/path): 60000 training, 10000 test images".
    var line: String {
        "Data: \(dataset) from \(source) (\(folder)): \(Q2Format.count(trainCount)) training, \(Q2Format.count(testCount)) test images"
    }
}

/// The first hidden layer's saturation, as shown and encoded.
struct Q2Saturation: Codable, Sendable {
    /// Outputs outside (0.01, 0.99), as a fraction.
    var fraction: Double
    var low: Int
    var high: Int
    var total: Int

    init(_ s: Saturation) {
        fraction = s.fraction
        low = s.low
        high = s.high
        total = s.total
    }

    var text: String {
        "\(Q2Format.percent(fraction)) (\(Q2Format.count(low)) ≤ 0.01, \(Q2Format.count(high)) ≥ 0.99 of \(Q2Format.count(total)))"
    }
}

/// Number formats for Question 2's text.
enum Q2Format {
    /// "90.38 %".
    static func percent(_ x: Double) -> String { x.isFinite ? String(format: "%.2f %%", 100 * x) : "\(x)" }

    /// "2.3026".
    static func loss(_ x: Double) -> String { x.isFinite ? String(format: "%.4f", x) : (x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf")) }

    /// "60,000".
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// "784 → 32 → 32 → 10".
    static func layers(_ sizes: [Int]) -> String { sizes.map(String.init).joined(separator: " → ") }

    /// "784 × 32" or "32".
    static func shape(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: " × ") }

    /// "(scaled x = pixel/255)" or "(raw pixels 0…255)".
    static func scaling(_ scaling: InputScaling) -> String {
        scaling == .raw ? "raw pixels 0…255" : "scaled pixels x = pixel/255"
    }
}
