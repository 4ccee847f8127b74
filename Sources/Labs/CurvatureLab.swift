// `lab q2-curvature` as a computation (issue 12, Question 1 meets Question 2): the Hessian
// spectrum of the network's loss — λmax, the top-k, the trace, the density — at the start and
// after each epoch of the homework's training, beside η·λmax and Question 1's bound 2; and the
// raw-versus-scaled comparison with its two ablations, so the cause is measured, not asserted.

import Curvature
import Foundation
import LabSupport
import MNISTData
import MNISTNet

/// The curvature lab: settings → `compute` → a Codable result. Prints nothing.
public enum CurvatureLab {
    /// What to measure. The defaults keep a run to some seconds on two cores.
    public struct Settings: Codable, Sendable, Hashable {
        /// Training images in the mean loss whose Hessian is measured (the first N).
        public var samples = 10_000
        /// Eigenvalues wanted from Lanczos.
        public var top = 3
        /// Lanczos residual tolerance, relative to λmax.
        public var tolerance = 1e-4
        /// Rademacher probes of Hutchinson's trace (0: no trace).
        public var traceProbes = 10
        /// Probes and Lanczos steps of the density (0 probes: no density).
        public var densityProbes = 2
        public var densitySteps = 40
        /// Images whose own (per-sample) λmax is measured: the first P.
        public var perSampleCount = 50
        /// Epochs of the homework's training after the start (0: only the start).
        public var epochs = 1
        /// η of that training.
        public var learningRate = 0.003
        /// Raw pixels 0…255 instead of pixel/255.
        public var rawPixels = false
        /// Seed of the initialisation (and of the random probes).
        public var seed = MLP.defaultSeed
        /// Measure the raw/scaled comparison with the two ablations (four one-epoch trainings).
        public var compare = true
        /// Threads for the Hessian-vector products.
        public var threads = 1
        /// Train (the epochs and the comparison's one epoch) on the first N images only (nil: all).
        public var trainLimit: Int?

        public init() {}

        public var scaling: InputScaling { rawPixels ? .raw : .unit }
    }

    /// Per-sample curvature: λmax of each of the first P images' own loss −log p_y(x_n).
    public struct PerSample: Codable, Sendable {
        public var lambdas: [Double]
        public var median: Double
        public var maximum: Double
        /// Fraction of the images with η·λ > 2 (a step Question 1(c) calls unstable).
        public var fractionUnstable: Double

        init(_ lambdas: [Double], learningRate: Double) {
            self.lambdas = lambdas
            let sorted = lambdas.sorted()
            median = sorted.isEmpty ? .nan : sorted[sorted.count / 2]
            maximum = sorted.last ?? .nan
            fractionUnstable = lambdas.isEmpty ? 0 : Double(lambdas.filter { learningRate * $0 > 2 }.count) / Double(lambdas.count)
        }
    }

    /// The curvature of one network.
    public struct Snapshot: Codable, Sendable {
        /// 0 = the start.
        public var epoch: Int
        public var meanLoss: Double
        /// Test accuracy (nil before training when not evaluated).
        public var testAccuracy: Double?
        /// The top-k of the mean loss's Hessian, largest first, with their residuals.
        public var top: [Double]
        public var residuals: [Double]
        public var lambdaMax: Double { top.first ?? .nan }
        public var products: Int
        public var trace: TraceEstimate?
        public var density: SpectralDensity?
        public var perSample: PerSample?
        /// Seconds for this snapshot's measurements (nil where a deterministic record is wanted).
        public var seconds: Double?
    }

    /// One row of the raw/scaled comparison.
    public struct Variant: Codable, Sendable {
        public var name: String
        public var rawPixels: Bool
        /// The factor W¹ is multiplied by at the start (1, 1/255 or 255).
        public var firstLayerFactor: Double
        public var lambdaMax: Double
        public var perSampleMedian: Double
        public var perSampleMaximum: Double
        public var fractionUnstable: Double
        /// First-layer saturation at the start (outputs outside (0.01, 0.99)).
        public var saturationAtStart: Double
        public var accuracyAfterOneEpoch: Double
    }

