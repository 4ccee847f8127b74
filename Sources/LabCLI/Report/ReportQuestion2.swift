// Question 2 in the report: the MNIST pipeline (init, forward pass, gradient check, training).
// Interim: the Question 2 commands are being built; until they land the section says so.

import Foundation

/// Builds the Question 2 section of the report.
enum ReportQuestion2 {
    /// The Question 2 options the report passes through.
    struct Settings: Codable, Sendable {}

    /// Every Question 2 number, as `results.json` holds it.
    struct Results: Encodable {
        var available: Bool
    }

    /// The command line that reproduces the report (no --out: the report never names its folder).
    static func commandLine(_ settings: Settings) -> String { "lab report" }

    static func build(_ settings: Settings, figures: ReportFigures, progress: ReportProgress) throws
        -> (section: ReportSection, results: Results, unavailable: String?)
    {
        let section = ReportSection(
            id: "question-2", title: "Question 2 — an MNIST MLP from scratch",
            blocks: [.note("The Question 2 commands are not built yet.", detail: nil)])
        return (section, Results(available: false), "the Question 2 commands are not built yet")
    }
}
