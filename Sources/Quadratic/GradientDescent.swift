// Question 1: gradient descent (and heavy-ball momentum) on the diagonal quadratic, recording
// the trajectory and the loss at every step, stopping early at a loss tolerance or when the
// loss stops being a finite number (divergence is a result, not an error).

/// Why a descent run ended.
public enum StopReason: String, Codable, Sendable {
    /// The stopping measure (L(w_t), or ‖w_t‖) ≤ tolerance at the last recorded step.
    case reachedTolerance = "reached-tolerance"
    /// L(w_t) overflowed to ∞ (or became NaN): the run diverged at the last recorded step.
    case lossNotFinite = "loss-not-finite"
    /// The step limit was reached with the loss still above the tolerance.
    case stepLimit = "step-limit"
}

/// One run of gradient descent: iterates w(0) … w(T) and losses L(w(0)) … L(w(T)).
public struct DescentRun: Sendable, Equatable {
    /// η.
    public let learningRate: Double
    /// β (0 for plain gradient descent).
    public let momentum: Double
    /// Heavy ball or Nesterov (the same when β = 0).
    public let method: MomentumMethod
    /// n, coordinates per iterate.
    public let dimension: Int
    /// w(t) for t = 0 … stepsTaken, row-major: (stepsTaken + 1, n). Empty when iterates were
    /// not kept.
    public let iterates: [Double]
    /// L(w(t)) for t = 0 … stepsTaken.
    public let losses: [Double]
    /// Why the run ended.
    public let stopReason: StopReason
    /// The last iterate, kept even when `iterates` is not.
    public let finalIterate: [Double]

    /// T, the number of steps taken (the index of the last recorded iterate).
    public var stepsTaken: Int { losses.count - 1 }

    /// L(w(T)).
    public var finalLoss: Double { losses[losses.count - 1] }

    /// Whether the full trajectory was recorded.
    public var hasIterates: Bool { !iterates.isEmpty }

    /// w(t), a copy of n values; requires `hasIterates`.
    public func iterate(_ t: Int) -> [Double] {
        precondition(hasIterates, "this run did not keep its iterates")
        return Array(iterates[(t * dimension)..<((t + 1) * dimension)])
    }

    /// The first step at which L(w(t)) ≤ `tolerance`, if any was recorded.
    public func firstStep(atOrBelow tolerance: Double) -> Int? {
        losses.firstIndex { $0 <= tolerance }
    }
}

extension DiagonalQuadratic {
    /// Runs gradient descent with heavy-ball momentum from `w0`:
    ///
    /// ```
    /// w(t+1) = w(t) − η·∇L(w(t)) + β·(w(t) − w(t−1)),    w(−1) = w(0)
    /// ```
    ///
    /// or, with `method: .nesterov`, Nesterov's look-ahead step
    ///
    /// ```
    /// y(t) = w(t) + β·(w(t) − w(t−1)),   w(t+1) = y(t) − η·∇L(y(t))
    /// ```
    ///
    /// With β = 0 both are plain gradient descent, w(t+1) = w(t) − η·∇L(w(t)), which for this
    /// quadratic is wᵢ(t+1) = (1 − η·aᵢ)·wᵢ(t) — but the run uses the gradient, not that
    /// closed form, so comparing the two is a real check.
    ///
    /// The run stops after `maxSteps` steps, or as soon as L(w(t)) ≤ `tolerance` (‖w(t)‖ with
    /// `criterion: .distance`), or as soon
    /// as L(w(t)) is not finite (overflow), whichever comes first; `stopReason` says which.
    ///
    /// - Parameters:
    ///   - w0: the start, n coordinates, finite.
    ///   - learningRate: η, finite and > 0.
    ///   - momentum: β, finite and in [0, 1).
    ///   - maxSteps: T ≥ 0.
    ///   - tolerance: stop once the loss (or distance) is ≤ this; 0 stops only at an exact minimum.
    ///   - method: heavy ball (default) or Nesterov.
    ///   - criterion: what `tolerance` is compared with: the loss (default) or ‖w‖.
    ///   - keepIterates: record every w(t) (memory (T + 1)·n doubles); losses are always kept.
    /// - Complexity: O(T·n) time; no allocation inside the loop beyond amortised appends.
    public func descend(
        from w0: [Double], learningRate: Double, momentum: Double = 0,
        maxSteps: Int, tolerance: Double = 0, keepIterates: Bool = true,
        method: MomentumMethod = .heavyBall, criterion: StoppingCriterion = .loss
    ) -> DescentRun {
        precondition(w0.count == dimension, "start has \(w0.count) coordinates, the quadratic \(dimension)")
        precondition(learningRate.isFinite && learningRate > 0, "learning rate must be finite and > 0")
        precondition(momentum.isFinite && momentum >= 0 && momentum < 1, "momentum must be in [0, 1)")
        precondition(maxSteps >= 0, "maxSteps must be ≥ 0")
        let n = dimension
        var w = w0                 // w(t): (n)
        var previous = w0          // w(t−1): (n)
        var next = w0              // w(t+1): (n)
        var iterates: [Double] = []
        if keepIterates { iterates.reserveCapacity(min(maxSteps + 1, 1 << 20) * n) }
        var losses: [Double] = []
        losses.reserveCapacity(min(maxSteps + 1, 1 << 20))
        var stop = StopReason.stepLimit
        var t = 0
        while true {
            let loss = value(at: w)
            losses.append(loss)
            if keepIterates { iterates.append(contentsOf: w) }
            if !loss.isFinite { stop = .lossNotFinite; break }
            if (criterion == .loss ? loss : measure(.distance, at: w)) <= tolerance { stop = .reachedTolerance; break }
            if t == maxSteps { break }
            coefficients.withUnsafeBufferPointer { a in
                switch method {
                case .heavyBall:
                    for i in 0..<n {
                        let gradient = a[i] * w[i]                      // ∂L/∂wᵢ = aᵢ·wᵢ
                        next[i] = w[i] - learningRate * gradient + momentum * (w[i] - previous[i])
                    }
                case .nesterov:
                    for i in 0..<n {
                        let y = w[i] + momentum * (w[i] - previous[i])  // look-ahead point
                        next[i] = y - learningRate * (a[i] * y)         // gradient at y
                    }
                }
            }
            swap(&previous, &w)    // previous ← w(t)
            swap(&w, &next)        // w ← w(t+1)
            t += 1
        }
        return DescentRun(
            learningRate: learningRate, momentum: momentum, method: method, dimension: n,
            iterates: iterates, losses: losses, stopReason: stop, finalIterate: w)
    }
}
