// Atomic file output: every file gdlab writes (figures, CSVs, reports, weights, cached data)
// goes to a temporary name in the destination folder and is renamed into place, so a reader
// (or a crash) only ever sees the previous complete file or the new complete one.

import Foundation

/// What went wrong writing a file, in words a user can act on.
public struct FileWriteError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    /// What to do about it.
    public var advice = "choose a folder you can write to"

    public init(path: String, reason: String, advice: String = "choose a folder you can write to") {
        self.path = path
        self.reason = reason
        self.advice = advice
    }

    public var description: String {
        "cannot write '\(path)': \(reason); \(advice)"
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
    ///
    /// Only a regular file (or nothing) is replaced: a destination that is a folder, a device, a
    /// FIFO or a socket is refused (renaming over `/dev/null` as root would replace the system's
    /// device with a file), and so is a path ending in `/`. A symbolic link at the destination is
    /// replaced by the new file; the file it pointed to is left as it was.
    public static func write(_ data: Data, to url: URL) throws {
        try checkDestination(url)
        let destination = url.standardizedFileURL
        let folder = destination.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(
            temporaryPrefix + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))-" + destination.lastPathComponent)
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError(path: shown(url), reason: errnoText()) }
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
            throw FileWriteError(path: shown(url), reason: failure)
        }
    }

    /// Writes UTF-8 text atomically.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    /// Checks that `url` can be replaced by a file: it does not end in `/`, and it is nothing
    /// yet, a regular file or a symbolic link (which `write` replaces, leaving its target alone).
    ///
    /// - Throws: `FileWriteError` saying what is there instead and what to pass.
    public static func checkDestination(_ url: URL) throws {
        let path = shown(url)
        var status = stat()
        guard lstat(url.path, &status) == 0 else {
            // Nothing there yet: the name must still be a file name, not `folder/`.
            if url.hasDirectoryPath {
                throw FileWriteError(path: path, reason: "it names a folder (it ends with '/')",
                                     advice: "pass a file name, e.g. \(path)/weights.npz")
            }
            return
        }
        let kind: String
        switch status.st_mode & S_IFMT {
        case S_IFREG, S_IFLNK: return
        case S_IFDIR: kind = "a folder"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFIFO: kind = "a FIFO (named pipe)"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a regular file"
        }
        throw FileWriteError(path: path, reason: "it is \(kind), and gdlab replaces only regular files",
                             advice: "pass the name of a regular file (new or existing)")
    }

    /// Checks, before any work, that a file can later be written at `url`: its folder is created
    /// if needed and must be writable (stale temporaries there are removed), and `url` itself
    /// passes `checkDestination`. For `--save` and `--save-input`, so that a bad destination
    /// fails at once instead of after minutes of training.
    ///
    /// - Throws: `FileWriteError`.
    public static func prepareDestination(_ url: URL) throws {
        try checkDestination(url)
        try prepareFolder(url.deletingLastPathComponent())
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
        let named = shown(folder)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw FileWriteError(path: named, reason: "it exists and is not a folder")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw FileWriteError(path: named, reason: "the folder cannot be created")
            }
        }
        guard access(path, W_OK | X_OK) == 0 else {
            throw FileWriteError(path: named, reason: "the folder is not writable")
        }
        removeStaleTemporaries(in: folder)
    }

    /// A path as the user gave it (relative stays relative), for messages.
    static func shown(_ url: URL) -> String {
        let text = url.relativePath
        return text.count > 1 && text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
