// `lab q2-backprop`: Question 2, backpropagation checked — for every weight and bias tensor,
// sampled entries of ∇L from backpropagation against central finite differences
// (L(θ + h·e_k) − L(θ − h·e_k)) / 2h of the summed loss over a few training images, in Double.

import Foundation
import MNISTNet
import LabSupport

package enum Q2Backprop {
    /// A tensor passes when its largest relative error is at most this.
    package static let tolerance = GradientCheck.defaultTolerance

    /// The steps of the error-against-h scan (one step for every tensor).
    package static let scanSteps: [Double] = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8]

    /// Entries per tensor in the scan (the first of those the check compares).
    package static let scanEntries = 20

    package struct Settings: Codable, Sendable {
        package var data = Q2DataSettings()
        package var network = Q2NetworkSettings()
        package var samples = 10
        package var entries = 20

        package init(data: Q2DataSettings = Q2DataSettings(), network: Q2NetworkSettings = Q2NetworkSettings(), samples: Int = 10, entries: Int = 20) {
            self.data = data
            self.network = network
            self.samples = samples
            self.entries = entries
        }
    }

    /// The largest absolute error of one tensor at each scanned step.
    package struct StepScan: Codable, Sendable {
        package var name: String
        package var maxAbsoluteErrors: [Double]
    }

    package struct Result: Encodable {
        package var settings: Settings
        package var data: Q2DataSummary
        package var layerSizes: [Int]
        /// The base step h₀; each weight tensor uses h₀ / (its largest input).
        package var baseStep: Double
        package var tolerance: Double
        package var rows: [GradientCheckRow]
        package var passed: Bool
        package var scanSteps: [Double]
        package var scan: [StepScan]
    }

    /// The gradient check at the network `settings` describe (or `network`), on the first
    /// `settings.samples` training images; entries drawn with the network seed.
    package static func compute(_ settings: Settings, data: Q2Data, network given: MLP? = nil) throws -> Result {
        let network = try given ?? Q2Network.make(settings.network, fitting: data.train)
        let count = min(settings.samples, data.train.count)
        guard count >= 1 else { throw LabError.failed("the training set is empty; the gradient check needs images") }
        let indices = Array(0 ..< count), scaling = settings.network.scaling, seed = settings.network.seed
        let rows = GradientCheck.run(
            network, data: data.train, indices: indices, scaling: scaling,
            entriesPerTensor: settings.entries, seed: seed, tolerance: tolerance)
        let errors = GradientCheck.errorAgainstStep(
            network, data: data.train, indices: indices, scaling: scaling,
            entriesPerTensor: min(settings.entries, scanEntries), seed: seed, steps: scanSteps)
        return Result(settings: settings, data: Q2DataSummary(data), layerSizes: network.layerSizes,
                      baseStep: GradientCheck.defaultStep, tolerance: tolerance, rows: rows,
                      passed: rows.allSatisfy { $0.passes(tolerance: tolerance) },
                      scanSteps: scanSteps,
                      scan: zip(rows, errors).map { StepScan(name: $0.name, maxAbsoluteErrors: $1) })
    }
}
