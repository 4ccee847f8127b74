// `lab q1d`: placeholder while the command is built on its own branch.

import ArgumentParser

struct Q1D: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "q1d", abstract: "(being built)")

    func run() throws {
        throw LabError.failed("'lab q1d' is not built yet")
    }
}
