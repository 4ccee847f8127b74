// Where `lab report` writes. Each report is built complete in a version folder inside --out
// (`.gdlab-report-<pid>-<n>/`: the documents and figures/), and the names a reader opens —
// report.md, report.ipynb, report.html, report.pdf, results.json, figures/ — are symbolic links through one more link,
// `.gdlab-report-current`, to the version in use. Publishing a new report is one rename of that
// link, so at every instant (a crash, `kill -9`, a full disk) a reader sees the previous report
// complete or the new one complete, never a mixture; only then is the previous version removed.

import Foundation
import LabSupport
import MNISTNet

/// The report's output folder and the version folder the new report is built in.
package final class ReportFolder {
    /// The `--out` folder.
    package let destination: URL
    /// `<out>/.gdlab-report-<pid>-<n>`: the new report is built here, and stays here once published.
    package let staging: URL

    /// The report's files, each published as a link `<out>/<name>` into the current version.
    package static let documentNames = ["results.json", "report.md", "report.ipynb", "report.html", "report.pdf"]
    /// Documents a report may lack (no browser, no PDF): its link is then removed, since a link
    /// left by an earlier report would lead nowhere.
    package static let optionalDocumentNames: Set = ["report.pdf"]
    /// The figures folder inside the report folder (also published as a link).
    package static let figuresName = "figures"
    /// Every name a reader opens in `<out>`.
    package static var publishedNames: [String] { documentNames + [figuresName] }

    /// Version folders: `.gdlab-report-<pid>-<n>`.
    package static let versionPrefix = ".gdlab-report-"
    /// The link to the version in use; renaming a new link over it publishes a report.
    package static let currentName = ".gdlab-report-current"
    private static let temporaryPrefix = AtomicFile.temporaryPrefix + "report-"
    /// Where releases before the versioned layout parked the old figures mid-swap.
    private static let legacyRetiredPrefix = AtomicFile.temporaryPrefix + "old-figures-"

    /// Checks `destination` can hold a report, removes what killed runs left (never the
    /// version in use), and creates a fresh version folder with its `figures/`.
    ///
    /// - Throws: `FileWriteError` when the folder cannot be created or written, or when its
    ///   `figures/` holds files `lab report` does not write (they would be replaced);
    ///   `LabError.failed` in the same words when the version folder cannot be made.
    package init(destination: URL) throws {
        self.destination = destination.standardizedFileURL
        try AtomicFile.prepareFolder(self.destination)
        Self.recoverLegacyFigures(in: self.destination)
        try Self.checkFigures(in: self.destination)
        Self.removeStale(in: self.destination)
        var name = ""
        repeat {
            name = Self.versionPrefix + "\(getpid())-\(UInt32.random(in: 0 ... .max))"
        } while FileManager.default.fileExists(atPath: self.destination.appendingPathComponent(name).path)
        staging = self.destination.appendingPathComponent(name, isDirectory: true)
        do {
            try FileManager.default.createDirectory(
                at: staging.appendingPathComponent(Self.figuresName), withIntermediateDirectories: true)
        } catch {
            throw Self.failure(staging.path, "the staging folder cannot be created; choose a folder you can write to")
        }
    }

    /// The staging figures folder (figures are written here, then published with the report).
    package var stagingFigures: URL { staging.appendingPathComponent(Self.figuresName, isDirectory: true) }

    /// Writes one report file into the staging folder, atomically.
    package func write(_ text: String, named name: String) throws {
        try AtomicFile.write(text, to: staging.appendingPathComponent(name))
    }

    /// The bytes of a staged file given its report-relative path (`figures/x.png`).
    package func stagedData(_ relativePath: String) -> Data? {
        FileManager.default.contents(atPath: staging.appendingPathComponent(relativePath).path)
    }

    /// Publishes the staged report: converts a report in the old layout (plain files) to links
    /// without a moment of incompleteness, renames a link to the new version over
    /// `.gdlab-report-current` (the one step that switches), makes any missing name link (and
    /// removes the link of an optional document this report lacks), and removes the previous
    /// version.
    ///
    /// - Throws: `LabError.failed` if a step fails; the previous report is then still the one shown.
    package func commit() throws {
        try convertLegacyLayout()
        let previous = Self.currentVersion(in: destination)
        try Self.replaceLink(destination.appendingPathComponent(Self.currentName), with: staging.lastPathComponent)
        for name in Self.publishedNames {
            let url = destination.appendingPathComponent(name)
            if Self.optionalDocumentNames.contains(name), !Self.exists(staging.appendingPathComponent(name)) {
                if Self.isLink(url) { unlink(url.path) }
                continue
            }
            if Self.isLink(url) { continue }
            try Self.replaceLink(url, with: Self.currentName + "/" + name)
        }
        if let previous, previous != staging.lastPathComponent {
            try? FileManager.default.removeItem(at: destination.appendingPathComponent(previous))
        }
    }

    /// Removes the staging folder (after a failure).
    package func discard() {
        try? FileManager.default.removeItem(at: staging)
    }

    // MARK: - Private

    /// A one-line failure in the words of `FileWriteError`.
    private static func failure(_ path: String, _ reason: String) -> LabError {
        .failed("cannot write '\(path)': \(reason)")
    }

    private static func isLink(_ url: URL) -> Bool {
        var status = stat()
        return lstat(url.path, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
    }

    private static func exists(_ url: URL) -> Bool {
        var status = stat()
        return lstat(url.path, &status) == 0
    }

    /// The version folder `.gdlab-report-current` points to, if any.
    package static func currentVersion(in destination: URL) -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: destination.appendingPathComponent(currentName).path))
            .map { ($0 as NSString).lastPathComponent }
    }

    /// Points `url` at `target` atomically: a new link under a temporary name renamed over it.
    private static func replaceLink(_ url: URL, with target: String) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(temporaryPrefix + "link-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        guard symlink(target, temporary.path) == 0 else {
            throw failure(url.path, String(cString: strerror(errno)) + "; choose a folder you can write to")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw failure(url.path, reason + "; choose a folder you can write to")
        }
    }

    /// A report written before the versioned layout has plain files and a plain `figures/`.
    /// They are first copied (as hard links where possible) into a version folder that becomes
    /// current, then each plain name is swapped for a link to the same content: a file by one
    /// rename, the folder by an atomic exchange (`renameat2(RENAME_EXCHANGE)` on Linux).
    private func convertLegacyLayout() throws {
        let manager = FileManager.default
        let plain = Self.publishedNames.filter { Self.exists(destination.appendingPathComponent($0)) && !Self.isLink(destination.appendingPathComponent($0)) }
        guard !plain.isEmpty else { return }
        if Self.currentVersion(in: destination) == nil {
            let legacy = destination.appendingPathComponent(Self.versionPrefix + "\(getpid())-legacy", isDirectory: true)
            try? manager.removeItem(at: legacy)
            do {
                try manager.createDirectory(at: legacy, withIntermediateDirectories: true)
                for name in plain { try Self.linkOrCopy(destination.appendingPathComponent(name), to: legacy.appendingPathComponent(name)) }
            } catch {
                try? manager.removeItem(at: legacy)
                throw Self.failure(legacy.path, "the previous report cannot be copied (\(error)); choose a folder you can write to")
            }
            try Self.replaceLink(destination.appendingPathComponent(Self.currentName), with: legacy.lastPathComponent)
        }
        for name in plain {
            let url = destination.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            if !isDirectory.boolValue {
                try Self.replaceLink(url, with: Self.currentName + "/" + name)
                continue
            }
            let link = destination.appendingPathComponent(Self.temporaryPrefix + "\(getpid())-" + name)
            try? manager.removeItem(at: link)
            guard symlink(Self.currentName + "/" + name, link.path) == 0 else {
                throw Self.failure(url.path, String(cString: strerror(errno)) + "; choose a folder you can write to")
            }
            if Self.exchange(link, url) {
                try? manager.removeItem(at: link)  // now the old folder, whose content the legacy version holds
            } else {
                // No atomic exchange on this system: the old folder steps aside for the link.
                let aside = destination.appendingPathComponent(Self.temporaryPrefix + "\(getpid())-old-" + name)
                guard rename(url.path, aside.path) == 0, rename(link.path, url.path) == 0 else {
                    throw Self.failure(url.path, String(cString: strerror(errno)) + "; choose a folder you can write to")
                }
                try? manager.removeItem(at: aside)
            }
        }
    }

    /// Hard-links `source` (a file, or a folder recursively) at `target`; copies what cannot be linked.
    private static func linkOrCopy(_ source: URL, to target: URL) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: source.path, isDirectory: &isDirectory) else { return }
        if isDirectory.boolValue {
            try manager.createDirectory(at: target, withIntermediateDirectories: true)
            for name in try manager.contentsOfDirectory(atPath: source.path) {
                try linkOrCopy(source.appendingPathComponent(name), to: target.appendingPathComponent(name))
            }
        } else if link(source.path, target.path) != 0 {
            try manager.copyItem(at: source, to: target)
        }
    }

    /// Swaps two names atomically; false when the system cannot.
    private static func exchange(_ a: URL, _ b: URL) -> Bool {
        #if os(Linux)
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        return renameat2(AT_FDCWD, a.path, AT_FDCWD, b.path, 2 /* RENAME_EXCHANGE */) == 0
        #elseif canImport(Darwin)
        return renamex_np(a.path, b.path, UInt32(RENAME_SWAP)) == 0
        #else
        return false
        #endif
    }

    /// `figures/` may hold only what the report writes (PNG and CSV files).
    private static func checkFigures(in destination: URL) throws {
        let figures = destination.appendingPathComponent(figuresName)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: figures.path, isDirectory: &isDirectory) else {
            if isLink(figures) { return }  // a link whose version is gone: replaced on commit
            return
        }
        guard isDirectory.boolValue else {
            throw Self.failure(figures.path, "it exists and is not a folder, but the report puts its figures there; pass another --out")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: figures.path)) ?? []
        let foreign = names.filter { !($0.hasSuffix(".png") || $0.hasSuffix(".csv") || $0.hasPrefix(AtomicFile.temporaryPrefix)) }.sorted()
        if let first = foreign.first {
            throw Self.failure(
                figures.path,
                "it holds '\(first)'\(foreign.count > 1 ? " and \(foreign.count - 1) more" : ""), which the report did not write and would replace; pass another --out")
        }
    }

    /// A run of an earlier release killed between its two renames left the previous figures
    /// at `.gdlab-tmp-old-figures-<pid>` and no `figures/`: they are the only copy, so they go back.
    private static func recoverLegacyFigures(in destination: URL) {
        let figures = destination.appendingPathComponent(figuresName)
        guard !exists(figures) else { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: destination.path)) ?? []
        for name in names where name.hasPrefix(legacyRetiredPrefix) {
            guard let pid = Int32(name.dropFirst(legacyRetiredPrefix.count)), kill(pid, 0) != 0 else { continue }
            if rename(destination.appendingPathComponent(name).path, figures.path) == 0 { return }
        }
    }

    /// What killed runs left: version folders other than the current one whose process is gone,
    /// and temporary links and folders. The version in use is never removed.
    private static func removeStale(in destination: URL) {
        let current = currentVersion(in: destination)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: destination.path)) ?? []
        for name in names where name != currentName && name != current {
            let rest: Substring
            if name.hasPrefix(temporaryPrefix) {
                rest = name.dropFirst(temporaryPrefix.count).drop(while: { !$0.isNumber })
            } else if name.hasPrefix(legacyRetiredPrefix) {
                rest = name.dropFirst(legacyRetiredPrefix.count)
            } else if name.hasPrefix(versionPrefix) {
                rest = name.dropFirst(versionPrefix.count)
            } else {
                continue
            }
            guard let pid = rest.split(separator: "-").first.flatMap({ Int32($0) }), pid != getpid(), kill(pid, 0) != 0 else { continue }
            try? FileManager.default.removeItem(at: destination.appendingPathComponent(name))
        }
    }
}
