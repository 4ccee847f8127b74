// Question 1 in the report: q1a–q1d run with the commands' default settings through the
// `LabPage` pattern (compute → text → figures), each answered in one paragraph whose numbers
// come from the run, followed by the lab's own measured checks and its figures.

import Foundation
import LabSupport
import Labs
import MNISTNet
import Quadratic

/// Builds the Question 1 section of the report.
package enum ReportQuestion1 {
    /// Every Question 1 number, as `results.json` holds it.
    package struct Results: Encodable {
        package var q1a: Q1A.Result
        package var q1b: Q1B.Result
        package var q1c: Q1C.Result
        package var q1d: Q1D.Result
    }

    /// Runs the four labs, draws their figures (in one batch), and returns the section and the numbers.
    ///
    /// - Throws: `FileWriteError` when a figure cannot be written; `LabError` from a lab.
    package static func build(figures: ReportFigures, progress: ReportProgress) throws -> (section: ReportSection, results: Results) {
        let a = try progress.step("q1a: gradient, minimiser, gradient check, descent") { try Q1A.compute(.init()) }
        let b = try progress.step("q1b: contraction factors and the closed form") { try Q1B.compute(.init()) }
        let c = try progress.step("q1c: stability sweep and boundary cases") { try Q1C.compute(.init()) }
        let d = try progress.step("q1d: iterations against κ, momentum, heat map") { try Q1D.compute(.init()) }
        // All the figures in one batch: gnuplot processes run side by side.
        let drawn = try progress.step("q1a–q1d: figures") {
            try figures.draw([ReportFigures.untitled(Q1A.self, a), ReportFigures.untitled(Q1B.self, b),
                              ReportFigures.untitled(Q1C.self, c), ReportFigures.untitled(Q1D.self, d)])
        }
        let sa = ReportSection.lab(Q1A.self, a, answer: answer(a), checks: "the output of `lab q1a`", figures: drawn[0], untitled: "Question 1a")
        let sb = ReportSection.lab(Q1B.self, b, answer: answer(b), checks: "the output of `lab q1b`", figures: drawn[1], untitled: "Question 1b")
        let sc = ReportSection.lab(Q1C.self, c, answer: answer(c), checks: "the output of `lab q1c`", figures: drawn[2], untitled: "Question 1c")
        let sd = ReportSection.lab(Q1D.self, d, answer: answer(d), checks: "the output of `lab q1d`", figures: drawn[3], untitled: "Question 1d")
        let section = ReportSection(
            id: "question-1", title: "Question 1 — gradient descent on L(w) = ½(a·w₁² + b·w₂²)",
            blocks: [.paragraph(
                "Each part runs with the defaults of its command (`lab q1a` … `lab q1d`; a = 10, b = 1, w(0) = (1, 1) unless stated), so any number below can be reproduced by running that command. The measured checks are the command's own output: theory beside simulation.")],
            subsections: [sa, sb, sc, sd])
        return (section, Results(q1a: a, q1b: b, q1c: c, q1d: d))
    }

    // MARK: - Answers, with the run's numbers

    package static func answer(_ r: Q1A.Result) -> String {
        let s = r.settings
        let outcome: String
        switch r.stopReason {
        case .reachedTolerance: outcome = "reached L ≤ \(NumberFormat.error(s.epsilon)) after \(r.stepsTaken) steps, \(NumberFormat.error(r.distanceToMinimizer)) from w*"
        case .stepLimit: outcome = "was still above L = \(NumberFormat.error(s.epsilon)) after \(r.stepsTaken) steps"
        case .lossNotFinite: outcome = "diverged (the loss overflowed at step \(r.stepsTaken))"
        }
        return "∇L(w) = (a·w₁, b·w₂), here (\(NumberFormat.number(s.a))·w₁, \(NumberFormat.number(s.b))·w₂). It vanishes only at w* = (0, 0), the unique minimiser (L(w*) = 0; the Hessian diag(a, b) is positive definite). "
            + "The formula agrees with central differences at \(r.gradientChecks.count) random points to a relative error of at most \(NumberFormat.error(r.maxRelativeError)), "
            + "and gradient descent with η = \(NumberFormat.number(s.learningRate)) from w(0) = \(NumberFormat.vector(s.w0)) \(outcome)."
    }

    package static func answer(_ r: Q1B.Result) -> String {
        let runs = r.runs.map { c in
            "for η = \(NumberFormat.number(c.learningRate)), ρ = (\(NumberFormat.number(c.rhoFormula[0])), \(NumberFormat.number(c.rhoFormula[1]))) and the measured ratios wᵢ(t+1)/wᵢ(t) differ from it by at most \(NumberFormat.error(c.maxRatioDeviation)) (relative), the iterates from the closed form by at most \(NumberFormat.error(c.maxClosedFormDeviation))"
        }
        return "One step is w(t+1) = w(t) − η·∇L(w(t)) = ((1 − η·a)·w₁(t), (1 − η·b)·w₂(t)): each coordinate is multiplied by its own factor ρᵢ = 1 − η·aᵢ, so w(t) = (ρ₁ᵗ·w₁(0), ρ₂ᵗ·w₂(0)). Measured: "
            + runs.joined(separator: "; ") + "."
    }

    package static func answer(_ r: Q1C.Result) -> String {
        let s = r.settings
        let agreeing = r.rows.filter { row in
            switch row.convergenceFromStart {
            case .converges: return row.measuredIterations != nil && row.nonFiniteStep == nil
            case .diverges: return row.nonFiniteStep != nil
            case .oscillates: return row.measuredIterations == nil && row.nonFiniteStep == nil
            }
        }.count
        let head = "Gradient descent converges exactly when |1 − η·aᵢ| < 1 for every i, i.e. 0 < η < 2/max(a, b) = \(NumberFormat.number(r.threshold)) here (a = \(NumberFormat.number(s.a)), b = \(NumberFormat.number(s.b))). "
        let tail = "\(agreeing) of the \(r.rows.count) learning rates tried behaved as this classification (for this start) predicts."
        guard let residual = r.oneStepResidual, let amplitude = r.thresholdAmplitudeDeviation, let growth = r.aboveMeasuredGrowth else {
            return head + "This start has the stiff coordinate at 0, and a coordinate that starts at 0 never moves, so the run is decided by the other coordinate alone. " + tail
        }
        return head
            + "At η = 1/max(a, b) the stiff coordinate reaches 0 in one step (measured residual \(NumberFormat.error(residual))); "
            + "at η = 2/max(a, b) it flips sign forever at constant size (amplitude deviation \(NumberFormat.error(amplitude))); "
            + "just above, at \(NumberFormat.number(s.above))× the threshold, it diverges at rate |ρ| = \(NumberFormat.number(r.aboveRate)) (measured growth per step \(NumberFormat.number(growth))). "
            + tail
    }

    package static func answer(_ r: Q1D.Result) -> String {
        guard let first = r.rows.first, let last = r.rows.last else { return "No condition numbers were run." }
        func count(_ n: Int?) -> String { n.map(String.init) ?? "more than \(r.settings.maxSteps)" }
        func exact(_ pairs: [(Int?, Int?)]) -> Int { pairs.filter { $0.0 != nil && $0.0 == $0.1 }.count }
        let gd = exact(r.rows.map { ($0.gdMeasured, $0.gdPredicted) })
        let ball = exact(r.rows.map { ($0.heavyBallMeasured, $0.heavyBallPredicted) })
        let nag = exact(r.rows.map { ($0.nesterovMeasured, $0.nesterovPredicted) })
        let stop = Q1D.stopText(r.settings)
        var text = "Even at the best fixed step η* = 2/(a + b) both coordinates contract only by r = (κ − 1)/(κ + 1) per step, so the iterations to \(stop) grow in proportion to κ = a/b: "
            + "\(count(first.gdMeasured)) at κ = \(NumberFormat.number(first.kappa)), \(count(last.gdMeasured)) at κ = \(NumberFormat.number(last.kappa)). "
            + "Heavy-ball momentum with Polyak's (η, β) contracts by (√κ − 1)/(√κ + 1) and Nesterov's by 1 − 1/√κ, so their counts grow like √κ: "
            + "\(count(last.heavyBallMeasured)) and \(count(last.nesterovMeasured)) at κ = \(NumberFormat.number(last.kappa)). "
            + ((last.nesterovMeasured ?? .max) < (last.heavyBallMeasured ?? 0)
               ? "Nesterov needs fewer steps here although its rate is slower: its first step (η = 1/a) removes the stiff coordinate, which holds \(String(format: "%.4g", 100 * last.a * r.settings.w0[0] * r.settings.w0[0] / (2 * last.initialLoss))) % of L₀ from this start. "
               : "")
            + "Every count is predicted exactly by the closed form (GD \(gd), heavy ball \(ball), Nesterov \(nag) of \(r.rows.count) values of κ); heavy ball's double roots give wᵢ(t) = wᵢ(0)·(1 + (1 ± r)·t)·(∓r)ᵗ, whose factor ≈ 2t is why it needs more than the rate estimate (√κ/4)·ln(1/ε). "
        if let slope = r.slopes["gd"], let ballSlope = r.slopes["heavyBall"] {
            text += "Measured log–log slopes: GD \(String(format: "%.2f", slope)), heavy ball \(String(format: "%.2f", ballSlope)). "
        }
        if let c = r.constants.first(where: { $0.criterion == .loss }), let measured = c.measured {
            text += "With a relative tolerance the constant in T ≈ c·κ·ln(1/ε) at η* is \(String(format: "%.4f", measured)) (theory ¼; ½ for the distance, and ½ and 1 at η = 1/max(a, b)). "
        }
        text += "The change of variables v = diag(a, b)^(½)·w makes κ = 1: preconditioned GD reaches the tolerance in \(count(last.preconditionedMeasured)) step for every κ."
        return text
    }
}

