// A table of numbers with named columns: the CSV sidecar beside every figure and the inline
// data block (`$name << EOD`) that the figure's gnuplot script plots, from the same rows.

import Foundation

/// Named numeric columns, row by row.
package struct Table: Sendable {
    package var columns: [String]
    package var rows: [[Double]]

    package init(columns: [String], rows: [[Double]] = []) {
        self.columns = columns
        self.rows = rows
    }

    package mutating func append(_ row: [Double]) {
        precondition(row.count == columns.count, "row has \(row.count) values for \(columns.count) columns")
        rows.append(row)
    }

    /// RFC 4180 CSV with a header line; numbers in shortest round-trip form, `nan`/`inf` as such.
    package var csv: String {
        var text = columns.map(Self.csvField).joined(separator: ",") + "\n"
        for row in rows {
            text += row.map { $0.isFinite ? "\($0)" : ($0.isNaN ? "nan" : ($0 > 0 ? "inf" : "-inf")) }
                .joined(separator: ",") + "\n"
        }
        return text
    }

    private static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
