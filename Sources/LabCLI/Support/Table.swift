// A table of numbers with named columns: the CSV sidecar beside every figure and the inline
// data block (`$name << EOD`) that the figure's gnuplot script plots, from the same rows.

import Foundation

/// Named numeric columns, row by row.
struct Table: Sendable {
    var columns: [String]
    var rows: [[Double]]

    init(columns: [String], rows: [[Double]] = []) {
        self.columns = columns
        self.rows = rows
    }

    mutating func append(_ row: [Double]) {
        precondition(row.count == columns.count, "row has \(row.count) values for \(columns.count) columns")
        rows.append(row)
    }

    /// RFC 4180 CSV with a header line; numbers in shortest round-trip form, `nan`/`inf` as such.
    var csv: String {
        var text = columns.map(Self.csvField).joined(separator: ",") + "\n"
        for row in rows {
            text += row.map { $0.isFinite ? "\($0)" : ($0.isNaN ? "nan" : ($0 > 0 ? "inf" : "-inf")) }
                .joined(separator: ",") + "\n"
        }
        return text
    }

    /// The rows as a gnuplot data block named `$name`, for `plot $name using 1:2`.
    /// Column headers are not included: they are user-invisible and need no escaping.
    func dataBlock(named name: String) -> String {
        precondition(name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }, "bad data block name")
        var text = "$\(name) << EOD\n"
        for row in rows {
            text += row.map(Gnuplot.number).joined(separator: " ") + "\n"
        }
        return text + "EOD\n"
    }

    private static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
