// `lab q1b`: Question 1(b) — gradient descent multiplies coordinate i by ρᵢ = 1 − η·aᵢ each
// step, so w(t) = ρᵗ·w(0). Shows ρ from the formula beside the measured ratios wᵢ(t+1)/wᵢ(t),
// the closed form beside the simulated iterate, and the trajectory over the contours of L.

import Foundation
import LabSupport
import MNISTNet
import Quadratic

package enum Q1B {
    /// What `lab q1b` computes from; the defaults are the command's.
    package struct Settings: Codable, Sendable {
        package var a = 10.0
        package var b = 1.0
        package var w0 = [1.0, 1.0]
        package var learningRates = [0.05, 0.15]
        package var steps = 40
        /// θ in degrees: the quadratic ½·wᵀ·R(θ)·diag(a, b)·R(θ)ᵀ·w (0: the diagonal homework case).
        package var angleDegrees = 0.0

        package init(a: Double = 10.0, b: Double = 1.0, w0: [Double] = [1.0, 1.0], learningRates: [Double] = [0.05, 0.15], steps: Int = 40, angleDegrees: Double = 0.0) {
            self.a = a
            self.b = b
            self.w0 = w0
            self.learningRates = learningRates
            self.steps = steps
            self.angleDegrees = angleDegrees
        }
    }

    /// One step t: simulated and closed-form iterate.
    package struct Sample: Codable, Sendable {
        package var t: Int
        package var simulated: [Double]
        package var closedForm: [Double]
    }

    /// One learning rate's run, checked against the theory.
    package struct RunCheck: Encodable {
        package var learningRate: Double
        package var convergence: Convergence
        /// ρᵢ = 1 − η·aᵢ.
        package var rhoFormula: [Double]
        /// min and max over t of wᵢ(t+1)/wᵢ(t), per coordinate (NaN when wᵢ hit 0 at once).
        package var measuredRatioMin: [Double]
        package var measuredRatioMax: [Double]
        /// min and max over t of uᵢ(t+1)/uᵢ(t) in the eigenbasis u = R(θ)ᵀ·w (the coordinates
        /// themselves when θ = 0).
        package var eigenRatioMin: [Double]
        package var eigenRatioMax: [Double]
        /// max over t of |uᵢ(t+1)/uᵢ(t) − ρᵢ| / |ρᵢ| (absolute when ρᵢ = 0).
        package var maxRatioDeviation: Double
        /// max over t, i of |simulated − closed form| / |closed form| (absolute where it is 0).
        package var maxClosedFormDeviation: Double
        package var samples: [Sample]
        package var stopReason: StopReason
        package var stepsTaken: Int
        /// The run (for the figures); not in the JSON.
        package var run: DescentRun
        package var closedForm: [[Double]]

        package enum CodingKeys: String, CodingKey {
            case learningRate, convergence, rhoFormula, measuredRatioMin, measuredRatioMax, eigenRatioMin, eigenRatioMax
            case maxRatioDeviation, maxClosedFormDeviation, samples, stopReason, stepsTaken
        }
    }

    /// Everything `lab q1b` shows.
    package struct Result: Encodable {
        package var settings: Settings
        /// H = R(θ)·diag(a, b)·R(θ)ᵀ row-major (diag(a, b) when θ = 0).
        package var hessian: [Double]
        package var runs: [RunCheck]
    }

    /// Runs gradient descent for each η and measures ρ and the closed form. O(steps) per η.
    package static func compute(_ settings: Settings) throws -> Result {
        let q = try Q1A.quadratic(settings.a, settings.b)
        // θ ≠ 0: the rotated quadratic, run with its full Hessian and analysed in its eigenbasis.
        let rotated: RotatedQuadratic? = settings.angleDegrees == 0 ? nil
            : try? RotatedQuadratic(a: settings.a, b: settings.b, angle: settings.angleDegrees * Double.pi / 180)
        func eigen(_ w: [Double]) -> [Double] { rotated?.toEigenbasis(w) ?? w }
        let runs = settings.learningRates.map { eta -> RunCheck in
            let run = rotated?.descend(from: settings.w0, learningRate: eta, maxSteps: settings.steps)
                ?? q.descend(from: settings.w0, learningRate: eta, maxSteps: settings.steps)
            let rho = q.contractionFactors(learningRate: eta)
            var low = [Double](repeating: .nan, count: 2), high = low, eigenLow = low, eigenHigh = low
            var ratioDeviation = 0.0, closedDeviation = 0.0
            var closed: [[Double]] = []
            for t in 0...run.stepsTaken {
                let w = run.iterate(t)
                let exact = rotated?.closedFormIterate(from: settings.w0, learningRate: eta, step: t)
                    ?? q.closedFormIterate(from: settings.w0, learningRate: eta, step: t)
                closed.append(exact)
                // Relative per coordinate on the diagonal; relative to ‖w‖ when rotated (a mixed
                // coordinate passes through 0 while the iterate does not).
                let size = max(abs(exact[0]), abs(exact[1]))
                for i in 0..<2 where w[i].isFinite && exact[i].isFinite {
                    let scale = rotated == nil ? abs(exact[i]) : size
                    closedDeviation = max(closedDeviation, abs(w[i] - exact[i]) / (scale == 0 ? 1 : scale))
                }
                guard t < run.stepsTaken else { continue }
                let next = run.iterate(t + 1)
                for i in 0..<2 where w[i] != 0 && w[i].isFinite && next[i].isFinite {
                    let ratio = next[i] / w[i]
                    low[i] = low[i].isNaN ? ratio : min(low[i], ratio)
                    high[i] = high[i].isNaN ? ratio : max(high[i], ratio)
                }
                let u = eigen(w), uNext = eigen(next)
                // Rotating into the eigenbasis rounds at ≈ 2⁻⁵²·‖w‖, so an eigen-coordinate below
                // 1e−6 of ‖w‖ carries a ratio error above 1e−10: such steps are not measured.
                let floor = 1e-6 * max(abs(u[0]), abs(u[1]))
                for i in 0..<2 where abs(u[i]) > (rotated == nil ? 0 : floor) && u[i].isFinite && uNext[i].isFinite {
                    let ratio = uNext[i] / u[i]
                    eigenLow[i] = eigenLow[i].isNaN ? ratio : min(eigenLow[i], ratio)
                    eigenHigh[i] = eigenHigh[i].isNaN ? ratio : max(eigenHigh[i], ratio)
                    ratioDeviation = max(ratioDeviation, abs(ratio - rho[i]) / (rho[i] == 0 ? 1 : abs(rho[i])))
                }
            }
            let sampleSteps = [0, 1, 2, 5, 10, 20, 50, 100, 1000, 10_000, 100_000].filter { $0 < run.stepsTaken } + [run.stepsTaken]
            return RunCheck(
                learningRate: eta, convergence: q.convergence(learningRate: eta, from: eigen(settings.w0)), rhoFormula: rho,
                measuredRatioMin: low, measuredRatioMax: high, eigenRatioMin: eigenLow, eigenRatioMax: eigenHigh,
                maxRatioDeviation: ratioDeviation, maxClosedFormDeviation: closedDeviation,
                samples: sampleSteps.map { Sample(t: $0, simulated: run.iterate($0), closedForm: closed[$0]) },
                stopReason: run.stopReason, stepsTaken: run.stepsTaken, run: run, closedForm: closed)
        }
        return Result(settings: settings, hessian: rotated?.hessian ?? [settings.a, 0, 0, settings.b], runs: runs)
    }
}
