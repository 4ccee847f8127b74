// `lab q2-init`: placeholder while the command is built on its own branch.

import ArgumentParser

struct Q2Init: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "q2-init", abstract: "(being built)")

    func run() throws {
        throw LabError.failed("'lab q2-init' is not built yet")
    }
}
