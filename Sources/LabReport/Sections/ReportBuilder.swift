// Assembles `lab report`: runs the questions in order, collects their sections and numbers,
// and writes results.json, report.md, report.ipynb and report.html into the staging folder
// (last, after every figure). Decides the exit status: incomplete when figures are missing,
// failed when Question 2 could not run.

import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTNet

/// What a finished report run produced, for the summary and the exit status.
package struct ReportOutcome {
    package var figures: [ReportFigure]
    package var missingFigures: Int
    package var htmlBytes: Int
    /// Thrown after the report is in place: `.incomplete` (figures missing) or `.failed`.
    package var failure: LabError?
}

/// Every number in the report, as results.json holds it (sorted keys).
package struct ReportResults: Encodable {
    package var question1: ReportQuestion1.Results
    package var question2: ReportQuestion2.Results
    /// Question 1 on the network (curvature and the learning-rate sweep); nil without data.
    package var curvature: ReportCurvature.Results?
    /// Every figure the report refers to, drawn or not.
    package var figures: [ReportFigure]
    /// True when every question ran and every figure was drawn.
    package var complete: Bool
    /// The sharpness lab after Question 2 (ReportSharpness.swift); absent without Question 2.
    package var sharpness: Q2Sharpness.Result?
}

/// Runs the questions and writes the report files into a `ReportFolder`'s staging folder.
package struct ReportBuilder {
    package var folder: ReportFolder
    package var progress: ReportProgress
    package var question2: ReportQuestion2.Settings = .init()

    package static let title = "gdlab report: gradient descent and an MNIST MLP from scratch"

    /// - Throws: `FileWriteError` or `LabError` when the report cannot be written at all.
    package func build() throws -> ReportOutcome {
        let figures = try ReportFigures(folder: folder.stagingFigures)
        let q1 = try ReportQuestion1.build(figures: figures, progress: progress)
        let q2 = try ReportQuestion2.build(question2, figures: figures, progress: progress)
        let curvature = try ReportCurvature.build(question2.train.data, figures: figures, progress: progress)
        let sharpness = q2.unavailable == nil ? try ReportSharpness.build(question2, figures: figures, progress: progress) : nil

        let missing = figures.missing
        var intro: [ReportBlock] = [
            .paragraph("This report answers the homework's two questions with the numbers that check each answer and the figures that show it. Every number was computed by gdlab while the report was written; `results.json` beside this file holds all of them."),
            .paragraph("Reproduce it with:"),
            .preformatted(ReportQuestion2.commandLine(question2)),
        ]
        if !missing.isEmpty {
            intro.append(.note(
                "\(missing.count) of \(figures.all.count) figures were not drawn. The text and tables are complete; each missing figure is named where it belongs, with the data it would plot (CSV) beside it.",
                detail: missing.first?.missingReason))
        }
        if let error = q2.unavailable {
            intro.append(.note("Question 2 could not run; its section says how to fix that.", detail: error))
        }
        let document = ReportDocument(title: Self.title, intro: intro, sections: [
            q1.section.reproduced(by: ReportQuestion1.commands),
            q2.section.reproduced(by: ReportQuestion2.commands(question2)),
        ] + (curvature.map { [$0.section] } ?? [])
          + (sharpness.map { [$0.section.reproduced(by: ReportSharpness.commands(question2))] } ?? []))
        let results = ReportResults(question1: q1.results, question2: q2.results, curvature: curvature?.results, figures: figures.all,
                                    complete: missing.isEmpty && q2.unavailable == nil && q2.diverged == nil,
                                    sharpness: sharpness?.results)

        let html = try progress.step("results.json, report.md, report.ipynb, report.html") { () -> String in
            try folder.write(LabJSON.encode(results) + "\n", named: "results.json")
            try folder.write(document.markdown + "\n", named: "report.md")
            try folder.write(document.notebook(image: folder.stagedData), named: "report.ipynb")
            let html = document.html(image: folder.stagedData)
            try folder.write(html, named: "report.html")
            return html
        }

        var failure: LabError?
        if let error = q2.unavailable {
            let figuresNote = missing.isEmpty ? "" : " (and \(missing.count) figure\(missing.count == 1 ? " was" : "s were") not drawn: \(GnuplotError.installHint))"
            failure = .failed("report written without Question 2\(figuresNote): \(error)")
        } else if let diverged = q2.diverged {
            failure = .failed("report written, but \(diverged)")
        } else if !missing.isEmpty {
            let names = missing.map { ($0.path as NSString).lastPathComponent }
            failure = .incomplete(
                "report written without \(missing.count) figure\(missing.count == 1 ? "" : "s") (\(names.joined(separator: ", "))): \(missing[0].missingReason ?? GnuplotError.installHint)")
        }
        return ReportOutcome(figures: figures.all, missingFigures: missing.count, htmlBytes: html.utf8.count, failure: failure)
    }

    package init(folder: ReportFolder, progress: ReportProgress, question2: ReportQuestion2.Settings = .init()) {
        self.folder = folder
        self.progress = progress
        self.question2 = question2
    }
}
