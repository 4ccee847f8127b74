// Options shared by `lab q2-init` … `lab q2-train` and `lab predict`: where the data is
// (--data-dir, --dataset, --mirror), the network (--hidden, --seed, --raw-pixels, --load) and
// training (--lr, --epochs, --batch-size, --shuffle, --train-limit, --save). Each group turns
// into a Codable settings value whose defaults are the command line's, so `lab report` can
// build the same settings without parsing anything.

import ArgumentParser
import Foundation
import LabSupport
import Labs
import MNISTData
import MNISTNet

// The settings these groups build are in Labs (Q2Settings.swift).

extension TrainingKernelKind: ExpressibleByArgument {}

/// `--dataset mnist|fashion`.
extension DatasetKind: ExpressibleByArgument {}

/// `--data-dir`, `--dataset`, `--mirror`.
struct Q2DataOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"),
            help: ArgumentHelp("Folder holding the four IDX files (.gz or plain); default: $MNIST_DIR, then the cache, then a download.",
                               valueName: "folder"))
    var dataDirectory: String?

    @Option(help: "Which dataset: mnist (digits) or fashion (Fashion-MNIST clothing).")
    var dataset = Q2DataSettings().dataset

    @Option(help: ArgumentHelp("Download only from this http(s) base URL instead of the built-in mirrors.",
                               valueName: "url"))
    var mirror: String?

    var settings: Q2DataSettings {
        Q2DataSettings(dataset: dataset, dataDirectory: dataDirectory, mirror: mirror)
    }

    func validate() throws {
        if let dataDirectory {
            guard !dataDirectory.isEmpty, !dataDirectory.contains("\0") else {
                throw ValidationError("--data-dir must name a folder; try --data-dir ~/mnist")
            }
        }
        if let mirror {
            guard let url = URL(string: mirror), let scheme = url.scheme?.lowercased(),
                  scheme == "http" || scheme == "https", url.host?.isEmpty == false else {
                throw ValidationError("--mirror '\(mirror)' is not an http(s) URL; pass a base URL such as https://ossci-datasets.s3.amazonaws.com/mnist/")
            }
        }
    }
}

/// Hidden layer sizes typed as `32,32` (also `32 32` or `64`): whole numbers separated by one
/// comma or by spaces. Anything else (`32,`, `,32`, `32;32`, `32,,32`, `32,x`) is refused with
/// the reason, so a typo never silently becomes a different network.
struct HiddenSizes: ExpressibleByArgument, Sendable, Equatable {
    var sizes: [Int]

    init(sizes: [Int]) { self.sizes = sizes }

    init?(argument: String) {
        guard let sizes = try? Self.parse(argument) else { return nil }
        self.sizes = sizes
    }

    /// The sizes in `text`, or why it is not a list of sizes.
    static func parse(_ text: String) throws -> [Int] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ValidationError("--hidden is empty; pass layer sizes such as --hidden 32,32") }
        // Commas separate; spaces around them (or instead of them) are allowed.
        let fields = trimmed.contains(",")
            ? trimmed.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            : trimmed.split(separator: " ").map(String.init)
        var sizes: [Int] = []
        for field in fields {
            guard !field.isEmpty else {
                throw ValidationError("it has an empty layer (a stray comma); pass sizes separated by single commas, e.g. --hidden 32,32")
            }
            guard field.allSatisfy({ $0.isASCII && $0.isNumber }), let size = Int(field) else {
                throw ValidationError("'\(field)' is not a whole number of units; pass sizes separated by commas, e.g. --hidden 32,32")
            }
            sizes.append(size)
        }
        return sizes
    }

    var defaultValueDescription: String { sizes.map(String.init).joined(separator: ",") }
}

