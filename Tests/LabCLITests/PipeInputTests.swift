// A named pipe handed to gdlab where a file belongs (a PNG to predict, weights to --load, an
// MNIST file) must be refused at once: opening or reading a pipe with no writer would block
// the program forever.

import Foundation
@testable import LabCLI
import MNISTData
import MNISTNet
import XCTest
@testable import LabFigures
@testable import LabReport
@testable import LabSupport
@testable import Labs

final class PipeInputTests: XCTestCase {
    private var folder: URL!
    private var pipe: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gdlab-pipe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        pipe = folder.appendingPathComponent("input")
        XCTAssertEqual(mkfifo(pipe.path, 0o600), 0, "mkfifo failed")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs `body` on another thread and fails (instead of hanging the suite) if it blocks.
    private func refusesPromptly(_ what: String, _ body: @escaping @Sendable () throws -> Void) -> String? {
        let done = expectation(description: what)
        let message = LockedText()
        DispatchQueue.global().async {
            do {
                try body()
                message.set("no error")
            } catch {
                message.set("\(error)")
            }
            done.fulfill()
        }
        wait(for: [done], timeout: 10)
        return message.get()
    }

    func testPNGReaderRefusesAPipe() {
        let pipe = self.pipe!
        let message = refusesPromptly("PNG") { _ = try PNGImage.read(contentsOf: pipe, as: .gray) }
        XCTAssertEqual(message.map { $0.contains("not a regular file") }, true, message ?? "blocked")
    }

    func testNPZReaderRefusesAPipe() {
        let pipe = self.pipe!
        let message = refusesPromptly("NPZ") { _ = try NPZ.decode(contentsOf: pipe) }
        XCTAssertEqual(message.map { $0.contains("not a regular file") }, true, message ?? "blocked")
    }

    func testIDXReaderRefusesAPipe() {
        let pipe = self.pipe!
        let message = refusesPromptly("IDX") { _ = try ImageDataset.load(images: pipe, labels: pipe) }
        XCTAssertEqual(message.map { $0.contains("not a regular file") }, true, message ?? "blocked")
    }
}

private final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var text: String?
    func set(_ value: String) { lock.lock(); text = value; lock.unlock() }
    func get() -> String? { lock.lock(); defer { lock.unlock() }; return text }
}
