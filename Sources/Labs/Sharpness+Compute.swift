// The sharpness lab's computation: one full-batch gradient descent run per η (the fast Float32
// full-batch gradient, parameters kept in Double), runs spread over the cores, and λmax measured
// every few steps by Lanczos on the exact Hessian-vector product (Curvature's `NetworkLoss`),
// warm-started from the previous measurement's top eigenvector.

import Curvature
import Dispatch
import Foundation
import LabSupport
import MNISTData
import MNISTNet

extension SharpnessLab {
    /// The seed of Lanczos' random first start vector (later measurements start from the last
    /// top eigenvector).
    public static let lanczosSeed: UInt64 = 13

    /// Runs full-batch gradient descent from `start` on the first `settings.samples` images of
    /// `train` for every η of `settings.etas`:
    /// ```
    /// L(θ) = (1/N) Σ_{n<N} −log p_{y_n}(x_n; θ),     θ_{t+1} = θ_t − η ∇L(θ_t)
    /// ```
    /// and every `settings.every` steps (and at the start and the end) measures L, the test
    /// accuracy and λmax(∇²L(θ_t)) by Lanczos with full reorthogonalisation, stopped when the
    /// top Ritz pair's residual ‖H v − λ v‖ ≤ `settings.tolerance` · λ (then λ is within that of
    /// an eigenvalue of H).
    ///
    /// A run diverges when L is not finite or exceeds `divergenceFactor` × L(θ₀); it then stops.
    /// Runs go in parallel, one per core at most. The same settings give the same numbers on
    /// the same machine; another core count splits the Hessian products' sums differently,
    /// which changes their rounding only.
    ///
    /// - Parameters:
    ///   - settings: the step sizes, steps, sample count and measurement interval.
    ///   - start: the network every run starts from.
    ///   - train: the training images; the first `settings.samples` are the full batch.
    ///   - test: the images the test accuracy is measured on.
    ///   - observer: sees every step of every run (from several threads at once); `.stop`
    ///     ends that run at this step (Ctrl-C), and the result keeps what was measured.
    /// - Returns: the measurement at the start and one run per η, in the order given.
    /// - Throws: `SharpnessError` for settings or data that do not fit, or when Lanczos fails.
    public static func compute(
        _ settings: Settings, start: MLP, train: ImageDataset, test: ImageDataset,
        observer: @escaping @Sendable (Progress) -> TrainingControl = { _ in .proceed }
    ) throws -> Result {
        try settings.validate()
        do {
            try start.checkCompatible(with: train)
            try start.checkCompatible(with: test)
        } catch {
            throw SharpnessError.failed("\(error)")
        }
        guard start.inputCount <= FastKernel.maximumInputCount else {
            throw SharpnessError.failed("images of \(start.inputCount) pixels are too large for the full-batch kernel (at most \(FastKernel.maximumInputCount))")
        }
        guard settings.samples <= train.count else {
            throw SharpnessError.setting("--samples \(settings.samples) is more than the \(train.count) training images; pass --samples \(min(2000, train.count))")
        }
        let batch = train.prefix(settings.samples)

        // The start, shared by every run.
        let startGradient = FullBatchGradient(data: batch, layerSizes: start.layerSizes, scaling: settings.scaling)
        let startLoss = startGradient.lossAndGradient(at: start).loss
        guard startLoss.isFinite else { throw SharpnessError.failed("the loss at the start is not finite (\(startLoss)); check the weights") }
        var generator = SeededGenerator(seed: lanczosSeed)
        let curvature = NetworkLoss(network: start, data: batch, scaling: settings.scaling, threads: 1)
        let (initial, initialVector) = try measure(
            start, step: 0, loss: startLoss, curvature: curvature, test: test, settings: settings,
            warm: nil, generator: &generator)

        let slots = RunSlots(count: settings.etas.count)
        let hvpThreads = 1
        DispatchQueue.concurrentPerform(iterations: settings.etas.count) { index in
            slots.store(Result_(catching: {
                try run(index: index, settings: settings, start: start, batch: batch, test: test, initial: initial,
                        warm: initialVector, threads: hvpThreads, observer: observer)
            }), at: index)
        }
        let runs = try slots.results().map { try $0.get() }
        return Result(settings: settings, layerSizes: start.layerSizes, parameterCount: start.parameterCount,
                      trainCount: batch.count, testCount: test.count, initial: initial, runs: runs)
    }

