// Number formats for Question 2's text (percentages, losses, counts with thousands separators,
// layer lists).

import Foundation
import LabSupport
import MNISTNet

/// Number formats for Question 2's text.
package enum Q2Format {
    /// "90.38 %".
    package static func percent(_ x: Double) -> String { x.isFinite ? String(format: "%.2f %%", 100 * x) : "\(x)" }

    /// "2.3026".
    package static func loss(_ x: Double) -> String { x.isFinite ? String(format: "%.4f", x) : (x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf")) }

    /// "60,000".
    package static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// "784 → 32 → 32 → 10".
    package static func layers(_ sizes: [Int]) -> String { sizes.map(String.init).joined(separator: " → ") }

    /// "784 × 32" or "32".
    package static func shape(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: " × ") }

    /// "(scaled x = pixel/255)" or "(raw pixels 0…255)".
    package static func scaling(_ scaling: InputScaling) -> String {
        scaling == .raw ? "raw pixels 0…255" : "scaled pixels x = pixel/255"
    }
}
