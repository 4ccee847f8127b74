// `lab q1a`: Question 1(a) — the gradient ∇L(w) = (a·w₁, b·w₂) and the minimiser w* = 0 of
// L = ½(a·w₁² + b·w₂²), the gradient checked against central differences at seeded random
// points, and a gradient-descent run that reaches w*.

import Foundation
import LabSupport
import MNISTNet
import Quadratic

package enum Q1A {
    /// What `lab q1a` computes from; the defaults are the command's.
    package struct Settings: Codable, Sendable {
        package var a = 10.0
        package var b = 1.0
        package var w0 = [1.0, 1.0]
        package var learningRate = 0.15
        package var steps = 200
        package var epsilon = 1e-12
        package var points = 8
        package var seed: UInt64 = 1

        package init(a: Double = 10.0, b: Double = 1.0, w0: [Double] = [1.0, 1.0], learningRate: Double = 0.15, steps: Int = 200, epsilon: Double = 1e-12, points: Int = 8, seed: UInt64 = 1) {
            self.a = a
            self.b = b
            self.w0 = w0
            self.learningRate = learningRate
            self.steps = steps
            self.epsilon = epsilon
            self.points = points
            self.seed = seed
        }
    }

    /// One gradient-check point: ∇L from the formula beside the central difference.
    package struct CheckPoint: Codable, Sendable {
        package var w: [Double]
        package var analytic: [Double]
        package var numeric: [Double]
        package var relativeError: Double
    }

    /// Everything `lab q1a` shows.
    package struct Result: Encodable {
        package var settings: Settings
        package var gradientFormula = "∇L(w) = (a·w1, b·w2)"
        package var minimizer: [Double]
        package var minimumLoss: Double
        package var gradientChecks: [CheckPoint]
        /// NaN when any difference was not finite.
        package var maxRelativeError: Double
        /// maxRelativeError is finite and below `passBound`.
        package var gradientCheckPassed: Bool
        package var convergence: Convergence
        package var stopReason: StopReason
        package var stepsTaken: Int
        package var finalIterate: [Double]
        package var finalLoss: Double
        package var distanceToMinimizer: Double
        /// The figure and CSV hold every `plotStride`-th step (and the last): long runs are
        /// thinned to at most `plotPoints` rows so the figure stays drawable.
        package var plotStride: Int
        /// (t, L(w(t)), ‖w(t)‖) at the plotted steps; not in the JSON (it is the CSV).
        package var series: Table

        package enum CodingKeys: String, CodingKey {
            case settings, gradientFormula, minimizer, minimumLoss, gradientChecks, maxRelativeError
            case gradientCheckPassed, convergence, stopReason, stepsTaken, finalIterate, finalLoss
            case distanceToMinimizer, plotStride
        }
    }

    /// The check passes below this relative error. Rounding alone gives ≈ ε_mach/∛ε_mach ≈ 4e−11
    /// times the cancellation in L(w + h) − L(w − h) (≈ 1e−11 … 1e−9 here); a wrong formula gives
    /// ≳ 0.1 (forgetting the ½ gives 0.5).
    package static let passBound = 1e-6

    /// The most rows the figure and CSV draw; longer runs are thinned to a stride.
    package static let plotPoints = 4000

    /// Computes Question 1(a). Pure apart from the seeded generator; fast (O(points + steps)).
    ///
    /// - Throws: `LabError.failed` for coefficients that are not finite and positive.
    package static func compute(_ settings: Settings) throws -> Result {
        let q = try quadratic(settings.a, settings.b)
        var random = SeededGenerator(seed: settings.seed)
        let checks = (0..<settings.points).map { _ -> CheckPoint in
            let w = [2 * random.nextGaussian(), 2 * random.nextGaussian()]
            let analytic = q.gradient(at: w)
            let numeric = GradientCheck.centralDifference(of: q.value(at:), at: w)
            return CheckPoint(w: w, analytic: analytic, numeric: numeric,
                              relativeError: GradientCheck.relativeError(analytic, numeric))
        }
        // Gradient descent in chunks of `stride` steps (GD has no memory, so a chunk restarted
        // from the last iterate continues the same run), recording one row per chunk.
        let stride = max(1, (settings.steps + plotPoints - 1) / plotPoints)
        var series = Table(columns: ["t", "loss", "distance"])
        var w = settings.w0, t = 0, stop = StopReason.stepLimit, finalLoss = q.value(at: w)
        series.append([0, finalLoss, q.measure(.distance, at: w)])
        repeat {
            let run = q.descend(from: w, learningRate: settings.learningRate, maxSteps: min(stride, settings.steps - t),
                                tolerance: settings.epsilon, keepIterates: false)
            w = run.finalIterate
            finalLoss = run.finalLoss
            stop = run.stopReason
            if run.stepsTaken > 0 {
                t += run.stepsTaken
                series.append([Double(t), finalLoss, q.measure(.distance, at: w)])
            }
        } while stop == .stepLimit && t < settings.steps
        let maxError = checks.contains { $0.relativeError.isNaN } ? .nan : (checks.map(\.relativeError).max() ?? 0)
        return Result(
            settings: settings, minimizer: q.minimizer, minimumLoss: q.value(at: q.minimizer),
            gradientChecks: checks, maxRelativeError: maxError,
            gradientCheckPassed: maxError.isFinite && maxError < passBound,
            convergence: q.convergence(learningRate: settings.learningRate, from: settings.w0),
            stopReason: stop, stepsTaken: t, finalIterate: w,
            finalLoss: finalLoss, distanceToMinimizer: q.measure(.distance, at: w),
            plotStride: stride, series: series)
    }

    /// The quadratic, or the one-line reason it cannot be built — including curvatures that are
    /// fine as numbers but whose derived step sizes 2/max(a, b), 2/(a + b) or 1/max(a, b) round
    /// to ∞ or 0, which no run could use.
    package static func quadratic(_ a: Double, _ b: Double) throws -> DiagonalQuadratic {
        let q: DiagonalQuadratic
        do { q = try DiagonalQuadratic(a: a, b: b) } catch { throw LabError.failed("\(error)") }
        for (name, value) in [("2/max(a, b)", q.stabilityThreshold), ("2/(a + b)", q.optimalLearningRate),
                              ("1/max(a, b)", 1 / q.largestCoefficient)] where !(value.isFinite && value > 0) {
            throw LabError.failed(
                "with a = \(NumberFormat.number(a)) and b = \(NumberFormat.number(b)) the step size \(name) is \(NumberFormat.number(value)), which no run can use; choose a and b between 1e-300 and 1e300")
        }
        return q
    }
}
