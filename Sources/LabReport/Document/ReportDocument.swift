// The report `lab report` writes, as a small document model (sections of paragraphs, quoted
// questions, monospaced lab output, tables, figures and notes) rendered three times from the
// same content: Markdown here (report.md), HTML in ReportDocument+HTML.swift (report.html), a
// Jupyter notebook in ReportDocument+Notebook.swift (report.ipynb).

import Foundation
import LabFigures
import LabSupport
import MNISTNet

/// A figure the report shows: a PNG beside the report, or the reason it is missing.
package struct ReportFigure: Codable, Sendable, Equatable {
    /// Path of the PNG relative to the report folder, e.g. `figures/q1a-descent.png`.
    package var path: String
    /// Path of the CSV with the plotted numbers, when there is one.
    package var dataPath: String?
    /// One sentence saying what the figure shows.
    package var caption: String
    /// Why the PNG was not drawn (gnuplot missing or failed); `nil` when it exists.
    package var missingReason: String?
}

/// One block of content. Text in `.paragraph`, `.quote` and `.list` is trusted Markdown-lite:
/// plain text with `code` spans and nothing else; anything a user or the system can influence
/// (file paths, error messages) goes into `.preformatted` or `.note`'s `detail`, shown literally.
package enum ReportBlock: Sendable, Equatable {
    case paragraph(String)
    /// The answer to a question, in one paragraph led by "Answer.".
    case answer(String)
    /// The question as the worksheet asks it, shown as a block quote.
    case quote(String)
    case list([String])
    /// Monospaced text shown as is (a lab's text output, a command line).
    case preformatted(String)
    /// A table of text cells; `numeric[i]` right-aligns column i.
    case table(header: [String], rows: [[String]], numeric: [Bool])
    case figure(ReportFigure)
    /// A warning: `text` is Markdown-lite, `detail` literal (an error message).
    case note(String, detail: String?)
}

/// A titled part of the report; level-2 sections start a new page when printed.
package struct ReportSection: Sendable, Equatable {
    /// The anchor (`#id`), ASCII letters, digits and hyphens.
    package var id: String
    package var title: String
    package var blocks: [ReportBlock] = []
    package var subsections: [ReportSection] = []
    /// The `lab` command lines that reproduce this section's numbers, as a reader types them
    /// (the notebook gives them a code cell); empty when the section has none of its own.
    package var commands: [String] = []
}

/// The whole report.
package struct ReportDocument: Sendable, Equatable {
    package var title: String
    package var intro: [ReportBlock]
    package var sections: [ReportSection]

    /// Every figure in document order.
    package var figures: [ReportFigure] {
        func collect(_ section: ReportSection) -> [ReportFigure] {
            section.blocks.compactMap { if case .figure(let f) = $0 { return f } else { return nil } }
                + section.subsections.flatMap(collect)
        }
        return intro.compactMap { if case .figure(let f) = $0 { return f } else { return nil } }
            + sections.flatMap(collect)
    }

    /// GitHub-flavoured Markdown: headings, a contents list, fenced text, pipe tables,
    /// images with relative links. Deterministic: the same document gives the same bytes.
    package var markdown: String {
        var out = "# \(MarkdownText.inline(title))\n\n"
        for block in intro { out += MarkdownText.render(block) }
        out += "## Contents\n\n" + MarkdownText.contents(sections)
        func emit(_ section: ReportSection, level: Int) {
            out += MarkdownText.heading(section, level: level)
            for block in section.blocks { out += MarkdownText.render(block) }
            for sub in section.subsections { emit(sub, level: level + 1) }
        }
        for section in sections { emit(section, level: 2) }
        while out.hasSuffix("\n\n") { out.removeLast() }
        return out
    }
}

