// Ctrl-C during long work (training): SIGINT sets a flag instead of killing the process, the
// training observer reads it at its next report and asks training to stop, and the command
// then saves what it has and exits 130. A second Ctrl-C exits at once.

import Dispatch
import Foundation

/// A SIGINT request, observed while a block runs.
package final class Interrupt: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false

    /// Whether Ctrl-C was pressed since `during` began.
    package var requested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return flag
    }

    /// Runs `body` with SIGINT turned into `requested = true`; restores the default
    /// behaviour (terminate) afterwards. A second SIGINT while the first is pending ends the
    /// process with status 130 immediately.
    package static func during<T>(_ body: (Interrupt) throws -> T) rethrows -> T {
        let interrupt = Interrupt()
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { interrupt.signalled() }
        source.resume()
        defer {
            source.cancel()
            signal(SIGINT, SIG_DFL)
        }
        return try body(interrupt)
    }

    private func signalled() {
        lock.lock()
        let second = flag
        flag = true
        lock.unlock()
        if second {
            Console.error("lab: interrupted twice; stopping now without saving")
            _exit(130)
        }
    }
}
