// The sharpness lab against independent computations: its losses against plain-Double
// full-batch gradient descent (the reference backpropagation, θ updated step by step here), and
// its λmax against the largest eigenvalue of a dense Hessian built from central differences of
// that Double gradient (no Hessian-vector product, no Lanczos), on a tiny network.

import Curvature
import Foundation
import LabSupport
@testable import Labs
import MNISTData
import MNISTNet
import XCTest

final class SharpnessTests: XCTestCase {
    /// 60 random 3×4 images, about 40 % lit, three classes.
    static func data(count: Int = 60, seed: UInt64 = 21) -> ImageDataset {
        var generator = SeededGenerator(seed: seed)
        let pixels = (0 ..< count * 12).map { _ -> UInt8 in
            generator.next() % 5 < 2 ? UInt8(truncatingIfNeeded: generator.next() | 1) : 0
        }
        let labels = (0 ..< count).map { _ in UInt8(generator.next() % 3) }
        return ImageDataset(pixels: pixels, labels: labels, rows: 3, columns: 4)
    }

    /// Plain Double full-batch gradient descent: θ ← θ − η (1/N) Σ_n ∇(−log p_{y_n}).
    static func doubleDescent(_ start: MLP, _ data: ImageDataset, eta: Double, steps: Int) -> (MLP, [Double]) {
        var network = start, losses: [Double] = []
        let n = Double(data.count), all = Array(0 ..< data.count)
        for t in 0 ... steps {
            let (loss, sum) = network.lossAndGradients(on: data, indices: all)
            losses.append(loss / n)
            if t < steps { network.step(along: sum, learningRate: eta / n) }
        }
        return (network, losses)
    }

    /// λmax of the Hessian of the mean loss at `network`, from a dense matrix whose column j is
    /// (∇L(θ + h e_j) − ∇L(θ − h e_j)) / 2h (central differences of the Double gradient,
    /// h = 1e-5: truncation ≈ h²·|∇⁴L| and rounding ≈ 1e-16/h, both below 1e-8 here),
    /// symmetrised, and decomposed by LAPACK.
    static func denseSharpness(_ network: MLP, _ data: ImageDataset) throws -> [Double] {
        let θ = NetworkLoss.parameters(of: network), n = θ.count, h = 1e-5
        var matrix = [Double](repeating: 0, count: n * n)
        for j in 0 ..< n {
            var plus = θ, minus = θ
            plus[j] += h
            minus[j] -= h
            let gp = Self.gradient(plus, network.layerSizes, data), gm = Self.gradient(minus, network.layerSizes, data)
            for i in 0 ..< n { matrix[i * n + j] = (gp[i] - gm[i]) / (2 * h) }
        }
        for i in 0 ..< n { for j in 0 ..< i { let s = (matrix[i * n + j] + matrix[j * n + i]) / 2; matrix[i * n + j] = s; matrix[j * n + i] = s } }
        return try SymmetricEigen.dense(matrix, dimension: n, vectors: false).values.sorted(by: >)
    }

    /// The reference backpropagation's mean gradient at flat θ (W¹, b¹, W², b², …).
    static func gradient(_ θ: [Double], _ sizes: [Int], _ data: ImageDataset) -> [Double] {
        let network = NetworkLoss.network(layerSizes: sizes, parameters: θ)
        let sum = network.lossAndGradients(on: data, indices: Array(0 ..< data.count)).gradients
        var flat: [Double] = []
        for l in sum.weights.indices { flat += sum.weights[l]; flat += sum.biases[l] }
        return flat.map { $0 / Double(data.count) }
    }