    /// One η: gradient descent with measurements.
    static func run(
        index: Int, settings: Settings, start: MLP, batch: ImageDataset, test: ImageDataset, initial: Measurement,
        warm: [Double], threads: Int, observer: @Sendable (Progress) -> TrainingControl
    ) throws -> Run {
        let eta = settings.etas[index]
        let full = FullBatchGradient(data: batch, layerSizes: start.layerSizes, scaling: settings.scaling)
        let curvature = NetworkLoss(network: start, data: batch, scaling: settings.scaling, threads: threads)
        var generator = SeededGenerator(seed: lanczosSeed &+ UInt64(index) &+ 1)
        var network = start, gradient = Gradients(zerosLike: start), vector = warm
        var losses: [Double] = [], measurements = [initial]
        let limit = divergenceFactor * initial.loss
        var t = 0, status = "completed"
        while true {
            let loss = full.lossAndGradient(at: network, into: &gradient)
            losses.append(loss)
            guard loss.isFinite, loss <= limit else {
                status = "diverged"
                break
            }
            var measured: Measurement?
            if t > 0 && (t % settings.every == 0 || t == settings.steps) {
                let (m, v) = try measure(network, step: t, loss: loss, curvature: curvature, test: test,
                                         settings: settings, warm: vector, generator: &generator)
                measurements.append(m)
                vector = v
                measured = m
            }
            let control = observer(Progress(run: index, eta: eta, steps: t, loss: loss, measurement: measured))
            if t == settings.steps { break }
            if control == .stop {
                status = "stopped"
                break
            }
            network.step(along: gradient, learningRate: eta)
            t += 1
        }
        return Run(eta: eta, status: status, steps: t, losses: losses, measurements: measurements)
    }

    /// Loss (given), test accuracy and the top eigenvalue(s) at `network`.
    ///
    /// - Returns: the measurement and the top eigenvector (the next warm start).
    static func measure(
        _ network: MLP, step: Int, loss: Double, curvature: NetworkLoss, test: ImageDataset, settings: Settings,
        warm: [Double]?, generator: inout SeededGenerator
    ) throws -> (Measurement, [Double]) {
        let θ = NetworkLoss.parameters(of: network)
        let top: LanczosResult
        do {
            top = try Lanczos.topEigenvalues(
                of: curvature.hessian(at: θ), count: settings.second ? 2 : 1,
                options: LanczosOptions(tolerance: settings.tolerance, maximumIterations: 300), start: warm,
                generator: &generator)
        } catch {
            throw SharpnessError.failed("the sharpness at step \(step) could not be measured: \(error)")
        }
        let accuracy: Double
        do {
            accuracy = try network.evaluate(on: test, scaling: settings.scaling).accuracy
        } catch {
            throw SharpnessError.failed("\(error)")
        }
        let m = Measurement(
            step: step, loss: loss, testAccuracy: accuracy, sharpness: top.eigenvalues[0],
            second: top.eigenvalues.count > 1 ? top.eigenvalues[1] : nil, residual: top.residuals[0],
            products: top.products)
        return (m, top.eigenvectors[0])
    }
}

/// `Swift.Result` under a name that does not clash with `SharpnessLab.Result`.
typealias Result_<Success> = Swift.Result<Success, any Error>

/// The runs' results, stored from several threads.
///
/// `@unchecked Sendable`: every access holds `lock`.
private final class RunSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result_<SharpnessLab.Run>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func store(_ result: Result_<SharpnessLab.Run>, at index: Int) {
        lock.lock()
        slots[index] = result
        lock.unlock()
    }

    func results() -> [Result_<SharpnessLab.Run>] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}
