// Numbers as the labs print them.

import Foundation

/// Number formatting shared by every lab's text: short round-trip forms, errors in scientific
/// notation, vectors.
enum NumberFormat {
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
