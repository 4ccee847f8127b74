// Atomic file output: every file gdlab writes (figures, CSVs, reports, weights, cached data)
// goes to a temporary name in the destination folder and is renamed into place, so a reader
// (or a crash) only ever sees the previous complete file or the new complete one.

import Foundation

/// What went wrong writing a file, in words a user can act on.
public struct FileWriteError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String

    public var description: String {
        "cannot write '\(path)': \(reason); choose a folder you can write to"
    }
}

/// Writes files by temporary name and rename.
public enum AtomicFile {
    /// Every temporary file starts with this, so stale ones can be recognised and removed.
    public static let temporaryPrefix = ".gdlab-tmp-"

    /// Writes `data` to `url` atomically: the bytes go to a temporary file beside `url`, are
    /// flushed to disk, and the file is renamed over `url`.
    ///
    /// - Throws: `FileWriteError` when the folder is missing or not writable, or the disk is full.
    ///   On failure nothing is left behind and any previous file at `url` is untouched.
    public static func write(_ data: Data, to url: URL) throws {
        let destination = url.standardizedFileURL
        let folder = destination.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(
            temporaryPrefix + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))-" + destination.lastPathComponent)
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError(path: destination.path, reason: errnoText()) }
        var failure: String?
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errnoText()
                    return
                }
                offset += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = errnoText() }
        if close(fd) != 0, failure == nil { failure = errnoText() }
        if failure == nil, rename(temporary.path, destination.path) != 0 { failure = errnoText() }
        if let failure {
            unlink(temporary.path)
            throw FileWriteError(path: destination.path, reason: failure)
        }
    }

    /// Writes UTF-8 text atomically.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    /// Removes temporary files left in `folder` by a process that was killed mid-write.
    /// Only files carrying `temporaryPrefix` whose writer is no longer running are removed.
    public static func removeStaleTemporaries(in folder: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(temporaryPrefix) {
            let rest = name.dropFirst(temporaryPrefix.count)
            if let pid = rest.split(separator: "-").first.flatMap({ Int32($0) }),
               pid != getpid(), kill(pid, 0) == 0 {
                continue  // its writer is still alive
            }
            unlink(folder.appendingPathComponent(name).path)
        }
    }

    /// Creates `folder` (and its parents) if needed and checks that it is a writable directory.
    ///
    /// - Throws: `FileWriteError` naming the folder and what is wrong with it.
    public static func prepareFolder(_ folder: URL) throws {
        let path = folder.standardizedFileURL.path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw FileWriteError(path: path, reason: "it exists and is not a folder")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw FileWriteError(path: path, reason: "the folder cannot be created")
            }
        }
        guard access(path, W_OK | X_OK) == 0 else {
            throw FileWriteError(path: path, reason: "the folder is not writable")
        }
        removeStaleTemporaries(in: folder)
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