/// Markdown rendering of single blocks.
package enum MarkdownText {
    /// The contents list: a link to each section and, indented, to its subsections.
    package static func contents(_ sections: [ReportSection]) -> String {
        var out = ""
        for section in sections {
            out += "- [\(inline(section.title))](#\(section.id))\n"
            for sub in section.subsections {
                out += "  - [\(inline(sub.title))](#\(sub.id))\n"
            }
        }
        return out + "\n"
    }

    /// A section's anchor (the contents list links to it) and its heading at `level`.
    package static func heading(_ section: ReportSection, level: Int) -> String {
        "<a id=\"\(section.id)\"></a>\n\n" + String(repeating: "#", count: level) + " " + inline(section.title) + "\n\n"
    }

    package static func render(_ block: ReportBlock) -> String {
        switch block {
        case .paragraph(let text):
            return inline(text) + "\n\n"
        case .answer(let text):
            return "**Answer.** " + inline(text) + "\n\n"
        case .quote(let text):
            return text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.isEmpty ? ">" : "> " + inline(String($0)) }.joined(separator: "\n") + "\n\n"
        case .list(let items):
            return items.map { "- " + inline($0) }.joined(separator: "\n") + "\n\n"
        case .preformatted(let text):
            return fenced(text)
        case .table(let header, let rows, let numeric):
            var out = "| " + header.map(cell).joined(separator: " | ") + " |\n"
            out += "|" + header.indices.map { numeric.indices.contains($0) && numeric[$0] ? " ---: |" : " --- |" }.joined() + "\n"
            for row in rows { out += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
            return out + "\n"
        case .figure(let figure):
            let data = figure.dataPath.map { " Data: [\($0)](\($0))." } ?? ""
            if let reason = figure.missingReason {
                return "> **Figure not drawn: `\(figure.path)`** — \(inline(figure.caption)).\(data)\n>\n"
                    + "> " + inline(codeSpan(reason)) + "\n\n"
            }
            return "![\(altText(figure.caption))](\(figure.path))\n\n*\(inline(figure.caption)).*\(data)\n\n"
        case .note(let text, let detail):
            var out = "> **Note:** " + inline(text) + "\n"
            if let detail { out += ">\n> " + codeSpan(detail) + "\n" }
            return out + "\n"
        }
    }

    /// Markdown-lite text as Markdown: `code` spans pass through; outside them, characters
    /// Markdown would read as markup are backslash-escaped (`*`, `_`, `[`, `]`, `\\`, a `<` that
    /// could open a tag, a leading `#` or `>`, and `|` inside table cells).
    package static func inline(_ text: String, inTable: Bool = false) -> String {
        var out = ""
        var inCode = false
        let characters = Array(text)
        for (i, ch) in characters.enumerated() {
            if ch == "`" { inCode.toggle(); out.append(ch); continue }
            if !inCode {
                let next = i + 1 < characters.count ? characters[i + 1] : " "
                if "*_[]\\".contains(ch)
                    || (ch == "<" && (next.isLetter || "/!?".contains(next)))
                    || (i == 0 && "#>".contains(ch)) {
                    out.append("\\")
                }
            }
            if inTable && ch == "|" { out.append("\\") }  // GFM splits cells first, even in code spans
            out.append(ch)
        }
        return out
    }

    /// Literal text as a code span (backticks inside become quotes so the span stays closed).
    package static func codeSpan(_ text: String) -> String {
        "`" + text.replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "\n", with: " ") + "`"
    }

    /// A fenced block whose fence is longer than any run of backticks inside.
    package static func fenced(_ text: String) -> String {
        var longest = 0, run = 0
        for ch in text { run = ch == "`" ? run + 1 : 0; longest = max(longest, run) }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return fence + "text\n" + text + (text.hasSuffix("\n") ? "" : "\n") + fence + "\n\n"
    }

    private static func cell(_ text: String) -> String {
        inline(text, inTable: true).replacingOccurrences(of: "\n", with: " ")
    }

    private static func altText(_ text: String) -> String {
        text.filter { !"[]`\n".contains($0) }
    }
}
