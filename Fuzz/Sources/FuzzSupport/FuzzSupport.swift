// What every fuzz target shares: turning libFuzzer's (pointer, size) into `Data`, and writing
// the target's seed corpus when `GDLAB_FUZZ_SEEDS` names a folder (Fuzz/run.sh does this
// before fuzzing, so seeds are made by the code under test and never committed).

import Foundation

public enum FuzzInput {
    /// The bytes libFuzzer passes (a null pointer for the empty input).
    public static func data(_ bytes: UnsafeRawPointer?, _ count: Int) -> Data {
        guard let bytes, count > 0 else { return Data() }
        return Data(bytes: bytes, count: count)
    }
}

public enum FuzzSeeds {
    /// Writes `seeds` (file name → bytes) into `$GDLAB_FUZZ_SEEDS` and exits, if it is set;
    /// otherwise returns and fuzzing starts.
    public static func writeIfRequested(_ seeds: () throws -> [(String, Data)]) {
        guard let path = ProcessInfo.processInfo.environment["GDLAB_FUZZ_SEEDS"], !path.isEmpty else { return }
        let folder = URL(fileURLWithPath: path, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let all = try seeds()
            for (name, bytes) in all { try bytes.write(to: folder.appendingPathComponent(name)) }
            print("wrote \(all.count) seeds to \(folder.path)")
            exit(0)
        } catch {
            print("could not write seeds to \(folder.path): \(error)")
            exit(1)
        }
    }

    /// The MNIST folder: `$MNIST_DIR`, if set and present.
    public static var mnistFolder: URL? {
        guard let path = ProcessInfo.processInfo.environment["MNIST_DIR"], !path.isEmpty,
              FileManager.default.fileExists(atPath: path) else { return nil }
        return URL(fileURLWithPath: path, isDirectory: true)
    }
}
