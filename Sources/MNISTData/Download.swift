// Downloading Question 2's dataset into gdlab's cache when it is nowhere on disk: each .gz file
// is fetched from the first public mirror that delivers it, checked (size and SHA-256 of the
// decompressed content, against the constants in Dataset.swift) and only then written into the
// cache atomically. Nothing partial, oversized or corrupt is ever left in the cache.

import Foundation
import LabSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches dataset files over HTTP(S) from a list of mirrors.
public struct DatasetDownloader: Sendable {
    /// Base URLs tried in order; each serves the four `.gz` files by their original names.
    public var mirrors: [URL]
    /// Longest wait for the next bytes (connecting, or between two packets), in seconds.
    public var requestTimeout: TimeInterval = 30
    /// Longest time for one whole file, in seconds.
    public var resourceTimeout: TimeInterval = 600
    /// The most bytes accepted for one compressed file (the largest, MNIST's training images, is
    /// 9.9 MB; Fashion-MNIST's 26 MB). A mirror sending more is cut off, so a hostile or broken
    /// server cannot fill memory or disk.
    public var maximumDownloadBytes: Int = 64 << 20

    /// Public mirrors serving the four `.gz` files under their original names.
    ///
    /// MNIST: torchvision's list (its S3 copy, then the original site), then TensorFlow's
    /// `cvdf-datasets` bucket used by its classic MNIST tutorial. TensorFlow/Keras's
    /// `tf-keras-datasets` bucket is not listed for MNIST: it serves a single `mnist.npz`.
    /// Fashion-MNIST: Keras's `tf-keras-datasets` bucket (which does serve the four `.gz`
    /// files for it) and torchvision's (the Zalando S3 website).
    public static func defaultMirrors(for kind: DatasetKind) -> [URL] {
        let bases: [String]
        switch kind {
        case .mnist:
            bases = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                     "http://yann.lecun.com/exdb/mnist/",
                     "https://storage.googleapis.com/cvdf-datasets/mnist/"]
        case .fashion:
            bases = ["https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
                     "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
        }
        return bases.map { URL(string: $0)! }
    }

    /// A downloader over `mirrors`.
    public init(mirrors: [URL]) {
        self.mirrors = mirrors
    }

    /// The default mirrors of `kind`, or only `mirror` (the `--mirror` option) when given.
    ///
    /// - Throws: `DatasetError.badMirror` when `mirror` is not an http(s) URL with a host.
    public init(kind: DatasetKind, mirror: String? = nil) throws {
        guard let mirror else {
            self.init(mirrors: Self.defaultMirrors(for: kind))
            return
        }
        guard let url = URL(string: mirror), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else {
            throw DatasetError.badMirror(mirror)
        }
        self.init(mirrors: [url])
    }

    /// Downloads every file missing from `folder` (looked up as `name.gz` or `name`).
    ///
    /// - Throws: `DatasetError.downloadFailed` for the first file no mirror delivered intact;
    ///   `FileWriteError` when `folder` cannot be created or written.
    func fill(_ folder: URL, kind: DatasetKind, progress: @escaping @Sendable (DatasetProgress) -> Void) throws {
        try AtomicFile.prepareFolder(folder)
        for file in DatasetFile.allCases where DatasetLocation.existing(file, in: folder) == nil {
            _ = try fetch(file, kind: kind, into: folder, progress: progress)
        }
    }

    /// Downloads `file` from the first mirror that delivers it intact, and writes it to
    /// `folder/<name>.gz` atomically.
    ///
    /// A download is accepted only when it is gzip, at most `maximumDownloadBytes`, and its
    /// decompressed content has exactly the expected size and SHA-256.
    ///
    /// - Returns: the URL of the stored file.
    /// - Throws: `DatasetError.downloadFailed` listing what each mirror did wrong;
    ///   `FileWriteError` when the file cannot be written.
    public func fetch(_ file: DatasetFile, kind: DatasetKind, into folder: URL,
                      progress: @escaping @Sendable (DatasetProgress) -> Void = { _ in }) throws -> URL {
        let name = file.compressedFileName
        let expected = kind.expectedContent(of: file)
        var attempts: [String] = []
        for mirror in mirrors {
            let url = mirror.appendingPathComponent(name)
            progress(.downloadStarted(file: name, url: url))
            let reason: String
            switch get(url, name: name, progress: progress) {
            case .failure(let failure):
                reason = failure.reason
            case .success(let body):
                if let problem = Self.check(body, expected: expected) {
                    reason = problem
                } else {
                    try AtomicFile.prepareFolder(folder)
                    let destination = folder.appendingPathComponent(name)
                    try AtomicFile.write(body, to: destination)
                    progress(.stored(file: name, at: destination))
                    return destination
                }
            }
            progress(.mirrorFailed(file: name, url: url, reason: reason))
            attempts.append("\(url.absoluteString): \(reason)")
        }
        throw DatasetError.downloadFailed(kind: kind, file: name, attempts: attempts,
                                          cacheFolder: folder.path)
    }

