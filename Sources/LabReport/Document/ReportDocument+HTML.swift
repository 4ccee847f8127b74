// report.html: the same document as report.md, self-contained (every PNG embedded as a base64
// data URI, the style sheet inline) and laid out to print well to PDF from a browser (and
// report.pdf is printed from it): each section on a new page, figures and tables kept whole,
// figures at print resolution, page numbers in the footer.

import Foundation
import LabFigures
import LabSupport
import MNISTNet

extension ReportDocument {
    /// The report as one HTML5 file.
    ///
    /// - Parameter image: the bytes of a figure given its report-relative path (`nil` when the
    ///   file is missing: the figure is then shown as a note).
    /// - Returns: UTF-8 HTML in which every piece of text is escaped; nothing is fetched from
    ///   elsewhere when it is opened.
    package func html(image: (String) -> Data?) -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTMLText.escape(title))</title>
            <style>
            \(HTMLText.styleSheet)
            </style>
            </head>
            <body>
            <header>
            <h1>\(HTMLText.inline(title))</h1>

            """
        for block in intro { out += HTMLText.render(block, image: image) }
        out += "<nav>\n<h2 class=\"contents\">Contents</h2>\n<ul>\n"
        for section in sections {
            out += "<li><a href=\"#\(section.id)\">\(HTMLText.inline(section.title))</a>"
            if !section.subsections.isEmpty {
                out += "\n<ul>\n"
                for sub in section.subsections {
                    out += "<li><a href=\"#\(sub.id)\">\(HTMLText.inline(sub.title))</a></li>\n"
                }
                out += "</ul>\n"
            }
            out += "</li>\n"
        }
        out += "</ul>\n</nav>\n</header>\n"
        func emit(_ section: ReportSection, level: Int) {
            out += "<section id=\"\(section.id)\" class=\"level\(level)\">\n"
            out += "<h\(level)>\(HTMLText.inline(section.title))</h\(level)>\n"
            for block in section.blocks { out += HTMLText.render(block, image: image) }
            for sub in section.subsections { emit(sub, level: level + 1) }
            out += "</section>\n"
        }
        for section in sections { emit(section, level: 2) }
        out += "</body>\n</html>\n"
        return out
    }
}

/// HTML rendering of single blocks, with every text escaped.
package enum HTMLText {
    /// Escapes `&`, `<`, `>`, `"` and `'`, so text is safe in element content and attributes.
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// Markdown-lite text (plain text with `code` spans) as escaped HTML.
    package static func inline(_ text: String) -> String {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        return parts.enumerated().map { index, part in
            index % 2 == 1 && index < parts.count - 1 ? "<code>\(escape(String(part)))</code>" : escape(String(part))
        }.joined()
    }

    package static func render(_ block: ReportBlock, image: (String) -> Data?) -> String {
        switch block {
        case .paragraph(let text):
            return "<p>\(inline(text))</p>\n"
        case .answer(let text):
            return "<p class=\"answer\"><strong>Answer.</strong> \(inline(text))</p>\n"
        case .quote(let text):
            let paragraphs = text.components(separatedBy: "\n\n").map { "<p>\(inline($0))</p>" }
            return "<blockquote class=\"question\">\n\(paragraphs.joined(separator: "\n"))\n</blockquote>\n"
        case .list(let items):
            return "<ul>\n" + items.map { "<li>\(inline($0))</li>\n" }.joined() + "</ul>\n"
        case .preformatted(let text):
            return "<pre>\(escape(text))</pre>\n"
        case .table(let header, let rows, let numeric):
            func align(_ i: Int) -> String { numeric.indices.contains(i) && numeric[i] ? " class=\"num\"" : "" }
            var out = "<div class=\"table\"><table>\n<thead><tr>"
            out += header.enumerated().map { "<th\(align($0))>\(inline($1))</th>" }.joined()
            out += "</tr></thead>\n<tbody>\n"
            for row in rows {
                out += "<tr>" + row.enumerated().map { "<td\(align($0))>\(inline($1))</td>" }.joined() + "</tr>\n"
            }
            return out + "</tbody>\n</table></div>\n"
        case .figure(let figure):
            let data = figure.dataPath.map { " Data: <code>\(escape($0))</code>." } ?? ""
            if figure.missingReason == nil, let bytes = image(figure.path) {
                return """
                    <figure>
                    <img src="data:image/png;base64,\(bytes.base64EncodedString())"\(size(ofPNG: bytes)) alt="\(escape(figure.caption))">
                    <figcaption>\(inline(figure.caption)). <span class="file">\(escape(figure.path))</span>.\(data)</figcaption>
                    </figure>

                    """
            }
            let reason = figure.missingReason ?? "the file is missing"
            return """
                <div class="note missing"><p><strong>Figure not drawn: <code>\(escape(figure.path))</code></strong> — \(inline(figure.caption)).\(data)</p>
                <p><code>\(escape(reason))</code></p></div>

                """
        case .note(let text, let detail):
            var out = "<div class=\"note\"><p><strong>Note:</strong> \(inline(text))</p>"
            if let detail { out += "\n<p><code>\(escape(detail))</code></p>" }
            return out + "</div>\n"
        }
    }

    /// The dots per inch a figure is printed at, at least: a PNG `w` pixels wide prints
    /// `w / printDPI` inches wide (narrower when the page or `maxPrintHeight` demands it).
    package static let printDPI = 150.0
    /// The tallest a figure prints, in millimetres, so its caption fits on the page with it.
    package static let maxPrintHeight = 120.0

    /// ` width="w" height="h" style="--print-width: …mm"` for a PNG (read from its IHDR chunk),
    /// or "" when the bytes are not a PNG: the browser reserves the figure's space before
    /// decoding it, and the print style sheet sizes it to `printDPI`.
    package static func size(ofPNG bytes: Data) -> String {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard bytes.count >= 24, bytes.prefix(8).elementsEqual(signature),
              bytes.dropFirst(12).prefix(4).elementsEqual(Array("IHDR".utf8)) else { return "" }
        func uint32(_ offset: Int) -> Int {
            bytes.dropFirst(offset).prefix(4).reduce(0) { $0 << 8 | Int($1) }
        }
        let width = uint32(16), height = uint32(20)
        guard width > 0, height > 0 else { return "" }
        let millimetres = min(Double(width) / printDPI, maxPrintHeight / 25.4 * Double(width) / Double(height)) * 25.4
        return " width=\"\(width)\" height=\"\(height)\" style=\"--print-width: \(String(format: "%.1f", millimetres))mm\""
    }

    /// Screen and print styles: readable measure on screen; on paper A4 margins, "page n of N"
    /// centred in the bottom margin, a page break before each question, figures, tables (up to a
    /// page long) and table rows never split, figures `--print-width` wide (`printDPI`), monospace
    /// small enough (6 pt) that the labs' 142-column tables fit the A4 width unwrapped.
    package static let styleSheet = """
        :root { color-scheme: light; }
        body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; line-height: 1.45;
               color: #111; background: #fff; max-width: 62rem; margin: 2rem auto; padding: 0 1.2rem; }
        h1 { font-size: 1.9rem; margin-bottom: 0.3rem; }
        h2 { font-size: 1.5rem; border-bottom: 2px solid #333; padding-bottom: 0.2rem; margin-top: 2.5rem; }
        h3 { font-size: 1.2rem; margin-top: 2rem; }
        h2.contents { border: none; font-size: 1.2rem; margin-top: 1.5rem; }
        code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
        code { font-size: 0.9em; background: #f3f3f3; padding: 0 0.2em; border-radius: 3px; overflow-wrap: anywhere; }
        pre { font-size: 0.78rem; line-height: 1.3; background: #f7f7f7; border: 1px solid #ddd;
              padding: 0.6rem 0.8rem; overflow-x: auto; white-space: pre; }
        p.answer { background: #eef7ee; border-left: 4px solid #3c8d40; padding: 0.4rem 1rem; }
        blockquote.question { margin: 1rem 0; padding: 0.4rem 1rem; border-left: 4px solid #4a7ab5; background: #f2f6fb; }
        .table { overflow-x: auto; }
        table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; }
        th, td { border: 1px solid #bbb; padding: 0.2rem 0.55rem; vertical-align: top; }
        th { background: #eee; text-align: left; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        tbody tr:nth-child(even) { background: #fafafa; }
        figure { margin: 1.2rem 0; text-align: center; }
        figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
        figcaption { font-size: 0.9rem; color: #333; margin-top: 0.3rem; }
        figcaption .file { color: #666; font-family: "DejaVu Sans Mono", monospace; font-size: 0.85em; }
        .note { border: 1px solid #d9a300; background: #fff8e1; padding: 0.3rem 0.9rem; margin: 1rem 0; border-radius: 4px; }
        .note.missing { border-color: #c0392b; background: #fdecea; }
        nav ul { margin: 0.2rem 0; }
        @page { size: A4; margin: 14mm 13mm 16mm;
                @bottom-center { content: "page " counter(page) " of " counter(pages);
                                 font-family: "DejaVu Sans", Arial, sans-serif; font-size: 8pt; color: #555; } }
        @media print {
          body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
          section.level2 { break-before: page; page-break-before: always; }
          h2, h3 { break-after: avoid; page-break-after: avoid; }
          figure, .note, blockquote, tr, img, .table, p.answer { break-inside: avoid; page-break-inside: avoid; }
          pre { font-size: 6pt; white-space: pre-wrap; overflow-wrap: anywhere; break-inside: auto; }
          .table { overflow: visible; }
          table { font-size: 8.5pt; }
          thead { display: table-header-group; }
          a { color: inherit; text-decoration: none; }
          figure img { width: var(--print-width, auto); max-width: 100%; height: auto; border: none; }
        }
        """
}
