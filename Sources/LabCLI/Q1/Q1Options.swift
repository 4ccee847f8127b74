// Options shared by `lab q1a` … `lab q1d` (the quadratic L = ½(a·w₁² + b·w₂²), the start point)
// Output options and presentation: Support/Presenter.swift.

import ArgumentParser
import Foundation
import LabSupport
import Labs
import MNISTNet

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

    var defaultValueDescription: String { "\(NumberFormat.number(x)),\(NumberFormat.number(y))" }
    var coordinates: [Double] { [x, y] }
}

/// The quadratic and the start: `--a`, `--b`, `--w0`.
struct QuadraticOptions: ParsableArguments {
    @Option(name: .customLong("a"), parsing: .unconditional,
            help: "Curvature a of w₁ in L = ½(a·w₁² + b·w₂²); a finite number > 0.")
    var a = QuadraticOptions.defaults.a

    @Option(name: .customLong("b"), parsing: .unconditional,
            help: "Curvature b of w₂; a finite number > 0.")
    var b = QuadraticOptions.defaults.b

    @Option(name: .customLong("w0"), parsing: .unconditional,
            help: ArgumentHelp("Start point w(0) as 'w1,w2' (write --w0=-1,2 for a negative first value).",
                               valueName: "w1,w2"))
    var w0 = PlanePoint(QuadraticOptions.defaults.w0[0], QuadraticOptions.defaults.w0[1])

    /// The quadratic and start every Question 1 lab defaults to (q1a's, which q1b and q1c share).
    static let defaults = Q1A.Settings()

    func validate() throws {
        try ArgumentCheck.positive(a, "--a", example: "10")
        try ArgumentCheck.positive(b, "--b", example: "1")
        try ArgumentCheck.finite(w0, "--w0")
    }
}
