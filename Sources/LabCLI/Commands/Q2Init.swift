// `lab q2-init`: its options, checked, become `Q2Init.Settings`; the lab computes
// (Labs/Question2/Q2Init.swift) and its page presents the result
// (LabReport/Pages/Q2Init+Page.swift).

import ArgumentParser
import Foundation
import LabFigures
import LabReport
import LabSupport
import Labs
import MNISTNet

struct Q2InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q2-init",
        abstract: "Q2: the MLP's layer shapes, parameter count and initialisation statistics.",
        discussion: "Figure: <out>/q2-init-weights.png (standardised weights against N(0, 1)). --save writes the initial weights as .npz (the starting point of lab q2-train, for numpy or --load).")

    @OptionGroup var network: Q2NetworkOptions

    @Option(help: ArgumentHelp("Write these initial weights to this .npz (arrays w1, b1, …; numpy.load reads it).",
                               valueName: "file.npz"))
    var save: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let save { try Q2Check.path(save, "--save", example: "initial.npz") }
    }

    func run() throws {
        if output.explain { return try Presenter.explain(Q2Init.worksheet) }
        let settings = Q2Init.Settings(network: network.settings)
        let network = try Q2Network.make(settings.network)
        let result = try Q2Init.compute(settings, network: network, origin: nil)
        if let save { try Q2Network.save(network, to: save) }
        try Q2Init.present(result, output: output, saved: save.map { [$0] } ?? [])
    }
}