    public struct Result: Codable, Sendable {
        /// The same result without its timings (every `seconds` nil): the same bytes on every run.
        public var withoutTimings: Result {
            var copy = self
            for i in copy.snapshots.indices { copy.snapshots[i].seconds = nil }
            return copy
        }
        public var settings: Settings
        public var layerSizes: [Int]
        public var parameterCount: Int
        public var snapshots: [Snapshot]
        public var comparison: [Variant]
        /// The training's outcome ("completed" or "diverged at …").
        public var training: String
    }

    /// What the lab is doing, for a progress line.
    public enum Step: Sendable {
        case measuring(epoch: Int)
        case training(epoch: Int)
        case comparing(variant: String)
    }

    /// Runs the lab on `train` (and `test` for accuracies) from `network`.
    ///
    /// - Parameters:
    ///   - settings: what to measure and how long to train.
    ///   - network: the starting network (measured as it is, then trained).
    ///   - train: the training images: the first `settings.samples` form the mean loss, and
    ///     the epochs train on them all (or on the first `settings.trainLimit`).
    ///   - test: the images the accuracies are measured on.
    ///   - progress: told before every step; returns false to stop (Ctrl-C), which throws
    ///     `CancellationError`.
    /// - Returns: one snapshot per measurement point, the raw/scaled comparison (when asked
    ///   for) and the training's outcome.
    /// - Throws: `CurvatureError` when a product is not finite (a diverged network), a
    ///   `ConfigurationError` for data that does not fit, `CancellationError` when stopped.
    public static func compute(_ settings: Settings, network: MLP, train: ImageDataset, test: ImageDataset,
                               progress: (Step) -> Bool = { _ in true }) throws -> Result {
        precondition(settings.samples >= 1 && settings.top >= 1 && settings.perSampleCount >= 0)
        try network.checkCompatible(with: train)
        let n = min(settings.samples, train.count)
        let scaling = settings.scaling
        var generator = SeededGenerator(seed: settings.seed)
        var snapshots: [Snapshot] = []
        var current = network
        var outcome = "completed"
        for epoch in 0 ... settings.epochs {
            if epoch > 0 {
                guard progress(.training(epoch: epoch)) else { throw CancellationError() }
                let trained = try Training.train(current, on: train, options: TrainingOptions(
                    learningRate: settings.learningRate, epochs: 1, inputScaling: scaling, trainLimit: settings.trainLimit))
                current = trained.network
                if case let .diverged(_, index, _, loss) = trained.outcome {
                    outcome = "diverged in epoch \(epoch) at training sample \(index) (loss \(loss))"
                    break
                }
            }
            guard progress(.measuring(epoch: epoch)) else { throw CancellationError() }
            var snapshot = try measure(current, settings: settings, train: train, samples: n, generator: &generator)
            snapshot.epoch = epoch
            snapshot.testAccuracy = try current.evaluate(on: test, scaling: scaling).accuracy
            snapshots.append(snapshot)
        }
        var comparison: [Variant] = []
        if settings.compare {
            let θ = NetworkLoss.parameters(of: network)
            let firstCount = network.layerSizes[0] * network.layerSizes[1]
            for (name, raw, factor) in [("scaled pixels", false, 1.0), ("raw pixels", true, 1.0),
                                        ("raw pixels, W¹/255", true, 1 / 255.0), ("scaled pixels, W¹×255", false, 255.0)] {
                guard progress(.comparing(variant: name)) else { throw CancellationError() }
                var φ = θ
                for k in 0 ..< firstCount { φ[k] *= factor }
                let variantNetwork = NetworkLoss.network(layerSizes: network.layerSizes, parameters: φ)
                let variantScaling: InputScaling = raw ? .raw : .unit
                let loss = NetworkLoss(network: variantNetwork, data: train, samples: Array(0 ..< n),
                                       scaling: variantScaling, threads: settings.threads)
                var g = SeededGenerator(seed: settings.seed)
                let top = try Lanczos.topEigenvalues(of: loss.hessian(at: φ), count: 1,
                                                     options: LanczosOptions(tolerance: settings.tolerance), generator: &g)
                let perSample = try perSampleLambdas(loss, at: φ, count: settings.perSampleCount,
                                                     learningRate: settings.learningRate, tolerance: settings.tolerance)
                let saturation = try variantNetwork.saturation(on: train.prefix(n), scaling: variantScaling).fraction
                let trained = try Training.train(variantNetwork, on: train, options: TrainingOptions(
                    learningRate: settings.learningRate, epochs: 1, inputScaling: variantScaling,
                    trainLimit: settings.trainLimit))
                let accuracy = try trained.network.evaluate(on: test, scaling: variantScaling).accuracy
                comparison.append(Variant(
                    name: name, rawPixels: raw, firstLayerFactor: factor, lambdaMax: top.eigenvalues[0],
                    perSampleMedian: perSample.median, perSampleMaximum: perSample.maximum,
                    fractionUnstable: perSample.fractionUnstable, saturationAtStart: saturation,
                    accuracyAfterOneEpoch: trained.outcome == .completed ? accuracy : .nan))
            }
        }
        return Result(settings: settings, layerSizes: network.layerSizes, parameterCount: network.parameterCount,
                      snapshots: snapshots, comparison: comparison, training: outcome)
    }

