// `lab q2-forward`: its options, checked, become `Q2Forward.Settings`; the lab computes
// (Labs/Question2/Q2Forward.swift) and its page presents the result
// (LabReport/Pages/Q2Forward+Page.swift).

import ArgumentParser
import Foundation
import LabFigures
import LabReport
import LabSupport
import Labs
import MNISTNet

struct Q2ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q2-forward",
        abstract: "Q2: the forward pass on the test set before training: accuracy, loss vs ln 10, saturation.",
        discussion: "Figure: <out>/q2-forward-predictions.png (predicted vs true class counts).")

    @OptionGroup var data: Q2DataOptions
    @OptionGroup var network: Q2NetworkOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Q2Forward.perform(output: output) {
            let settings = Q2Forward.Settings(data: data.settings, network: network.settings)
            return try Q2Forward.compute(settings, data: try Q2Data.load(settings.data, progress: DownloadReporter.shared.report))
        }
    }
}
