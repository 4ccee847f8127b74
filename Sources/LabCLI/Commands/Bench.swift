// `lab bench`: how fast Question 2's training runs — the fast kernel, the reference kernel,
// mini-batches, the whole `q2-train` path in a fresh process — beside numpy running the same
// algorithm (bench/reference.py) in the same invocation. Medians over several runs.

import ArgumentParser
import Foundation
import MNISTData
import MNISTNet

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time Question 2's training (fast and reference kernels, mini-batch, numpy) and evaluation.",
        discussion: """
            Build with `swift build -c release` first: debug builds are 10–50× slower.

            The fast kernel runs with AVX2+FMA when the processor has it; its baseline copy is then \
            timed too, alternating with it. numpy runs bench/reference.py (found beside the repository \
            or the current folder, or --reference) on the first --numpy-limit samples, extrapolated to \
            an epoch; it is skipped with one line when python3 or numpy is missing.
            """)

    @Option(help: "Timed repetitions of each gdlab measurement; the median is reported (1…100).")
    var runs = 5

    @Option(help: "Training samples per epoch (1…60000; default all).")
    var trainLimit: Int?

    @Option(help: "Samples the Swift reference kernel trains (once), extrapolated to an epoch.")
    var referenceLimit = 10_000

    @Option(help: "Samples numpy trains in its pass after each fast run, extrapolated to an epoch.")
    var numpyLimit = 5_000

    @Option(help: "Samples numpy trains in mini-batches (three timed passes, the median kept), extrapolated to an epoch.")
    var numpyBatchLimit = 20_000

    @Option(help: "Batch size of the mini-batch measurement (2…4096).")
    var batchSize = 64

    @Option(help: "Folder with the four MNIST IDX files (default: MNIST_DIR, then the cache).")
    var dataDir: String?

    @Option(help: "Path of bench/reference.py (default: found beside the executable or in the current folder).")
    var reference: String?

    @Flag(help: "Skip the numpy comparison.")
    var noNumpy = false

    @Flag(help: "Print the figures as JSON instead of a table.")
    var json = false

    @Flag(help: ArgumentHelp("Internal: run load + 3 epochs + evaluate once and print JSON.", visibility: .hidden))
    var childTrainEvaluate = false

    func validate() throws {
        guard (1 ... 100).contains(runs) else { throw ValidationError("--runs \(runs) must be 1…100 (e.g. 5)") }
        if let trainLimit, !(1 ... 60_000).contains(trainLimit) {
            throw ValidationError("--train-limit \(trainLimit) must be 1…60000 (or leave it out for all)")
        }
        guard (1 ... 60_000).contains(referenceLimit) else {
            throw ValidationError("--reference-limit \(referenceLimit) must be 1…60000 (e.g. 10000)")
        }
        guard (1 ... 60_000).contains(numpyLimit) else {
            throw ValidationError("--numpy-limit \(numpyLimit) must be 1…60000 (e.g. 5000)")
        }
        guard (1 ... 60_000).contains(numpyBatchLimit) else {
            throw ValidationError("--numpy-batch-limit \(numpyBatchLimit) must be 1…60000 (e.g. 20000)")
        }
        guard (2 ... 4096).contains(batchSize) else {
            throw ValidationError("--batch-size \(batchSize) must be 2…4096 (PyTorch's usual is 64)")
        }
    }

    func run() throws {
        let files = try BenchData.locate(dataDir)
        if childTrainEvaluate {
            let figures = try BenchData.trainAndEvaluate(files, trainLimit: trainLimit)
            print(String(decoding: try JSONEncoder().encode(figures), as: UTF8.self))
            return
        }
        var report = try measure(files)
        report.curvature = try BenchCurvature.measure(files, runs: runs, reference: reference, numpy: !noNumpy)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text, terminator: "")
        }
    }

    private func measure(_ files: DatasetFiles) throws -> BenchReport {
        let loadStart = BenchClock.now()
        let train = try ImageDataset.load(images: files.trainImages, labels: files.trainLabels)
        let test = try ImageDataset.load(images: files.testImages, labels: files.testLabels)
        let loadSeconds = BenchClock.now() - loadStart
        let listStart = BenchClock.now()
        train.prepareSparsePixels()  // once, as the first training step of any run would
        let listSeconds = BenchClock.now() - listStart
        let epochSize = min(trainLimit ?? train.count, train.count)
        let start = try MLP()
        var report = BenchReport(
            cpu: BenchSystem.cpuModel(), cores: ProcessInfo.processInfo.activeProcessorCount,
            instructionSet: FastKernel.InstructionSet.detected.description,
            baselineInstructionSet: FastKernel.InstructionSet.baseline.description,
            runs: runs, epochSize: epochSize, batchSize: batchSize, loadSeconds: loadSeconds,
            listSeconds: listSeconds)

        // Per-sample SGD, fast kernel: one epoch, `runs` times from the same start. When the
        // processor has AVX2, the baseline copy runs too, and numpy makes one pass over its
        // samples, each alternating with it: a machine whose speed drifts (a shared virtual
        // machine) then slows all of them alike, and the ratio is the median of the runs' ratios.
        var fastEpochs: [Double] = [], fastCPU: [Double] = [], baselineEpochs: [Double] = []
        var numpyEpochs: [Double] = [], numpyRatios: [Double] = []
        var accuracy = 0.0
        let compareBaseline = FastKernel.InstructionSet.detected != .baseline
        let numpySamples = min(numpyLimit, epochSize)
        if noNumpy { report.numpyNote = "numpy: skipped (--no-numpy)" }
        for _ in 0 ..< runs {
            let (seconds, cpu, result) = try BenchData.epoch(start, train, epochSize: epochSize, batchSize: 1, kernel: .fast)
            fastEpochs.append(seconds)
            fastCPU.append(cpu)
            accuracy = try result.network.evaluate(on: test).accuracy
            if compareBaseline {
                baselineEpochs.append(try BenchData.epoch(
                    start, train, epochSize: epochSize, batchSize: 1, kernel: .fastBaseline).seconds)
            }
            guard report.numpyNote == nil else { continue }
            switch BenchNumpy.run(script: reference, dataFolder: files.folder, samples: numpySamples, passes: 1) {
            case .success(let numpy):
                let epoch = numpy.seconds * Double(epochSize) / Double(numpy.samples)
                report.numpyVersion = numpy.version
                report.numpySamples = numpy.samples
                numpyEpochs.append(epoch)
                numpyRatios.append(epoch / seconds)
            case .failure(let reason):
                report.numpyNote = "numpy: not run (\(reason.description))"
            }
        }
        if report.numpyNote == nil, !numpyEpochs.isEmpty {
            report.numpyEpochSeconds = BenchStats.median(numpyEpochs)
            report.numpySpeedup = BenchStats.median(numpyRatios)
        }
        report.baselineEpochSeconds = compareBaseline ? BenchStats.median(baselineEpochs) : nil
        report.fastEpochSeconds = BenchStats.median(fastEpochs)
        report.fastEpochSpread = [fastEpochs.min() ?? 0, fastEpochs.max() ?? 0]
        report.fastEpochCPUSeconds = BenchStats.median(fastCPU)
        report.fastAccuracyAfterOneEpoch = accuracy

        // Evaluation of the test set (loss, accuracy, confusion, saturation), as after each epoch.
        var evaluations: [Double] = []
        for _ in 0 ..< runs {
            let clock = BenchClock.now()
            _ = try start.evaluate(on: test)
            evaluations.append(BenchClock.now() - clock)
        }
        report.evaluateSeconds = BenchStats.median(evaluations)
        report.evaluateCount = test.count

        // One gradient of the mean loss over the whole set (full-batch gradient descent).
        report.fullBatch = try BenchFullBatch.measure(train, images: epochSize, referenceImages: referenceLimit, runs: runs)

        // Mini-batch, fast kernel.
        var batchEpochs: [Double] = [], batchCPU: [Double] = []
        for _ in 0 ..< runs {
            let measured = try BenchData.epoch(start, train, epochSize: epochSize, batchSize: batchSize, kernel: .fast)
            batchEpochs.append(measured.seconds)
            batchCPU.append(measured.cpuSeconds)
        }
        report.batchEpochSeconds = BenchStats.median(batchEpochs)
        report.batchEpochCPUSeconds = BenchStats.median(batchCPU)

        // Reference kernel: once, on a prefix, extrapolated.
        let referenceSamples = min(referenceLimit, epochSize)
        let referenceSeconds = try BenchData.epoch(
            start, train, epochSize: referenceSamples, batchSize: 1, kernel: .reference).seconds
        report.referenceSamples = referenceSamples
        report.referenceEpochSeconds = referenceSeconds * Double(epochSize) / Double(referenceSamples)

        // The `q2-train` path (load, 3 epochs, evaluate after each) in a fresh process each run.
        var childWall: [Double] = [], childInside: [Double] = [], childPeak: [Double] = []
        for _ in 0 ..< runs {
            let child = try BenchChild.run(dataFolder: files.folder, trainLimit: trainLimit)
            childWall.append(child.wallSeconds)
            childInside.append(child.figures.seconds)
            childPeak.append(Double(child.figures.peakBytes))
            report.trainEvaluateAccuracy = child.figures.accuracies
        }
        report.trainEvaluateWallSeconds = BenchStats.median(childWall)
        report.trainEvaluateSeconds = BenchStats.median(childInside)
        report.trainEvaluatePeakMB = BenchStats.median(childPeak) / 1_048_576

        // numpy's mini-batch SGD, same algorithm, same starting weights.
        if report.numpyNote == nil,
           case .success(let numpy) = BenchNumpy.run(
               script: reference, dataFolder: files.folder, samples: min(numpyBatchLimit, epochSize), batchSize: batchSize)
        {
            report.numpyBatchSamples = numpy.samples
            report.numpyBatchEpochSeconds = numpy.seconds * Double(epochSize) / Double(numpy.samples)
        }
        report.benchPeakMB = Double(BenchSystem.peakResidentBytes()) / 1_048_576
        report.loadAverage = BenchSystem.loadAverage()
        return report
    }
}