/// The parts of a bundled worksheet the report quotes: its title and "The question".
package struct ReportWorksheet {
    package var title: String?
    package var question: String?

    /// Reads labs/<name>.md from the bundle; both parts are `nil` when it is not installed.
    package init(name: String) {
        self.init(markdown: (try? Worksheet.text(named: name)) ?? "")
    }

    /// Parses the `# Title` line (minus a leading "Question ") and the paragraphs under
    /// `## The question`, each paragraph joined into one line.
    package init(markdown text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let heading = lines.first(where: { $0.hasPrefix("# ") }) {
            var title = String(heading.dropFirst(2)).trimmingCharacters(in: .whitespaces)
            if title.hasPrefix("Question ") { title = "Q" + title.dropFirst("Question ".count) }
            self.title = title
        }
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).lowercased() == "## the question" })
        else { return }
        var paragraphs: [String] = [], current: [String] = []
        for line in lines[(start + 1)...] {
            if line.hasPrefix("#") { break }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                if !current.isEmpty { paragraphs.append(current.joined(separator: " ")); current = [] }
            } else {
                current.append(trimmed)
            }
        }
        if !current.isEmpty { paragraphs.append(current.joined(separator: " ")) }
        question = paragraphs.isEmpty ? nil : paragraphs.joined(separator: "\n\n")
    }
}
