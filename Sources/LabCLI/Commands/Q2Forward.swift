// `lab q2-forward`: placeholder while the command is built on its own branch.

import ArgumentParser

struct Q2Forward: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "q2-forward", abstract: "(being built)")

    func run() throws {
        throw LabError.failed("'lab q2-forward' is not built yet")
    }
}
