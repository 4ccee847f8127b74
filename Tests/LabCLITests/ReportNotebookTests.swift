// report.ipynb from the report's document model: an nbformat 4.5 notebook whose Markdown cells
// hold report.md's text, whose figures are cell attachments with exactly the PNG's bytes, whose
// code cells hold the `!lab …` lines unexecuted; deterministic; and valid for nbformat's own
// validator (Python), which CI installs.

import Foundation
@testable import LabCLI
import TestSupport
import XCTest
@testable import LabFigures
@testable import LabReport
@testable import LabSupport
@testable import Labs

final class ReportNotebookTests: XCTestCase {
    private let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 250])

    private func document() -> ReportDocument {
        let drawn = ReportFigure(path: "figures/a.png", dataPath: "figures/a.csv", caption: "Curve *one*", missingReason: nil)
        let missing = ReportFigure(path: "figures/b.png", dataPath: nil, caption: "Other", missingReason: "gnuplot was not found")
        let unreadable = ReportFigure(path: "figures/c.png", dataPath: nil, caption: "Gone", missingReason: nil)
        var sub = ReportSection(id: "s1a", title: "Sub `x`", blocks: [.answer("Yes, 42."), .figure(drawn), .figure(missing)])
        sub.commands = ["lab q1a", "lab q2-train --epochs 1"]
        return ReportDocument(
            title: "T <b>", intro: [.paragraph("intro"), .preformatted("lab report")],
            sections: [
                ReportSection(id: "s1", title: "Section & one", blocks: [.paragraph("p"), .figure(unreadable)], subsections: [sub]),
                ReportSection(id: "s2", title: "Two", blocks: [.table(header: ["n"], rows: [["1"]], numeric: [true])]),
            ])
    }

    private func cells(_ notebook: String) throws -> (root: [String: Any], cells: [[String: Any]]) {
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(notebook.utf8)) as? [String: Any])
        return (root, try XCTUnwrap(root["cells"] as? [[String: Any]]))
    }

    private static func source(_ cell: [String: Any]) -> String {
        ((cell["source"] as? [String]) ?? []).joined()
    }

    /// The cells, their order and kinds; the code cells hold the commands, unexecuted.
    func testCellsFollowTheSections() throws {
        let (root, cells) = try cells(document().notebook(image: { $0 == "figures/a.png" ? self.png : nil }))
        XCTAssertEqual(root["nbformat"] as? Int, 4)
        XCTAssertEqual(root["nbformat_minor"] as? Int, 5)
        XCTAssertEqual(cells.map { $0["cell_type"] as? String }, ["markdown", "markdown", "markdown", "code", "markdown"])
        XCTAssertEqual(cells.map { $0["id"] as? String }, ["report", "s1", "s1a", "s1a-run", "s2"])
        let code = cells[3]
        XCTAssertEqual(Self.source(code), "!lab q1a\n!lab q2-train --epochs 1")
        XCTAssertEqual(code["source"] as? [String], ["!lab q1a\n", "!lab q2-train --epochs 1"], "Jupyter's line layout")
        XCTAssertTrue(code["execution_count"] is NSNull, "not executed: execution_count is null")
        XCTAssertEqual((code["outputs"] as? [Any])?.count, 0)
        XCTAssertNil(code["attachments"])
        for cell in cells where cell["cell_type"] as? String == "markdown" {
            XCTAssertNil(cell["outputs"])
            XCTAssertNil(cell["execution_count"])
        }
    }

    /// A drawn figure is an attachment holding exactly its bytes; a missing or unreadable one is
    /// named as missing, as in report.md and report.html.
    func testFiguresAreAttachments() throws {
        let (_, cells) = try cells(document().notebook(image: { $0 == "figures/a.png" ? self.png : nil }))
        let sub = cells[2]
        let text = Self.source(sub)
        XCTAssertTrue(text.contains("![Curve *one*](attachment:a.png)"), text)
        XCTAssertTrue(text.contains("Data: [figures/a.csv](figures/a.csv)"), text)
        XCTAssertTrue(text.contains("**Figure not drawn: `figures/b.png`**"), text)
        let attachments = try XCTUnwrap(sub["attachments"] as? [String: [String: String]])
        XCTAssertEqual(Array(attachments.keys), ["a.png"])
        XCTAssertEqual(attachments["a.png"]?["image/png"].flatMap { Data(base64Encoded: $0) }, png)
        XCTAssertTrue(Self.source(cells[1]).contains("**Figure not drawn: `figures/c.png`**"), "no bytes: shown as missing")
        XCTAssertTrue(Self.source(cells[1]).contains("the file is missing"))
        XCTAssertNil(cells[1]["attachments"])
    }

    /// Every Markdown cell is report.md's text for its part: joined, the cells are report.md
    /// except for the image links, which point to attachments.
    func testMarkdownCellsAreReportMarkdown() throws {
        let doc = document()
        let (_, cells) = try cells(doc.notebook(image: { $0 == "figures/a.png" ? self.png : nil }))
        let joined = cells.filter { $0["cell_type"] as? String == "markdown" }.map { Self.source($0) + "\n\n" }.joined()
        var markdown = doc.markdown.replacingOccurrences(of: "](figures/a.png)", with: "](attachment:a.png)")
        // report.md shows figures/c.png as an image link (it cannot know the file is gone); the
        // notebook, which embeds the bytes, names it as missing, like report.html.
        let cLink = "![Gone](figures/c.png)\n\n*Gone.*"
        XCTAssertTrue(markdown.contains(cLink))
        markdown = markdown.replacingOccurrences(
            of: cLink, with: MarkdownText.render(.figure(ReportFigure(path: "figures/c.png", dataPath: nil, caption: "Gone", missingReason: "the file is missing"))).trimmingCharacters(in: .newlines))
        XCTAssertEqual(joined.trimmingCharacters(in: .newlines), markdown.trimmingCharacters(in: .newlines))
    }

    /// The same document gives the same bytes; the JSON has sorted keys and unescaped slashes.
    func testDeterministic() {
        let a = document().notebook(image: { _ in self.png })
        XCTAssertEqual(a, document().notebook(image: { _ in self.png }))
        XCTAssertTrue(a.hasSuffix("}\n"))
        XCTAssertFalse(a.contains("\\/"))
        XCTAssertLessThan(try XCTUnwrap(a.range(of: "\"cells\"")).lowerBound, try XCTUnwrap(a.range(of: "\"metadata\"")).lowerBound)
    }

    /// Cell ids stay unique (and within nbformat's 64 characters) when section ids collide.
    func testCellIDsAreUnique() throws {
        var one = ReportSection(id: "x", title: "A")
        one.commands = ["lab q1a"]
        let long = String(repeating: "y", count: 80)
        let doc = ReportDocument(title: "T", intro: [], sections: [
            one, ReportSection(id: "x", title: "B"), ReportSection(id: "x-run", title: "C"), ReportSection(id: long, title: "D"),
        ])
        let ids = try cells(doc.notebook(image: { _ in nil })).cells.compactMap { $0["id"] as? String }
        XCTAssertEqual(Set(ids).count, ids.count, "\(ids)")
        XCTAssertTrue(ids.allSatisfy { (1...64).contains($0.count) }, "\(ids)")
    }

    /// Each Question 2 command gets the report's options it accepts (and the command parses
    /// them); Question 1's run with their defaults; an absolute --data-dir, which the report
    /// shows only as `…/<folder>`, is left to $MNIST_DIR.
    func testCommandsReproduceEachPart() throws {
        var settings = ReportQuestion2.Settings()
        settings.train.data.dataDirectory = "data/mnist"
        settings.train.network.hidden = [64]
        settings.train.network.seed = 7
        settings.train.network.rawPixels = true
        settings.train.training.learningRate = 0.01
        settings.train.training.epochs = 2
        let q2 = ReportQuestion2.commands(settings)
        XCTAssertEqual(q2["q2-init"], ["lab q2-init --hidden 64 --seed 7 --raw-pixels"])
        XCTAssertEqual(q2["q2-forward"], ["lab q2-forward --data-dir data/mnist --hidden 64 --seed 7 --raw-pixels"])
        XCTAssertEqual(q2["q2-backprop"], ["lab q2-backprop --data-dir data/mnist --hidden 64 --seed 7 --raw-pixels"])
        XCTAssertEqual(q2["q2-train"], ["lab q2-train --data-dir data/mnist --hidden 64 --seed 7 --raw-pixels --lr 0.01 --epochs 2"])
        let arguments = { (line: String?) in Array((line ?? "").split(separator: " ").dropFirst(2).map(String.init)) }
        XCTAssertNoThrow(try Q2InitCommand.parse(arguments(q2["q2-init"]?.first)))
        XCTAssertNoThrow(try Q2ForwardCommand.parse(arguments(q2["q2-forward"]?.first)))
        XCTAssertNoThrow(try Q2BackpropCommand.parse(arguments(q2["q2-backprop"]?.first)))
        XCTAssertNoThrow(try Q2TrainCommand.parse(arguments(q2["q2-train"]?.first)))

        settings.train.data.dataDirectory = "/home/student/mnist"
        XCTAssertEqual(ReportQuestion2.commands(settings)["q2-forward"], ["lab q2-forward --hidden 64 --seed 7 --raw-pixels"])
        XCTAssertEqual(ReportQuestion1.commands, ["q1a": ["lab q1a"], "q1b": ["lab q1b"], "q1c": ["lab q1c"], "q1d": ["lab q1d"]])

        let section = ReportSection(id: "question-2", title: "Q2", subsections: [ReportSection(id: "q2-init", title: "init")])
        let attached = section.reproduced(by: q2)
        XCTAssertEqual(attached.commands, [], "the question itself has no command of its own")
        XCTAssertEqual(attached.subsections[0].commands, q2["q2-init"])
    }

    /// Paths the user gave reach `lab` as one word each, from a shell and from the notebook, and
    /// nothing in them runs: not `;` or `$(…)` in the shell, not `{…}` or `$name` in IPython.
    func testUserWordsAreQuotedAndNeverRunAsCommands() throws {
        let folder = try LabProcess.temporaryFolder("gdlab-quoting")
        defer { try? FileManager.default.removeItem(at: folder) }
        let words = ["my weights.npz", "a'b", "x;touch pwned", "$(touch pwned)", "`touch pwned`", "{__import__('os').system('touch pwned')}",
                     "$HOME", "tab\there", "line\nimport os; os.system('touch pwned')", "back\\slash", "café/ü", "--lr=0.5",
                     "plain/path-1.npz"]
        for word in words {
            XCTAssertEqual(ShellWords.split(ShellWords.quoted(word)), [word], word)
        }
        XCTAssertEqual(ShellWords.quoted("plain/path-1.npz"), "plain/path-1.npz", "a plain word stays as it is")
        XCTAssertEqual(ShellWords.split(""), [])

        // A POSIX shell reads each quoted line back into exactly its words.
        var settings = ReportQuestion2.Settings()
        for word in words {
            settings.train.network.load = word
            settings.train.data.dataDirectory = word
            let line = try XCTUnwrap(ReportQuestion2.commands(settings)["q2-train"]?.first)
            let shell = Process()
            shell.executableURL = URL(fileURLWithPath: "/bin/sh")
            shell.arguments = ["-c", "lab() { printf '%s\\n' \"$@\"; }; " + line]
            shell.currentDirectoryURL = folder
            let pipe = Pipe()
            shell.standardOutput = pipe
            try shell.run()
            let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            shell.waitUntilExit()
            XCTAssertEqual(printed, ["q2-train", "--data-dir", word, "--load", word].joined(separator: "\n") + "\n", line)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("pwned").path), "a word ran as a command")

        // The notebook: plain lines stay `!lab …`; a line IPython would expand runs lab by its words.
        XCTAssertEqual(ReportDocument.notebookLine("lab q2-train --load 'my weights.npz'"), "!lab q2-train --load 'my weights.npz'")
        for word in words where word.unicodeScalars.contains(where: { "${}\t\n".unicodeScalars.contains($0) }) {
            settings.train.network.load = word
            settings.train.data.dataDirectory = nil
            let line = ReportDocument.notebookLine(try XCTUnwrap(ReportQuestion2.commands(settings)["q2-train"]?.first))
            XCTAssertFalse(line.hasPrefix("!"), line)
            XCTAssertFalse(line.contains("\n"), "one line of code: \(line)")
            let code = folder.appendingPathComponent("cell.py")
            try Data(line.utf8).write(to: code)
            let captured = try PythonCell.arguments(of: code)
            XCTAssertEqual(captured, ["lab", "q2-train", "--load", word], line)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("pwned").path), "a word ran as a command")
    }

    /// nbformat's reference validator accepts the notebook (run when Python has nbformat; in CI,
    /// which installs it, its absence is a failure).
    func testNBFormatValidatorAcceptsTheNotebook() throws {
        let folder = try LabProcess.temporaryFolder("gdlab-notebook")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("report.ipynb")
        try Data(document().notebook(image: { _ in self.png }).utf8).write(to: file)
        let result = try NotebookValidator.validate(file)
        XCTAssertTrue(result.hasPrefix("valid nbformat 4.5"), result)
    }
}

