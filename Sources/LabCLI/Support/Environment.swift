// The environment as `lab` uses it: relative HOME, XDG_CACHE_HOME and XDG_DATA_HOME are ignored
// at startup (the XDG spec says to ignore relative paths), so neither gdlab's cache nor
// Foundation's own folders (the URL cache a download attempt creates) land under the current
// directory, and gnuplot, which inherits the environment, sees the same. File names that are
// not valid UTF-8, in the arguments or in MNIST_DIR, XDG_CACHE_HOME and HOME, are replaced by
// UTF-8 paths to the same files (`RawFileNames`).

import Foundation
import LabSupport
import MNISTNet

enum Environment {
    /// Unsets a relative `XDG_CACHE_HOME` / `XDG_DATA_HOME`, and replaces a relative or empty
    /// `HOME` with the account's home folder from the password database (or unsets it).
    static func ignoreRelativeHomes() {
        for name in ["XDG_CACHE_HOME", "XDG_DATA_HOME"] {
            if let value = getenv(name).map({ String(cString: $0) }), !value.hasPrefix("/") { unsetenv(name) }
        }
        guard let home = getenv("HOME").map({ String(cString: $0) }), !home.hasPrefix("/") else { return }
        if let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir,
           String(cString: directory).hasPrefix("/") {
            setenv("HOME", directory, 1)
        } else {
            unsetenv("HOME")
        }
    }

    /// The command line (without the program's name) with every argument that is not valid UTF-8
    /// replaced by a UTF-8 path to the same file or folder (`RawFileNames.resolve`), the value of
    /// `--name=value` included; or the first argument that cannot be, named with what to do.
    ///
    /// `MNIST_DIR`, `XDG_CACHE_HOME` and `HOME` are resolved the same way in the environment
    /// (which gnuplot inherits); one that cannot be is left as Swift reads it, and the data or
    /// cache lookup reports it where it is used.
    static func resolveRawFileNames() -> Result<[String], StartupProblem> {
        for name in ["MNIST_DIR", "XDG_CACHE_HOME", "HOME"] {
            guard let value = getenv(name) else { continue }
            let raw = bytes(value)
            if String(validating: raw, as: UTF8.self) == nil, case .success(let path) = RawFileNames.resolve(raw) {
                setenv(name, path, 1)
            }
        }
        var arguments: [String] = []
        for index in 1 ..< Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            var argument = bytes(pointer)
            var prefix = ""
            if argument.starts(with: "--".utf8), let equals = argument.firstIndex(of: UInt8(ascii: "=")) {
                prefix = String(decoding: argument[...equals], as: UTF8.self)
                argument = Array(argument[(equals + 1)...])
            }
            switch RawFileNames.resolve(argument) {
            case .success(let path): arguments.append(prefix + path)
            case .failure(let error): return .failure(StartupProblem(description: "argument \(index): \(error)"))
            }
        }
        return .success(arguments)
    }

    struct StartupProblem: Error, CustomStringConvertible {
        var description: String
    }

    private static func bytes(_ string: UnsafePointer<CChar>) -> [UInt8] {
        UnsafeBufferPointer(start: string, count: strlen(string)).map { UInt8(bitPattern: $0) }
    }
}
