// Runs the built `lab` executable for end-to-end tests: finds it in the products folder next
// to the test bundle, runs it with arguments, environment and working folder, drains stdout
// and stderr concurrently, and stops it after a timeout.

import Foundation

/// What one run of `lab` produced.
struct LabOutput {
    var stdout: String
    var stderr: String
    /// The exit status (or the signal number if it was killed).
    var status: Int32
    /// Whether the run was stopped at the timeout.
    var timedOut: Bool
}

/// The `lab` binary could not be found.
struct LabProcessError: Error, CustomStringConvertible {
    var description: String
}

/// Finds and runs the `lab` binary that `swift build` / `swift test` produced.
enum LabProcess {
    /// The products folder (`.build/<triple>/<config>`): beside the `.xctest` bundle on macOS,
    /// the folder holding the test executable on Linux.
    static var productsDirectory: URL {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        #endif
        return Bundle.main.bundleURL
    }

    /// The `lab` executable: `$LAB_BINARY` if set, else `<products>/lab`.
    ///
    /// - Throws: a failure naming the path when it is missing (build with `swift build` first).
    static func executable() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["LAB_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let url = productsDirectory.appendingPathComponent("lab")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw LabProcessError(description: "no lab executable at \(url.path); run 'swift build' first")
        }
        return url
    }

    /// Runs `lab arguments…`.
    ///
    /// - Parameters:
    ///   - environment: variables added to (or, with a value of "", removed from) this process's.
    ///   - directory: the working folder (default: this process's).
    ///   - timeout: seconds before the run is stopped and `timedOut` set.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
        timeout: TimeInterval = 120
    ) throws -> LabOutput {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value.isEmpty ? nil : value }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let group = DispatchGroup()
        let outBox = Box(), errBox = Box()
        for (pipe, box) in [(out, outBox), (err, errBox)] {
            group.enter()
            DispatchQueue.global().async {
                box.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
        var timedOut = false
        if group.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            group.wait()
        }
        process.waitUntilExit()
        return LabOutput(stdout: String(decoding: outBox.data, as: UTF8.self),
                         stderr: String(decoding: errBox.data, as: UTF8.self),
                         status: process.terminationStatus, timedOut: timedOut)
    }

    /// A fresh empty folder under the system temporary folder.
    static func temporaryFolder(_ name: String = "gdlab-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(name)-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

private final class Box: @unchecked Sendable {
    var data = Data()
}
