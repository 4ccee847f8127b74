// The `lab` command lines that reproduce each part of the report, attached to its sections for
// the notebook's code cells: Question 1's parts run with their commands' defaults; Question 2's
// with the options the report was given, each command taking the groups it accepts. A word the
// user supplied (a path, a mirror URL) is quoted for the shell (`ShellWords`).

import Foundation
import LabSupport
import Labs
import MNISTNet

extension ReportSection {
    /// This section with `commands[id]` attached to it and to each subsection (at any depth)
    /// whose id is a key of `commands`.
    package func reproduced(by commands: [String: [String]]) -> ReportSection {
        var copy = self
        if let lines = commands[id] { copy.commands = lines }
        copy.subsections = subsections.map { $0.reproduced(by: commands) }
        return copy
    }
}

extension ReportQuestion1 {
    /// `lab q1a` … `lab q1d` by section id: the report runs each with its command's defaults.
    package static var commands: [String: [String]] {
        func entry<Lab: LabPage>(_ lab: Lab.Type) -> (String, [String]) {
            (Lab.worksheet, ["lab " + Lab.worksheet])
        }
        return Dictionary(uniqueKeysWithValues: [entry(Q1A.self), entry(Q1B.self), entry(Q1C.self), entry(Q1D.self)])
    }
}

extension ReportQuestion2 {
    /// `lab q2-init` … `lab q2-train` by section id, with the report's Question 2 options that
    /// each command accepts: q2-init the network's, q2-forward and q2-backprop also the data's,
    /// q2-train all of them (the words of `commandLine`, which writes only non-default options).
    ///
    /// An absolute `--data-dir` is left out: the report shows it only as `…/<folder>` (it has
    /// no absolute paths), which no command can run with; without it `lab` finds the same files
    /// through `$MNIST_DIR` or its cache (downloading and checking them if needed).
    package static func commands(_ settings: Settings) -> [String: [String]] {
        var settings = settings
        if settings.train.data.dataDirectory?.hasPrefix("/") == true { settings.train.data.dataDirectory = nil }
        var withData = settings
        withData.train.training = Q2TrainingSettings()
        var networkOnly = withData
        networkOnly.train.data = Q2DataSettings()
        func entry<Lab: LabPage>(_ lab: Lab.Type, _ settings: Settings) -> (String, [String]) {
            let options = commandLine(settings).dropFirst("lab report".count)
            return (Lab.worksheet, ["lab " + Lab.worksheet + options])
        }
        return Dictionary(uniqueKeysWithValues: [
            entry(Q2Init.self, networkOnly), entry(Q2Forward.self, withData),
            entry(Q2Backprop.self, withData), entry(Q2Train.self, settings),
        ])
    }
}

/// Words of a `lab …` line as a POSIX shell reads them: a path the user gave (`--load "my
/// weights.npz"`, or a name holding `;` or `$(…)`) must reach `lab` as one word and never run
/// as a command when the line is pasted into a terminal or run from the notebook.
package enum ShellWords {
    /// `word` as it is when it holds only characters no shell treats specially, else in single
    /// quotes (inside which a shell expands nothing), a quote in it written `'\''`.
    package static func quoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-./,:=+@%".unicodeScalars.contains($0))
        }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The words of a line written with `quoted`: the inverse of joining quoted words with spaces.
    package static func split(_ line: String) -> [String] {
        var words: [String] = [], word = "", inWord = false, quoted = false, escaped = false
        for character in line {
            if escaped {
                word.append(character)
                escaped = false
            } else if quoted {
                if character == "'" { quoted = false } else { word.append(character) }
            } else if character == "'" {
                quoted = true
                inWord = true
            } else if character == "\\" {
                escaped = true
                inWord = true
            } else if character == " " {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(character)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