// MARK: - Measurements

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

// MARK: - Report

struct BenchReport: Encodable {
    var cpu: String
    var cores: Int
    /// What the fast kernel ran with, and what its baseline copy uses.
    var instructionSet: String
    var baselineInstructionSet: String
    var runs: Int
    var epochSize: Int
    var batchSize: Int
    var loadSeconds: Double
    /// Listing the training images' non-zero pixels for the fast kernel, once.
    var listSeconds: Double
    var fastEpochSeconds = 0.0
    var fastEpochSpread: [Double] = []
    /// The fast kernel's baseline copy, when the fast one used AVX2.
    var baselineEpochSeconds: Double?
    /// One evaluation of the test set.
    var evaluateSeconds = 0.0
    var evaluateCount = 0
    var fastEpochCPUSeconds = 0.0
    var batchEpochCPUSeconds = 0.0
    var loadAverage: Double?
    var fastAccuracyAfterOneEpoch = 0.0
    var batchEpochSeconds = 0.0
    var referenceSamples = 0
    var referenceEpochSeconds = 0.0
    var trainEvaluateWallSeconds = 0.0
    var trainEvaluateSeconds = 0.0
    var trainEvaluatePeakMB = 0.0
    var trainEvaluateAccuracy: [Double] = []
    var numpyVersion: String?
    var numpySamples: Int?
    var numpyEpochSeconds: Double?
    var numpyNote: String?
    var numpyBatchSamples: Int?
    var numpyBatchEpochSeconds: Double?
    var benchPeakMB = 0.0
    /// The full-batch gradient rows (BenchFullBatch.swift).
    var fullBatch: BenchFullBatch?
    /// The curvature rows (BenchCurvature.swift).
    var curvature: BenchCurvature?

