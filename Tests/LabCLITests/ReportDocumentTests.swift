// The report's document model: Markdown and HTML rendering escape what they must (HTML
// injection, Markdown markup, backtick fences), embed figures as data URIs, name missing
// figures, and the worksheet parser picks out the title and the question.

import Foundation
@testable import LabCLI
import XCTest
@testable import LabFigures
@testable import LabReport
@testable import LabSupport
@testable import Labs

final class ReportDocumentTests: XCTestCase {
    private let hostile = "<script>alert('x')</script> & \"quoted\" `code` *star* [link](http://x)"

    private func document(_ blocks: [ReportBlock]) -> ReportDocument {
        ReportDocument(title: "T <b>", intro: [.paragraph("intro")],
                       sections: [ReportSection(id: "s1", title: "Section & one", blocks: blocks,
                                                subsections: [ReportSection(id: "s1a", title: "Sub", blocks: [.paragraph("x")])])])
    }

    /// No text reaches the HTML unescaped: no tag or attribute can be injected.
    func testHTMLEscapesEveryText() {
        let figure = ReportFigure(path: "figures/a\"b.png", dataPath: "figures/<x>.csv", caption: hostile, missingReason: hostile)
        let html = document([
            .paragraph(hostile), .answer(hostile), .quote(hostile), .list([hostile]), .preformatted(hostile),
            .table(header: [hostile], rows: [[hostile]], numeric: [true]), .figure(figure), .note(hostile, detail: hostile),
        ]).html(image: { _ in nil })
        XCTAssertFalse(html.contains("<script>"))
        XCTAssertFalse(html.contains("<b>"))
        XCTAssertFalse(html.contains("a\"b.png"))
        XCTAssertFalse(html.contains("'x'"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"))
        XCTAssertTrue(html.contains("<code>code</code>"), "code spans become <code>")
        XCTAssertTrue(html.contains("Figure not drawn"))
        XCTAssertEqual(html.components(separatedBy: "<section").count - 1, 2)
        XCTAssertEqual(html.components(separatedBy: "</section>").count - 1, 2)
    }

    /// A drawn figure is embedded as a base64 data URI of exactly its bytes; no file is linked.
    func testHTMLEmbedsFigures() throws {
        let bytes = Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 250])
        let figure = ReportFigure(path: "figures/one.png", dataPath: nil, caption: "One", missingReason: nil)
        let html = document([.figure(figure)]).html(image: { $0 == "figures/one.png" ? bytes : nil })
        XCTAssertTrue(html.contains("src=\"data:image/png;base64,\(bytes.base64EncodedString())\""))
        XCTAssertFalse(html.contains("src=\"figures/"))
        XCTAssertTrue(html.contains("break-before: page"), "sections start a new printed page")
        XCTAssertTrue(html.contains("max-width: 100%"))
    }

    /// Markdown: figures link relatively, missing ones are named, markup in text is escaped,
    /// and a fence is longer than any backtick run inside the block.
    func testMarkdownRendering() {
        let drawn = ReportFigure(path: "figures/a.png", dataPath: "figures/a.csv", caption: "Curve", missingReason: nil)
        let missing = ReportFigure(path: "figures/b.png", dataPath: "figures/b.csv", caption: "Other", missingReason: "gnuplot was not found")
        let md = document([
            .paragraph("a *b* `c*d` [e]"), .preformatted("x ``` y"), .figure(drawn), .figure(missing),
            .table(header: ["n", "a|b"], rows: [["1", "2"]], numeric: [true, false]),
        ]).markdown
        XCTAssertTrue(md.contains("a \\*b\\* `c*d` \\[e\\]"), md)
        XCTAssertTrue(md.contains("````text\nx ``` y\n````"), md)
        XCTAssertTrue(md.contains("![Curve](figures/a.png)"), md)
        XCTAssertTrue(md.contains("**Figure not drawn: `figures/b.png`**"), md)
        XCTAssertTrue(md.contains("`gnuplot was not found`"), md)
        XCTAssertTrue(md.contains("| n | a\\|b |\n| ---: | --- |\n| 1 | 2 |"), md)
        XCTAssertTrue(md.contains("- [Section & one](#s1)\n  - [Sub](#s1a)"), md)
        XCTAssertEqual(md, document([
            .paragraph("a *b* `c*d` [e]"), .preformatted("x ``` y"), .figure(drawn), .figure(missing),
            .table(header: ["n", "a|b"], rows: [["1", "2"]], numeric: [true, false]),
        ]).markdown, "deterministic")
    }

    /// The worksheet parser: "Question 1(a) — …" becomes "Q1(a) — …"; the question's lines are
    /// joined into paragraphs and stop at the next heading.
    func testWorksheetQuestion() {
        let sheet = ReportWorksheet(markdown: """
            # Question 1(a) — the gradient

            Run: `lab q1a`

            ## The question

            For L = ½(a·w₁²):
            what is ∇L?

            Second paragraph.
            ## Derivation
            not this
            """)
        XCTAssertEqual(sheet.title, "Q1(a) — the gradient")
        XCTAssertEqual(sheet.question, "For L = ½(a·w₁²): what is ∇L?\n\nSecond paragraph.")
        XCTAssertNil(ReportWorksheet(markdown: "no headings").question)
    }

    /// The bundled Question 1 worksheets all have a question for the report to quote.
    func testBundledWorksheetsHaveQuestions() {
        for name in ["q1a", "q1b", "q1c", "q1d"] {
            let sheet = ReportWorksheet(name: name)
            XCTAssertNotNil(sheet.question, name)
            XCTAssertTrue(sheet.title?.hasPrefix("Q1(") ?? false, name)
        }
    }
}
