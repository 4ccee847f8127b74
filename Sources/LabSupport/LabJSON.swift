// The JSON every lab result is written as: on stdout with --json, and as the report's results.json.

import Foundation

/// Deterministic JSON encoding.
package enum LabJSON {
    /// Deterministic JSON: sorted keys, non-finite numbers as the strings "inf", "-inf", "nan".
    package static func encode<Value: Encodable>(_ value: Value) throws -> String {
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
}
