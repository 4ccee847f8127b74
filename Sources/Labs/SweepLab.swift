// `lab q2-sweep` as a computation (issue 12): the homework's per-sample SGD over a log grid of
// learning rates × several seeds, runs spread over threads, each run classified from its own
// numbers; beside it the measured curvature at the start, so the breakdown η can be set against
// 2/λmax of the mean loss and of the per-sample losses.

import Curvature
import Dispatch
import Foundation
import LabSupport
import MNISTData
import MNISTNet

/// The learning-rate sweep: settings → `compute` → a Codable result. Prints nothing.
public enum SweepLab {
    public struct Settings: Codable, Sendable, Hashable {
        /// The learning rates, ascending (default: 10⁻⁴ … 10, two per decade: 1, 3, 10, 30, …).
        public var learningRates: [Double] = SweepLab.logGrid(from: 1e-4, to: 10)
        /// Initialisation seeds; every rate runs once per seed.
        public var seeds: [UInt64] = [MLP.defaultSeed, 1, 2]
        public var epochs = 1
        /// Train on the first N images (nil: all).
        public var trainLimit: Int?
        public var rawPixels = false
        /// Runs at once.
        public var jobs = 1
        /// Images of the mean loss whose λmax is measured at the start (first seed), and images
        /// whose per-sample λmax is measured.
        public var curvatureSamples = 2_000
        public var perSampleCount = 50

        public init() {}

        public var scaling: InputScaling { rawPixels ? .raw : .unit }
    }

    /// 1, 3, 10, 30, … between `low` and `high` (inclusive, with a little slack for rounding).
    public static func logGrid(from low: Double, to high: Double) -> [Double] {
        var rates: [Double] = []
        var decade = pow(10, floor(log10(low)))
        while decade <= high * 1.0001 {
            for m in [1.0, 3.0] {
                let rate = (m * decade * 1e12).rounded() / 1e12
                if rate >= low * 0.9999 && rate <= high * 1.0001 { rates.append(rate) }
            }
            decade *= 10
        }
        return rates
    }

    /// How a run ended, judged from its own numbers.
    public enum Verdict: String, Codable, Sendable {
        /// A loss became NaN or ±∞: training stopped there.
        case nonFinite = "non-finite"
        /// The test loss ended above where it started.
        case diverges
        /// The test loss fell by less than half, or the accuracy is at most twice chance.
        case stalls
        /// Otherwise: the loss fell by more than half and the accuracy is well above chance.
        case converges

        static func judge(startLoss: Double, endLoss: Double, accuracy: Double, classes: Int, finite: Bool) -> Verdict {
            guard finite, endLoss.isFinite else { return .nonFinite }
            if endLoss > startLoss { return .diverges }
            if endLoss > 0.5 * startLoss || accuracy <= 2 / Double(classes) { return .stalls }
            return .converges
        }
    }

    public struct Run: Codable, Sendable {
        public var learningRate: Double
        public var seed: UInt64
        public var verdict: Verdict
        public var testLossBefore: Double
        public var testLoss: Double
        public var testAccuracy: Double
        /// The last tenth of the training's per-interval mean losses, averaged.
        public var finalTrainLoss: Double
        /// First-layer saturation at the end (outputs outside (0.01, 0.99)).
        public var saturation: Double
        /// The accuracy is within 2 points of chance (1/classes).
        public var atChance: Bool
        /// Wall seconds of the run (nil where a deterministic record is wanted, as in the report).
        public var seconds: Double?
        /// Where training stopped on a non-finite loss, if it did.
        public var note: String?
    }

    /// One learning rate over all seeds.
    public struct RateSummary: Codable, Sendable {
        public var learningRate: Double
        public var meanAccuracy: Double
        public var minAccuracy: Double
        public var maxAccuracy: Double
        public var meanTestLoss: Double
        /// Verdict counts by name.
        public var verdicts: [String: Int]
    }

