// Training the MLP exactly as the homework does (Question 2): per-sample SGD on the summed
// cross-entropy, learning rate 0.003, no shuffling, 3 epochs — with options for mini-batches,
// shuffling, raw pixels and a prefix of the data, progress callbacks and divergence detection.

import LabSupport
import MNISTData

/// How to train.
public struct TrainingOptions: Sendable, Equatable {
    /// η in θ ← θ − η ∇L. The homework's 0.003.
    public var learningRate: Double
    /// Passes over the training set.
    public var epochs: Int
    /// Samples per step; the gradient is the SUM over the batch (the homework's summed loss).
    /// 1 is per-sample SGD.
    public var batchSize: Int
    /// Visit the samples in a new seeded random order each epoch (the homework does not).
    public var shuffle: Bool
    /// Seed of the shuffling order.
    public var shuffleSeed: UInt64
    /// How pixels become inputs: `.unit` (÷255, default) or `.raw` (0…255, the homework as written).
    public var inputScaling: InputScaling
    /// Train on the first N samples only; nil for all.
    public var trainLimit: Int?
    /// Report progress about every this many samples (rounded to whole batches).
    public var reportInterval: Int
    /// Which implementation runs the inner loop: `.fast` (Float32, sparse first layer; the
    /// default) or `.reference` (Double, dense, the straightforward code it is tested against).
    public var kernel: TrainingKernelKind

    public init(
        learningRate: Double = 0.003, epochs: Int = 3, batchSize: Int = 1, shuffle: Bool = false,
        shuffleSeed: UInt64 = MLP.defaultSeed, inputScaling: InputScaling = .unit, trainLimit: Int? = nil,
        reportInterval: Int = 1000, kernel: TrainingKernelKind = .fast
    ) {
        self.learningRate = learningRate
        self.epochs = epochs
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.shuffleSeed = shuffleSeed
        self.inputScaling = inputScaling
        self.trainLimit = trainLimit
        self.reportInterval = reportInterval
        self.kernel = kernel
    }

    /// The homework's settings.
    public static let homework = TrainingOptions()

    /// Checks every setting.
    ///
    /// - Throws: `ConfigurationError` naming the bad value and what to pass instead.
    public func validate() throws {
        guard learningRate.isFinite, learningRate > 0 else { throw ConfigurationError.learningRate(learningRate) }
        guard epochs >= 1 else { throw ConfigurationError.epochs(epochs) }
        guard batchSize >= 1 else { throw ConfigurationError.batchSize(batchSize) }
        if let trainLimit, trainLimit < 1 { throw ConfigurationError.trainLimit(trainLimit) }
        guard reportInterval >= 1 else { throw ConfigurationError.reportInterval(reportInterval) }
    }
}

/// Progress within training, reported about every `reportInterval` samples.
public struct TrainingProgress: Sendable, Equatable {
    /// The current epoch, from 1.
    public var epoch: Int
    /// Samples trained since the start of training (all epochs).
    public var samplesSeen: Int
    /// Samples trained in this epoch, of `epochSize`.
    public var samplesInEpoch: Int
    public var epochSize: Int
    /// Mean loss −log p_y over the samples since the previous report.
    public var intervalMeanLoss: Double
    /// Mean loss over this epoch's samples so far (the running loss).
    public var epochMeanLoss: Double
}

/// The figures of one finished epoch.
public struct EpochSummary: Sendable {
    /// From 1.
    public var epoch: Int
    /// Mean training loss over the epoch's samples, each measured before its own update.
    public var trainLoss: Double
    /// The test set evaluated after the epoch, when a test set was given.
    public var test: Evaluation?

    public var testLoss: Double? { test?.averageLoss }
    public var testAccuracy: Double? { test?.accuracy }
}

/// What the observer is told.
public enum TrainingEvent: Sendable {
    case progress(TrainingProgress)
    case epochFinished(EpochSummary)
}

/// The observer's answer: go on, or stop after the current report (e.g. on Ctrl-C).
public enum TrainingControl: Sendable {
    case proceed
    case stop
}

/// How training ended.
public enum TrainingOutcome: Sendable, Equatable {
    /// Every epoch ran.
    case completed
    /// The observer asked to stop.
    case stopped(samplesSeen: Int)
    /// A sample's loss was not finite (the learning rate is too large): training stopped before
    /// applying that sample's step. `sampleIndex` is the sample's index in the training set,
    /// `samplesSeen` the number of samples trained before it.
    case diverged(epoch: Int, sampleIndex: Int, samplesSeen: Int, loss: Double)
}

/// One point of the training-loss curve.
public struct LossPoint: Sendable, Equatable {
    public var samplesSeen: Int
    /// Mean loss over the samples since the previous point.
    public var meanLoss: Double
}

