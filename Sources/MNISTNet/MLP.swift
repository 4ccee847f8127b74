// The homework's multilayer perceptron (Question 2): dense layers 784 → 32 → 32 → 10 by
// default, sigmoid after every hidden layer, softmax at the output. Weights are stored like
// numpy's `x @ W`: shape (n_in, n_out), row-major, so w[i * n_out + j] joins input i to unit j.

import LabSupport
import MNISTData

/// Network or training settings that cannot work, with what to pass instead.
public enum ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    case noHiddenLayer
    case layerSize(index: Int, value: Int)
    case learningRate(Double)
    case epochs(Int)
    case batchSize(Int)
    case trainLimit(Int)
    case reportInterval(Int)
    case emptyTrainingSet
    /// The data does not fit the network (image size or class count).
    case incompatible(String)
    /// The layer sizes make more parameters than `MLP.maximumParameterCount`.
    case tooManyParameters(layerSizes: [Int], count: Int)

    public var description: String {
        switch self {
        case .noHiddenLayer:
            return "the network needs at least one hidden layer; pass hidden sizes such as 32,32"
        case let .layerSize(index, value):
            return "layer size \(value) at position \(index) is not usable; every layer needs 1…\(MLP.maximumLayerSize) units (e.g. --hidden 32,32)"
        case .learningRate(let value):
            return "learning rate \(value) must be a finite number > 0; the homework uses 0.003"
        case .epochs(let value):
            return "epochs \(value) must be at least 1 (the homework trains 3)"
        case .batchSize(let value):
            return "batch size \(value) must be at least 1 (1 is the homework's per-sample SGD)"
        case .trainLimit(let value):
            return "train limit \(value) must be at least 1 (or leave it out to use every training sample)"
        case .reportInterval(let value):
            return "report interval \(value) must be at least 1 sample"
        case .emptyTrainingSet:
            return "the training set is empty; pass a dataset with at least one image"
        case .incompatible(let detail):
            return detail
        case let .tooManyParameters(sizes, count):
            let gigabytes = Double(count) * Double(MLP.trainingBytesPerParameter) / 1e9
            return "a \(sizes.map(String.init).joined(separator: "-")) network has \(grouped(count)) parameters and would need about "
                + String(format: "%.1f GB", gigabytes) + " to train; gdlab builds networks of at most "
                + "\(grouped(MLP.maximumParameterCount)) parameters (a 64 MB weights file); use smaller hidden layers such as 32,32"
        }
    }
}

/// `n` with thousands separators: 8,000,000.
private func grouped(_ n: Int) -> String {
    let digits = Array(String(n))
    return String(digits.enumerated().flatMap { k, c in k > 0 && (digits.count - k) % 3 == 0 ? [",", c] : [c] })
}

/// One dense layer: `z = a · W + b` for an input row vector `a`.
public struct DenseLayer: Sendable, Equatable {
    /// Number of inputs n_in.
    public let inputCount: Int
    /// Number of units n_out.
    public let outputCount: Int
    /// (n_in, n_out) row-major: `weights[i * outputCount + j]` is the weight from input i to unit j.
    public var weights: [Double]
    /// (n_out,): one bias per unit.
    public var biases: [Double]

    /// A layer with the given parameters; the sizes must agree.
    public init(inputCount: Int, outputCount: Int, weights: [Double], biases: [Double]) {
        precondition(inputCount > 0 && outputCount > 0, "layer sizes must be positive")
        precondition(weights.count == inputCount * outputCount, "weights must hold inputCount × outputCount values")
        precondition(biases.count == outputCount, "biases must hold outputCount values")
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.weights = weights
        self.biases = biases
    }
}

/// A multilayer perceptron: sigmoid hidden layers, a softmax output, summed cross-entropy loss.
///
/// ```
/// a⁰ = x
/// aˡ = σ(aˡ⁻¹ Wˡ + bˡ)          l = 1 … L−1     (hidden layers, σ(z) = 1 / (1 + e^−z))
/// p  = softmax(aᴸ⁻¹ Wᴸ + bᴸ)                     (output probabilities)
/// loss(x, y) = −log p_y                          (cross-entropy with the one-hot label y)
/// ```
///
/// The parameters are plain `Double` arrays; the layout is documented on `DenseLayer`.
public struct MLP: Sendable, Equatable {
    /// The homework's sizes: 784 inputs, two hidden layers of 32, 10 classes.
    public static let homeworkLayerSizes = [784, 32, 32, 10]
    /// The homework's seed.
    public static let defaultSeed: UInt64 = 80085
    /// The largest layer accepted (keeps every weight matrix well below a gigabyte).
    public static let maximumLayerSize = 16384
    /// The most weights and biases a network may have: 8,000,000 float64 values fit, with their
    /// .npy headers, in the 64 MB an .npz may hold (`NPZ.maximumUncompressedBytes`), so every
    /// network gdlab builds can be saved and loaded again. (784 → 2048 → 2048 → 10 is 5.8 M.)
    public static let maximumParameterCount = 8_000_000
    /// Memory per parameter while training, for the message that refuses a network: the
    /// float64 weights, the float32 copy the fast kernel trains and its gradients, and the
    /// evaluation buffers: 8 + 4 + 4 bytes, rounded up to 24 for the Double gradients of the
    /// reference kernel (an estimate for the message, not a measurement).
    static let trainingBytesPerParameter = 24

