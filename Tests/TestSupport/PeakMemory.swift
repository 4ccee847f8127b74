// Peak resident memory of the test process around a piece of work (Linux: /proc/self), for the
// tests that keep hostile inputs within a memory budget.

import Foundation

/// Peak resident memory of this process around a piece of work.
public enum PeakMemory {
    /// /proc/self cannot be read or reset here.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String { "cannot reset or read the peak RSS in /proc/self (Linux only)" }
    }

    /// How far the peak RSS rose above the RSS at the start while `body` ran, in bytes.
    ///
    /// Writing 5 to /proc/self/clear_refs resets the kernel's high-water mark (VmHWM) to the
    /// current RSS; VmHWM afterwards is the peak during `body`.
    public static func growth(during body: () throws -> Void) throws -> Int {
        guard let reset = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { throw Unavailable() }
        try reset.write(contentsOf: Data("5".utf8))
        try reset.close()
        let start = try field("VmRSS")
        try body()
        return try field("VmHWM") - start
    }

    private static func field(_ name: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { throw Unavailable() }
        return kilobytes * 1024
    }
}
