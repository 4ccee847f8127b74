// report.ipynb: the same document as report.md as a Jupyter notebook (nbformat 4.5), so the
// homework can be handed in where notebooks are: one Markdown cell per section with the text,
// answers and tables of report.md, each figure embedded as a cell attachment (the one file is
// complete), and after a section its `!lab …` command lines in a code cell, never executed.

import Foundation
import LabSupport
import MNISTNet

extension ReportDocument {
    /// The report as an nbformat 4.5 notebook (JSON, keys sorted, so the same document gives
    /// the same bytes).
    ///
    /// Cells, in order: the title, introduction and contents; then for each section (depth
    /// first) a Markdown cell with its anchor, heading and blocks, followed, when the section
    /// has `commands`, by a code cell with one `!lab …` line per command (IPython runs a `!`
    /// line in the shell; see `notebookLine` for the lines it would expand). Code cells have no
    /// outputs and a null execution count: the notebook opens unexecuted. Figures appear as
    /// `![caption](attachment:<file>.png)` with the PNG's bytes in the cell's `attachments`; a
    /// figure without bytes is shown as missing, as in report.html.
    ///
    /// - Parameter image: the bytes of a figure given its report-relative path.
    package func notebook(image: (String) -> Data?) -> String {
        var cells: [NotebookCell] = []
        var usedIDs: Set<String> = []
        func add(_ kind: NotebookCell.Kind, id: String, source: String, attachments: [String: Data] = [:]) {
            var unique = String(id.prefix(56)), n = 1
            while usedIDs.contains(unique) { n += 1; unique = String(id.prefix(56)) + "-\(n)" }
            usedIDs.insert(unique)
            cells.append(NotebookCell(kind: kind, id: unique, source: source, attachments: attachments))
        }

        var title = "# \(MarkdownText.inline(self.title))\n\n"
        var titleImages: [String: Data] = [:]
        for block in intro { title += Self.notebookMarkdown(block, image: image, attachments: &titleImages) }
        title += "## Contents\n\n" + MarkdownText.contents(sections)
        add(.markdown, id: "report", source: title, attachments: titleImages)

        func emit(_ section: ReportSection, level: Int) {
            var text = MarkdownText.heading(section, level: level)
            var images: [String: Data] = [:]
            for block in section.blocks { text += Self.notebookMarkdown(block, image: image, attachments: &images) }
            add(.markdown, id: section.id, source: text, attachments: images)
            if !section.commands.isEmpty {
                add(.code, id: section.id + "-run", source: section.commands.map(Self.notebookLine).joined(separator: "\n"))
            }
            for sub in section.subsections { emit(sub, level: level + 1) }
        }
        for section in sections { emit(section, level: 2) }

        let notebook = Notebook(cells: cells)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, arrays and dictionaries cannot fail.
        return String(decoding: try! encoder.encode(notebook), as: UTF8.self) + "\n"
    }

    /// A `lab …` line as notebook code: `!lab …`, which IPython hands to the shell, unless the
    /// line holds `$`, `{` or `}`, which IPython expands itself (`{expr}` evaluates Python) before
    /// the shell sees them, quoted or not, or a control character (a line break in a path would
    /// end the `!` line and make the rest Python code); such a line runs `lab` without a shell,
    /// by its words, each a Python string literal.
    static func notebookLine(_ line: String) -> String {
        let expanded = line.unicodeScalars.contains { "${}".unicodeScalars.contains($0) || $0.value < 0x20 || $0.value == 0x7F }
        guard expanded else { return "!" + line }
        let words = ShellWords.split(line).map { word -> String in
            var literal = "\""
            for scalar in word.unicodeScalars {
                switch scalar {
                case "\\", "\"": literal += "\\" + String(scalar)
                case _ where scalar.value < 0x20 || scalar.value == 0x7F: literal += String(format: "\\x%02x", scalar.value)
                default: literal.unicodeScalars.append(scalar)
                }
            }
            return literal + "\""
        }
        return "import subprocess; subprocess.run([" + words.joined(separator: ", ") + "], check=True)"
    }

    /// One block as report.md renders it, except a drawn figure, whose image points to a cell
    /// attachment (added to `attachments`, named after the PNG file).
    private static func notebookMarkdown(_ block: ReportBlock, image: (String) -> Data?,
                                         attachments: inout [String: Data]) -> String {
        guard case .figure(var figure) = block, figure.missingReason == nil else { return MarkdownText.render(block) }
        guard let bytes = image(figure.path) else {
            figure.missingReason = "the file is missing"
            return MarkdownText.render(.figure(figure))
        }
        let file = (figure.path as NSString).lastPathComponent
        var name = file, n = 1
        while let other = attachments[name], other != bytes { n += 1; name = "\(n)-" + file }
        attachments[name] = bytes
        figure.path = "attachment:" + name
        return MarkdownText.render(.figure(figure))
    }
}

/// An nbformat 4.5 notebook: cells and the metadata Jupyter needs to pick a kernel.
private struct Notebook: Encodable {
    package var cells: [NotebookCell]
    /// IPython runs the `!lab` lines; the kernel is the default Python 3 one.
    package var metadata = Metadata()
    package var nbformat = 4
    package var nbformat_minor = 5

    package struct Metadata: Encodable {
        package var kernelspec = ["display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"]
        package var language_info = ["name": "python"]
    }
}

/// One notebook cell, encoded as nbformat 4.5 lays it out.
private struct NotebookCell: Encodable {
    package enum Kind: String { case markdown, code }

    package var kind: Kind
    /// Unique in the notebook: letters, digits, `-` and `_`, at most 64 characters.
    package var id: String
    package var source: String
    /// Attachment name → PNG bytes (Markdown cells only).
    package var attachments: [String: Data]

    private enum Keys: String, CodingKey {
        case cell_type, id, metadata, source, attachments, execution_count, outputs
    }

    package func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(kind.rawValue, forKey: .cell_type)
        try container.encode(id, forKey: .id)
        try container.encode([String: String](), forKey: .metadata)
        try container.encode(Self.lines(source), forKey: .source)
        switch kind {
        case .markdown:
            if !attachments.isEmpty {
                try container.encode(attachments.mapValues { ["image/png": $0.base64EncodedString()] }, forKey: .attachments)
            }
        case .code:
            try container.encodeNil(forKey: .execution_count)
            try container.encode([String](), forKey: .outputs)
        }
    }

    /// Jupyter's own layout of a cell's text: a list of lines, each but the last ending in "\n".
    private static func lines(_ text: String) -> [String] {
        var trimmed = Substring(text)
        while trimmed.hasSuffix("\n") { trimmed = trimmed.dropLast() }
        let parts = trimmed.split(separator: "\n", omittingEmptySubsequences: false)
        return parts.enumerated().map { $0.offset < parts.count - 1 ? $0.element + "\n" : String($0.element) }
    }
}
