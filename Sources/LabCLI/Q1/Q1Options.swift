// Options shared by `lab q1a` … `lab q1d` (the quadratic L = ½(a·w₁² + b·w₂²), the start point,
// where figures go, JSON, titles, --explain) and the one routine that presents a Question 1
// result: figures and sidecars into --out, then text or JSON on stdout, then the gnuplot check.

import ArgumentParser
import Foundation
import LabSupport

/// A point in the plane typed as `x,y` (also `x y` or `x;y`), e.g. `--w0 1,1` or `--w0=-2,0.5`.
struct PlanePoint: ExpressibleByArgument, Sendable, Codable, Equatable {
    var x: Double
    var y: Double

    init(_ x: Double, _ y: Double) { self.x = x; self.y = y }

    init?(argument: String) {
        let parts = argument.split(whereSeparator: { $0 == "," || $0 == " " || $0 == ";" })
        guard parts.count == 2, let x = Double(parts[0]), let y = Double(parts[1]) else { return nil }
        self.init(x, y)
    }

    var defaultValueDescription: String { "\(Q1Format.number(x)),\(Q1Format.number(y))" }
    var coordinates: [Double] { [x, y] }
}

/// The quadratic and the start: `--a`, `--b`, `--w0`.
struct QuadraticOptions: ParsableArguments {
    @Option(name: .customLong("a"), parsing: .unconditional,
            help: "Curvature a of w₁ in L = ½(a·w₁² + b·w₂²); a finite number > 0.")
    var a: Double = 10

    @Option(name: .customLong("b"), parsing: .unconditional,
            help: "Curvature b of w₂; a finite number > 0.")
    var b: Double = 1

    @Option(name: .customLong("w0"), parsing: .unconditional,
            help: ArgumentHelp("Start point w(0) as 'w1,w2' (write --w0=-1,2 for a negative first value).",
                               valueName: "w1,w2"))
    var w0 = PlanePoint(1, 1)

    func validate() throws {
        try Q1Check.positive(a, "--a", example: "10")
        try Q1Check.positive(b, "--b", example: "1")
        try Q1Check.finite(w0, "--w0")
    }
}

/// Where and how results are shown: `--out`, `--title`, `--json`, `--explain`.
struct Q1OutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder for the PNG figures and their CSV sidecars (created if needed).",
                               valueName: "folder"))
    var out = "plots"

    @Option(help: "Text put in front of every figure title (drawn literally).")
    var title: String?

    @Flag(help: "Print all results as JSON (sorted keys) on stdout instead of text.")
    var json = false

    @Flag(help: "Print this question's worksheet (question, derivation, what to look for) and exit.")
    var explain = false

    func validate() throws {
        guard !out.isEmpty else { throw ValidationError("--out is empty; pass a folder such as --out plots") }
        guard !out.contains("\0") else { throw ValidationError("--out contains a NUL byte; pass an ordinary folder name") }
    }
}

/// Validation messages that say what to pass instead.
enum Q1Check {
    static func finite(_ x: Double, _ name: String, example: String) throws {
        guard x.isFinite else { throw ValidationError("\(name) must be a finite number, got \(x); try \(name) \(example)") }
    }

    static func positive(_ x: Double, _ name: String, example: String) throws {
        guard x.isFinite, x > 0 else {
            throw ValidationError("\(name) must be a finite number > 0, got \(x); try \(name) \(example)")
        }
    }

    static func finite(_ point: PlanePoint, _ name: String) throws {
        guard point.x.isFinite, point.y.isFinite else {
            throw ValidationError("\(name) must be two finite numbers, got \(point.x),\(point.y); try \(name) 1,1")
        }
    }

    static func steps(_ n: Int, _ name: String, limit: Int, example: String) throws {
        guard n >= 0, n <= limit else {
            throw ValidationError("\(name) must be between 0 and \(limit), got \(n); try \(name) \(example)")
        }
    }
}

/// Number formatting shared by the Question 1 text renderers.
enum Q1Format {
    /// Shortest round-trip form for "nice" numbers, 6 significant digits otherwise.
    static func number(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        let short = "\(x)"
        if short.count <= 8 { return short.hasSuffix(".0") ? String(short.dropLast(2)) : short }
        return String(format: "%.6g", x)
    }

    /// Scientific with 2 decimals, for errors and tolerances.
    static func error(_ x: Double) -> String { x == 0 ? "0" : String(format: "%.2e", x) }

    static func vector(_ w: [Double]) -> String { "(" + w.map(number).joined(separator: ", ") + ")" }
}

/// Presents a Question 1 result: figures, then text or JSON, then the gnuplot verdict.
enum Q1Presenter {
    /// Writes `figures` (PNG + CSV) and `rasters` (PNG) into `options.out`, all at once (see
    /// `FigureWriter.write(_:rasters:)`; the list of files keeps the figures' order), prints `text` or
    /// `result` as JSON, and throws `LabError.incomplete` afterwards if gnuplot was missing.
    ///
    /// - Throws: `LabError.failed` when the folder cannot be written or gnuplot fails.
    static func present<Result: Encodable>(
        _ result: Result, text: String, figures: [Figure], rasters: [RasterFigure] = [], options: Q1OutputOptions
    ) throws {
        let writer: FigureWriter
        do {
            writer = try FigureWriter(folder: URL(fileURLWithPath: options.out))
            try writer.write(figures, rasters: rasters)
        } catch let error as LabError {
            throw error
        } catch {
            throw LabError.failed("\(error)")
        }
        let files = writer.written.map { relativePath($0, folder: options.out) }
        if options.json {
            print(try json(Envelope(result: result, files: files)))
        } else {
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            if !files.isEmpty { print("\nWrote: " + files.joined(separator: ", ")) }
        }
        try writer.finish()
    }

    /// Prints the worksheet `name` (e.g. "q1a") for --explain.
    static func explain(_ name: String) throws {
        print(try Worksheet.text(named: name), terminator: "")
    }

    /// Deterministic JSON: sorted keys, non-finite numbers as the strings "inf", "-inf", "nan".
    static func json<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw LabError.failed("could not encode the results as JSON: \(error)")
        }
    }

    private struct Envelope<Result: Encodable>: Encodable {
        var result: Result
        var files: [String]
    }

    private static func relativePath(_ url: URL, folder: String) -> String {
        (folder.hasSuffix("/") ? folder : folder + "/") + url.lastPathComponent
    }
}

/// A Question 1 lab: settings in, an encodable result, its text and its figures out. `lab report`
/// can call `compute`, `text(for:)` and `figures(for:title:)` directly.
protocol Q1Lab {
    associatedtype Settings
    associatedtype Result: Encodable
    /// The worksheet's name (labs/<name>.md).
    static var worksheet: String { get }
    static func compute(_ settings: Settings) throws -> Result
    static func text(for result: Result) -> String
    static func figures(for result: Result, title: String?) -> [Figure]
}

extension Q1Lab {
    /// What every `lab q1x` does: the worksheet for --explain, else compute and present.
    static func perform(_ settings: () -> Settings, output: Q1OutputOptions) throws {
        if output.explain { return try Q1Presenter.explain(worksheet) }
        let result = try compute(settings())
        try Q1Presenter.present(
            result, text: text(for: result), figures: figures(for: result, title: output.title), options: output)
    }
}
