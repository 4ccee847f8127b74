// The MLP: initialisation statistics and determinism, forward pass shapes and values, and the
// forward pass on the real test set before training (chance level).

import Foundation
import MNISTData
import MNISTNet
import XCTest

final class MLPTests: XCTestCase {
    func testDefaultShapes() throws {
        let net = try MLP()
        XCTAssertEqual(net.layerSizes, [784, 32, 32, 10])
        XCTAssertEqual(net.layers.map(\.weights.count), [784 * 32, 32 * 32, 32 * 10])
        XCTAssertEqual(net.parameterCount, 784 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10)
        XCTAssertTrue(net.layers.allSatisfy { $0.biases.allSatisfy { $0 == 0 } })
    }

    /// Each weight matrix: mean ≈ 0 and standard deviation ≈ sqrt(1/max(n_in, n_out)).
    ///
    /// Tolerances: for n independent N(0, s²) draws the sample mean has standard error s/√n
    /// and the sample standard deviation s/√(2n); we allow 4 standard errors (a false failure
    /// about once in 16,000 runs, and the seed is fixed anyway). For w3 (320 draws) that is
    /// ±0.22·s for the mean and ±0.16·s for the std; for w1 (25,088 draws) ±0.025·s and ±0.018·s.
    func testInitialisationStatistics() throws {
        let net = try MLP(layerSizes: [784, 32, 32, 10], seed: 80085)
        for layer in net.layers {
            let n = Double(layer.weights.count)
            let s = (1 / Double(max(layer.inputCount, layer.outputCount))).squareRoot()
            let mean = layer.weights.reduce(0, +) / n
            let std = (layer.weights.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
            XCTAssertEqual(mean, 0, accuracy: 4 * s / n.squareRoot(), "layer \(layer.inputCount)×\(layer.outputCount)")
            XCTAssertEqual(std, s, accuracy: 4 * s / (2 * n).squareRoot(), "layer \(layer.inputCount)×\(layer.outputCount)")
        }
        // A large matrix pins the scale tightly: 1000×2000 draws, std must be sqrt(1/2000) ± 0.3 %.
        let wide = try MLP(layerSizes: [1000, 2000, 2], seed: 7).layers[0].weights
        let s = (1 / 2000.0).squareRoot()
        let std = (wide.map { $0 * $0 }.reduce(0, +) / Double(wide.count)).squareRoot()
        XCTAssertEqual(std, s, accuracy: 4 * s / (2 * Double(wide.count)).squareRoot())
    }

    func testSameSeedSameWeightsDifferentSeedDifferentWeights() throws {
        let a = try MLP(seed: 80085), b = try MLP(seed: 80085), c = try MLP(seed: 80086)
        XCTAssertEqual(a, b)
        for l in a.layers.indices {
            XCTAssertEqual(a.layers[l].weights.map(\.bitPattern), b.layers[l].weights.map(\.bitPattern))
            XCTAssertNotEqual(a.layers[l].weights, c.layers[l].weights)
        }
    }

    func testInvalidLayerSizesAreTypedErrors() {
        XCTAssertThrowsError(try MLP(hiddenSizes: [])) { XCTAssertEqual($0 as? ConfigurationError, .noHiddenLayer) }
        XCTAssertThrowsError(try MLP(hiddenSizes: [32, 0])) {
            XCTAssertEqual($0 as? ConfigurationError, .layerSize(index: 2, value: 0))
            XCTAssertTrue("\($0)".contains("--hidden"))
        }
        XCTAssertThrowsError(try MLP(layerSizes: [784, -3, 10]))
        XCTAssertThrowsError(try MLP(layerSizes: [784, 1_000_000, 10]))
        XCTAssertThrowsError(try MLP(layerSizes: [784, 10]))
    }

    /// A hand-computed forward pass on a 2-2-2 net.
    func testForwardPassByHand() {
        // w1 (2, 2): [[1, -1], [0.5, 2]], b1 = [0, 1]; w2 (2, 2): [[1, 0], [0, 1]], b2 = [0, 0]
        let net = MLP(layers: [
            DenseLayer(inputCount: 2, outputCount: 2, weights: [1, -1, 0.5, 2], biases: [0, 1]),
            DenseLayer(inputCount: 2, outputCount: 2, weights: [1, 0, 0, 1], biases: [0, 0]),
        ])
        let pass = net.forward([2, 1])
        // z1 = [2·1 + 1·0.5, 2·(−1) + 1·2 + 1] = [2.5, 1]
        let a1 = [1 / (1 + exp(-2.5)), 1 / (1 + exp(-1.0))]
        XCTAssertEqual(pass.activations[1][0], a1[0], accuracy: 1e-15)
        XCTAssertEqual(pass.activations[1][1], a1[1], accuracy: 1e-15)
        XCTAssertEqual(pass.logits, a1)
        let p0 = exp(a1[0]) / (exp(a1[0]) + exp(a1[1]))
        XCTAssertEqual(pass.probabilities[0], p0, accuracy: 1e-15)
        XCTAssertEqual(pass.prediction, 0)
        XCTAssertEqual(pass.loss(label: 1), -log(1 - p0), accuracy: 1e-14)
    }

    /// Before training the network guesses: accuracy near 10 %, loss near log 10 ≈ 2.30.
    /// The 5–15 % band is wide on purpose: an untrained net often favours one or two classes.
    func testForwardPassOnRealTestSetBeforeTrainingIsChance() throws {
        let test = try MNISTSets.test.get()
        let evaluation = try MLP().evaluate(on: test)
        XCTAssertEqual(evaluation.count, 10_000)
        XCTAssertGreaterThan(evaluation.accuracy, 0.05)
        XCTAssertLessThan(evaluation.accuracy, 0.15)
        XCTAssertEqual(evaluation.averageLoss, log(10), accuracy: 0.5)
        XCTAssertEqual(evaluation.confusion.reduce(0, +), 10_000)
        XCTAssertEqual((0 ..< 10).map { t in (0 ..< 10).map { evaluation.confusion(actual: t, predicted: $0) }.reduce(0, +) },
                       [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        XCTAssertEqual(evaluation.correctCount, (0 ..< 10).map { evaluation.confusion(actual: $0, predicted: $0) }.reduce(0, +))
        // Per-sample probabilities agree with the one-sample forward pass.
        let pass = try MLP().forward(test, at: 17)
        XCTAssertEqual(evaluation.maxProbabilities[17], pass.probabilities.max()!, accuracy: 1e-15)
        XCTAssertEqual(evaluation.trueClassProbabilities[17], pass.probabilities[Int(test.labels[17])], accuracy: 1e-15)
        XCTAssertEqual(Int(evaluation.predictions[17]), pass.prediction)
        // Confidently wrong samples come most confident first and are all wrong.
        let wrong = evaluation.confidentMistakes(limit: 5)
        XCTAssertEqual(wrong.count, 5)
        XCTAssertTrue(wrong.allSatisfy { evaluation.predictions[$0] != test.labels[$0] })
        XCTAssertEqual(wrong.map { evaluation.maxProbabilities[$0] }, wrong.map { evaluation.maxProbabilities[$0] }.sorted(by: >))
    }

    func testSaturationOfRawPixelsIsLargeAndOfScaledPixelsSmall() throws {
        let test = try MNISTSets.test.get().prefix(1000)
        let net = try MLP()
        let scaled = try net.saturation(on: test, scaling: .unit)
        let raw = try net.saturation(on: test, scaling: .raw)
        XCTAssertEqual(scaled.total, 1000 * 32)
        // Raw inputs make |z| ≈ 255 × (scaled |z|): most first-layer units sit on the flat tails.
        XCTAssertGreaterThan(raw.fraction, 0.8)
        XCTAssertLessThan(scaled.fraction, 0.3)
    }

    func testIncompatibleDataIsATypedError() throws {
        let net = try MLP(layerSizes: [6, 4, 3])
        let data = ImageDataset(pixels: [UInt8](repeating: 1, count: 8), labels: [1, 2], rows: 2, columns: 2)
        XCTAssertThrowsError(try net.evaluate(on: data)) {
            guard case .incompatible? = $0 as? ConfigurationError else { return XCTFail("\($0)") }
        }
        let labelled = ImageDataset(pixels: [UInt8](repeating: 1, count: 12), labels: [1, 5], rows: 2, columns: 3)
        XCTAssertThrowsError(try net.evaluate(on: labelled))
    }
}
