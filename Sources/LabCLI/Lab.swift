// The `lab` executable: one subcommand per homework question, plus the whole report, the
// benchmark and `predict`. Every failure ends as one line on stderr and a non-zero exit.
//
// The LabCLI module owns the command line only: the option groups and their validation, one file
// per subcommand (Commands/: options → settings → run the lab → present its page), progress and
// Ctrl-C on the terminal (Support/), and `lab bench` (Bench/). It imports every module below it
// (Labs, LabReport, LabFigures, LabSupport, the computing modules) and ArgumentParser; no
// command calls another.

import ArgumentParser
import Foundation
import LabSupport
import MNISTNet

@main
struct Lab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "gdlab: the gradient-descent lab. One subcommand per homework question; figures as PNG.",
        discussion: """
            Question 1 (gradient descent on L = ½(a·w1² + b·w2²)): q1a, q1b, q1c, q1d.
            Question 2 (the MNIST MLP from scratch): q2-init, q2-forward, q2-backprop, q2-train.
            Question 1 on the network (curvature, η < 2/λmax): q2-curvature, q2-sweep, q2-sharpness.
            Everything at once: report.  Add --explain to a question for its worksheet.
            """,
        subcommands: [
            Report.self,
            Q1ACommand.self, Q1BCommand.self, Q1CCommand.self, Q1DCommand.self,
            Q2InitCommand.self, Q2ForwardCommand.self, Q2BackpropCommand.self, Q2TrainCommand.self,
            Q2CurvatureCommand.self, Q2SweepCommand.self, Q2SharpnessCommand.self,
            Predict.self, Bench.self,
        ])

    /// Parses and runs, turning every error into one line on stderr and an exit status:
    /// 0 success, 1 failure, 2 results written but figures missing, 64 bad usage, 130 interrupted.
    static func main() {
        StandardStreams.ensureOpen()
        Environment.ignoreRelativeHomes()
        let arguments: [String]
        switch Environment.resolveRawFileNames() {
        case .success(let resolved): arguments = resolved
        case .failure(let problem):
            Console.error("lab: \(problem)")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        let command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exitWithParseError(error)
        }
        do {
            var command = command
            try command.run()
            try StandardStreams.flushOutput()
        } catch let error as LabError {
            Console.error("lab: \(visible(error.description))")
            Foundation.exit(error.exitStatus)
        } catch {
            exitWithParseError(error)
        }
    }

    /// Help and version requests print as usual; every other error becomes one line.
    private static func exitWithParseError(_ error: Error) -> Never {
        let code = exitCode(for: error)
        if code == .success { exit(withError: error) }
        let hint = code == .validationFailure ? " (see 'lab help')" : ""
        Console.error("lab: \(singleLine(message(for: error)))\(hint)")
        Foundation.exit(code.rawValue)
    }

    /// `text` with control characters shown as escapes (`\n`, `\u{01}`), so a path that holds a
    /// line break still gives a one-line message.
    static func visible(_ text: String) -> String {
        var shown = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": shown += "\\n"
            case "\r": shown += "\\r"
            case "\t": shown += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                shown += String(format: "\\u{%02x}", scalar.value)
            default: shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }

    private static func singleLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: "; ")
    }
}
