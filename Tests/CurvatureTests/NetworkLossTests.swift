// The network's loss, gradient and exact Hessian-vector product (issue 12) as numerics: the
// gradient against backpropagation in MNISTNet, H·v against central differences of gradients
// and against the Hessian built column by column, the sparse kernel against its dense twin,
// and a wrong product that the same check must catch.

@testable import Curvature
import LabSupport
import MNISTData
import MNISTNet
import TestSupport
import XCTest

final class NetworkLossTests: XCTestCase {
    /// (∇L(θ + h v) − ∇L(θ − h v)) / 2h: H v up to O(h²) truncation and O(ε‖∇L‖/h) rounding.
    static func centralDifference(_ loss: NetworkLoss, at θ: [Double], _ v: [Double], h: Double) -> [Double] {
        let plus = loss.lossAndGradient(at: zip(θ, v).map { $0 + h * $1 }).gradient
        let minus = loss.lossAndGradient(at: zip(θ, v).map { $0 - h * $1 }).gradient
        return zip(plus, minus).map { ($0 - $1) / (2 * h) }
    }

    func testGradientMatchesBackpropagation() {
        let data = Tiny.data()
        let θ = Tiny.parameters()
        let network = NetworkLoss.network(layerSizes: Tiny.sizes, parameters: θ)
        XCTAssertEqual(NetworkLoss.parameters(of: network), θ, "θ → MLP → θ is the identity")
        for scaling in InputScaling.allCases {
            let loss = NetworkLoss(layerSizes: Tiny.sizes, data: data, scaling: scaling)
            let (value, gradient) = loss.lossAndGradient(at: θ)
            let reference = network.lossAndGradients(on: data, indices: Array(0 ..< data.count), scaling: scaling)
            var flat: [Double] = []
            for l in reference.gradients.weights.indices {
                flat += reference.gradients.weights[l] + reference.gradients.biases[l]
            }
            let n = Double(data.count)
            // Same sums in a different order: agreement to a few ulps of the sums.
            XCTAssertEqual(value, reference.loss / n, accuracy: 1e-12 * abs(value))
            XCTAssertLessThan(relativeError(gradient, flat.map { $0 / n }), 1e-12, "\(scaling)")
            XCTAssertEqual(loss.loss(at: θ), value, accuracy: 1e-14 * abs(value))
        }
    }

    /// Truncation h²‖∇³L‖/6 with h = 1e-5 is about 1e-10 of the product's size and rounding
    /// ε‖∇L‖/h about 1e-11: 1e-6 relative leaves room and still catches any wrong term.
    func testProductMatchesCentralDifferencesOfGradients() {
        let data = Tiny.data()
        let θ = Tiny.parameters()
        for scaling in InputScaling.allCases {
            let loss = NetworkLoss(layerSizes: Tiny.sizes, data: data, scaling: scaling)
            for seed in 1 ... 3 as ClosedRange<UInt64> {
                let v = Tiny.vector(loss.parameterCount, seed: seed)
                let exact = loss.hessianVectorProduct(at: θ, v)
                let h = scaling == .raw ? 1e-7 : 1e-5  // raw pixels make ∇L 255× steeper in W¹
                let estimate = Self.centralDifference(loss, at: θ, v, h: h)
                XCTAssertLessThan(relativeError(exact, estimate), 1e-6, "\(scaling), v seed \(seed)")
            }
        }
    }

    func testProductOnMNISTMatchesCentralDifferences() throws {
        let data = try RealMNIST.train(prefix: 100)
        let network = try MLP(seed: MLP.defaultSeed)
        let θ = NetworkLoss.parameters(of: network)
        for scaling in InputScaling.allCases {
            let loss = NetworkLoss(network: network, data: data, scaling: scaling)
            let v = Tiny.vector(loss.parameterCount, seed: 5)
            let exact = loss.hessianVectorProduct(at: θ, v)
            let estimate = Self.centralDifference(loss, at: θ, v, h: scaling == .raw ? 1e-7 : 1e-5)
            XCTAssertLessThan(relativeError(exact, estimate), 1e-6, "\(scaling)")
        }
    }

    /// The Hessian built column by column from exact products, against the one built column by
    /// column from central differences of gradients; and it is symmetric.
    func testHessianColumnsMatchFiniteDifferenceHessian() {
        let data = Tiny.data()
        let θ = Tiny.parameters()
        let loss = NetworkLoss(layerSizes: Tiny.sizes, data: data)
        let n = loss.parameterCount
        let exact = loss.hessian(at: θ).denseMatrix()
        var differences = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n {
            var e = [Double](repeating: 0, count: n)
            e[i] = 1
            let column = Self.centralDifference(loss, at: θ, e, h: 1e-5)
            for r in 0 ..< n { differences[r * n + i] = column[r] }
        }
        XCTAssertLessThan(relativeError(exact, differences), 1e-6)
        var asymmetry = 0.0
        for i in 0 ..< n { for j in 0 ..< i { asymmetry = max(asymmetry, abs(exact[i * n + j] - exact[j * n + i])) } }
        XCTAssertLessThan(asymmetry, 1e-12 * maxAbs(exact), "H is symmetric up to rounding")
        // And a product is the matrix times the vector.
        let v = Tiny.vector(n, seed: 9)
        XCTAssertLessThan(relativeError(loss.hessianVectorProduct(at: θ, v), SymmetricOperator(matrix: exact, dimension: n).apply(v)), 1e-12)
    }