/// `--hidden`, `--seed`, `--raw-pixels`, `--load`.
struct Q2NetworkOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Hidden layer sizes, comma-separated (default 32,32; 1…\(MLP.maximumLayerSize) units each, at most \(Q2Format.count(MLP.maximumParameterCount)) parameters in all).",
                                valueName: "n,n"),
            transform: { HiddenSizes(sizes: try HiddenSizes.parse($0)) })
    var hidden: HiddenSizes?

    @Option(help: "Seed of the weight initialisation N(0, 1/max(n_in, n_out)) (and of --shuffle).")
    var seed = Q2NetworkSettings().seed

    @Flag(name: .customLong("raw-pixels"),
          help: "Feed raw pixels 0…255 (the homework as written) instead of pixel/255.")
    var rawPixels = false

    @Option(help: ArgumentHelp("Start from the weights in this .npz (arrays w1, b1, …) instead of a fresh initialisation.",
                               valueName: "file.npz"))
    var load: String?

    var settings: Q2NetworkSettings {
        Q2NetworkSettings(hidden: hidden?.sizes, seed: seed, rawPixels: rawPixels, load: load)
    }

    func validate() throws {
        if let sizes = hidden?.sizes {
            guard !sizes.isEmpty, sizes.allSatisfy({ $0 >= 1 && $0 <= MLP.maximumLayerSize }) else {
                throw ValidationError("--hidden \(sizes.map(String.init).joined(separator: ",")) is not usable: every hidden layer needs 1…\(MLP.maximumLayerSize) units; try --hidden 32,32")
            }
            guard sizes.count <= 16 else {
                throw ValidationError("--hidden has \(sizes.count) layers; at most 16 are supported, try --hidden 32,32")
            }
            // Refused before any data is read or memory allocated (both datasets: 784 inputs, 10 classes).
            let layerSizes = [MLP.homeworkLayerSizes[0]] + sizes + [MLP.homeworkLayerSizes.last!]
            do {
                try MLP.validate(layerSizes: layerSizes)
            } catch {
                throw ValidationError("--hidden \(sizes.map(String.init).joined(separator: ",")): \(error)")
            }
        }
        if let load { try Q2Check.path(load, "--load", example: "weights.npz") }
    }
}

/// `--lr`, `--epochs`, `--batch-size`, `--shuffle`, `--train-limit`, `--kernel`, `--save`.
struct Q2TrainingOptions: ParsableArguments {
    @Option(name: .customLong("lr"), parsing: .unconditional,
            help: "Learning rate η of θ ← θ − η·∇L (a finite number > 0; the homework's is 0.003).")
    var learningRate = Q2TrainingSettings().learningRate

    @Option(help: "Passes over the training set (1 … 1000).")
    var epochs = Q2TrainingSettings().epochs

    @Option(name: .customLong("batch-size"),
            help: "Samples per SGD step, gradient summed over the batch (1 = the homework's per-sample SGD).")
    var batchSize = Q2TrainingSettings().batchSize

    @Flag(help: "Visit the training samples in a new seeded random order each epoch (the homework does not).")
    var shuffle = false

    @Option(name: .customLong("train-limit"),
            help: ArgumentHelp("Train on the first N training images only (default: all).", valueName: "N"))
    var trainLimit: Int?

    @Option(help: "Training code: fast (Float32, SIMD, sparse first layer; AVX2+FMA when the processor has it), fast-baseline (the same without AVX2) or reference (plain Double loops, same algorithm).")
    var kernel = Q2TrainingSettings().kernel

    @Option(help: ArgumentHelp("Write the trained weights to this .npz (an interrupted run writes <name>.partial.npz).",
                               valueName: "file.npz"))
    var save: String?

    var settings: Q2TrainingSettings {
        Q2TrainingSettings(learningRate: learningRate, epochs: epochs, batchSize: batchSize, shuffle: shuffle,
                           trainLimit: trainLimit, kernel: kernel)
    }

    func validate() throws {
        try ArgumentCheck.positive(learningRate, "--lr", example: "0.003")
        guard (1 ... 1000).contains(epochs) else {
            throw ValidationError("--epochs must be between 1 and 1000, got \(epochs); try --epochs 3")
        }
        guard (1 ... 60000).contains(batchSize) else {
            throw ValidationError("--batch-size must be between 1 and 60000, got \(batchSize); try --batch-size 1 (or 32)")
        }
        if let trainLimit, trainLimit < 1 {
            throw ValidationError("--train-limit must be at least 1, got \(trainLimit); try --train-limit 5000 or leave it out")
        }
        if let save { try Q2Check.path(save, "--save", example: "weights.npz") }
    }
}

/// Validation helpers for Question 2's options.
enum Q2Check {
    static func path(_ path: String, _ name: String, example: String) throws {
        guard !path.isEmpty, !path.contains("\0") else {
            throw ValidationError("\(name) needs a file name; try \(name) \(example)")
        }
    }
}