/// Runs a notebook code cell with `subprocess.run` replaced by a recorder: the argument lists it
/// would have run.
enum PythonCell {
    static let script = """
        import json, subprocess, sys
        captured = []
        subprocess.run = lambda args, check: captured.append(args)
        exec(open(sys.argv[1], encoding="utf-8").read())
        print(json.dumps(captured))
        """

    /// - Returns: the arguments of the one `subprocess.run` in the cell.
    /// - Throws: `XCTSkip` when python3 is missing outside CI; a failure in CI or when the cell fails.
    static func arguments(of file: URL) throws -> [String] {
        guard let python = ExternalProcess.find(["python3"]) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { throw LabProcessError(description: "python3 is missing") }
            throw XCTSkip("python3 is not installed; the notebook's code cells were not run")
        }
        let run = try ExternalProcess.run(python, arguments: ["-c", script, file.path], timeout: 60)
        guard run.succeeded else {
            throw LabProcessError(description: "the cell failed: " + String(decoding: run.stderr, as: UTF8.self).suffix(2000))
        }
        let lists = try JSONSerialization.jsonObject(with: run.stdout) as? [[String]]
        guard let lists, lists.count == 1 else { throw LabProcessError(description: "expected one subprocess.run, got \(String(describing: lists))") }
        return lists[0]
    }
}

