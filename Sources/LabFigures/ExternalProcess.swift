// Running an external program: the mechanism gnuplot and the headless browser share. The
// executable is found on PATH and started directly (Foundation's `Process`, never a shell),
// stdin is fed and stdout and stderr drained on threads of their own so no pipe can deadlock,
// a time limit stops a program that hangs, and the program's whole process group is ended.

import Foundation
import LabSupport

/// What one run of an external program produced.
package struct ExternalRun: Sendable {
    /// The exit status, or the signal that ended the program.
    package var status: Int32
    /// Whether the program exited (rather than being killed by a signal).
    package var exited: Bool
    package var stdout: Data
    package var stderr: Data

    /// Whether the program exited with status 0.
    package var succeeded: Bool { exited && status == 0 }
}

/// Finds and runs external programs.
package enum ExternalProcess {
    /// The first of `names` that is an executable file in a folder of `PATH`, searching folder
    /// by folder (so `PATH`'s order wins over the order of `names`).
    package static func find(_ names: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":", omittingEmptySubsequences: true) {
            for name in names {
                let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
        }
        return nil
    }

    /// A time limit as an environment variable gives it: seconds, > 0 and ≤ 86400.
    ///
    /// - Returns: the limit, or `nil` when `text` is not such a number.
    package static func seconds(_ text: String) -> Double? {
        guard let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite,
              seconds > 0, seconds <= 86_400 else { return nil }
        return seconds
    }

    /// Why a program could not be run to its end.
    package enum Failure: Error {
        /// `Process.run` failed (the file is not executable, too many processes, …).
        case launch(String)
        /// The program ran past the time limit; its process group was stopped.
        case timedOut
    }

    /// Runs `executable` with `arguments`, writes `input` to its stdin and collects its stdout
    /// and stderr.
    ///
    /// The input is written and both outputs are read, each on a thread of its own, while this
    /// thread waits for the program to exit (a termination handler signals it: no polling).
    /// `Process` starts the program in a process group of its own; once the program has exited,
    /// or when it is still running at `timeout`, that whole group is ended (SIGTERM, then SIGKILL
    /// a second later), so helpers it started (a browser's renderer and GPU processes) never
    /// outlive it or keep its pipes open. Then the pipes are drained to their end.
    ///
    /// - Parameters:
    ///   - environment: the program's environment (default: this process's).
    ///   - timeout: seconds from the start until the program is stopped.
    ///   - keepingOutput: the most bytes of stdout kept; the rest is read and dropped, so the
    ///     program never blocks on a full pipe and a runaway output never fills memory.
    ///   - keepingErrors: the same for stderr.
    /// - Throws: `Failure.launch` when it cannot be started, `Failure.timedOut` past `timeout`.
    package static func run(_ executable: URL, arguments: [String], input: Data = Data(),
                    environment: [String: String]? = nil, timeout: Double,
                    keepingOutput outputLimit: Int = .max, keepingErrors errorLimit: Int = .max) throws -> ExternalRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        // The program may exit without reading its stdin: writing to the closed pipe must not kill us.
        ignoreBrokenPipes()
        let (stdin, stdout, stderr) = try launch(process, executable: executable)
        let deadline = DispatchTime.now() + timeout

        let writer = stdin.fileHandleForWriting
        let output = stdout.fileHandleForReading, errors = stderr.fileHandleForReading
        let fed = Background<Void> {
            if !input.isEmpty { try? writer.write(contentsOf: input) }
            try? writer.close()
        }
        let out = Background { drain(output, keeping: outputLimit) }
        let err = Background { drain(errors, keeping: errorLimit) }

        let finished = exited.wait(timeout: deadline) == .success
        stopGroup(of: process, exited: exited, running: !finished)
        // With the group gone every write end of the pipes is closed; a grandchild that escaped
        // the group (setsid) could still hold one, so the wait for the pipes is bounded too.
        let drainDeadline = finished ? max(deadline, .now() + 2) : .now() + 2
        guard finished, fed.wait(until: drainDeadline) != nil,
              let outData = out.wait(until: drainDeadline), let errData = err.wait(until: drainDeadline)
        else { throw Failure.timedOut }
        return ExternalRun(status: process.terminationStatus, exited: process.terminationReason == .exit,
                           stdout: outData, stderr: errData)
    }

    /// Reads `handle` to its end, keeping at most `limit` bytes (the rest is read and dropped).
    private static func drain(_ handle: FileHandle, keeping limit: Int) -> Data {
        var kept = Data()
        while true {
            let piece = handle.availableData
            if piece.isEmpty { return kept }
            if kept.count < limit { kept.append(piece.prefix(limit - kept.count)) }
        }
    }

    /// Held while a program's pipes are made and it is started. Foundation's pipes are not
    /// close-on-exec, and `Process.run` closes in the child only the descriptors open when it
    /// looks; a pipe made by another thread in between would leak into this child, and that
    /// other program's stdin or stdout would then not reach end-of-file until this one exited.
    private static let launching = NSLock()

    /// Makes the three pipes, attaches them and starts `process`, one launch at a time.
    private static func launch(_ process: Process, executable: URL) throws -> (Pipe, Pipe, Pipe) {
        launching.lock()
        defer { launching.unlock() }
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw Failure.launch("could not start \(executable.path): \(error)")
        }
        return (stdin, stdout, stderr)
    }

    /// Ends the program's process group (`Process` starts the program in a group of its own,
    /// whose id is the program's pid): SIGTERM to the group, and SIGKILL a second later to
    /// whatever is left. When the program is still `running` (past its time limit) it is
    /// waited for after the SIGKILL, at most a few seconds more (SIGKILL cannot be caught).
    /// After a normal exit the group holds only helpers the program left behind, if any; the
    /// group id cannot have been reused while they live, and with none left the signals find
    /// no process (ESRCH) and do nothing.
    private static func stopGroup(of process: Process, exited: DispatchSemaphore, running: Bool) {
        let pid = process.processIdentifier
        let group = -pid
        if running {
            kill(group, SIGTERM)
            process.terminate()
            if exited.wait(timeout: .now() + 1) == .timedOut {
                kill(group, SIGKILL)
                kill(pid, SIGKILL)
                _ = exited.wait(timeout: .now() + 5)
            }
            kill(group, SIGKILL)  // helpers that ignored SIGTERM
        } else if kill(group, SIGTERM) == 0 {
            // Helpers were left behind: a second to end on SIGTERM, then SIGKILL.
            for _ in 0 ..< 20 where kill(group, 0) == 0 { usleep(50_000) }
            kill(group, SIGKILL)
        }
    }

    /// SIGPIPE would end `lab` when a program closes its stdin early; ignored once, for good.
    private static let brokenPipesIgnored: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()

    private static func ignoreBrokenPipes() { _ = brokenPipesIgnored }
}
