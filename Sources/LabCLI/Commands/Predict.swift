// `lab predict`: placeholder while the command is built on its own branch.

import ArgumentParser

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "predict", abstract: "(being built)")

    func run() throws {
        throw LabError.failed("'lab predict' is not built yet")
    }
}
