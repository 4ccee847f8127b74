// `lab bench`: how fast Question 2's training runs — the fast kernel, the reference kernel,
// mini-batches, the whole `q2-train` path in a fresh process — beside numpy running the same
// algorithm (bench/reference.py) in the same invocation. Medians over several runs.

import ArgumentParser
import Foundation
import LabSupport
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
            StandardStreams.printJSON(String(decoding: try JSONEncoder().encode(figures), as: UTF8.self))
            return
        }
        var report = try measure(files)
        report.curvature = try BenchCurvature.measure(files, runs: runs, reference: reference, numpy: !noNumpy)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            StandardStreams.printJSON(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            StandardStreams.print(report.text, terminator: "")
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
