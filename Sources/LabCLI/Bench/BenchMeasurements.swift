// What `lab bench` measures with: clocks, medians, the machine (CPU model, load, peak memory),
// one training epoch, the fresh-process train + evaluate run, and the numpy reference.

import ArgumentParser
import Foundation
import LabSupport
import MNISTData
import MNISTNet

/// Wall-clock seconds from a monotonic clock.
enum BenchClock {
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// CPU seconds used by the calling thread: unlike wall time, not inflated by other
    /// programs competing for the cores.
    static func threadCPU() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

enum BenchStats {
    /// The middle value (the mean of the two middle ones for an even count); 0 for none.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted(), mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}

enum BenchSystem {
    /// "model name" from /proc/cpuinfo, or the machine architecture when it has none.
    static func cpuModel() -> String {
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("model name") {
                if let colon = line.firstIndex(of: ":") {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    #if os(Linux)
    private static let RUSAGE_SELF_ID = __rusage_who_t(Glibc.RUSAGE_SELF.rawValue)
    #else
    private static let RUSAGE_SELF_ID = RUSAGE_SELF
    #endif

    /// The 1-minute load average from /proc/loadavg, when there is one.
    static func loadAverage() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }

    /// The process's peak resident set size in bytes (getrusage ru_maxrss: KiB on Linux).
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF_ID, &usage)
        #if os(Linux)
        return Int(usage.ru_maxrss) * 1024
        #else
        return Int(usage.ru_maxrss)
        #endif
    }
}

/// What the fresh child process measured: load + 3 epochs + evaluation.
struct TrainEvaluateFigures: Codable {
    var seconds: Double
    var peakBytes: Int
    var accuracies: [Double]
}

enum BenchData {
    static func locate(_ dataDir: String?) throws -> DatasetFiles {
        do {
            return try DatasetLocation(kind: .mnist, explicitFolder: dataDir.map { URL(fileURLWithPath: $0) })
                .resolve(downloader: nil)
        } catch let error as DatasetError {
            throw LabError.failed("\(error)")
        }
    }

    /// One epoch from `start`; the seconds cover `Training.train` only.
    static func epoch(_ start: MLP, _ train: ImageDataset, epochSize: Int, batchSize: Int, kernel: TrainingKernelKind)
        throws -> (seconds: Double, cpuSeconds: Double, result: TrainingResult)
    {
        let options = TrainingOptions(
            epochs: 1, batchSize: batchSize, trainLimit: epochSize, reportInterval: 1000, kernel: kernel)
        let begin = BenchClock.now(), cpuBegin = BenchClock.threadCPU()
        let result = try Training.train(start, on: train, options: options)
        return (BenchClock.now() - begin, BenchClock.threadCPU() - cpuBegin, result)
    }

    /// The library path of the default `lab q2-train`: load the data, train 3 epochs with the
    /// default options, evaluate on the test set after each.
    static func trainAndEvaluate(_ files: DatasetFiles, trainLimit: Int?) throws -> TrainEvaluateFigures {
        let begin = BenchClock.now()
        let train = try ImageDataset.load(images: files.trainImages, labels: files.trainLabels)
        let test = try ImageDataset.load(images: files.testImages, labels: files.testLabels)
        let result = try Training.train(
            try MLP(), on: train, test: test, options: TrainingOptions(trainLimit: trainLimit))
        let seconds = BenchClock.now() - begin
        return TrainEvaluateFigures(
            seconds: seconds, peakBytes: BenchSystem.peakResidentBytes(),
            accuracies: result.epochs.compactMap(\.testAccuracy))
    }
}

/// Runs `lab bench --child-train-evaluate` in a fresh process: its peak memory is that of the
/// training run alone, as for `lab q2-train`.
enum BenchChild {
    static func run(dataFolder: URL, trainLimit: Int?) throws -> (wallSeconds: Double, figures: TrainEvaluateFigures) {
        guard let executable = Bundle.main.executableURL else {
            throw LabError.failed("cannot find the lab executable to run the train + evaluate measurement")
        }
        var arguments = ["bench", "--child-train-evaluate", "--data-dir", dataFolder.path]
        if let trainLimit { arguments += ["--train-limit", String(trainLimit)] }
        let begin = BenchClock.now()
        let output = try BenchProcess.run(executable, arguments: arguments, environment: ProcessInfo.processInfo.environment)
        let wall = BenchClock.now() - begin
        guard output.status == 0,
              let figures = try? JSONDecoder().decode(TrainEvaluateFigures.self, from: output.stdout)
        else {
            throw LabError.failed("the train + evaluate run failed: \(output.stderrLine)")
        }
        return (wall, figures)
    }
}

/// Runs a program, reading its stdout and stderr to the end before waiting for it.
enum BenchProcess {
    struct Output {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var stderrLine: String {
            String(decoding: stderr, as: UTF8.self).split(whereSeparator: \.isNewline).last.map(String.init) ?? "no message"
        }
    }

