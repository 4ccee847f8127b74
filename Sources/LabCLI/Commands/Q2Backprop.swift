// `lab q2-backprop`: its options, checked, become `Q2Backprop.Settings`; the lab computes
// (Labs/Question2/Q2Backprop.swift) and its page presents the result
// (LabReport/Pages/Q2Backprop+Page.swift).

import ArgumentParser
import Foundation
import LabReport
import LabSupport
import Labs
import MNISTNet

struct Q2BackpropCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q2-backprop",
        abstract: "Q2: the gradient check — backpropagation against central differences, per tensor.",
        discussion: "Figures: <out>/q2-backprop-errors.png (largest relative and absolute error per tensor, log scale, with the 1e-6 bar), <out>/q2-backprop-steps.png (the error against the step h). Exit status 1 when a tensor fails the check.")

    @OptionGroup var data: Q2DataOptions
    @OptionGroup var network: Q2NetworkOptions

    @Option(help: "Training images in the checked loss L = Σ −log p_y (1 … 1000).")
    var samples = Q2Backprop.Settings().samples

    @Option(help: "Entries compared per tensor (1 … 10000; all entries when a tensor has fewer).")
    var entries = Q2Backprop.Settings().entries

    @OptionGroup var output: OutputOptions

    func validate() throws {
        try ArgumentCheck.steps(samples, "--samples", limit: 1000, example: "10")
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1; try --samples 10") }
        try ArgumentCheck.steps(entries, "--entries", limit: 10000, example: "20")
        guard entries >= 1 else { throw ValidationError("--entries must be at least 1; try --entries 20") }
    }

    func run() throws {
        let shown = try Q2Backprop.perform(output: output) {
            let settings = Q2Backprop.Settings(data: data.settings, network: network.settings, samples: samples, entries: entries)
            return try Q2Backprop.compute(settings, data: try Q2Data.load(settings.data, progress: DownloadReporter.shared.report))
        }
        if let result = shown, !result.passed {
            let failed = result.rows.filter { !$0.passes(tolerance: Q2Backprop.tolerance) }.map(\.name).joined(separator: ", ")
            throw LabError.failed("the gradient check failed for \(failed); see the table above (a non-finite number, a gradient below the rounding floor, or backpropagation and the finite differences disagree)")
        }
    }
}
