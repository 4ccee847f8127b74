// The errors `lab` reports to its user: one line on stderr each, saying what was wrong and
// what to do, with an exit status that tells scripts what kind of failure it was.

import Foundation

/// A failure the user can act on.
package enum LabError: Error, CustomStringConvertible {
    /// The command could not do its job (bad file, unwritable folder, …). Exit status 1.
    case failed(String)
    /// The results were produced but some output (figures) is missing. Exit status 2.
    case incomplete(String)
    /// The user interrupted the run (SIGINT). Exit status 130.
    case interrupted(String)

    package var description: String {
        switch self {
        case .failed(let text), .incomplete(let text), .interrupted(let text): return text
        }
    }

    package var exitStatus: Int32 {
        switch self {
        case .failed: return 1
        case .incomplete: return 2
        case .interrupted: return 130
        }
    }
}
