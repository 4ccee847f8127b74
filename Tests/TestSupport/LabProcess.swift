// Runs the built `lab` executable for end-to-end tests: finds it in the products folder next
// to the test bundle, runs it with arguments, environment and working folder, drains stdout
// and stderr concurrently, and stops it after a timeout. `RunningLab` is a run the test acts on
// while it goes (waits for a line, then sends Ctrl-C or SIGKILL).

import Foundation

/// What one run of `lab` produced.
public struct LabOutput: Sendable {
    public var stdout: String
    public var stderr: String
    /// The exit status (or the signal number if it was killed).
    public var status: Int32
    /// Whether the run was stopped at the timeout.
    public var timedOut: Bool
    /// Whether a signal ended the run (`status` is then the signal's number).
    public var signaled: Bool

    public init(stdout: String, stderr: String, status: Int32, timedOut: Bool, signaled: Bool = false) {
        self.stdout = stdout
        self.stderr = stderr
        self.status = status
        self.timedOut = timedOut
        self.signaled = signaled
    }
}

/// The `lab` binary could not be found.
public struct LabProcessError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }
}

/// Finds and runs the `lab` binary that `swift build` / `swift test` produced.
public enum LabProcess {
    /// The products folder (`.build/<triple>/<config>`): beside the `.xctest` bundle on macOS,
    /// the folder holding the test executable on Linux.
    public static var productsDirectory: URL {
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
    public static func executable() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["LAB_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let url = productsDirectory.appendingPathComponent("lab")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw LabProcessError(description: "no lab executable at \(url.path); run 'swift build' first")
        }
        return url
    }

    /// Runs `lab arguments…` to the end.
    ///
    /// - Parameters:
    ///   - environment: variables added to (or, with a value of "", removed from) this process's.
    ///   - directory: the working folder (default: this process's).
    ///   - timeout: seconds before the run is stopped and `timedOut` set.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
        timeout: TimeInterval = 120
    ) throws -> LabOutput {
        try RunningLab(arguments, environment: environment, directory: directory).finish(timeout: timeout)
    }

    /// A fresh empty folder under the system temporary folder.
    public static func temporaryFolder(_ name: String = "gdlab-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(name)-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A `lab` process running in the background, its stdout and stderr collected as they come.
///
/// `@unchecked Sendable`: the collected output and the end-of-file flags are only touched while
/// holding `condition`.
public final class RunningLab: @unchecked Sendable {
    public let process = Process()
    private let condition = NSCondition()
    private var out = Data(), err = Data()
    private var openPipes = 2

    /// Starts `lab arguments…` (the parameters are those of `LabProcess.run`); stdin is empty.
    public init(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws {
        process.executableURL = try LabProcess.executable()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value.isEmpty ? nil : value }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        drain(stdout, isError: false)
        drain(stderr, isError: true)
    }

    /// Reads `pipe` to its end on a background thread, into `err` or `out`.
    private func drain(_ pipe: Pipe, isError: Bool) {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                condition.lock()
                if chunk.isEmpty {
                    openPipes -= 1
                } else if isError {
                    err.append(chunk)
                } else {
                    out.append(chunk)
                }
                condition.broadcast()
                condition.unlock()
                if chunk.isEmpty { return }
            }
        }
    }

    public var processIdentifier: Int32 { process.processIdentifier }

    /// What the process wrote to stderr so far.
    public var stderrSoFar: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: err, as: UTF8.self)
    }

    /// Waits until stderr contains `text`: true when it does, false when stderr closed (the
    /// process ended) or `timeout` seconds passed without it.
    public func waitForStderr(containing text: String, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if String(decoding: err, as: UTF8.self).contains(text) { return true }
            if openPipes == 0 || !condition.wait(until: deadline) { return false }
        }
    }

    /// Sends `signal` (e.g. SIGINT, SIGKILL) to the process.
    public func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to close stdout and stderr and exit, stopping it (SIGTERM) after
    /// `timeout` seconds; returns everything it wrote.
    public func finish(timeout: TimeInterval = 120) -> LabOutput {
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        condition.lock()
        while openPipes > 0 {
            if !condition.wait(until: deadline) {
                timedOut = true
                process.terminate()
                while openPipes > 0 { condition.wait() }
            }
        }
        let stdout = String(decoding: out, as: UTF8.self), stderr = String(decoding: err, as: UTF8.self)
        condition.unlock()
        process.waitUntilExit()
        return LabOutput(stdout: stdout, stderr: stderr, status: process.terminationStatus, timedOut: timedOut,
                         signaled: process.terminationReason == .uncaughtSignal)
    }
}
