// The sharpness lab (Question 2 after Question 1(c), sharpness issue): full-batch gradient
// descent on the MLP for several step sizes η, tracking the largest Hessian eigenvalue λmax (the
// sharpness) against 2/η — the threshold Q1(c) derives for a fixed quadratic. On the network
// the sharpness moves to about 2/η and hovers there while the loss keeps falling (the edge of
// stability, Cohen et al. 2021).

import Foundation
import MNISTData
import MNISTNet

/// Full-batch gradient descent with the sharpness measured along the way.
public enum SharpnessLab {
    /// What to run. The defaults are the command line's.
    public struct Settings: Codable, Sendable, Hashable {
        /// Train on the first `samples` training images (the full batch).
        public var samples = 2000
        /// One run per step size η, all from the same start.
        public var etas: [Double] = [0.5, 1.2, 2, 4]
        /// Gradient steps per run.
        public var steps = 800
        /// Measure sharpness and test accuracy every `every` steps (and after the last).
        public var every = 10
        /// Lanczos stops when the top Ritz pair's residual ‖H v − λ v‖ ≤ tolerance · λ.
        public var tolerance = 1e-3
        /// Also measure the second eigenvalue λ₂.
        public var second = false
        /// How pixels become inputs.
        public var rawPixels = false

        public init() {}

        public var scaling: InputScaling { rawPixels ? .raw : .unit }

        /// The largest step count and sample count accepted (a run must stay interactive).
        public static let maximumSteps = 100_000

        /// Checks the settings a user typed.
        ///
        /// - Throws: `SharpnessError.setting` saying what to pass instead.
        public func validate() throws {
            guard !etas.isEmpty, etas.count <= 16 else {
                throw SharpnessError.setting("give 1…16 step sizes, e.g. --eta 0.5,1.2,2,4")
            }
            for eta in etas where !(eta.isFinite && eta > 0) {
                throw SharpnessError.setting("step size \(eta) must be a finite number > 0, e.g. --eta 2")
            }
            guard samples >= 1 else { throw SharpnessError.setting("--samples \(samples) must be at least 1, e.g. --samples 2000") }
            guard (1 ... Self.maximumSteps).contains(steps) else {
                throw SharpnessError.setting("--steps \(steps) must be 1…\(Self.maximumSteps), e.g. --steps 800")
            }
            guard every >= 1 else { throw SharpnessError.setting("--every \(every) must be at least 1, e.g. --every 10") }
            guard tolerance.isFinite, tolerance > 0, tolerance < 1 else {
                throw SharpnessError.setting("--tolerance \(tolerance) must be in (0, 1), e.g. --tolerance 1e-3")
            }
        }
    }

    /// One measurement of a run.
    public struct Measurement: Codable, Sendable, Equatable {
        /// Steps taken before it (0: the start).
        public var step: Int
        /// Mean training loss L(θ) over the full batch.
        public var loss: Double
        /// Accuracy on the test set.
        public var testAccuracy: Double
        /// λmax of the Hessian of L at θ (Lanczos' top Ritz value).
        public var sharpness: Double
        /// λ₂, when asked for.
        public var second: Double?
        /// Its residual ‖H v − λ v‖ (a bound on the distance to an eigenvalue of H).
        public var residual: Double
        /// Hessian-vector products Lanczos used.
        public var products: Int
    }

    /// One η.
    public struct Run: Codable, Sendable {
        public var eta: Double
        /// 2/η: where a quadratic with curvature λ = 2/η stops converging (Q1(c)).
        public var threshold: Double
        /// "completed", "diverged" or "stopped" (Ctrl-C).
        public var status: String
        /// Gradient steps taken.
        public var steps: Int
        /// L(θ_t) for t = 0 … steps (the last one after the last step; non-finite on divergence).
        public var losses: [Double]
        public var measurements: [Measurement]

        /// The last measurement (at the last step taken, or before divergence).
        public var final: Measurement? { measurements.last }
        /// final sharpness · η / 2: 1 means exactly at the edge 2/η.
        public var ratio: Double? { final.map { $0.sharpness / threshold } }
        /// The first measured step where |λmax − 2/η| ≤ 10 % of 2/η.
        public var firstWithinTenPercent: Int? {
            measurements.first { abs($0.sharpness - threshold) <= 0.1 * threshold }?.step
        }
        public var diverged: Bool { status == "diverged" }

        enum CodingKeys: String, CodingKey {
            case eta, threshold, status, steps, losses, measurements, final, ratio, firstWithinTenPercent, diverged
        }

        public init(eta: Double, status: String, steps: Int, losses: [Double], measurements: [Measurement]) {
            self.eta = eta
            threshold = 2 / eta
            self.status = status
            self.steps = steps
            self.losses = losses
            self.measurements = measurements
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(eta: try c.decode(Double.self, forKey: .eta), status: try c.decode(String.self, forKey: .status),
                      steps: try c.decode(Int.self, forKey: .steps), losses: try c.decode([Double].self, forKey: .losses),
                      measurements: try c.decode([Measurement].self, forKey: .measurements))
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(eta, forKey: .eta)
            try c.encode(threshold, forKey: .threshold)
            try c.encode(status, forKey: .status)
            try c.encode(steps, forKey: .steps)
            try c.encode(losses, forKey: .losses)
            try c.encode(measurements, forKey: .measurements)
            try c.encodeIfPresent(final, forKey: .final)
            try c.encodeIfPresent(ratio, forKey: .ratio)
            try c.encodeIfPresent(firstWithinTenPercent, forKey: .firstWithinTenPercent)
            try c.encode(diverged, forKey: .diverged)
        }
    }

    /// Everything the lab measured.
    public struct Result: Codable, Sendable {
        public var settings: Settings
        public var layerSizes: [Int]
        public var parameterCount: Int
        /// Images in the full batch and in the test set.
        public var trainCount: Int
        public var testCount: Int
        /// The start, shared by every run.
        public var initial: Measurement
        /// One per η, in the order given.
        public var runs: [Run]
        /// True when Ctrl-C stopped the runs early.
        public var stopped: Bool { runs.contains { $0.status == "stopped" } }
    }

    /// What the observer sees after each step of run `run` (index into `settings.etas`).
    public struct Progress: Sendable {
        public var run: Int
        public var eta: Double
        /// Steps taken so far.
        public var steps: Int
        /// L(θ) after them.
        public var loss: Double
        /// The measurement taken at this step, if one was.
        public var measurement: Measurement?
    }

    /// A run is declared diverged when its loss is not finite or exceeds this multiple of the
    /// starting loss (gradient descent on a loss bounded below that climbs 10× has left the basin).
    public static let divergenceFactor = 10.0
}

/// Settings that cannot work, and the lab's own failures, each in one line.
public enum SharpnessError: Error, CustomStringConvertible, Equatable, Sendable {
    case setting(String)
    /// The data does not fit the network, or an eigen-solver failed.
    case failed(String)

    public var description: String {
        switch self {
        case .setting(let text), .failed(let text): return text
        }
    }
}