    var fastSamplesPerSecond: Double { Double(epochSize) / fastEpochSeconds }
    /// The median over the runs of numpy's epoch over the fast kernel's, each pair run back to back.
    var numpySpeedup: Double?
    var referenceSpeedup: Double { referenceEpochSeconds / fastEpochSeconds }

    enum CodingKeys: String, CodingKey {
        case cpu, cores, instructionSet, baselineInstructionSet, runs, epochSize, batchSize, loadSeconds, listSeconds
        case fastEpochSeconds, fastEpochSpread, baselineEpochSeconds, evaluateSeconds, evaluateCount
        case fastEpochCPUSeconds, batchEpochCPUSeconds, loadAverage
        case fastAccuracyAfterOneEpoch, batchEpochSeconds, referenceSamples, referenceEpochSeconds
        case trainEvaluateWallSeconds, trainEvaluateSeconds, trainEvaluatePeakMB, trainEvaluateAccuracy
        case numpyVersion, numpySamples, numpyEpochSeconds, numpyNote, numpyBatchSamples, numpyBatchEpochSeconds
        case benchPeakMB, fullBatch, curvature
        case fastSamplesPerSecond, numpySpeedup, referenceSpeedup
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cpu, forKey: .cpu); try c.encode(cores, forKey: .cores); try c.encode(runs, forKey: .runs)
        try c.encode(instructionSet, forKey: .instructionSet)
        try c.encode(baselineInstructionSet, forKey: .baselineInstructionSet)
        try c.encodeIfPresent(baselineEpochSeconds, forKey: .baselineEpochSeconds)
        try c.encode(evaluateSeconds, forKey: .evaluateSeconds); try c.encode(evaluateCount, forKey: .evaluateCount)
        try c.encode(epochSize, forKey: .epochSize); try c.encode(batchSize, forKey: .batchSize)
        try c.encode(loadSeconds, forKey: .loadSeconds); try c.encode(listSeconds, forKey: .listSeconds)
        try c.encode(fastEpochSeconds, forKey: .fastEpochSeconds); try c.encode(fastEpochSpread, forKey: .fastEpochSpread)
        try c.encode(fastEpochCPUSeconds, forKey: .fastEpochCPUSeconds)
        try c.encode(batchEpochCPUSeconds, forKey: .batchEpochCPUSeconds)
        try c.encodeIfPresent(loadAverage, forKey: .loadAverage)
        try c.encode(fastAccuracyAfterOneEpoch, forKey: .fastAccuracyAfterOneEpoch)
        try c.encode(fastSamplesPerSecond, forKey: .fastSamplesPerSecond)
        try c.encode(batchEpochSeconds, forKey: .batchEpochSeconds)
        try c.encode(referenceSamples, forKey: .referenceSamples)
        try c.encode(referenceEpochSeconds, forKey: .referenceEpochSeconds)
        try c.encode(referenceSpeedup, forKey: .referenceSpeedup)
        try c.encode(trainEvaluateWallSeconds, forKey: .trainEvaluateWallSeconds)
        try c.encode(trainEvaluateSeconds, forKey: .trainEvaluateSeconds)
        try c.encode(trainEvaluatePeakMB, forKey: .trainEvaluatePeakMB)
        try c.encode(trainEvaluateAccuracy, forKey: .trainEvaluateAccuracy)
        try c.encodeIfPresent(numpyVersion, forKey: .numpyVersion)
        try c.encodeIfPresent(numpySamples, forKey: .numpySamples)
        try c.encodeIfPresent(numpyEpochSeconds, forKey: .numpyEpochSeconds)
        try c.encodeIfPresent(numpySpeedup, forKey: .numpySpeedup)
        try c.encodeIfPresent(numpyNote, forKey: .numpyNote)
        try c.encodeIfPresent(numpyBatchSamples, forKey: .numpyBatchSamples)
        try c.encodeIfPresent(numpyBatchEpochSeconds, forKey: .numpyBatchEpochSeconds)
        try c.encode(benchPeakMB, forKey: .benchPeakMB)
        try c.encodeIfPresent(fullBatch, forKey: .fullBatch)
        try c.encodeIfPresent(curvature, forKey: .curvature)
    }

    var text: String {
        func f(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
        var rows: [(String, String, String)] = []
        rows.append(("per-sample SGD, fast kernel (\(instructionSet))", "\(f(fastEpochSeconds)) s/epoch",
                     "median of \(runs) (\(f(fastEpochCPUSeconds)) s CPU); \(f(fastSamplesPerSecond / 1e6, 2)) M samples/s; range \(f(fastEpochSpread.first ?? 0))–\(f(fastEpochSpread.last ?? 0)) s"))
        if let baselineEpochSeconds {
            rows.append(("per-sample SGD, fast-baseline (\(baselineInstructionSet))", "\(f(baselineEpochSeconds)) s/epoch",
                         "median of \(runs), alternating with the row above; \(instructionSet) gains \(f(baselineEpochSeconds / fastEpochSeconds, 2))×"))
        }
        rows.append(("per-sample SGD, reference kernel", "\(f(referenceEpochSeconds, 2)) s/epoch",
                     "1 run of \(referenceSamples) samples, extrapolated; fast is \(f(referenceSpeedup, 1))×"))
        if let numpyEpochSeconds, let numpySamples, let numpySpeedup {
            rows.append(("per-sample SGD, numpy \(numpyVersion ?? "")", "\(f(numpyEpochSeconds, 2)) s/epoch",
                         "median of \(runs), each one pass over \(numpySamples) samples after a fast run, extrapolated; gdlab is \(f(numpySpeedup, 1))× (median of the runs' ratios)"))
        }
        rows.append(("mini-batch SGD, B = \(batchSize), fast", "\(f(batchEpochSeconds)) s/epoch",
                     "median of \(runs) (\(f(batchEpochCPUSeconds)) s CPU)"))
        if let numpyBatchEpochSeconds, let numpyBatchSamples {
            rows.append(("mini-batch SGD, B = \(batchSize), numpy", "\(f(numpyBatchEpochSeconds, 2)) s/epoch",
                         "median of 3 passes over \(numpyBatchSamples) samples, extrapolated; gdlab is \(f(numpyBatchEpochSeconds / batchEpochSeconds, 1))×"))
        }
        rows += fullBatch?.rows(runs: runs, instructionSet: instructionSet, baselineInstructionSet: baselineInstructionSet) ?? []
        rows.append(("evaluating the test set", "\(f(evaluateSeconds)) s",
                     "median of \(runs); \(evaluateCount) images: loss, accuracy, confusion, saturation (Double)"))
        rows.append(("train + evaluate, 3 epochs", "\(f(trainEvaluateWallSeconds, 2)) s wall",
                     "fresh process: load + train + 3 test evaluations (\(f(trainEvaluateSeconds, 2)) s inside); median of \(runs)"))
        rows.append(("  peak memory of that run", "\(f(trainEvaluatePeakMB, 0)) MB", "ru_maxrss"))
        rows.append(("  test accuracy after epochs", trainEvaluateAccuracy.map { f($0 * 100, 2) + " %" }.joined(separator: ", "), ""))
        rows.append(("loading MNIST (train + test)", "\(f(loadSeconds, 2)) s", "IDX .gz, once"))
        rows.append(("listing non-zero pixels", "\(f(listSeconds, 3)) s", "the training images', once, for the fast kernel"))
        let left = rows.map(\.0.count).max() ?? 0, middle = rows.map(\.1.count).max() ?? 0
        var text = "CPU: \(cpu) (\(cores) core\(cores == 1 ? "" : "s")); one thread; \(epochSize) samples per epoch, 784-32-32-10\n"
        #if DEBUG
        text += "note: this is a debug build; build with `swift build -c release` for meaningful figures\n"
        #endif
        if let loadAverage, loadAverage > 0.5 * Double(cores) {
            text += "note: load average \(f(loadAverage, 1)) on \(cores) cores: other programs are running, wall times are inflated (CPU times less so)\n"
        }
        for (a, b, c) in rows {
            text += a.padding(toLength: left, withPad: " ", startingAt: 0) + "  "
                + b.padding(toLength: middle, withPad: " ", startingAt: 0) + "  " + c + "\n"
        }
        if let numpyNote { text += numpyNote + "\n" }
        if let curvature { text += curvature.text }
        return text
    }
}