    public struct Result: Codable, Sendable {
        public var settings: Settings
        public var runs: [Run]
        /// The same result without its timings (every `seconds` nil): the same bytes on every run.
        public var withoutTimings: Result {
            var copy = self
            copy.seconds = nil
            for i in copy.runs.indices { copy.runs[i].seconds = nil }
            return copy
        }
        public var rates: [RateSummary]
        /// λmax of the mean loss over `curvatureSamples` images at the first seed's start.
        public var meanLambdaMax: Double
        /// Per-sample λmax at the start: median and maximum over the first `perSampleCount` images.
        public var perSampleMedian: Double
        public var perSampleMaximum: Double
        /// The largest rate at which every seed converged, and the smallest above it at which some
        /// seed did not (nil when there is none).
        public var lastConverging: Double?
        public var firstFailing: Double?
        /// Wall seconds of the runs (all jobs); nil where a deterministic record is wanted.
        public var seconds: Double?
    }

    /// Runs the sweep.
    ///
    /// - Parameters:
    ///   - settings: the learning rates, seeds, epochs and curvature samples.
    ///   - layerSizes: unit counts of every run's network, from input to output (default: the
    ///     homework's 784-32-32-10).
    ///   - train: the training images (the curvature at the start is measured on the first ones).
    ///   - test: the images each run is evaluated on, before and after training.
    ///   - progress: told after each finished run (done, total); returns false to stop: runs
    ///     not yet started are skipped, running ones stop at their next report, and
    ///     `CancellationError` is thrown.
    /// - Returns: every run, the summary per rate, the curvature at the start and the breakdown.
    /// - Throws: `ConfigurationError`, `CurvatureError`, `CancellationError`.
    public static func compute(_ settings: Settings, layerSizes: [Int] = MLP.homeworkLayerSizes,
                               train: ImageDataset, test: ImageDataset,
                               progress: @escaping @Sendable (Int, Int) -> Bool = { _, _ in true }) throws -> Result {
        precondition(!settings.learningRates.isEmpty && !settings.seeds.isEmpty && settings.jobs >= 1)
        let scaling = settings.scaling
        // Curvature at the first seed's start.
        let start = try MLP(layerSizes: layerSizes, seed: settings.seeds[0])
        try start.checkCompatible(with: train)
        let θ = NetworkLoss.parameters(of: start)
        let loss = NetworkLoss(network: start, data: train, samples: Array(0 ..< min(settings.curvatureSamples, train.count)),
                               scaling: scaling, threads: settings.jobs)
        var g = SeededGenerator(seed: settings.seeds[0])
        let meanLambda = try Lanczos.topEigenvalues(of: loss.hessian(at: θ), count: 1,
                                                    options: LanczosOptions(tolerance: 1e-4), generator: &g).eigenvalues[0]
        let perSample = try CurvatureLab.perSampleLambdas(loss, at: θ, count: settings.perSampleCount,
                                                          learningRate: settings.learningRates[0], tolerance: 1e-4)

        let jobs = settings.learningRates.flatMap { rate in settings.seeds.map { (rate, $0) } }
        let results = Slots<Run>(count: jobs.count)
        let started = Date()
        let width = min(settings.jobs, jobs.count)
        DispatchQueue.concurrentPerform(iterations: width) { _ in
            while let index = results.claim() {
                if results.cancelled { continue }
                let (rate, seed) = jobs[index]
                let run = Self.run(rate: rate, seed: seed, settings: settings, layerSizes: layerSizes,
                                   train: train, test: test, cancelled: { results.cancelled })
                results.store(run, at: index)
                if !progress(results.finished, jobs.count) { results.cancel() }
            }
        }
        if results.cancelled { throw CancellationError() }
        let runs = try results.values().map { try $0.get() }
        var rates: [RateSummary] = []
        for rate in settings.learningRates {
            let these = runs.filter { $0.learningRate == rate }
            let accuracies = these.map(\.testAccuracy)
            var verdicts: [String: Int] = [:]
            for r in these { verdicts[r.verdict.rawValue, default: 0] += 1 }
            rates.append(RateSummary(
                learningRate: rate, meanAccuracy: accuracies.reduce(0, +) / Double(accuracies.count),
                minAccuracy: accuracies.min() ?? .nan, maxAccuracy: accuracies.max() ?? .nan,
                meanTestLoss: these.map(\.testLoss).reduce(0, +) / Double(these.count), verdicts: verdicts))
        }
        var lastConverging: Double?, firstFailing: Double?
        for summary in rates {
            if summary.verdicts["converges", default: 0] == settings.seeds.count {
                if firstFailing == nil { lastConverging = summary.learningRate }
            } else if lastConverging != nil, firstFailing == nil {
                firstFailing = summary.learningRate
            }
        }
        return Result(settings: settings, runs: runs, rates: rates, meanLambdaMax: meanLambda,
                      perSampleMedian: perSample.median, perSampleMaximum: perSample.maximum,
                      lastConverging: lastConverging, firstFailing: firstFailing,
                      seconds: Date().timeIntervalSince(started))
    }

