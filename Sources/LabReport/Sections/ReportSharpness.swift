// The sharpness lab in the report (sharpness issue): a short run of `lab q2-sharpness` — full-
// batch gradient descent for a few η with λmax measured along the way — set beside Question
// 1(c)'s threshold 2/η. Skipped, with no section, when Question 2's data is unavailable.

import Foundation
import LabSupport
import Labs
import MNISTNet

/// Builds the sharpness section of the report.
package enum ReportSharpness {
    /// The report's smaller version of the default run (it must take ≤ 15 s).
    package static var settings: SharpnessLab.Settings {
        var s = SharpnessLab.Settings()
        s.samples = 500
        s.etas = [0.5, 2, 4]
        s.steps = 200
        s.every = 10
        return s
    }

    package struct Outcome {
        package var section: ReportSection
        package var results: Q2Sharpness.Result
    }

    /// Runs the short lab on the report's data and network, or returns `nil` when Question 2
    /// cannot run (its own section already says why) and in debug builds (too slow there).
    ///
    /// - Throws: `LabError.interrupted` on Ctrl-C, `FileWriteError` when a figure cannot be written.
    package static func build(_ question2: ReportQuestion2.Settings, figures: ReportFigures, progress: ReportProgress) throws -> Outcome? {
        #if DEBUG
        // Unoptimised, the 600 full-batch steps and 60 Lanczos runs take tens of minutes.
        progress.line("q2-sharpness: skipped in a debug build (unoptimised it takes tens of minutes); build with -c release")
        return nil
        #else
        let s = question2.train
        guard let data = try? Q2Data.load(s.data, progress: progress.downloads), let start = try? Q2Network.make(s.network, fitting: data.train) else { return nil }
        var lab = settings
        lab.rawPixels = s.network.rawPixels
        let result: Q2Sharpness.Result
        do {
            result = try progress.step("q2-sharpness: full-batch gradient descent, η = \(lab.etas.map(NumberFormat.number).joined(separator: ", ")), \(lab.steps) steps on \(lab.samples) images") {
                let measured = try Interrupt.during { interrupt in
                    try Q2Sharpness.compute(lab, data: data, start: start) { _ in interrupt.requested ? .stop : .proceed }
                }
                if measured.stopped { throw LabError.interrupted("interrupted during the sharpness runs; no report written (a previous one is unchanged)") }
                var summary = Q2DataSummary(data)
                summary.folder = ReportQuestion2.portablePath(summary.folder)
                return Q2Sharpness.Result(data: summary, start: s.network.load.map { "loaded from " + ReportQuestion2.portablePath($0) } ?? "seeded initialisation, seed \(s.network.seed)", lab: measured)
            }
        } catch let error as LabError {
            guard case .failed(let message) = error else { throw error }
            progress.line("q2-sharpness: cannot run — \(message)")
            return nil
        }
        let drawn = try progress.step("q2-sharpness: figures") {
            try figures.draw([(Q2Sharpness.figures(for: result, title: nil), [])])
        }
        let worksheet = ReportWorksheet(name: Q2Sharpness.worksheet)
        var blocks: [ReportBlock] = []
        if let question = worksheet.question { blocks.append(.quote(question)) }
        blocks.append(.answer(answer(result.lab)))
        blocks.append(table(result.lab))
        blocks.append(.paragraph("Measured checks (the output of `lab q2-sharpness --samples \(lab.samples) \(lab.etas.map { "--eta \(NumberFormat.number($0))" }.joined(separator: " ")) --steps \(lab.steps) --every \(lab.every)` with the report's network options):"))
        blocks.append(.preformatted(Q2Sharpness.text(for: result)))
        blocks += drawn[0]
        blocks.append(.paragraph("Derivation, what to look for in the figures, and exercises: `lab q2-sharpness --explain` (labs/q2-sharpness.md)."))
        let section = ReportSection(
            id: "sharpness", title: worksheet.title ?? "Sharpness during training: the edge of stability", blocks: blocks)
        return Outcome(section: section, results: result)
        #endif
    }

    /// The section's reproducing command for the notebook: `lab q2-sharpness` with the
    /// report's budget and the data and network options Question 2's commands get.
    package static func commands(_ question2: ReportQuestion2.Settings) -> [String: [String]] {
        let lab = settings
        let budget = " --samples \(lab.samples) " + lab.etas.map { "--eta \(NumberFormat.number($0))" }.joined(separator: " ")
            + " --steps \(lab.steps) --every \(lab.every)"
        let forward = ReportQuestion2.commands(question2)[Q2Forward.worksheet]?.first ?? "lab q2-forward"
        return ["sharpness": ["lab q2-sharpness" + budget + forward.dropFirst("lab q2-forward".count)]]
    }


    /// The answer: Q1(c)'s prediction, and what the network did, in the run's numbers.
    package static func answer(_ r: SharpnessLab.Result) -> String {
        var text = "On a fixed quadratic with curvature λ, Question 1(c) shows that gradient descent with η > 2/λ diverges, the error growing by |1 − ηλ| > 1 per step. "
            + "On the network the curvature is not fixed: at the start λmax = \(Q2Sharpness.sharp(r.initial.sharpness)). "
        let below = r.runs.filter { $0.threshold < r.initial.sharpness }
        let survived = below.filter { !$0.diverged }
        if !below.isEmpty {
            text += "For η = \(below.map { NumberFormat.number($0.eta) }.joined(separator: ", ")) the threshold 2/η is below that, so the quadratic picture predicts divergence; "
            text += survived.count == below.count ? "none of these runs diverged: " : "\(survived.count) of \(below.count) did not diverge: "
            text += survived.compactMap { run in
                run.final.map { "with η = \(NumberFormat.number(run.eta)) λmax ended at \(Q2Sharpness.sharp($0.sharpness)) (2/η = \(Q2Sharpness.sharp(run.threshold)))" }
            }.joined(separator: ", ") + ". "
        }
        text += "Steps that overshoot along the top eigenvector move the weights to flatter regions, so λmax comes down to 2/η or below instead of the loss blowing up, and the loss keeps falling; "
            + "once the loss approaches 0, λmax falls further with it. The full run (`lab q2-sharpness`: 2,000 images, 800 steps, λmax every 10) shows the hovering at 2/η more clearly."
        return text
    }

    package static func table(_ r: SharpnessLab.Result) -> ReportBlock {
        .table(
            header: ["η", "2/η", "final λmax", "λmax·η/2", "first within 10 % of 2/η", "final loss", "test accuracy", "diverged"],
            rows: r.runs.map { run in
                [NumberFormat.number(run.eta), Q2Sharpness.sharp(run.threshold), run.final.map { Q2Sharpness.sharp($0.sharpness) } ?? "—",
                 run.ratio.map { String(format: "%.2f", $0) } ?? "—", run.firstWithinTenPercent.map { "step \($0)" } ?? "never",
                 Q2Format.loss(run.losses.last ?? .nan), run.final.map { Q2Format.percent($0.testAccuracy) } ?? "—",
                 run.diverged ? "yes" : "no"]
            },
            numeric: [true, true, true, true, false, true, true, false])
    }
}
