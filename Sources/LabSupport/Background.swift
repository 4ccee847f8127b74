// Threads for work that blocks: draining a pipe, waiting for gnuplot, encoding a PNG. Each
// `Background` value is computed on a thread of its own (not on Dispatch's small shared pool,
// which blocked waits could starve), and `Batch.map` runs a batch of jobs a few at a time
// and returns their results in job order, whatever order they finished in.

import Dispatch
import Foundation

/// A value computed on a thread of its own; `wait` returns it once it is ready.
///
/// `@unchecked Sendable`: `value` is written once by the worker thread and read by waiters;
/// every access holds `lock`, and `finished` (a `DispatchGroup`) tells waiters when to look.
package final class Background<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value?
    private let finished = DispatchGroup()

    /// Starts `body` on a new thread.
    package init(_ body: @escaping @Sendable () -> Value) {
        finished.enter()
        Thread.detachNewThread { [self] in
            let result = body()
            lock.lock()
            value = result
            lock.unlock()
            finished.leave()
        }
    }

    /// The value, waiting as long as it takes.
    package func wait() -> Value {
        finished.wait()
        return stored!
    }

    /// The value, or `nil` if it is not ready by `deadline`.
    package func wait(until deadline: DispatchTime) -> Value? {
        finished.wait(timeout: deadline) == .success ? stored : nil
    }

    private var stored: Value? {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}

/// Independent jobs run a few at a time.
package enum Batch {
    /// `[body(0), body(1), …, body(count − 1)]`, computed on at most `width` threads at once:
    /// the calling thread and `width − 1` background ones, each taking the next job as soon as
    /// it finishes one. Jobs start in index order.
    ///
    /// - Parameters:
    ///   - count: the number of jobs (0 returns `[]` without starting a thread).
    ///   - width: the most jobs running at once; at least 1.
    /// - Complexity: `count` calls of `body`, `min(width, count) − 1` threads started.
    package static func map<T: Sendable>(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        precondition(count >= 0 && width >= 1, "a batch has a non-negative size and a width of at least 1")
        let queue = JobQueue<T>(count: count)
        let work: @Sendable () -> Void = {
            while let index = queue.next() { queue.store(body(index), at: index) }
        }
        let helpers = (0 ..< max(0, min(width, count) - 1)).map { _ in Background<Void>(work) }
        work()
        for helper in helpers { helper.wait() }
        return queue.results()
    }
}

/// The shared state of one `Batch.map`: which job is next and the results so far.
///
/// `@unchecked Sendable`: several threads take jobs and store results; every access holds `lock`.
private final class JobQueue<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private var slots: [T?]

    package init(count: Int) { slots = Array(repeating: nil, count: count) }

    /// The index of the next job not yet taken, or `nil` when all are taken.
    package func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard nextIndex < slots.count else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }

    package func store(_ result: T, at index: Int) {
        lock.lock()
        slots[index] = result
        lock.unlock()
    }

    /// Every result, in job order (call after all jobs have finished).
    package func results() -> [T] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}
