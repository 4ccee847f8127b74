// `lab q2-backprop`: placeholder while the command is built on its own branch.

import ArgumentParser

struct Q2Backprop: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "q2-backprop", abstract: "(being built)")

    func run() throws {
        throw LabError.failed("'lab q2-backprop' is not built yet")
    }
}
