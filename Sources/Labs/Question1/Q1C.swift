// `lab q1c`: Question 1(c) — which learning rates converge. Sweeps η across (0, 1.2·η_max],
// classifies each by max|ρᵢ| = max|1 − η·aᵢ|, and checks the named boundary cases: η = 1/max(a, b)
// (the stiff axis in one step), η = 2/max(a, b) (|ρ| = 1, oscillation), and just above (divergence),
// measured on the run's own start (a coordinate that starts at 0 never moves).

import Foundation
import LabSupport
import MNISTNet
import Quadratic

package enum Q1C {
    /// What `lab q1c` computes from; the defaults are the command's.
    package struct Settings: Codable, Sendable {
        package var a = 10.0
        package var b = 1.0
        package var w0 = [1.0, 1.0]
        package var extraLearningRates: [Double] = []
        package var above = 1.05
        package var steps = 60
        package var epsilon = 1e-6
        /// Longest run used to measure iterations to ε or the overflow step.
        package var measureLimit = 1_000_000

        package init(a: Double = 10.0, b: Double = 1.0, w0: [Double] = [1.0, 1.0], extraLearningRates: [Double] = [], above: Double = 1.05, steps: Int = 60, epsilon: Double = 1e-6, measureLimit: Int = 1_000_000) {
            self.a = a
            self.b = b
            self.w0 = w0
            self.extraLearningRates = extraLearningRates
            self.above = above
            self.steps = steps
            self.epsilon = epsilon
            self.measureLimit = measureLimit
        }
    }

    /// One classified learning rate.
    package struct Row: Codable, Sendable {
        /// "sweep", "1/max(a, b)", "η*", "2/max(a, b)", "just above", "--eta".
        package var label: String
        package var learningRate: Double
        package var fractionOfThreshold: Double
        package var rho: [Double]
        package var spectralRadius: Double
        /// From max|ρᵢ| over every coordinate: the verdict for a generic start.
        package var convergence: Convergence
        /// For this run's start: coordinates with wᵢ(0) = 0 stay 0 and do not count.
        package var convergenceFromStart: Convergence
        /// Exact prediction of the first step with L ≤ ε (nil: never).
        package var predictedIterations: Int?
        /// Measured first step with L ≤ ε (nil: not within the limit).
        package var measuredIterations: Int?
        /// The step at which the loss overflowed (nil: it did not within the limit).
        package var nonFiniteStep: Int?
    }

    /// Everything `lab q1c` shows.
    package struct Result: Encodable {
        package var settings: Settings
        /// η_max = 2/max(a, b).
        package var threshold: Double
        package var optimalLearningRate: Double
        package var rows: [Row]
        /// The stiff coordinate (0 for w1, 1 for w2): the one with curvature max(a, b).
        package var stiffCoordinate: Int
        /// Whether the run's start has the stiff coordinate at 0: it then stays 0 for every η, and
        /// the boundary measurements below are nil (there is nothing on that axis to measure).
        package var stiffStartsAtZero: Bool
        /// |w_stiff(1)| / |w_stiff(0)| at η = 1/max(a, b) (0 in exact arithmetic).
        package var oneStepResidual: Double?
        /// max over t of | |w_stiff(t)| / |w_stiff(0)| − 1 | at η = 2/max(a, b) (0 in exact arithmetic).
        package var thresholdAmplitudeDeviation: Double?
        /// |ρ_stiff| at the just-above η, and the geometric-mean growth measured over the run.
        package var aboveRate: Double
        package var aboveMeasuredGrowth: Double?
        /// Below / at / above runs for the figures; not in the JSON.
        package var cases: [(label: String, run: DescentRun)]
        package var curve: Table

        package enum CodingKeys: String, CodingKey {
            case settings, threshold, optimalLearningRate, rows, stiffCoordinate, stiffStartsAtZero, oneStepResidual
            case thresholdAmplitudeDeviation, aboveRate, aboveMeasuredGrowth
        }
    }

    package static func compute(_ settings: Settings) throws -> Result {
        let q = try Q1A.quadratic(settings.a, settings.b)
        let w0 = settings.w0
        let threshold = q.stabilityThreshold
        let stiff = settings.a >= settings.b ? 0 : 1
        func row(_ label: String, _ eta: Double) -> Row {
            let run = q.descend(from: w0, learningRate: eta, maxSteps: settings.measureLimit,
                                tolerance: settings.epsilon, keepIterates: false)
            return Row(
                label: label, learningRate: eta, fractionOfThreshold: eta / threshold,
                rho: q.contractionFactors(learningRate: eta), spectralRadius: q.spectralRadius(learningRate: eta),
                convergence: q.convergence(learningRate: eta),
                convergenceFromStart: q.convergence(learningRate: eta, from: w0),
                predictedIterations: q.predictedIterations(from: w0, learningRate: eta, tolerance: settings.epsilon),
                measuredIterations: run.stopReason == .reachedTolerance ? run.stepsTaken : nil,
                nonFiniteStep: run.stopReason == .lossNotFinite ? run.stepsTaken : nil)
        }
        // The sweep, then the named cases; a named case replaces a sweep point at the same η.
        var etas: [(label: String, eta: Double)] = (1...12).map { ("sweep", Double($0) / 10 * threshold) }
        let named = [("1/max(a, b)", 1 / q.largestCoefficient), ("η*", q.optimalLearningRate),
                     ("2/max(a, b)", threshold), ("just above", settings.above * threshold)]
            + settings.extraLearningRates.map { ("--eta", $0) }
        for (label, eta) in named {
            if let index = etas.firstIndex(where: { $0.eta == eta }) {
                etas[index].label = etas[index].label == "sweep" ? label : etas[index].label + ", " + label
            } else {
                etas.append((label, eta))
            }
        }
        let rows = etas.sorted { $0.eta < $1.eta }.map { row($0.label, $0.eta) }

        // The named boundary cases, measured on the run's own start along the stiff axis. A stiff
        // coordinate that starts at 0 stays 0 for every η: nothing to measure there.
        let zeroStart = w0[stiff] == 0
        var oneStepResidual: Double?, amplitude: Double?, growth: Double?
        let at = q.descend(from: w0, learningRate: threshold, maxSteps: settings.steps)
        let aboveEta = settings.above * threshold
        let aboveRun = q.descend(from: w0, learningRate: aboveEta, maxSteps: settings.steps)
        if !zeroStart {
            let one = q.descend(from: w0, learningRate: 1 / q.largestCoefficient, maxSteps: 1, tolerance: -1)
            oneStepResidual = abs(one.iterate(1)[stiff]) / abs(w0[stiff])
            var deviation = 0.0
            for t in 0...at.stepsTaken { deviation = max(deviation, abs(abs(at.iterate(t)[stiff]) / abs(w0[stiff]) - 1)) }
            amplitude = deviation
            let last = aboveRun.stopReason == .lossNotFinite ? aboveRun.stepsTaken - 1 : aboveRun.stepsTaken
            growth = last > 0 ? Foundation.pow(abs(aboveRun.iterate(last)[stiff] / w0[stiff]), 1 / Double(last)) : nil
        }
        let below = q.descend(from: w0, learningRate: 0.9 * threshold, maxSteps: settings.steps)

        var curve = Table(columns: ["eta", "abs_rho1", "abs_rho2", "max_abs_rho"])
        for k in 1...480 {
            let eta = Double(k) / 400 * threshold
            let rho = q.contractionFactors(learningRate: eta)
            curve.append([eta, abs(rho[0]), abs(rho[1]), q.spectralRadius(learningRate: eta)])
        }
        return Result(
            settings: settings, threshold: threshold, optimalLearningRate: q.optimalLearningRate, rows: rows,
            stiffCoordinate: stiff, stiffStartsAtZero: zeroStart,
            oneStepResidual: oneStepResidual, thresholdAmplitudeDeviation: amplitude,
            aboveRate: abs(1 - aboveEta * q.largestCoefficient), aboveMeasuredGrowth: growth,
            cases: [("below: η = 0.9·η_max = \(NumberFormat.number(0.9 * threshold))", below),
                    ("at: η = η_max = \(NumberFormat.number(threshold))", at),
                    ("above: η = \(NumberFormat.number(settings.above))·η_max = \(NumberFormat.number(aboveEta))", aboveRun)],
            curve: curve)
    }
}