    /// Why `body` is not the expected file, or `nil` when it is.
    static func check(_ body: Data, expected: ExpectedContent) -> String? {
        guard Gzip.isCompressed(body) else { return "the server did not send a gzip file" }
        let content: Data
        do {
            content = try Gzip.decompress(body, limit: expected.byteCount)
        } catch GzipError.tooLarge {
            return "its content is larger than the expected \(expected.byteCount) bytes"
        } catch {
            return "\(error)"
        }
        return expected.mismatch(content).map { "corrupt: \($0)" }
    }

    struct Failure: Error { let reason: String }

    /// One HTTP GET with timeouts and the size cap; the body only on a 2xx status.
    private func get(_ url: URL, name: String,
                     progress: @escaping @Sendable (DatasetProgress) -> Void) -> Result<Data, Failure> {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = requestTimeout
        configuration.timeoutIntervalForResource = resourceTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        let receiver = BodyReceiver(limit: maximumDownloadBytes) { bytes, expected in
            progress(.received(file: name, bytes: bytes, expected: expected))
        }
        let session = URLSession(configuration: configuration, delegate: receiver, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        session.dataTask(with: url).resume()
        receiver.finished.wait()
        return receiver.result()
    }
}

/// Collects one response body, refusing error statuses and bodies over the limit.
private final class BodyReceiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let finished = DispatchSemaphore(value: 0)
    private let limit: Int
    private let report: @Sendable (Int64, Int64?) -> Void
    private let lock = NSLock()
    private var body = Data()
    private var expectedLength: Int64?
    private var failure: String?

    init(limit: Int, report: @escaping @Sendable (Int64, Int64?) -> Void) {
        self.limit = limit
        self.report = report
    }

    func result() -> Result<Data, DatasetDownloader.Failure> {
        lock.lock()
        defer { lock.unlock() }
        if let failure { return .failure(.init(reason: failure)) }
        return .success(body)
    }

    private func fail(_ reason: String) {
        lock.lock()
        if failure == nil { failure = reason }
        lock.unlock()
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            fail("HTTP \(http.statusCode)")
            completionHandler(.cancel)
            return
        }
        let length = response.expectedContentLength
        if length > Int64(limit) {
            fail("the server announced \(length) bytes, more than the \(limit)-byte limit")
            completionHandler(.cancel)
            return
        }
        lock.lock()
        expectedLength = length >= 0 ? length : nil
        lock.unlock()
        completionHandler(.allow)
    }

    /// Redirects are followed only to http and https: a mirror sending the client to `file:`
    /// (or `ftp:`, …) is refused with that reason, not with the status of what came back.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        // The Location header as sent: Foundation on Linux rewrites `file:///x` into a request
        // for http://<same host>/x, so the new request alone does not show where it was sent.
        let location = (response.allHeaderFields.first { ($0.key as? String)?.lowercased() == "location" }?.value as? String)
            ?? request.url?.absoluteString ?? "?"
        let target = URL(string: location, relativeTo: response.url) ?? request.url
        let scheme = target?.scheme?.lowercased()
        guard scheme == "http" || scheme == "https", request.url?.scheme == target?.scheme else {
            fail("the server redirected to '\(location)', which is not http(s); gdlab follows only http and https redirects")
            completionHandler(nil)
            task.cancel()
            return
        }
        completionHandler(request)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        let tooMuch = body.count + data.count > limit
        if !tooMuch { body.append(data) }
        let count = Int64(body.count), expected = expectedLength
        lock.unlock()
        if tooMuch {
            fail("the server sent more than the \(limit)-byte limit")
            dataTask.cancel()
            return
        }
        report(count, expected)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error {
            fail(Self.describe(error))
        } else if let expected = lockedExpected(), expected != Int64(lockedCount()) {
            fail("the connection closed after \(lockedCount()) of \(expected) bytes")
        }
        finished.signal()
    }

    private func lockedExpected() -> Int64? { lock.lock(); defer { lock.unlock() }; return expectedLength }
    private func lockedCount() -> Int { lock.lock(); defer { lock.unlock() }; return body.count }

    private static func describe(_ error: Error) -> String {
        if let urlError = error as? URLError {
            switch urlError.code {
            case .timedOut: return "timed out"
            case .cannotConnectToHost: return "connection refused"
            case .cannotFindHost, .dnsLookupFailed: return "host not found"
            case .notConnectedToInternet, .networkConnectionLost: return "no network connection"
            default: break
            }
        }
        return error.localizedDescription
    }
}
