// Where Question 2's data files come from, in order: --data-dir, the environment variable
// (MNIST_DIR / FASHION_MNIST_DIR), a system package's folder (Fashion-MNIST on Debian), gdlab's
// cache ($XDG_CACHE_HOME/gdlab/<dataset>, else ~/.cache/gdlab/<dataset>), and last a download
// into that cache. A folder the user names explicitly must have the files: no silent fallback.

import Foundation

/// Finds the four files of a dataset, downloading into the cache when they are nowhere.
///
/// The library never prints: what happens is reported through the `progress` callback of
/// `resolve(download:progress:)`.
public struct DatasetLocation: Sendable {
    public let kind: DatasetKind
    /// `--data-dir`, when given: it must hold the files.
    public var explicitFolder: URL?
    /// The environment consulted (injected for tests).
    public var environment: [String: String]
    /// Folders of system packages, tried after the environment variable.
    public var systemFolders: [URL]
    /// gdlab's cache folder for this dataset, where downloads go.
    public var cacheFolder: URL

    /// - Parameters:
    ///   - kind: MNIST or Fashion-MNIST.
    ///   - explicitFolder: the `--data-dir` folder, if any.
    ///   - environment: the process environment (default: the real one).
    public init(kind: DatasetKind, explicitFolder: URL? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.kind = kind
        self.explicitFolder = explicitFolder
        self.environment = environment
        self.systemFolders = kind.systemFolders
        self.cacheFolder = Self.cacheRoot(environment: environment)
            .appendingPathComponent(kind.cacheFolderName, isDirectory: true)
    }

    /// gdlab's cache root: `$XDG_CACHE_HOME/gdlab` when that is an absolute path (the XDG spec
    /// says to ignore relative ones), else `$HOME/.cache/gdlab`.
    public static func cacheRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("gdlab", isDirectory: true)
        }
        let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? FileManager.default.homeDirectoryForCurrentUser.path
        return URL(fileURLWithPath: home, isDirectory: true)
            .appendingPathComponent(".cache/gdlab", isDirectory: true)
    }

    /// The four files from the first place that has them, without downloading.
    ///
    /// - Returns: `nil` when no place has all four (and no folder was named explicitly).
    /// - Throws: `DatasetError.folderIncomplete` when `--data-dir` or the environment variable
    ///   names a folder that lacks any of the files.
    public func locate() throws -> DatasetFiles? {
        if let folder = explicitFolder {
            return try requireAll(in: folder, source: .explicitFolder, namedBy: "--data-dir")
        }
        let variable = kind.environmentVariable
        if let value = environment[variable], !value.isEmpty {
            return try requireAll(in: URL(fileURLWithPath: value, isDirectory: true),
                                  source: .environment(variable), namedBy: variable)
        }
        for folder in systemFolders {
            if let files = Self.findAll(kind: kind, in: folder, source: .system) { return files }
        }
        return Self.findAll(kind: kind, in: cacheFolder, source: .cache)
    }

    /// The four files, downloading the missing ones into `cacheFolder` when no place has them.
    ///
    /// - Parameters:
    ///   - downloader: mirrors, timeouts and size cap; `nil` turns downloading off.
    ///   - progress: called with what is being done (on the calling thread or a URLSession
    ///     thread; keep it quick and thread-safe).
    /// - Throws: `DatasetError` (`folderIncomplete`, `notFound` without a downloader,
    ///   `downloadFailed` when every mirror failed for a file), or `FileWriteError` when the
    ///   cache folder cannot be written.
    public func resolve(downloader: DatasetDownloader?,
                        progress: @escaping @Sendable (DatasetProgress) -> Void = { _ in }) throws -> DatasetFiles {
        if let files = try locate() {
            progress(.found(files))
            return files
        }
        guard let downloader else {
            throw DatasetError.notFound(kind: kind, cacheFolder: cacheFolder.path)
        }
        try downloader.fill(cacheFolder, kind: kind, progress: progress)
        guard let found = Self.findAll(kind: kind, in: cacheFolder, source: .downloaded) else {
            throw DatasetError.notFound(kind: kind, cacheFolder: cacheFolder.path)
        }
        progress(.found(found))
        return found
    }

    // MARK: - Looking in one folder

    /// The file `file` in `folder`, as `name.gz` or `name` (a regular file or a link to one).
    static func existing(_ file: DatasetFile, in folder: URL) -> URL? {
        for name in [file.compressedFileName, file.fileName] {
            let url = folder.appendingPathComponent(name, isDirectory: false)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return url
            }
        }
        return nil
    }

    static func findAll(kind: DatasetKind, in folder: URL, source: DatasetSource) -> DatasetFiles? {
        let urls = DatasetFile.allCases.map { existing($0, in: folder) }
        guard let a = urls[0], let b = urls[1], let c = urls[2], let d = urls[3] else { return nil }
        return DatasetFiles(kind: kind, folder: folder, source: source,
                            trainImages: a, trainLabels: b, testImages: c, testLabels: d)
    }

    private func requireAll(in folder: URL, source: DatasetSource, namedBy: String) throws -> DatasetFiles {
        if let files = Self.findAll(kind: kind, in: folder, source: source) { return files }
        let missing = DatasetFile.allCases.filter { Self.existing($0, in: folder) == nil }.map(\.compressedFileName)
        throw DatasetError.folderIncomplete(kind: kind, folder: folder.relativePath, namedBy: namedBy, missing: missing)
    }
}

/// What `DatasetLocation.resolve` is doing, for a progress line or bar.
public enum DatasetProgress: Sendable {
    /// The files were found (or completed by downloading) here.
    case found(DatasetFiles)
    /// Starting to fetch `file` from `url`.
    case downloadStarted(file: String, url: URL)
    /// `received` bytes of `file` so far; `expected` when the server sent a length.
    case received(file: String, bytes: Int64, expected: Int64?)
    /// This mirror did not deliver a good `file`; the next one is tried.
    case mirrorFailed(file: String, url: URL, reason: String)
    /// `file` passed the SHA-256 check and is in the cache.
    case stored(file: String, at: URL)
}
