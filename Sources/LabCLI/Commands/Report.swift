// `lab report`: placeholder while the command is built on its own branch.

import ArgumentParser

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "(being built)")

    func run() throws {
        throw LabError.failed("'lab report' is not built yet")
    }
}
