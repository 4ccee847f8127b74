// One lab in the report: the worksheet's question, the answer with the run's numbers, the
// lab's page text as its measured checks, its figures, and where the derivation is.

import Foundation

extension ReportSection {
    /// One lab's subsection: the worksheet's question, `answer`, `tables`, the page's text as the
    /// measured checks (`checks` says whose output it is),
    /// `figures` (its drawn blocks) and a pointer to the worksheet. The title is the worksheet's,
    /// or `untitled` when the worksheet is not installed.
    package static func lab<Lab: LabPage>(
        _ lab: Lab.Type, _ result: Lab.Result, answer: String, tables: [ReportBlock] = [], checks: String,
        figures: [ReportBlock], untitled: String? = nil
    ) -> ReportSection {
        let name = Lab.worksheet
        let worksheet = ReportWorksheet(name: name)
        var blocks: [ReportBlock] = []
        if let question = worksheet.question { blocks.append(.quote(question)) }
        blocks.append(.answer(answer))
        blocks += tables
        blocks.append(.paragraph("Measured checks (\(checks)):"))
        blocks.append(.preformatted(Lab.text(for: result)))
        blocks += figures
        blocks.append(.paragraph("Derivation, what to look for in the figures, and an exercise: `lab \(name) --explain` (labs/\(name).md)."))
        return ReportSection(id: name, title: worksheet.title ?? untitled ?? name, blocks: blocks)
    }
}