    /// The spectrum of one network's mean loss over the first `samples` images.
    static func measure(_ network: MLP, settings: Settings, train: ImageDataset, samples: Int,
                        generator: inout SeededGenerator) throws -> Snapshot {
        let started = Date()
        let loss = NetworkLoss(network: network, data: train, samples: Array(0 ..< samples), scaling: settings.scaling,
                               threads: settings.threads)
        let θ = NetworkLoss.parameters(of: network)
        let hessian = loss.hessian(at: θ)
        let top = try Lanczos.topEigenvalues(of: hessian, count: settings.top,
                                             options: LanczosOptions(tolerance: settings.tolerance), generator: &generator)
        let trace = settings.traceProbes >= 2
            ? try Hutchinson.trace(of: hessian, samples: settings.traceProbes, generator: &generator) : nil
        let density = settings.densityProbes >= 1
            ? try SpectralDensity.estimate(of: hessian, probes: settings.densityProbes, steps: settings.densitySteps,
                                           generator: &generator) : nil
        let perSample = settings.perSampleCount > 0
            ? try perSampleLambdas(loss, at: θ, count: settings.perSampleCount, learningRate: settings.learningRate,
                                   tolerance: settings.tolerance) : nil
        return Snapshot(epoch: 0, meanLoss: loss.loss(at: θ), testAccuracy: nil, top: top.eigenvalues,
                        residuals: top.residuals, products: top.products, trace: trace, density: density,
                        perSample: perSample, seconds: Date().timeIntervalSince(started))
    }

    /// λmax of each of the first `count` samples' own loss (Lanczos, one sample each).
    static func perSampleLambdas(_ loss: NetworkLoss, at θ: [Double], count: Int, learningRate: Double,
                                 tolerance: Double) throws -> PerSample {
        var lambdas: [Double] = []
        for index in loss.samples.prefix(count) {
            var g = SeededGenerator(seed: UInt64(index) &+ 1)
            let one = loss.restricted(to: [index], threads: 1)
            let top = try Lanczos.topEigenvalues(of: one.hessian(at: θ), count: 1,
                                                 options: LanczosOptions(tolerance: tolerance), generator: &g)
            lambdas.append(top.eigenvalues[0])
        }
        return PerSample(lambdas, learningRate: learningRate)
    }
}
