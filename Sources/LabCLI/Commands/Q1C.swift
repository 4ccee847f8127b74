// `lab q1c`: placeholder while the command is built on its own branch.

import ArgumentParser

struct Q1C: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "q1c", abstract: "(being built)")

    func run() throws {
        throw LabError.failed("'lab q1c' is not built yet")
    }
}
