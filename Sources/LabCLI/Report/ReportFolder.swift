// Where `lab report` writes: everything is built in a staging folder inside --out and moved
// into place only at the end (the figures folder swapped by two renames, report.md, .html and
// results.json each renamed over the old one), so an interrupted or failed run never leaves a
// half-written report, and a reader sees either the previous report or the new one.

import Foundation
import LabSupport

/// The report's output folder and the staging folder beside its contents.
final class ReportFolder {
    /// The `--out` folder.
    let destination: URL
    /// `<out>/.gdlab-tmp-report-<pid>`: the report is built here.
    let staging: URL

    /// The report's files, written last and moved into place in this order.
    static let documentNames = ["results.json", "report.md", "report.ipynb", "report.html", "report.pdf"]
    /// Documents a run may lack (no browser, no PDF); a previous copy is then removed, since
    /// it belongs to the previous report.
    static let optionalDocumentNames: Set = ["report.pdf"]
    /// The figures folder inside the report folder.
    static let figuresName = "figures"

    private static let stagingPrefix = AtomicFile.temporaryPrefix + "report-"
    private static let retiredPrefix = AtomicFile.temporaryPrefix + "old-figures-"

    /// Checks `destination` can hold a report, removes staging folders left by killed runs,
    /// and creates a fresh staging folder with its `figures/`.
    ///
    /// - Throws: `FileWriteError` when the folder cannot be created or written, or when its
    ///   `figures/` holds files `lab report` does not write (they would be replaced);
    ///   `LabError.failed` in the same words when the staging folder cannot be made.
    init(destination: URL) throws {
        self.destination = destination.standardizedFileURL
        try AtomicFile.prepareFolder(self.destination)
        try Self.checkFigures(in: self.destination)
        Self.removeStale(in: self.destination)
        staging = self.destination.appendingPathComponent(Self.stagingPrefix + "\(getpid())", isDirectory: true)
        try? FileManager.default.removeItem(at: staging)
        do {
            try FileManager.default.createDirectory(
                at: staging.appendingPathComponent(Self.figuresName), withIntermediateDirectories: true)
        } catch {
            throw Self.failure(staging.path, "the staging folder cannot be created; choose a folder you can write to")
        }
    }

    /// The staging figures folder (figures are written here, then moved with the report).
    var stagingFigures: URL { staging.appendingPathComponent(Self.figuresName, isDirectory: true) }

    /// Writes one report file into the staging folder, atomically.
    func write(_ text: String, named name: String) throws {
        try AtomicFile.write(text, to: staging.appendingPathComponent(name))
    }

    /// The bytes of a staged file given its report-relative path (`figures/x.png`).
    func stagedData(_ relativePath: String) -> Data? {
        FileManager.default.contents(atPath: staging.appendingPathComponent(relativePath).path)
    }

    /// Moves the staged report into `destination`, replacing a previous report, and removes the
    /// staging folder.
    ///
    /// - Throws: `LabError.failed` if a rename fails (the previous figures are put back).
    func commit() throws {
        let manager = FileManager.default
        let figures = destination.appendingPathComponent(Self.figuresName, isDirectory: true)
        let retired = destination.appendingPathComponent(Self.retiredPrefix + "\(getpid())", isDirectory: true)
        try? manager.removeItem(at: retired)
        let hadFigures = manager.fileExists(atPath: figures.path)
        if hadFigures { try Self.rename(figures, to: retired) }
        do {
            try Self.rename(stagingFigures, to: figures)
        } catch {
            if hadFigures { try? Self.rename(retired, to: figures) }
            throw error
        }
        for name in Self.documentNames {
            let staged = staging.appendingPathComponent(name), target = destination.appendingPathComponent(name)
            if Self.optionalDocumentNames.contains(name), !manager.fileExists(atPath: staged.path) {
                try? manager.removeItem(at: target)
                continue
            }
            try Self.rename(staged, to: target)
        }
        try? manager.removeItem(at: retired)
        try? manager.removeItem(at: staging)
    }

    /// Removes the staging folder (after a failure).
    func discard() {
        try? FileManager.default.removeItem(at: staging)
    }

    // MARK: - Private

    /// A one-line failure in the words of `FileWriteError`.
    private static func failure(_ path: String, _ reason: String) -> LabError {
        .failed("cannot write '\(path)': \(reason)")
    }

    private static func rename(_ from: URL, to: URL) throws {
        guard Foundation.rename(from.path, to.path) == 0 else {
            throw Self.failure(to.path, String(cString: strerror(errno)) + "; choose a folder you can write to")
        }
    }

    /// `figures/` may hold only what the report writes (PNG and CSV files).
    private static func checkFigures(in destination: URL) throws {
        let figures = destination.appendingPathComponent(figuresName)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: figures.path, isDirectory: &isDirectory) else { return }
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

    /// Staging and retired folders whose process is gone.
    private static func removeStale(in destination: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: destination.path)) ?? []
        for name in names {
            for prefix in [stagingPrefix, retiredPrefix] where name.hasPrefix(prefix) {
                guard let pid = Int32(name.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0 else { continue }
                try? FileManager.default.removeItem(at: destination.appendingPathComponent(name))
            }
        }
    }
}
