// `lab q2-init`: Question 2, the network before training — layer shapes, the parameter count,
// and per-tensor statistics of the initialisation W ~ N(0, 1/max(n_in, n_out)), b = 0, against
// the theoretical standard deviation; a histogram of the standardised weights.

import Foundation
import MNISTNet
import LabSupport

package enum Q2Init {
    package struct Settings: Codable, Sendable {
        package var network = Q2NetworkSettings()

        package init(network: Q2NetworkSettings = Q2NetworkSettings()) {
            self.network = network
        }
    }

    /// Statistics of one parameter tensor.
    package struct TensorStatistics: Codable, Sendable {
        package var name: String
        package var shape: [Int]
        package var count: Int
        package var mean: Double
        package var std: Double
        /// 1/√max(n_in, n_out) for weights, 0 for biases.
        package var theoreticalStd: Double
        package var min: Double
        package var max: Double
        /// The mean in standard errors of a mean of `count` N(0, σ²) draws: mean / (σ/√n).
        /// `nil` for biases (σ = 0).
        package var meanZ: Double?
        /// std/σ − 1 in standard errors of a sample standard deviation, ≈ 1/√(2n):
        /// (std/σ − 1)·√(2n). `nil` for biases.
        package var stdZ: Double?

        /// Whether a statistic lies outside ±`outlierZ` standard errors.
        package var isOutlier: Bool { [meanZ, stdZ].contains { $0.map { !($0.magnitude <= Q2Init.outlierZ) } ?? false } }
    }

    /// A statistic more than this many standard errors from its theoretical value is flagged
    /// (N(0, σ²) draws stay within ±3 standard errors 99.7 % of the time).
    package static let outlierZ = 3.0

    package struct Result: Encodable {
        package var settings: Settings
        package var origin: String
        package var layerSizes: [Int]
        package var parameterCount: Int
        package var initialisation = "W_ij ~ N(0, 1/max(n_in, n_out)), b_j = 0"
        package var tensors: [TensorStatistics]
        /// The weights, for the histogram; not in the JSON.
        package var weights: [[Double]]

        package enum CodingKeys: String, CodingKey {
            case settings, origin, layerSizes, parameterCount, initialisation, tensors
        }
    }

    /// The statistics of the network `settings` describe (or of `network` when given).
    ///
    /// - Throws: `LabError.failed` for bad sizes or an unusable --load file.
    package static func compute(_ settings: Settings, network given: MLP? = nil) throws -> Result {
        try compute(settings, network: try given ?? Q2Network.make(settings.network), origin: given == nil ? nil : "given network")
    }

    /// The statistics of `network`, made from `settings`; `origin` overrides the description
    /// of where the weights came from.
    package static func compute(_ settings: Settings, network: MLP, origin given: String?) throws -> Result {
        var tensors: [TensorStatistics] = []
        for (l, layer) in network.layers.enumerated() {
            let std = 1 / Double(Swift.max(layer.inputCount, layer.outputCount)).squareRoot()
            tensors.append(statistics("w\(l + 1)", [layer.inputCount, layer.outputCount], layer.weights, std))
            tensors.append(statistics("b\(l + 1)", [layer.outputCount], layer.biases, 0))
        }
        let origin = given ?? settings.network.load.map { "loaded from \($0)" }
            ?? "seeded initialisation, seed \(settings.network.seed)"
        return Result(settings: settings, origin: origin, layerSizes: network.layerSizes,
                      parameterCount: network.parameterCount, tensors: tensors,
                      weights: network.layers.map(\.weights))
    }

    /// Mean, (population) standard deviation, min and max of `values`.
    package static func statistics(_ name: String, _ shape: [Int], _ values: [Double], _ theoretical: Double) -> TensorStatistics {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let std = variance.squareRoot()
        let hasTheory = theoretical > 0
        return TensorStatistics(name: name, shape: shape, count: values.count, mean: mean, std: std,
                                theoreticalStd: theoretical, min: values.min() ?? 0, max: values.max() ?? 0,
                                meanZ: hasTheory ? mean / (theoretical / n.squareRoot()) : nil,
                                stdZ: hasTheory ? (std / theoretical - 1) * (2 * n).squareRoot() : nil)
    }
}
