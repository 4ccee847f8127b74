// File names that are not valid UTF-8 (a Latin-1 name from an old archive, say), on the command
// line or in the environment. Swift's String holds only valid Unicode and every file API gdlab uses
// takes a String, so on Linux such a name is opened once, by its bytes, and stands in the
// command line as a path through the open descriptor: /proc/<pid>/fd/<n>[/<rest>].

import Foundation

/// Paths whose bytes are not valid UTF-8, and the UTF-8 paths that stand in for them.
///
/// Linux lets a process reach a file or folder it holds open by the name `/proc/<pid>/fd/<n>`,
/// which the kernel follows like a symbolic link to the very object opened (for gdlab and for the
/// programs it starts, which share its user). So `resolve` opens the part of the name that is
/// not UTF-8 and returns a path that is:
///
///     caf\xE9.png        → /proc/<pid>/fd/3            (the file itself: read it)
///     d\xE9/plots        → /proc/<pid>/fd/4/plots      (its folder: read or write inside it)
///
/// The split is at the first `/` after the last byte that is not UTF-8 (or after the last `..`
/// component, which must be resolved by the kernel, not by a URL's textual standardisation).
/// A file with such a name can be read; it cannot be replaced, since writing is a rename in its
/// folder by a name, and `AtomicFile` says so. Messages put the name back as the user typed it,
/// with the bytes that are not UTF-8 written `\xHH` (`shown(in:)`).
///
/// The descriptors are opened with `O_PATH` (no read or write access, so permissions are checked
/// when the file is really opened) and stay open for the life of the process.
package enum RawFileNames {
    /// One stand-in: the `/proc/<pid>/fd/<n>` path and how the opened name is shown.
    private struct Alias {
        var path: String
        /// The name with `\xHH` for bytes that are not UTF-8, for messages.
        var shown: String
        /// The name with U+FFFD for them, for names gdlab derives from it.
        var repaired: String
    }

    #if os(Linux)
    /// Linux's `O_PATH` (the same on every architecture Swift runs on), which Glibc's Swift module
    /// does not export: a descriptor that only names the object.
    private static let openPathOnly: Int32 = 0o10000000
    #endif

    /// Set at startup, before any other thread exists; read-only afterwards.
    nonisolated(unsafe) private static var aliases: [Alias] = []

    /// A path that is valid UTF-8 and reaches the object `bytes` names (see the type's comment),
    /// or, when there is none, what is wrong in words a user can act on.
    ///
    /// - Returns: `.success` with the path unchanged when `bytes` are valid UTF-8.
    package static func resolve(_ bytes: [UInt8]) -> Result<String, RawFileNameError> {
        let scan = Scan(bytes)
        guard let lastInvalid = scan.lastInvalid else { return .success(String(decoding: bytes, as: UTF8.self)) }
        #if os(Linux)
        let anchor = max(lastInvalid, scan.endOfLastParentComponent ?? 0)
        let slash = bytes[anchor...].firstIndex(of: UInt8(ascii: "/"))
        let opened = Array(bytes[..<(slash ?? bytes.count)])
        let flags = openPathOnly | O_CLOEXEC | (slash == nil ? 0 : O_DIRECTORY)
        let fd = (opened + [0]).withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, flags) }
        }
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            return .failure(RawFileNameError(shown: scan.shown, folder: slash == nil ? nil : Scan(opened).shown, reason: reason))
        }
        var path = "/proc/\(getpid())/fd/\(fd)"
        aliases.append(Alias(path: path, shown: Scan(opened).shown, repaired: String(decoding: opened, as: UTF8.self)))
        aliases.sort { $0.path.count > $1.path.count }  // so fd/12 is put back before fd/1
        if let slash { path += String(decoding: bytes[slash...], as: UTF8.self) }
        return .success(path)
        #else
        return .failure(RawFileNameError(shown: scan.shown, folder: nil, reason: nil))
        #endif
    }

    /// `text` with every stand-in path put back as the name the user gave (`\xHH` for the bytes
    /// that are not UTF-8): for messages and printed results.
    package static func shown(in text: String) -> String {
        replacing(in: text) { $0.shown }
    }

    /// `shown(in:)` for JSON text: the names put back as JSON string content.
    package static func shown(inJSON text: String) -> String {
        replacing(in: text) { alias in
            var escaped = ""
            for scalar in alias.shown.unicodeScalars {
                switch scalar {
                case "\\", "\"": escaped += "\\" + String(scalar)
                case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
                default: escaped.unicodeScalars.append(scalar)
                }
            }
            return escaped
        }
    }

    /// `text` with every stand-in path put back with U+FFFD for the bytes that are not UTF-8: for
    /// names gdlab derives from a file's name (the file it writes for an input image).
    package static func repaired(_ text: String) -> String {
        replacing(in: text) { $0.repaired }
    }

    /// Whether `path` is the stand-in for a whole name (the file or folder opened itself, not a
    /// path inside an opened folder): a file there cannot be replaced, since its folder holds it
    /// under a name gdlab cannot spell.
    package static func isWholeNameStandIn(_ path: String) -> Bool {
        aliases.contains { $0.path == path }
    }

    private static func replacing(in text: String, with name: (Alias) -> String) -> String {
        guard !aliases.isEmpty, text.contains("/proc/") else { return text }
        var result = text
        for alias in aliases { result = result.replacingOccurrences(of: alias.path, with: name(alias)) }
        return result
    }

    /// One pass over a name's bytes: where its UTF-8 breaks, and how to show it.
    private struct Scan {
        /// Index of the last byte that is not part of a valid UTF-8 sequence.
        var lastInvalid: Int?
        /// Index of the last byte of the last `..` component.
        var endOfLastParentComponent: Int?
        /// The name with `\xHH` for each byte that is not part of a valid UTF-8 sequence.
        var shown = ""

        init(_ bytes: [UInt8]) {
            var index = 0
            while index < bytes.count {
                let length = Self.sequenceLength(bytes, at: index)
                if length > 0 {
                    shown += String(decoding: bytes[index ..< index + length], as: UTF8.self)
                    index += length
                } else {
                    shown += String(format: "\\x%02X", bytes[index])
                    lastInvalid = index
                    index += 1
                }
            }
            var start = 0
            for end in 0 ... bytes.count where end == bytes.count || bytes[end] == UInt8(ascii: "/") {
                if bytes[start ..< end].elementsEqual("..".utf8) { endOfLastParentComponent = end - 1 }
                start = end + 1
            }
        }

        /// The length of the valid UTF-8 sequence starting at `index`, or 0 if none does.
        private static func sequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
            let lead = bytes[index]
            let length = lead < 0x80 ? 1 : lead >= 0xC2 && lead < 0xE0 ? 2 : lead >= 0xE0 && lead < 0xF0 ? 3
                : lead >= 0xF0 && lead < 0xF5 ? 4 : 0
            guard length > 0, index + length <= bytes.count else { return 0 }
            return String(validating: bytes[index ..< index + length], as: UTF8.self) == nil ? 0 : length
        }
    }
}

/// A name that is not valid UTF-8 and could not be opened.
package struct RawFileNameError: Error, CustomStringConvertible, Sendable {
    /// The name with `\xHH` for the bytes that are not UTF-8.
    package var shown: String
    /// The folder in it that had to be opened (shown likewise), when the name goes on after it.
    package var folder: String?
    /// Why `open` failed; nil where such names are not supported at all.
    package var reason: String?

    package var description: String {
        guard let reason else {
            return "'\(shown)' is not valid UTF-8, and gdlab reads names as UTF-8 on this system; rename the file "
                + "(e.g. convmv -f latin1 -t utf8 --notest FILE) or pass a link to it with a UTF-8 name"
        }
        let what = folder.map { "its folder '\($0)' cannot be opened" } ?? "no file or folder of that name can be opened"
        return "'\(shown)' is not valid UTF-8 and \(what) (\(reason)); gdlab takes such a name only for a file or "
            + "folder that exists: use UTF-8 for the name of a new file and for any text"
    }
}
