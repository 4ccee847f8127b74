// What Question 2's labs compute from: where the data comes from, the network, and how to
// train. Each is Codable, and its defaults are the command line's (the option groups in `lab`
// take their defaults from here).

import Foundation
import LabSupport
import MNISTData
import MNISTNet

/// Where Question 2's data comes from.
package struct Q2DataSettings: Codable, Sendable, Hashable {
    /// MNIST digits or Fashion-MNIST clothing.
    package var dataset = DatasetKind.mnist
    /// `--data-dir`: a folder that must hold the four IDX files.
    package var dataDirectory: String?
    /// `--mirror`: the only mirror to download from.
    package var mirror: String?

    package init(dataset: DatasetKind = .mnist, dataDirectory: String? = nil, mirror: String? = nil) {
        self.dataset = dataset
        self.dataDirectory = dataDirectory
        self.mirror = mirror
    }
}

/// The network: its shape and initial seed, how pixels become inputs, and optional weights.
package struct Q2NetworkSettings: Codable, Sendable, Hashable {
    /// Hidden layer sizes, e.g. [32, 32]; `nil` means [32, 32], or the sizes in `load`.
    package var hidden: [Int]?
    /// Seed of the N(0, 1/max(n_in, n_out)) initialisation.
    package var seed: UInt64 = MLP.defaultSeed
    /// Feed raw 0…255 pixels (the homework as written) instead of pixel/255.
    package var rawPixels = false
    /// `--load`: start from these weights instead of the seeded initialisation.
    package var load: String?

    package var scaling: InputScaling { rawPixels ? .raw : .unit }

    /// The hidden sizes a fresh network gets.
    package var hiddenSizes: [Int] { hidden ?? Array(MLP.homeworkLayerSizes.dropFirst().dropLast()) }

    package init(hidden: [Int]? = nil, seed: UInt64 = MLP.defaultSeed, rawPixels: Bool = false, load: String? = nil) {
        self.hidden = hidden
        self.seed = seed
        self.rawPixels = rawPixels
        self.load = load
    }
}

/// How to train; the defaults are the homework's.
package struct Q2TrainingSettings: Codable, Sendable, Hashable {
    package var learningRate = 0.003
    package var epochs = 3
    package var batchSize = 1
    package var shuffle = false
    package var trainLimit: Int?
    package var kernel = TrainingKernelKind.fast

    /// The library's options for these settings, with `scaling` and the shuffle seed.
    package func options(scaling: InputScaling, seed: UInt64) -> TrainingOptions {
        TrainingOptions(learningRate: learningRate, epochs: epochs, batchSize: batchSize, shuffle: shuffle,
                        shuffleSeed: seed, inputScaling: scaling, trainLimit: trainLimit, kernel: kernel)
    }

    package init(learningRate: Double = 0.003, epochs: Int = 3, batchSize: Int = 1, shuffle: Bool = false, trainLimit: Int? = nil, kernel: TrainingKernelKind = TrainingKernelKind.fast) {
        self.learningRate = learningRate
        self.epochs = epochs
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.trainLimit = trainLimit
        self.kernel = kernel
    }
}

// MARK: - Command-line groups