    /// The sparse first layer (non-zero pixels only) against the dense twin that reads every pixel.
    func testSparseKernelMatchesDenseReference() throws {
        let cases: [(ImageDataset, [Double])] = [
            (Tiny.data(), Tiny.parameters()),
            (try RealMNIST.train(prefix: 40), NetworkLoss.parameters(of: try MLP(seed: 3))),
        ]
        for (data, θ) in cases {
            for scaling in InputScaling.allCases {
                let sizes = data.pixelsPerImage == 12 ? Tiny.sizes : MLP.homeworkLayerSizes
                let loss = NetworkLoss(layerSizes: sizes, data: data, scaling: scaling)
                let v = Tiny.vector(loss.parameterCount, seed: 4)
                let fast = loss.lossGradientAndProduct(at: θ, v)
                let plain = loss.referenceLossGradientAndProduct(at: θ, v)
                XCTAssertEqual(fast.loss, plain.loss, accuracy: 1e-12 * abs(plain.loss))
                XCTAssertLessThan(relativeError(fast.gradient, plain.gradient), 1e-12, "\(sizes) \(scaling)")
                XCTAssertLessThan(relativeError(fast.product, plain.product), 1e-12, "\(sizes) \(scaling)")
                XCTAssertEqual(loss.hessianVectorProduct(at: θ, v), fast.product, "the product alone is the same product")
            }
        }
    }

    func testThreadsChangeOnlyRounding() {
        let data = Tiny.data(count: 37)
        let θ = Tiny.parameters()
        let one = NetworkLoss(layerSizes: Tiny.sizes, data: data, threads: 1)
        let three = one.restricted(to: one.samples, threads: 3)
        let v = Tiny.vector(one.parameterCount, seed: 2)
        XCTAssertLessThan(relativeError(three.hessianVectorProduct(at: θ, v), one.hessianVectorProduct(at: θ, v)), 1e-13)
        XCTAssertEqual(three.hessianVectorProduct(at: θ, v), three.hessianVectorProduct(at: θ, v), "same threads, same bits")
    }

    func testSubsetIsTheMeanOverItsSamples() {
        let data = Tiny.data()
        let θ = Tiny.parameters()
        let all = NetworkLoss(layerSizes: Tiny.sizes, data: data)
        let v = Tiny.vector(all.parameterCount, seed: 8)
        var mean = [Double](repeating: 0, count: all.parameterCount)
        for n in 0 ..< data.count {
            let single = all.restricted(to: [n]).hessianVectorProduct(at: θ, v)
            for k in mean.indices { mean[k] += single[k] / Double(data.count) }
        }
        XCTAssertLessThan(relativeError(mean, all.hessianVectorProduct(at: θ, v)), 1e-13)
    }

    /// The check must fail for a product with a classic bug: W¹ read column-major.
    func testWrongProductIsCaught() {
        let data = Tiny.data()
        let θ = Tiny.parameters()
        let loss = NetworkLoss(layerSizes: Tiny.sizes, data: data)
        let v = Tiny.vector(loss.parameterCount, seed: 1)
        var transposed = v
        let (nIn, nOut) = (Tiny.sizes[0], Tiny.sizes[1])
        for i in 0 ..< nIn { for j in 0 ..< nOut { transposed[j * nIn + i] = v[i * nOut + j] } }
        let wrong = loss.hessianVectorProduct(at: θ, transposed)
        let estimate = Self.centralDifference(loss, at: θ, v, h: 1e-5)
        XCTAssertGreaterThan(relativeError(wrong, estimate), 1e-2, "the comparison detects a wrong product")
        // And a product that is merely off by 0.01 % in one layer is caught too.
        var scaled = loss.hessianVectorProduct(at: θ, v)
        for k in (nIn * nOut + nOut) ..< scaled.count { scaled[k] *= 1.0001 }
        XCTAssertGreaterThan(relativeError(scaled, estimate), 1e-6)
    }

    func testNonFiniteWeightsGiveNaNNotACrash() {
        let data = Tiny.data()
        var θ = Tiny.parameters()
        θ[0] = .nan
        let loss = NetworkLoss(layerSizes: Tiny.sizes, data: data)
        XCTAssertTrue(loss.loss(at: θ).isNaN)
        XCTAssertTrue(loss.hessianVectorProduct(at: θ, Tiny.vector(loss.parameterCount, seed: 1)).contains { $0.isNaN })
    }
}
