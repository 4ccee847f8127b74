// Training progress on stderr: on a terminal a bar redrawn in place with a carriage return (at
// most ten times a second); to a file or pipe plain lines, one when training starts and one per
// tenth of an epoch; always one line per finished epoch. Stdout stays for the results.

import Foundation
import LabSupport
import Labs
import MNISTNet

/// Shows `TrainingEvent`s on stderr.
final class TrainingConsole {
    private let terminal: Bool
    private let epochs: Int
    private let label: String
    private var lastDraw = Date.distantPast
    private var barOpen = false
    private var nextLineAt = 0
    private let started = Date()

    /// - Parameters:
    ///   - epochs: the number of epochs (for "epoch 2/3").
    ///   - label: what is being trained, e.g. "training".
    init(epochs: Int, label: String = "training", terminal: Bool = Console.stderrIsTerminal) {
        self.epochs = epochs
        self.label = label
        self.terminal = terminal
    }

    /// Seconds since this console was made.
    var elapsed: TimeInterval { Date().timeIntervalSince(started) }

    func show(_ event: TrainingEvent) {
        switch event {
        case .progress(let p):
            let fraction = Double(p.samplesInEpoch) / Double(max(1, p.epochSize))
            let rate = Double(p.samplesSeen) / max(elapsed, 1e-9)
            let status = "\(label) epoch \(p.epoch)/\(epochs) \(Q2Format.count(p.samplesInEpoch))/\(Q2Format.count(p.epochSize))"
                + String(format: "  loss %.4f  %.0f samples/s", p.epochMeanLoss, rate)
            if terminal {
                let now = Date()
                guard now.timeIntervalSince(lastDraw) >= 0.1 || p.samplesInEpoch == p.epochSize else { return }
                lastDraw = now
                let width = 24, filled = Int((fraction * Double(width)).rounded(.down))
                let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
                Console.write("\r[\(bar)] \(String(format: "%3.0f", 100 * fraction)) %  \(status)\u{1B}[K")
                barOpen = true
            } else if p.samplesInEpoch >= nextLineAt || p.samplesInEpoch == p.epochSize {
                Console.error(status)
                nextLineAt = p.samplesInEpoch + max(1, p.epochSize / 10)
            }
        case .epochFinished(let s):
            endBar()
            nextLineAt = 0
            var line = "\(label) epoch \(s.epoch)/\(epochs) done: train loss \(Q2Format.loss(s.trainLoss))"
            if let loss = s.testLoss, let accuracy = s.testAccuracy {
                line += ", test loss \(Q2Format.loss(loss)), test accuracy \(Q2Format.percent(accuracy))"
            }
            Console.error(line + String(format: "  (%.1f s)", elapsed))
        }
    }

    /// Ends an open progress bar line (before other output or an error).
    func endBar() {
        if barOpen { Console.write("\r\u{1B}[K") }
        barOpen = false
    }
}