/// Everything training produced.
public struct TrainingResult: Sendable {
    /// The parameters at the end (before the failing step on divergence).
    public var network: MLP
    /// One entry per completed epoch.
    public var epochs: [EpochSummary]
    /// The interval mean losses, as reported to the observer.
    public var lossCurve: [LossPoint]
    public var outcome: TrainingOutcome
    public var samplesSeen: Int
}

/// The SGD training driver: sample order, batches, progress, evaluation and divergence; the
/// arithmetic is the kernel's (`TrainingOptions.kernel`).
public enum Training {
    /// Trains `network` on `train` and, after each epoch, evaluates it on `test`.
    ///
    /// ```
    /// for epoch in 1 … E:
    ///     order = 0 ..< N   (or a seeded permutation when shuffling)
    ///     for each batch B of `batchSize` consecutive samples of `order`:
    ///         θ ← θ − η Σ_{n ∈ B} ∇_θ (−log p_{y_n}(x_n; θ))
    /// ```
    ///
    /// - Parameters:
    ///   - network: the starting parameters (e.g. `try MLP(seed: 80085)`).
    ///   - train: the training set; its first `trainLimit` samples are used.
    ///   - test: evaluated after every epoch when given.
    ///   - options: see `TrainingOptions`; `.homework` by default.
    ///   - observer: called with progress about every `reportInterval` samples and after
    ///     each epoch; returning `.stop` ends training early (outcome `.stopped`).
    /// - Returns: the final network, per-epoch summaries, the loss curve and how it ended.
    ///   Divergence is an outcome, not an error.
    /// - Throws: `ConfigurationError` for invalid options or data that does not fit the network.
    public static func train(
        _ network: MLP, on train: ImageDataset, test: ImageDataset? = nil,
        options: TrainingOptions = .homework,
        observer: (TrainingEvent) -> TrainingControl = { _ in .proceed }
    ) throws -> TrainingResult {
        try options.validate()
        guard train.count > 0 else { throw ConfigurationError.emptyTrainingSet }
        try network.checkCompatible(with: train)
        if let test { try network.checkCompatible(with: test) }

        let epochSize = min(options.trainLimit ?? train.count, train.count)
        let chunk = options.batchSize * max(1, options.reportInterval / options.batchSize)
        var kernel = options.kernel.makeKernel(
            network: network, learningRate: options.learningRate, scaling: options.inputScaling)
        var shuffler = SeededGenerator(seed: options.shuffleSeed)
        var order = Array(0 ..< epochSize)
        var result = TrainingResult(network: network, epochs: [], lossCurve: [], outcome: .completed, samplesSeen: 0)

        for epoch in 1 ... options.epochs {
            if options.shuffle { shuffle(&order, using: &shuffler) }
            var epochLoss = 0.0, epochSamples = 0
            var start = 0
            while start < epochSize {
                let end = min(start + chunk, epochSize)
                let report = kernel.train(train, order: order[start ..< end], batchSize: options.batchSize)
                epochLoss += report.lossSum
                epochSamples += report.trained
                result.samplesSeen += report.trained
                if let offset = report.divergedAt {
                    result.network = kernel.network
                    result.outcome = .diverged(
                        epoch: epoch, sampleIndex: order[start + offset], samplesSeen: result.samplesSeen,
                        loss: report.divergedLoss ?? .nan)
                    return result
                }
                let progress = TrainingProgress(
                    epoch: epoch, samplesSeen: result.samplesSeen, samplesInEpoch: epochSamples, epochSize: epochSize,
                    intervalMeanLoss: report.lossSum / Double(max(1, report.trained)),
                    epochMeanLoss: epochLoss / Double(max(1, epochSamples)))
                result.lossCurve.append(LossPoint(samplesSeen: result.samplesSeen, meanLoss: progress.intervalMeanLoss))
                if observer(.progress(progress)) == .stop {
                    result.network = kernel.network
                    result.outcome = .stopped(samplesSeen: result.samplesSeen)
                    return result
                }
                start = end
            }
            let trained = kernel.network
            let summary = EpochSummary(
                epoch: epoch, trainLoss: epochLoss / Double(epochSamples),
                test: try test.map { try trained.evaluate(on: $0, scaling: options.inputScaling) })
            result.epochs.append(summary)
            if observer(.epochFinished(summary)) == .stop, epoch < options.epochs {
                result.network = trained
                result.outcome = .stopped(samplesSeen: result.samplesSeen)
                return result
            }
        }
        result.network = kernel.network
        return result
    }

    /// Fisher–Yates shuffle with an unbiased bounded draw (rejection sampling), written out so
    /// the permutation for a seed is the same with every Swift version.
    static func shuffle(_ values: inout [Int], using generator: inout SeededGenerator) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            let bound = UInt64(i + 1)
            let threshold = (0 &- bound) % bound  // 2^64 mod bound: draws below it are rejected
            var draw = generator.next()
            while draw < threshold { draw = generator.next() }
            values.swapAt(i, Int(draw % bound))
        }
    }
}
