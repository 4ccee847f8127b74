// `lab q2-init`: Question 2, the network before training — layer shapes, the parameter count,
// and per-tensor statistics of the initialisation W ~ N(0, 1/max(n_in, n_out)), b = 0, against
// the theoretical standard deviation; a histogram of the standardised weights.

import ArgumentParser
import Foundation
import LabFigures
import LabReport
import LabSupport
import Labs
import MNISTData
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
