// `lab q2-train`: placeholder while the command is built on its own branch.

import ArgumentParser

struct Q2Train: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "q2-train", abstract: "(being built)")

    func run() throws {
        throw LabError.failed("'lab q2-train' is not built yet")
    }
}
