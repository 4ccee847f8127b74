// The worksheets behind `--explain`: labs/<name>.md, bundled beside the `lab` executable as a
// SwiftPM resource. Found without `Bundle.module` (which stops the program when the bundle is
// missing): the executable's real path is resolved and the resource bundle looked up beside it.

import Foundation
import LabSupport
import MNISTNet

/// Loads bundled worksheets (`labs/*.md`).
package enum Worksheet {
    /// The text of worksheet `name` (e.g. `q1a` for labs/q1a.md).
    ///
    /// Looks in `gdlab_LabReport.resources/` (Linux) and `gdlab_LabReport.bundle/` (macOS, flat or
    /// `Contents/Resources/`) beside the executable, after resolving symlinks, so it works from
    /// any current directory and through a symlinked `lab`.
    ///
    /// - Throws: `LabError.failed` naming the repository file to read when it is not installed.
    package static func text(named name: String) throws -> String {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { throw LabError.failed("'\(name)' is not a worksheet name; worksheets are named like q1a") }
        for folder in resourceFolders() {
            let file = folder.appendingPathComponent(name + ".md")
            if let data = FileManager.default.contents(atPath: file.path) {
                return String(decoding: data, as: UTF8.self)
            }
        }
        throw LabError.failed(
            "the worksheet '\(name)' is not installed beside this lab executable; read labs/\(name).md in the gdlab repository")
    }

    /// Folders that may hold the bundled worksheets, most likely first.
    package static func resourceFolders() -> [URL] {
        var executables: [URL] = []
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            executables.append(URL(fileURLWithPath: path))
        }
        #endif
        if let url = Bundle.main.executableURL { executables.append(url) }
        if let first = CommandLine.arguments.first, first.contains("/") {
            executables.append(URL(fileURLWithPath: first))
        }
        var folders: [URL] = []
        for executable in executables {
            let directory = executable.resolvingSymlinksInPath().deletingLastPathComponent()
            folders.append(directory.appendingPathComponent("gdlab_LabReport.resources"))
            folders.append(directory.appendingPathComponent("gdlab_LabReport.bundle"))
            folders.append(directory.appendingPathComponent("gdlab_LabReport.bundle/Contents/Resources"))
        }
        return folders
    }
}
