// Atomic file output: every file gdlab writes (figures, CSVs, reports, weights, cached data)
// goes to a temporary name in the destination folder and is renamed into place, so a reader
// (or a crash) only ever sees the previous complete file or the new complete one.
// For the tests that prove it, `GDLAB_KILL_AT=<stage>:<n>` kills the process with SIGKILL at one
// stage of its n-th write (`AtomicFile.KillPoint`); unset, it costs one check per write.

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
        let killStage = KillPoint.stageOfNextWrite()
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError(path: shown(url), reason: errnoText()) }
        KillPoint.fire(.created, killStage)
        var failure: String?
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            /// Writes bytes `offset ..< end`, retrying short writes; false (with `failure`) on an error.
            func put(_ offset: Int, _ end: Int) -> Bool {
                var offset = offset
                while offset < end {
                    let n = Foundation.write(fd, raw.baseAddress! + offset, end - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = errnoText()
                        return false
                    }
                    offset += n
                }
                return true
            }
            // In one go, unless the kill point wants the first half on disk and the process
            // killed before the rest.
            let half = killStage == .partial ? raw.count / 2 : 0
            guard put(0, half) else { return }
            KillPoint.fire(.partial, killStage)
            _ = put(half, raw.count)
        }
        if failure == nil, fsync(fd) != 0 { failure = errnoText() }
        if close(fd) != 0, failure == nil { failure = errnoText() }
        if failure == nil { KillPoint.fire(.written, killStage) }
        if failure == nil, rename(temporary.path, destination.path) != 0 { failure = errnoText() }
        if let failure {
            unlink(temporary.path)
            throw FileWriteError(path: shown(url), reason: failure)
        }
        KillPoint.fire(.renamed, killStage)
    }

    /// A crash on purpose, for the tests that prove the writes atomic: with the environment
    /// variable `GDLAB_KILL_AT=<stage>:<n>` the process sends itself SIGKILL (nothing can catch
    /// or clean up after it, as with a power cut or the OOM killer) at `<stage>` of its n-th
    /// `write` (n ≥ 1, counted across all threads in the order they start writing):
    ///
    ///     created   the temporary file exists and is empty
    ///     partial   the first half of the bytes is in the temporary file
    ///     written   all of them are written, flushed and closed; the rename has not happened
    ///     renamed   just after the rename: the new file is in place
    ///
    /// e.g. `GDLAB_KILL_AT=written:3`. The variable is read once, at the first write; only that
    /// exact name and a value of exactly that form arm it (anything else leaves it unarmed), so
    /// it cannot fire by accident. Unarmed it costs one check of a constant per write.
    public struct KillPoint: Equatable, Sendable {
        /// The name of the environment variable.
        public static let variable = "GDLAB_KILL_AT"

        /// Where in a write the process is killed.
        public enum Stage: String, CaseIterable, Sendable {
            case created, partial, written, renamed
        }

        public let stage: Stage
        /// Which write (1 = the first of the process).
        public let write: Int

        /// Parses `<stage>:<n>`; `nil` for anything else.
        public init?(_ text: String) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let stage = Stage(rawValue: String(parts[0])),
                  parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let write = Int(parts[1]), write >= 1 else {
                return nil
            }
            self.stage = stage
            self.write = write
        }

        /// The kill point of this process, read once.
        static let armed: KillPoint? = getenv(variable).flatMap { KillPoint(String(cString: $0)) }
        private static let counter = WriteCounter()

        /// The stage at which the write about to start must kill the process, if it is the one.
        static func stageOfNextWrite() -> Stage? {
            guard let armed else { return nil }
            return counter.next() == armed.write ? armed.stage : nil
        }

        /// Kills the process if `stage` is where this write must die.
        static func fire(_ stage: Stage, _ killStage: Stage?) {
            if killStage == stage { kill(getpid(), SIGKILL) }
        }
    }

    /// Writes UTF-8 text atomically.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    /// Checks that `url` can be replaced by a file: it does not end in `/`, and it is nothing
    /// yet, a regular file or a symbolic link (which `write` replaces, leaving its target alone),
    /// and not a file whose name is not UTF-8 (which gdlab can read but not name to replace).
    ///
    /// - Throws: `FileWriteError` saying what is there instead and what to pass.
    public static func checkDestination(_ url: URL) throws {
        let path = shown(url)
        // A file named on the command line in bytes that are not UTF-8 is reached through its
        // open descriptor (`RawFileNames`), a link that must be followed to see what is there.
        let standIn = RawFileNames.isWholeNameStandIn(url.path)
        var status = stat()
        guard (standIn ? stat(url.path, &status) : lstat(url.path, &status)) == 0 else {
            // Nothing there yet: the name must still be a file name, not `folder/`.
            if url.hasDirectoryPath {
                throw FileWriteError(path: path, reason: "it names a folder (it ends with '/')",
                                     advice: "pass a file name, e.g. \(path)/weights.npz")
            }
            return
        }
        let kind: String
        switch status.st_mode & S_IFMT {
        case S_IFREG, S_IFLNK:
            guard standIn else { return }
            throw FileWriteError(path: path, reason: "its name is not valid UTF-8, and gdlab replaces a file by "
                                    + "renaming a new one to that name", advice: "write to a file with a UTF-8 name")
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

/// Numbers the writes of an armed `AtomicFile.KillPoint` (1, 2, …) across threads.
///
/// `@unchecked Sendable`: `count` is only touched while holding `lock`.
private final class WriteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
}