    /// Weights and biases of a network with these unit counts (input first).
    public static func parameterCount(layerSizes: [Int]) -> Int {
        zip(layerSizes, layerSizes.dropFirst()).reduce(0) { total, pair in
            let (product, overflow) = pair.0.multipliedReportingOverflow(by: pair.1 + 1)
            return overflow ? Int.max : min(Int.max - product, total) + product
        }
    }

    /// The layers, input side first; the last one is the softmax layer.
    public internal(set) var layers: [DenseLayer]

    /// Unit counts from input to output, e.g. [784, 32, 32, 10].
    public var layerSizes: [Int] { [layers[0].inputCount] + layers.map(\.outputCount) }
    public var inputCount: Int { layers[0].inputCount }
    public var outputCount: Int { layers[layers.count - 1].outputCount }
    /// Number of weights and biases.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.weights.count + $1.biases.count } }

    /// A network with the given layers; consecutive layers must chain (a programmer error otherwise).
    public init(layers: [DenseLayer]) {
        precondition(layers.count >= 2, "an MLP needs at least one hidden layer and an output layer")
        for (previous, next) in zip(layers, layers.dropFirst()) {
            precondition(previous.outputCount == next.inputCount, "layer sizes do not chain")
        }
        self.layers = layers
    }

    /// A freshly initialised network.
    ///
    /// Weights are drawn independently from a normal distribution and biases are zero:
    /// ```
    /// W_ij ~ N(0, 1 / max(n_in, n_out)),   i.e. std = sqrt(1 / max(n_in, n_out))
    /// b_j  = 0
    /// ```
    /// Draws come from `SeededGenerator(seed:)` layer by layer, each matrix row-major, so the
    /// same seed gives bit-identical weights on every run and machine.
    ///
    /// - Parameters:
    ///   - layerSizes: unit counts from input to output, at least three (one hidden layer).
    ///   - seed: the generator's seed; the homework's is 80085.
    /// - Throws: `ConfigurationError` for fewer than three sizes or a size outside
    ///   1…`maximumLayerSize`.
    public init(layerSizes: [Int] = MLP.homeworkLayerSizes, seed: UInt64 = MLP.defaultSeed) throws {
        try MLP.validate(layerSizes: layerSizes)
        var generator = SeededGenerator(seed: seed)
        var layers: [DenseLayer] = []
        for (inputs, outputs) in zip(layerSizes, layerSizes.dropFirst()) {
            let std = (1.0 / Double(max(inputs, outputs))).squareRoot()
            var weights = [Double](repeating: 0, count: inputs * outputs)
            for k in weights.indices { weights[k] = std * generator.nextGaussian() }
            layers.append(DenseLayer(
                inputCount: inputs, outputCount: outputs, weights: weights,
                biases: [Double](repeating: 0, count: outputs)))
        }
        self.init(layers: layers)
    }

    /// A freshly initialised network from the input size, hidden sizes and class count.
    ///
    /// - Throws: `ConfigurationError` when `hiddenSizes` is empty or a size is out of range.
    public init(inputCount: Int = 784, hiddenSizes: [Int] = [32, 32], outputCount: Int = 10,
                seed: UInt64 = MLP.defaultSeed) throws {
        guard !hiddenSizes.isEmpty else { throw ConfigurationError.noHiddenLayer }
        try self.init(layerSizes: [inputCount] + hiddenSizes + [outputCount], seed: seed)
    }

    /// Checks layer sizes without building a network.
    ///
    /// - Throws: `ConfigurationError.noHiddenLayer`, `.layerSize`, or `.tooManyParameters`
    ///   above `maximumParameterCount` (checked before anything is allocated).
    public static func validate(layerSizes: [Int]) throws {
        guard layerSizes.count >= 3 else { throw ConfigurationError.noHiddenLayer }
        for (index, size) in layerSizes.enumerated() where size < 1 || size > maximumLayerSize {
            throw ConfigurationError.layerSize(index: index, value: size)
        }
        let count = parameterCount(layerSizes: layerSizes)
        guard count <= maximumParameterCount else {
            throw ConfigurationError.tooManyParameters(layerSizes: layerSizes, count: count)
        }
    }

    /// Checks that `data` fits this network: image size equals the input count and every
    /// label is a class index.
    ///
    /// - Throws: `ConfigurationError.incompatible` saying what differs.
    public func checkCompatible(with data: ImageDataset) throws {
        guard data.pixelsPerImage == inputCount else {
            throw ConfigurationError.incompatible(
                "the images have \(data.rows)×\(data.columns) = \(data.pixelsPerImage) pixels but the network takes \(inputCount) inputs; use weights made for this dataset")
        }
        if let maximum = data.labels.max(), Int(maximum) >= outputCount {
            throw ConfigurationError.incompatible(
                "the data has label \(maximum) but the network has only \(outputCount) outputs; use weights with one output per class")
        }
    }
}