    /// One run: fresh seeded network, `epochs` of per-sample SGD, test evaluation before and after.
    static func run(rate: Double, seed: UInt64, settings: Settings, layerSizes: [Int], train: ImageDataset,
                    test: ImageDataset, cancelled: @escaping () -> Bool) -> Swift.Result<Run, Error> {
        Swift.Result {
            let started = Date()
            let network = try MLP(layerSizes: layerSizes, seed: seed)
            let scaling = settings.scaling
            let before = try network.evaluate(on: test, scaling: scaling)
            let options = TrainingOptions(learningRate: rate, epochs: settings.epochs, inputScaling: scaling,
                                          trainLimit: settings.trainLimit, reportInterval: 1000)
            let trained = try Training.train(network, on: train, options: options) { _ in
                cancelled() ? .stop : .proceed
            }
            let after = try trained.network.evaluate(on: test, scaling: scaling)
            var note: String?
            var finite = true
            if case let .diverged(epoch, index, seen, loss) = trained.outcome {
                finite = false
                note = "loss \(loss) at training sample \(index) in epoch \(epoch), after \(seen) samples"
            }
            let tail = trained.lossCurve.suffix(max(1, trained.lossCurve.count / 10)).map(\.meanLoss)
            let classes = after.classCount
            return Run(
                learningRate: rate, seed: seed,
                verdict: Verdict.judge(startLoss: before.averageLoss, endLoss: after.averageLoss, accuracy: after.accuracy,
                                       classes: classes, finite: finite),
                testLossBefore: before.averageLoss, testLoss: after.averageLoss, testAccuracy: after.accuracy,
                finalTrainLoss: tail.isEmpty ? .nan : tail.reduce(0, +) / Double(tail.count),
                saturation: after.saturation.fraction,
                atChance: abs(after.accuracy - 1 / Double(classes)) <= 0.02,
                seconds: Date().timeIntervalSince(started), note: note)
        }
    }
}

/// Results of concurrent jobs by index, the next job to take, and a stop flag.
private final class Slots<T>: @unchecked Sendable {  // every access holds `lock`
    private let lock = NSLock()
    private var slots: [Result<T, Error>?]
    private var next = 0
    private var done = 0
    private var stop = false

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func claim() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < slots.count else { return nil }
        next += 1
        return next - 1
    }

    func store(_ value: Result<T, Error>, at index: Int) {
        lock.lock(); defer { lock.unlock() }
        slots[index] = value
        done += 1
    }

    var finished: Int { lock.lock(); defer { lock.unlock() }; return done }
    var cancelled: Bool { lock.lock(); defer { lock.unlock() }; return stop }
    func cancel() { lock.lock(); stop = true; lock.unlock() }
    func values() -> [Result<T, Error>] { lock.lock(); defer { lock.unlock() }; return slots.map { $0! } }
}
