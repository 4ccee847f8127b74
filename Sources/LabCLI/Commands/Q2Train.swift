// `lab q2-train`: its options, checked, become `Q2Train.Settings`; the lab computes
// (Labs/Question2/Q2Train.swift) and its page presents the result
// (LabReport/Pages/Q2Train+Page.swift).

import ArgumentParser
import Foundation
import LabReport
import LabSupport
import Labs
import MNISTNet

struct Q2TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q2-train",
        abstract: "Q2: train the MLP with SGD; loss and test accuracy per epoch, saturation, figures.",
        discussion: """
            Figures in <out>: q2-train-loss.png, q2-train-epochs.png, q2-train-confusion.png (gnuplot, with \
            CSV sidecars), q2-train-predictions.png, q2-train-weights.png, q2-train-mistakes.png.
            Ctrl-C stops at the next progress report; with --save the weights so far go to <name>.partial.npz \
            (exit status 130). A run whose loss becomes non-finite stops at that sample, reports it and \
            exits with status 1.
            """)

    @OptionGroup var data: Q2DataOptions
    @OptionGroup var network: Q2NetworkOptions
    @OptionGroup var training: Q2TrainingOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        if output.explain { return try Presenter.explain(Q2Train.worksheet) }
        let settings = Q2Train.Settings(data: data.settings, network: network.settings, training: training.settings)
        if let save = training.save { try Q2Network.prepareSave(save) }
        if let warning = Q2Train.precisionWarning(settings.training) { Console.error("lab: warning: " + warning) }
        let loaded = try Q2Data.load(settings.data, progress: DownloadReporter.shared.report)
        let result = try Q2Train.trainInteractively(settings, data: loaded, save: training.save)
        var saved: [String] = []
        if let save = training.save, result.outcome.status != .diverged {
            try Q2Network.save(result.network, to: save)
            saved.append(save)
        }
        try Q2Train.present(result, output: output, saved: saved)
        if result.outcome.status == .diverged { throw LabError.failed(result.outcome.text) }
    }
}
