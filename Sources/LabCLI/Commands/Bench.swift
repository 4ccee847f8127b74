// `lab bench`: placeholder while the command is built on its own branch.

import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "(being built)")

    func run() throws {
        throw LabError.failed("'lab bench' is not built yet")
    }
}