    func testShortRunMatchesPlainDoubleDescentAndDenseHessian() throws {
        let train = Self.data(), test = Self.data(count: 30, seed: 5)
        let start = try MLP(layerSizes: [12, 6, 3], seed: 3)
        var settings = SharpnessLab.Settings()
        settings.samples = train.count
        settings.etas = [0.5, 4]
        settings.steps = 30
        settings.every = 10
        settings.tolerance = 1e-8
        settings.second = true
        let result = try SharpnessLab.compute(settings, start: start, train: train, test: test)
        XCTAssertEqual(result.runs.map(\.eta), [0.5, 4])
        XCTAssertEqual(result.initial.step, 0)

        let startEigen = try Self.denseSharpness(start, train)
        XCTAssertEqual(result.initial.sharpness, startEigen[0], accuracy: 1e-5 * startEigen[0])
        XCTAssertEqual(try XCTUnwrap(result.initial.second), startEigen[1], accuracy: 1e-5 * startEigen[0])

        for run in result.runs {
            XCTAssertEqual(run.status, "completed")
            XCTAssertEqual(run.steps, 30)
            XCTAssertEqual(run.losses.count, 31)
            XCTAssertEqual(run.measurements.map(\.step), [0, 10, 20, 30])
            let (final, losses) = Self.doubleDescent(start, train, eta: run.eta, steps: 30)
            // The lab's gradient is Float32 (FullBatchGradient): per step the losses agree to
            // Float rounding of the weights, a few 1e-7 relative; 1e-5 leaves room for 30 steps.
            for (a, b) in zip(run.losses, losses) { XCTAssertEqual(a, b, accuracy: 1e-5 * b, "η = \(run.eta)") }
            XCTAssertGreaterThan(abs(losses.last! - losses.first!), 1e-3 * losses.first!, "the weights must move")
            // λmax at the last step against the dense Hessian at the Double weights: the weights
            // differ by Float rounding (≈ 1e-6 relative), the differences add ≈ 1e-8.
            let dense = try Self.denseSharpness(final, train)
            let measured = try XCTUnwrap(run.final)
            XCTAssertEqual(measured.sharpness, dense[0], accuracy: 1e-4 * dense[0], "η = \(run.eta)")
            XCTAssertEqual(try XCTUnwrap(measured.second), dense[1], accuracy: 1e-4 * dense[0], "η = \(run.eta)")
            XCTAssertEqual(measured.testAccuracy, try final.evaluate(on: test).accuracy, accuracy: 1.0 / 30 + 1e-12)
            // The summary fields follow from the measurements.
            XCTAssertEqual(try XCTUnwrap(run.ratio), measured.sharpness * run.eta / 2, accuracy: 1e-12)
            XCTAssertEqual(run.firstWithinTenPercent,
                           run.measurements.first { abs($0.sharpness - 2 / run.eta) <= 0.2 / run.eta }?.step)
        }
    }

    /// A step far beyond 2/λmax blows the loss up: the run stops and says so.
    func testHugeStepDiverges() throws {
        let train = Self.data(), test = Self.data(count: 10, seed: 6)
        let start = try MLP(layerSizes: [12, 6, 3], seed: 3)
        var settings = SharpnessLab.Settings()
        settings.samples = train.count
        settings.etas = [5000]
        settings.steps = 50
        settings.every = 5
        let run = try XCTUnwrap(SharpnessLab.compute(settings, start: start, train: train, test: test).runs.first)
        XCTAssertEqual(run.status, "diverged")
        XCTAssertTrue(run.diverged)
        XCTAssertLessThan(run.steps, 50)
        let last = try XCTUnwrap(run.losses.last)
        XCTAssertTrue(!last.isFinite || last > SharpnessLab.divergenceFactor * run.losses[0])
    }

    /// The observer's `.stop` ends every run at its next step; what was measured is kept.
    func testStopKeepsWhatWasMeasured() throws {
        let train = Self.data(), test = Self.data(count: 10, seed: 6)
        let start = try MLP(layerSizes: [12, 6, 3], seed: 3)
        var settings = SharpnessLab.Settings()
        settings.samples = train.count
        settings.etas = [1, 2]
        settings.steps = 1000
        settings.every = 5
        let result = try SharpnessLab.compute(settings, start: start, train: train, test: test) { progress in
            progress.steps >= 12 ? .stop : .proceed
        }
        XCTAssertTrue(result.stopped)
        for run in result.runs {
            XCTAssertEqual(run.status, "stopped")
            XCTAssertEqual(run.steps, 12)
            XCTAssertEqual(run.measurements.map(\.step), [0, 5, 10])
        }
    }

    func testBadSettingsAreOneLine() {
        var settings = SharpnessLab.Settings()
        settings.etas = [-1]
        XCTAssertThrowsError(try settings.validate()) { XCTAssertTrue("\($0)".contains("--eta 2")) }
        settings = SharpnessLab.Settings()
        settings.every = 0
        XCTAssertThrowsError(try settings.validate()) { XCTAssertTrue("\($0)".contains("--every")) }
    }
}