/// Runs nbformat's validator (Python) on a notebook file.
enum NotebookValidator {
    /// Validates the file's JSON as it is (no upgrade on reading) against its nbformat schema.
    static let script = """
        import json, sys
        import nbformat
        with open(sys.argv[1], encoding="utf-8") as f:
            nb = json.load(f)
        nbformat.validate(nb, version=4)
        print("valid nbformat %d.%d, %d cells (nbformat %s)" % (nb["nbformat"], nb["nbformat_minor"], len(nb["cells"]), nbformat.__version__))
        """

    /// - Returns: the validator's one line (`valid nbformat 4.5, N cells …`).
    /// - Throws: `XCTSkip` when python3 or nbformat is missing outside CI; a failure in CI
    ///   (`CI=true`) or when the notebook is invalid.
    static func validate(_ file: URL) throws -> String {
        let inCI = ProcessInfo.processInfo.environment["CI"] == "true"
        guard let python = ExternalProcess.find(["python3"]) else {
            if inCI { throw LabProcessError(description: "python3 is missing; CI must install it with nbformat") }
            throw XCTSkip("python3 is not installed; the notebook was not checked with nbformat")
        }
        let probe = try ExternalProcess.run(python, arguments: ["-c", "import nbformat"], timeout: 60)
        guard probe.succeeded else {
            if inCI { throw LabProcessError(description: "nbformat is missing; .ci/run installs it with 'pip install nbformat'") }
            throw XCTSkip("nbformat is not installed ('pip install nbformat'); the notebook was not checked with it")
        }
        let run = try ExternalProcess.run(python, arguments: ["-c", script, file.path], timeout: 120)
        let out = String(decoding: run.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard run.succeeded else {
            throw LabProcessError(description: "nbformat rejects \(file.lastPathComponent): " + String(decoding: run.stderr, as: UTF8.self).suffix(2000))
        }
        return out
    }
}
