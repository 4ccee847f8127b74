// `lab q1a`: placeholder while the command is built on its own branch.

import ArgumentParser

struct Q1A: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "q1a", abstract: "(being built)")

    func run() throws {
        throw LabError.failed("'lab q1a' is not built yet")
    }
}
