// Numbers as the labs print them.

import Foundation

/// Number formatting shared by every lab's text: short round-trip forms, errors in scientific
/// notation, vectors.
package enum NumberFormat {
    /// Shortest round-trip form for "nice" numbers, 6 significant digits otherwise.
    package static func number(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        let short = "\(x)"
        if short.count <= 8 { return short.hasSuffix(".0") ? String(short.dropLast(2)) : short }
        return String(format: "%.6g", x)
    }

    /// `number(x)`, with as many more significant digits as it takes (up to 17, which
    /// round-trips) for the printed value to lie on the same side of `edge` as x itself — so
    /// η = 0.1999999 and 0.2000001 never both print as "0.2" beside verdicts that differ at 0.2.
    package static func number(_ x: Double, distinctFrom edge: Double) -> String {
        let short = number(x)
        guard x.isFinite, edge.isFinite else { return short }
        func side(_ y: Double) -> Int { y < edge ? -1 : (y == edge ? 0 : 1) }
        if let shown = Double(short), side(shown) == side(x) { return short }
        for digits in 7...17 {
            let text = String(format: "%.\(digits)g", x)
            if let shown = Double(text), side(shown) == side(x) { return text }
        }
        return "\(x)"
    }

    /// Scientific with 2 decimals, for errors and tolerances.
    package static func error(_ x: Double) -> String { x == 0 ? "0" : String(format: "%.2e", x) }

    package static func vector(_ w: [Double]) -> String { "(" + w.map(number).joined(separator: ", ") + ")" }
}
