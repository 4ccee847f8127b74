// `lab q1b`: placeholder while the command is built on its own branch.

import ArgumentParser

struct Q1B: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "q1b", abstract: "(being built)")

    func run() throws {
        throw LabError.failed("'lab q1b' is not built yet")
    }
}
