// "Question 1 on the network" in the report (issue 12): the Hessian's λmax at the start and after
// one epoch, η·λmax against Question 1's bound 2 for the mean loss and for single images, the
// raw-pixel cause (raw vs scaled with the two ablations) and a small learning-rate sweep — on a
// budget that keeps `lab report` short (the commands measure the same at full size).

import Foundation
import LabSupport
import Labs
import MNISTNet

package enum ReportCurvature {
    package struct Results: Encodable {
        package var curvature: CurvatureLab.Result
        package var sweep: SweepLab.Result
    }

    /// The report's budget: 1,000 images in the mean loss, 10 single images; the sweep one seed,
    /// 10,000 images, η = 10⁻³ … 10. Training runs on all images (the fast kernel takes a
    /// fraction of a second per epoch).
    package static var curvatureSettings: CurvatureLab.Settings {
        var s = CurvatureLab.Settings()
        s.samples = 1_000
        s.top = 2
        s.traceProbes = 4
        s.densityProbes = 1
        s.perSampleCount = 10
        s.epochs = 1
        s.threads = ProcessInfo.processInfo.activeProcessorCount
        return s
    }

    package static var sweepSettings: SweepLab.Settings {
        var s = SweepLab.Settings()
        s.learningRates = SweepLab.logGrid(from: 1e-3, to: 10)
        s.seeds = [MLP.defaultSeed]
        s.trainLimit = 10_000
        s.jobs = ProcessInfo.processInfo.activeProcessorCount
        return s
    }

    /// The section, or nil when Question 2's data is unavailable (its section already says why).
    package static func build(_ data: Q2DataSettings, figures: ReportFigures, progress: ReportProgress) throws
        -> (section: ReportSection, results: Results)? {
        guard let loaded = try? Q2Data.load(data, progress: progress.downloads) else { return nil }
        let network = try MLP(seed: MLP.defaultSeed)
        let tc = try progress.step("q2-curvature: λmax at the start and after one epoch, raw vs scaled") {
            do {
                return try CurvatureLab.compute(curvatureSettings, network: network, train: loaded.train, test: loaded.test)
            } catch { throw LabError.failed("\(error)") }
        }
        let tw = try progress.step("q2-sweep: per-sample SGD over η = 10⁻³ … 10") {
            do {
                return try SweepLab.compute(sweepSettings, train: loaded.train, test: loaded.test)
            } catch { throw LabError.failed("\(error)") }
        }
        // The report holds no timings: the same data gives the same bytes.
        let c = tc.withoutTimings, w = tw.withoutTimings
        let drawn = try progress.step("q2-curvature, q2-sweep: figures") {
            try figures.draw([(CurvatureLab.figures(for: c, title: nil), []), (SweepLab.figures(for: w, title: nil), [])])
        }
        var blocks: [ReportBlock] = [.answer(answer(c, w))]
        blocks.append(.paragraph("Measured (the output of `\(CurvatureLab.commandLine(c.settings))`, smaller than its defaults to keep the report short):"))
        blocks.append(.preformatted(CurvatureLab.text(for: c)))
        blocks += drawn[0]
        blocks.append(.paragraph("The sweep (`lab q2-sweep --seeds 1 --train-limit 10000 --lr-min 0.001`):"))
        blocks.append(.preformatted(SweepLab.text(for: w)))
        blocks += drawn[1]
        blocks.append(.paragraph("Derivations and exercises: `lab q2-curvature --explain`, `lab q2-sweep --explain` (labs/q2-curvature.md, labs/q2-sweep.md)."))
        let id = "question-1-on-the-network"
        let section = ReportSection(id: id, title: "Question 1 on the network — η < 2/λmax for the MLP", blocks: blocks)
            .reproduced(by: [id: [CurvatureLab.commandLine(c.settings), "lab q2-sweep --seeds 1 --train-limit 10000 --lr-min 0.001"]])
        return (section, Results(curvature: c, sweep: w))
    }


    package static func answer(_ c: CurvatureLab.Result, _ w: SweepLab.Result) -> String {
        let eta = c.settings.learningRate
        func f(_ x: Double) -> String { CurvatureLab.format(x) }
        var text = "Near any point the loss is a quadratic with Hessian H, so Question 1(c)'s rule η·λmax < 2 applies step by step. "
        if let start = c.snapshots.first {
            text += "At the seeded start the mean loss over \(Q2Format.count(c.settings.samples)) images has λmax = \(f(start.lambdaMax)) (η·λmax = \(f(eta * start.lambdaMax)) at η = \(NumberFormat.number(eta)))"
            if let after = c.snapshots.dropFirst().first { text += " and \(f(after.lambdaMax)) after one epoch" }
            text += ". "
            if let p = start.perSample {
                text += "But per-sample SGD steps on one image's loss at a time, whose λmax reaches \(f(p.maximum)) (median \(f(p.median))). "
            }
        }
        if let scaled = c.comparison.first(where: { $0.name == "scaled pixels" }), let raw = c.comparison.first(where: { $0.name == "raw pixels" }),
           let shrunk = c.comparison.first(where: { $0.name == "raw pixels, W¹/255" }) {
            text += "With raw pixels λmax of the mean loss is \(f(raw.lambdaMax)) against \(f(scaled.lambdaMax)) scaled, single images reach \(f(raw.perSampleMaximum)) (\(Q2Format.percent(raw.fractionUnstable)) of them with η·λ > 2), and one epoch reaches \(Q2Format.percent(raw.accuracyAfterOneEpoch)) against \(Q2Format.percent(scaled.accuracyAfterOneEpoch)). "
            text += "Raw pixels with W¹/255 start from the very same outputs as scaled pixels (saturation \(Q2Format.percent(shrunk.saturationAtStart)) against \(Q2Format.percent(scaled.saturationAtStart))) yet reach only \(Q2Format.percent(shrunk.accuracyAfterOneEpoch)): the curvature (λmax \(f(shrunk.lambdaMax))), not saturation alone, breaks the raw-pixel run — scaling the inputs is preconditioning. "
        }
        if let last = w.lastConverging {
            text += "In the sweep every run converges up to η = \(NumberFormat.number(last))"
            if let failing = w.firstFailing { text += " and fails from η = \(NumberFormat.number(failing))" }
            text += ", against 2/λmax = \(f(2 / w.meanLambdaMax)) for the mean loss and \(f(2 / w.perSampleMedian)) for the median single image."
        }
        return text
    }
}
