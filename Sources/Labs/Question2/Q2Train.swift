// `lab q2-train`: Question 2, training — per-sample SGD θ ← θ − η·∇(−log p_y) on the training
// set (the homework: η = 0.003, 3 epochs, no shuffling), loss and test accuracy per epoch, the
// first layer's saturation before and after, and figures: loss curve, per-epoch test loss and
// accuracy, confusion matrix, predicted digits, first-layer weights, confident mistakes.

import Foundation
import MNISTData
import MNISTNet
import LabSupport

package enum Q2Train {
    package struct Settings: Codable, Sendable, Hashable {
        package var data = Q2DataSettings()
        package var network = Q2NetworkSettings()
        package var training = Q2TrainingSettings()

        package init(data: Q2DataSettings = Q2DataSettings(), network: Q2NetworkSettings = Q2NetworkSettings(), training: Q2TrainingSettings = Q2TrainingSettings()) {
            self.data = data
            self.network = network
            self.training = training
        }
    }

    /// Test loss, accuracy and saturation of one network.
    package struct Snapshot: Codable, Sendable {
        package var testLoss: Double
        package var testAccuracy: Double
        package var saturation: Saturation

        package init(_ e: Evaluation) {
            testLoss = e.averageLoss
            testAccuracy = e.accuracy
            saturation = e.saturation
        }
    }

    package struct EpochRow: Codable, Sendable {
        package var epoch: Int
        package var trainLoss: Double
        package var testLoss: Double
        package var testAccuracy: Double
    }

    /// How training ended, for text and JSON.
    package struct Outcome: Codable, Sendable {
        package enum Status: String, Codable, Sendable {
            case completed, stopped, diverged
        }

        package var status: Status
        package var samplesSeen: Int
        package var epoch: Int?
        package var sampleIndex: Int?
        package var loss: Double?

        package init(_ outcome: TrainingOutcome, samplesSeen: Int) {
            self.samplesSeen = samplesSeen
            switch outcome {
            case .completed: status = .completed
            case .stopped: status = .stopped
            case let .diverged(epoch, sampleIndex, _, loss):
                status = .diverged
                self.epoch = epoch
                self.sampleIndex = sampleIndex
                self.loss = loss
            }
        }

        package var text: String {
            switch status {
            case .diverged:
                return "training diverged: the loss of training sample \(sampleIndex ?? -1) (epoch \(epoch ?? 0), after \(Q2Format.count(samplesSeen)) sample\(samplesSeen == 1 ? "" : "s")) was \(Q2Format.loss(loss ?? .nan)); try a smaller --lr such as 0.003"
            case .stopped:
                return "training stopped after \(Q2Format.count(samplesSeen)) sample\(samplesSeen == 1 ? "" : "s")"
            case .completed:
                return "training completed: \(Q2Format.count(samplesSeen)) sample\(samplesSeen == 1 ? "" : "s")"
            }
        }
    }

    package struct Result: Encodable {
        package var settings: Settings
        package var data: Q2DataSummary
        package var start: String
        package var layerSizes: [Int]
        package var parameterCount: Int
        package var before: Snapshot
        package var epochs: [EpochRow]
        package var after: Snapshot
        package var outcome: Outcome
        /// (classes, classes), row = true class, column = predicted, after training.
        package var confusion: [[Int]]
        /// How many of the parameters training changed at all (a learning rate too small for
        /// the kernel's precision changes none).
        package var changedParameters: Int

        /// The trained network (also on divergence: the parameters before the failing step).
        package var network: MLP
        /// Mean loss per report interval, against samples seen.
        package var lossCurve: [LossPoint]
        /// The final network on the test set, and the test set (for the digit figures).
        package var final: Evaluation
        package var test: ImageDataset

        package enum CodingKeys: String, CodingKey {
            case settings, data, start, layerSizes, parameterCount, before, epochs, after, outcome, confusion, changedParameters
        }
    }

    /// Trains the network `settings` describe (or `start`, e.g. one the report already has) on
    /// `data.train` and evaluates it on `data.test` before, after every epoch and at the end.
    ///
    /// - Parameter observer: sees every progress report and epoch; `.stop` ends training early.
    /// - Throws: `LabError.failed` for settings or weights that cannot work.
    package static func compute(_ settings: Settings, data: Q2Data, start: MLP? = nil,
                        observer: (TrainingEvent) -> TrainingControl = { _ in .proceed }) throws -> Result {
        let scaling = settings.network.scaling
        let network = try start ?? Q2Network.make(settings.network, fitting: data.train)
        do {
            let before = try network.evaluate(on: data.test, scaling: scaling)
            let options = settings.training.options(scaling: scaling, seed: settings.network.seed)
            let trained = try Training.train(network, on: data.train, test: data.test, options: options, observer: observer)
            let final: Evaluation
            if trained.outcome == .completed, let last = trained.epochs.last?.test {
                final = last
            } else {
                final = try trained.network.evaluate(on: data.test, scaling: scaling)
            }
            let classes = final.classCount
            return Result(
                settings: settings, data: Q2DataSummary(data),
                start: settings.network.load.map { "loaded from \($0)" }
                    ?? (start == nil ? "seeded initialisation, seed \(settings.network.seed)" : "given network"),
                layerSizes: network.layerSizes, parameterCount: network.parameterCount, before: Snapshot(before),
                epochs: trained.epochs.map {
                    EpochRow(epoch: $0.epoch, trainLoss: $0.trainLoss, testLoss: $0.testLoss ?? .nan,
                             testAccuracy: $0.testAccuracy ?? .nan)
                },
                after: Snapshot(final), outcome: Outcome(trained.outcome, samplesSeen: trained.samplesSeen),
                confusion: (0 ..< classes).map { t in (0 ..< classes).map { final.confusion(actual: t, predicted: $0) } },
                changedParameters: changedCount(from: network, to: trained.network, kernel: settings.training.kernel),
                network: trained.network, lossCurve: trained.lossCurve, final: final, test: data.test)
        } catch let error as LabError {
            throw error
        } catch {
            throw LabError.failed("\(error)")
        }
    }

    /// The number of weights and biases that differ between `a` and `b` (same shapes), compared
    /// in the precision `kernel` trains in (the fast kernels round the start to Float32, which
    /// is not a change made by training).
    package static func changedCount(from a: MLP, to b: MLP, kernel: TrainingKernelKind) -> Int {
        let differ: (Double, Double) -> Bool = kernel == .reference ? { $0 != $1 } : { Float($0) != Float($1) }
        return zip(a.layers, b.layers).reduce(0) { count, pair in
            count + zip(pair.0.weights, pair.1.weights).filter(differ).count
                + zip(pair.0.biases, pair.1.biases).filter(differ).count
        }
    }

    /// `compute` under Ctrl-C: the first SIGINT stops training at its next progress report. A
    /// stopped run writes the weights so far to `<save>.partial.npz` (when `save` is given) and
    /// throws `LabError.interrupted` with `stopped(samples seen, partial file or nil)` as its
    /// message (exit status 130). `show` sees every training event.
    package static func trainStoppable(_ settings: Settings, data: Q2Data, start: MLP? = nil, save: String?,
                               show: (TrainingEvent) -> Void,
                               stopped: (_ samples: String, _ partial: String?) -> String) throws -> Result {
        let result = try Interrupt.during { interrupt in
            try compute(settings, data: data, start: start) { event in
                show(event)
                return interrupt.requested ? .stop : .proceed
            }
        }
        if result.outcome.status == .stopped {
            var partial: String?
            if let save {
                partial = Q2Network.partialPath(for: save)
                try Q2Network.save(result.network, to: partial!)
            }
            throw LabError.interrupted(stopped(Q2Format.count(result.outcome.samplesSeen), partial))
        }
        return result
    }
}
