// Training kernels (Question 2, fast-training issue): the inner loop of SGD behind one small
// protocol, so a faster implementation can replace the straightforward one without touching
// the training driver. `ReferenceKernel` is that straightforward one, kept as the yardstick.

import MNISTData

/// Which implementation runs the SGD inner loop.
public enum TrainingKernelKind: String, Sendable, CaseIterable, Codable {
    /// `FastKernel`: Float32, SIMD8 rows, a first layer that touches only non-zero pixels, with
    /// the best instructions this processor has (AVX2 + FMA on most x86-64 machines). Agrees
    /// with `.reference` to Float rounding (see `FastKernelTests`); about 40× faster.
    case fast
    /// `FastKernel` restricted to the baseline instructions (SSE2 on x86-64, NEON on arm64), the
    /// copy that runs where AVX2 is missing: to compare, or to get those bits on any machine.
    case fastBaseline = "fast-baseline"
    /// `ReferenceKernel`: Double precision, dense loops, written to be read.
    case reference

    /// A kernel of this kind, starting from `network`; the reference kernel for networks with
    /// more inputs than the fast one takes (`FastKernel.maximumInputCount`).
    public func makeKernel(network: MLP, learningRate: Double, scaling: InputScaling) -> any TrainingKernel {
        // Images over 65,536 pixels (256 × 256): the fast kernel's 16-bit pixel indices do not
        // reach, and the reference kernel takes them whatever kind was asked for.
        let kind = network.inputCount > FastKernel.maximumInputCount ? .reference : self
        switch kind {
        case .reference:
            return ReferenceKernel(network: network, learningRate: learningRate, scaling: scaling)
        case .fast: return FastKernel(network: network, learningRate: learningRate, scaling: scaling)
        case .fastBaseline:
            return FastKernel(network: network, learningRate: learningRate, scaling: scaling, instructionSet: .baseline)
        }
    }
}

/// What a kernel did with a run of samples.
public struct KernelReport: Sendable, Equatable {
    /// Σ −log p_y over the samples of the batches that were applied.
    public var lossSum: Double = 0
    /// Samples in the batches that were applied.
    public var trained: Int = 0
    /// Position in the given order (0-based, relative to its start) of the first sample whose
    /// loss was not finite; its batch was not applied and the run stopped there.
    public var divergedAt: Int?
    /// That sample's loss (±∞ or NaN).
    public var divergedLoss: Double?

    public init() {}

    init(lossSum: Double, trained: Int, divergedAt: Int?, divergedLoss: Double?) {
        self.lossSum = lossSum
        self.trained = trained
        self.divergedAt = divergedAt
        self.divergedLoss = divergedLoss
    }
}

/// The SGD inner loop: forward, backward and update over a run of samples.
///
/// A kernel owns the parameters while training (it may keep them in any layout or precision)
/// and hands them back as an `MLP`. Its contract, which the tests check against
/// `ReferenceKernel`:
/// ```
/// for each batch B of consecutive entries of `order` (the last one may be shorter):
///     L_B = Σ_{n ∈ B} −log p_{y_n}(x_n; θ)             (summed, not averaged)
///     if some term is not finite: report it and stop, θ unchanged by B
///     θ ← θ − η ∇_θ L_B
/// ```
/// With a batch size of 1 this is the homework's per-sample SGD.
public protocol TrainingKernel {
    /// Trains the samples `order` of `data` in batches of `batchSize`, in the given order.
    mutating func train(_ data: ImageDataset, order: ArraySlice<Int>, batchSize: Int) -> KernelReport
    /// The current parameters.
    var network: MLP { get }
}

/// The straightforward kernel: `MLP.forward`, `MLP.backward` and `MLP.step` in Double, no
/// allocation inside a step (the workspace and gradient buffers are made once).
public struct ReferenceKernel: TrainingKernel {
    public private(set) var network: MLP
    private let learningRate: Double
    private var workspace: Workspace
    private var gradients: Gradients

    public init(network: MLP, learningRate: Double, scaling: InputScaling) {
        self.network = network
        self.learningRate = learningRate
        workspace = Workspace(layerSizes: network.layerSizes, scaling: scaling)
        gradients = Gradients(zerosLike: network)
    }

    public mutating func train(_ data: ImageDataset, order: ArraySlice<Int>, batchSize: Int) -> KernelReport {
        precondition(batchSize >= 1, "batch size must be positive")
        var report = KernelReport()
        var start = order.startIndex
        while start < order.endIndex {
            let end = min(start + batchSize, order.endIndex)
            gradients.setZero()
            var batchLoss = 0.0
            for position in start ..< end {
                let n = order[position]
                let label = Int(data.labels[n])
                workspace.loadInput(data, index: n)
                network.forward(&workspace)
                let loss = -workspace.logProbabilities[label]
                guard loss.isFinite else {
                    report.divergedAt = position - order.startIndex
                    report.divergedLoss = loss
                    return report
                }
                batchLoss += loss
                network.backward(&workspace, label: label, into: &gradients)
            }
            network.step(along: gradients, learningRate: learningRate)
            report.lossSum += batchLoss
            report.trained += end - start
            start = end
        }
        return report
    }
}
