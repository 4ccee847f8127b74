// A tiny HTTP/1.0 server on 127.0.0.1 (a free port) for the download tests, serving canned
// replies from memory: good files, 404s, corrupt or oversized bodies. Plus a gzip writer (stored
// deflate blocks and CRC-32) to make valid gzip files with wrong content. Tests never go online.

import Foundation
import MNISTData
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class DownloadTestServer: @unchecked Sendable {
    enum Reply {
        /// 200 with the body and its Content-Length.
        case ok(Data)
        /// An error status with a short HTML body.
        case status(Int)
        /// 200 without Content-Length: the body ends when the connection closes.
        case unannounced(Data)
        /// 200 announcing `claimed` bytes but sending only `data`, then closing.
        case cutShort(Data, claimed: Int)
        /// 302 to `location`.
        case redirect(String)
    }

    let port: UInt16
    private let socketFD: Int32
    private let routes: [String: Reply]
    private let lock = NSLock()
    private var paths: [String] = []
    private let stopped = DispatchSemaphore(value: 0)

    /// Starts serving `routes` (keyed by path, e.g. "/mnist/t10k-labels-idx1-ubyte.gz"); any
    /// other path gets a 404.
    init(routes: [String: Reply]) throws {
        self.routes = routes
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError(text: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw ServerError(text: "cannot bind 127.0.0.1")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        socketFD = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// The base URL of `folder` on this server, e.g. http://127.0.0.1:PORT/mnist/.
    func url(_ folder: String) -> URL {
        URL(string: "http://127.0.0.1:\(port)/\(folder)/")!
    }

    /// The paths requested so far.
    var requestedPaths: [String] {
        lock.lock()
        defer { lock.unlock() }
        return paths
    }

    func stop() {
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
        stopped.wait()
    }

    struct ServerError: Error { let text: String }

    private func serve() {
        defer { stopped.signal() }
        while true {
            let client = accept(socketFD, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var request = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.contains(Data("\r\n\r\n".utf8)) && request.count < 65536 {
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { return }
            request.append(contentsOf: buffer[..<n])
        }
        let line = String(decoding: request.prefix(while: { $0 != 0x0D }), as: UTF8.self)
        let parts = line.split(separator: " ")
        let path = parts.count >= 2 ? String(parts[1]) : "/"
        lock.lock()
        paths.append(path)
        lock.unlock()

        switch routes[path] ?? .status(404) {
        case .ok(let body):
            send(client, header: 200, extra: "Content-Length: \(body.count)\r\n", body: body)
        case .status(let code):
            let body = Data("<html><body>\(code)</body></html>".utf8)
            send(client, header: code, extra: "Content-Length: \(body.count)\r\n", body: body)
        case .unannounced(let body):
            send(client, header: 200, extra: "", body: body)
        case .cutShort(let body, let claimed):
            send(client, header: 200, extra: "Content-Length: \(claimed)\r\n", body: body)
        case .redirect(let location):
            send(client, header: 302, extra: "Location: \(location)\r\nContent-Length: 0\r\n", body: Data())
        }
    }

    private func send(_ client: Int32, header status: Int, extra: String, body: Data) {
        let head = "HTTP/1.0 \(status) X\r\nContent-Type: application/octet-stream\r\n\(extra)Connection: close\r\n\r\n"
        var all = Data(head.utf8)
        all.append(body)
        all.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                #if canImport(Glibc)
                let n = Glibc.send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                #else
                let n = Darwin.send(client, raw.baseAddress! + offset, raw.count - offset, 0)
                #endif
                if n <= 0 { return }
                offset += n
            }
        }
    }
}

/// gzip made by hand: stored (uncompressed) deflate blocks, CRC-32 and length trailer (RFC 1952).
enum DownloadTestGzip {
    static func compress(_ content: Data) -> Data {
        var out = Data([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF])
        let bytes = [UInt8](content)
        var offset = 0
        repeat {
            let n = min(65535, bytes.count - offset)
            let last: UInt8 = offset + n == bytes.count ? 1 : 0
            out.append(last)
            out.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)])
            out.append(contentsOf: bytes[offset ..< offset + n])
            offset += n
        } while offset < bytes.count
        appendLittleEndian(crc32(bytes), to: &out)
        appendLittleEndian(UInt32(truncatingIfNeeded: bytes.count), to: &out)
        return out
    }

    /// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bit by bit.
    static func crc32<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }

    private static func appendLittleEndian(_ value: UInt32, to data: inout Data) {
        data.append(contentsOf: [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF),
                                 UInt8((value >> 16) & 0xFF), UInt8(value >> 24)])
    }
}

/// Collects progress events from any thread.
final class DownloadEventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [DatasetProgress] = []

    func record(_ event: DatasetProgress) {
        lock.lock()
        events.append(event)
        lock.unlock()
    }

    var all: [DatasetProgress] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }
}