    static func run(_ executable: URL, arguments: [String], environment: [String: String]) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errorData = LockedData()
        let reader = Thread { errorData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        return Output(status: process.terminationStatus, stdout: stdout, stderr: errorData.value)
    }

    /// Data handed from the stderr reader thread.
    final class LockedData: @unchecked Sendable {
        private let lock = NSLock()
        private var data: Data?
        func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return data != nil }
        var value: Data { lock.lock(); defer { lock.unlock() }; return data ?? Data() }
    }
}

/// bench/reference.py: the homework's algorithm in numpy.
enum BenchNumpy {
    struct Figures {
        var version: String
        var samples: Int
        var seconds: Double
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Where reference.py is: `explicit`, else bench/reference.py in the current folder or in
    /// a parent of the executable's folder (a `swift build` puts it in .build/<triple>/release).
    static func script(_ explicit: String?) -> URL? {
        if let explicit { return URL(fileURLWithPath: explicit) }
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        if var folder = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            for _ in 0 ..< 5 {
                candidates.append(folder)
                folder = folder.deletingLastPathComponent()
            }
        }
        return candidates.map { $0.appendingPathComponent("bench/reference.py") }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    static func python() -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("python3") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Runs reference.py on the first `samples` training images, on one thread (batch size 1:
    /// per-sample SGD; B > 1: mini-batches of B, one matrix product per layer), `passes` times
    /// over them (each pass is timed; every pass does the same work), and gives the median pass.
    static func run(script explicit: String?, dataFolder: URL, samples: Int, batchSize: Int = 1, passes: Int = 3)
        -> Result<Figures, Failure>
    {
        guard let python = python() else { return .failure(Failure(description: "python3 not found on PATH")) }
        guard let script = script(explicit) else {
            return .failure(Failure(description: "bench/reference.py not found; pass --reference PATH"))
        }
        guard FileManager.default.isReadableFile(atPath: script.path) else {
            return .failure(Failure(description: "cannot read \(script.path); pass --reference PATH"))
        }
        // One core, and none of the caller's OpenBLAS tuning that could mislead this CPU.
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        environment["OPENBLAS_L2_SIZE"] = nil
        for variable in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] { environment[variable] = "1" }
        do {
            let probe = try BenchProcess.run(python, arguments: ["-c", "import numpy"], environment: environment)
            guard probe.status == 0 else { return .failure(Failure(description: "python3 cannot import numpy")) }
            let output = try BenchProcess.run(
                python,
                arguments: [script.path, "--data-dir", dataFolder.path, "--epochs", String(passes), "--train-limit", String(samples),
                            "--batch-size", String(batchSize)],
                environment: environment)
            guard output.status == 0 else {
                return .failure(Failure(description: "reference.py failed: \(output.stderrLine)"))
            }
            struct Reply: Decodable {
                struct Epoch: Decodable { var seconds: Double }
                var numpy: String
                var samples: Int
                var epochs: [Epoch]
            }
            guard let reply = try? JSONDecoder().decode(Reply.self, from: output.stdout),
                  !reply.epochs.isEmpty, reply.samples > 0
            else {
                return .failure(Failure(description: "reference.py printed no figures"))
            }
            let seconds = BenchStats.median(reply.epochs.map(\.seconds))
            return .success(Figures(version: reply.numpy, samples: reply.samples, seconds: seconds))
        } catch {
            return .failure(Failure(description: "python3 could not be run: \(error.localizedDescription)"))
        }
    }
}
