// How `lab q2-train` reads: the text and the figures (each with its caption) of `Q2Train`'s
// result, which the command prints and the report reuses. What is computed:
// Labs/Question2/Q2Train.swift.

import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTData
import MNISTNet

extension Q2Train: LabPage {
    package static let worksheet = "q2-train"

    /// One sentence on what the final accuracy means: chance level says so; the homework's own
    /// settings are set against its expected "~85 %".
    package static func accuracyVerdict(_ r: Result) -> String? {
        let classes = max(1, r.confusion.count), chance = 1 / Double(classes)
        let accuracy = r.after.testAccuracy
        if accuracy.isFinite, accuracy < chance + 0.05, r.outcome.samplesSeen > 0 {
            return "The test accuracy \(Q2Format.percent(accuracy)) is at chance level (1/\(classes) = \(Q2Format.percent(chance))): this network learned nothing usable "
                + "(a learning rate far too large drives the sigmoids into saturation; one far too small changes nothing)."
        }
        let t = r.settings.training, homework = Q2TrainingSettings()
        guard r.data.dataset == DatasetKind.mnist.displayName, t.learningRate == homework.learningRate,
              t.batchSize == 1, !t.shuffle, t.trainLimit == nil, let first = r.epochs.first, let last = r.epochs.last
        else { return nil }
        if r.settings.network.rawPixels {
            return "The homework expects about 85 %: with raw pixels, as the homework wrote them, this run has \(Q2Format.percent(first.testAccuracy)) after epoch 1 "
                + "and \(Q2Format.percent(last.testAccuracy)) after epoch \(last.epoch); scaling the inputs to [0, 1] (drop --raw-pixels) is what reaches it."
        }
        return "The homework expects about 85 %: this run has \(Q2Format.percent(first.testAccuracy)) after epoch 1 (that expectation)"
            + (last.epoch > 1 ? " and \(Q2Format.percent(last.testAccuracy)) after epoch \(last.epoch)." : ".")
    }

    /// A warning when the fast kernels cannot apply the learning rate at all: η rounds to 0 in
    /// Float32, or η·|g| stays below half an ulp of a typical weight (|w| ≈ 0.03, ulp ≈ 2e-9)
    /// even for a gradient entry of 1. The run still goes ahead; its text says what changed.
    package static func precisionWarning(_ t: Q2TrainingSettings) -> String? {
        guard t.kernel != .reference else { return nil }
        let typicalWeight: Float = 1 / 28  // σ of W¹, the largest tensor
        if Float(t.learningRate) == 0 || Float(t.learningRate) < typicalWeight.ulp / 2 {
            return "--lr \(NumberFormat.number(t.learningRate)) is too small for the Float32 fast kernel: η·|∂L/∂w| ≤ η rounds away against weights of size 1/28 (half an ulp is \(NumberFormat.error(Double(typicalWeight.ulp / 2)))), so almost nothing will change; use --kernel reference (Double) or a larger --lr"
        }
        return nil
    }

    package static func text(for r: Result) -> String {
        let s = r.settings
        let t = s.training
        var lines = [
            "Q2 train  network \(Q2Format.layers(r.layerSizes)) (\(Q2Format.count(r.parameterCount)) parameters), \(r.start)",
            r.data.line,
            "SGD θ ← θ − η·Σ_batch ∇(−log p_y): η = \(NumberFormat.number(t.learningRate)), \(t.epochs) epoch\(t.epochs == 1 ? "" : "s"), batch size \(t.batchSize), "
                + "\(t.shuffle ? "shuffled (seed \(s.network.seed))" : "no shuffling"), \(Q2Format.scaling(s.network.scaling)), "
                + "\(t.trainLimit.map { "first \(Q2Format.count(min($0, r.data.trainCount))) training images" } ?? "all training images")",
        ]
        if let limit = t.trainLimit, limit > r.data.trainCount {
            lines.append("(--train-limit \(Q2Format.count(limit)) is more than the \(Q2Format.count(r.data.trainCount)) training images there are: all of them were used.)")
        }
        lines.append("")
        var table = TextTable(header: ["epoch", "train loss", "test loss", "test accuracy"])
        table.add(["0 (before)", "—", Q2Format.loss(r.before.testLoss), Q2Format.percent(r.before.testAccuracy)])
        for e in r.epochs {
            table.add(["\(e.epoch)", Q2Format.loss(e.trainLoss), Q2Format.loss(e.testLoss), Q2Format.percent(e.testAccuracy)])
        }
        if r.outcome.status != .completed {
            table.add(["end", "—", Q2Format.loss(r.after.testLoss), Q2Format.percent(r.after.testAccuracy)])
        }
        lines.append(table.render())
        lines.append("")
        lines.append(r.outcome.text.prefix(1).uppercased() + r.outcome.text.dropFirst() + ".")
        if r.changedParameters == 0 && r.outcome.samplesSeen > 0 {
            lines.append("No parameter changed: η·|∂L/∂θ| is below half a unit in the last place of every weight"
                         + (t.kernel == .reference ? "" : " in Float32 (the fast kernels' precision; --kernel reference trains in Double)")
                         + ", so this run learned nothing. Pass a larger --lr, such as 0.003.")
        } else if r.changedParameters < r.parameterCount / 2 && r.outcome.samplesSeen > 0 {
            lines.append("Only \(Q2Format.count(r.changedParameters)) of \(Q2Format.count(r.parameterCount)) parameters changed at all.")
        }
        if let verdict = accuracyVerdict(r) { lines.append(verdict) }
        lines.append("")
        lines.append("First hidden layer saturation (sigmoid outputs outside (0.01, 0.99), gradient factor σ(1 − σ) < 0.0099):")
        lines.append("  before training: \(r.before.saturation.text)")
        lines.append("  after training:  \(r.after.saturation.text)")
        if s.network.rawPixels {
            lines.append("  Raw pixels up to 255 push z = x·W + b far beyond ±4.6 from the start, so most first-layer units sit on the flat")
            lines.append("  tails of the sigmoid; and raw inputs make the loss far more curved along W¹ (its curvature grows with x², up to")
            lines.append("  255² for the same unit states), so one SGD step overshoots on many samples: Question 1(c) on the network")
            lines.append("  (`lab q2-curvature` measures both effects and separates them).")
        }
        lines.append("")
        let names = r.data.classNames
        var worst: (count: Int, actual: Int, predicted: Int) = (0, 0, 0)
        for (a, row) in r.confusion.enumerated() {
            for (p, count) in row.enumerated() where a != p && count > worst.count { worst = (count, a, p) }
        }
        if worst.count > 0, worst.actual < names.count, worst.predicted < names.count {
            lines.append("Most frequent confusion: true \(names[worst.actual]) predicted as \(names[worst.predicted]) (\(Q2Format.count(worst.count)) test images).")
        }
        return lines.joined(separator: "\n")
    }

    /// q2-train-loss, q2-train-epochs, q2-train-confusion.
    package static func figures(for r: Result, title: String?) -> [Figure] {
        var figures: [Figure] = []
        // Training loss against samples seen: per-interval means, each drawn at the middle of
        // its interval, and a centred moving mean over `window` intervals (a trailing mean
        // would lag the curve by half a window).
        var curve = Table(columns: ["samples_seen", "interval_mean_loss", "centred_mean_loss"])
        let window = 10
        for (k, point) in r.lossCurve.enumerated() {
            let start = k == 0 ? 0 : r.lossCurve[k - 1].samplesSeen
            let around = r.lossCurve[max(0, k - window / 2) ... min(r.lossCurve.count - 1, k + (window - 1) / 2)].map(\.meanLoss)
            curve.append([Double(start + point.samplesSeen) / 2, point.meanLoss, around.reduce(0, +) / Double(around.count)])
        }
        if !curve.rows.isEmpty {
            let interval = r.lossCurve.first.map(\.samplesSeen) ?? 1000
            let epochSize = min(r.settings.training.trainLimit ?? r.data.trainCount, r.data.trainCount)
            var arrows = ""
            for e in r.epochs.dropLast() {
                arrows += "set arrow from \(e.epoch * epochSize), graph 0 to \(e.epoch * epochSize), graph 1 nohead dt 3 lc rgb '#888888'\n"
            }
            figures.append(Figure(
                name: "q2-train-loss",
            caption: "Q2 training: cross-entropy loss per sample against the number of training samples seen (interval means and their centred moving mean)", data: [("curve", curve)],
                commands: Q1Plot.style
                    + Q1Plot.titleCommand("Q2 training loss −log p_y against samples seen (η = \(NumberFormat.number(r.settings.training.learningRate)), \(Q2Format.scaling(r.settings.network.scaling)))", user: title)
                    + arrows
                    + """
                    set xlabel 'training samples seen (dotted lines: epoch boundaries)'
                    set ylabel 'cross-entropy loss per sample'
                    set yrange [0:\(Gnuplot.number(1.45 * max(log(10.0), r.lossCurve.map(\.meanLoss).filter(\.isFinite).max() ?? 0)))]
                    set key top right
                    plot $curve using 1:2 with lines lw 1 lc rgb '#9ecae1' title 'mean over each \(Q2Format.count(interval)) samples', \\
                         $curve using 1:3 with lines lw 3 lc rgb '\(Q1Plot.color(0))' title 'centred mean over \(window) intervals', \\
                         \(Gnuplot.number(log(10.0))) with lines lw 1.5 dt 2 lc rgb '\(Q1Plot.color(1))' title 'ln 10 (uniform guess)'

                    """))
        }
        // Test loss and accuracy per epoch, epoch 0 = before training.
        var epochs = Table(columns: ["epoch", "test_loss", "test_accuracy_percent", "train_loss"])
        // Room above the curves for the key: the loss axis runs to 1.35 × the largest loss.
        let topLoss = max(0.1, ([r.before.testLoss] + r.epochs.flatMap { [$0.testLoss, $0.trainLoss] })
            .filter(\.isFinite).max() ?? 2.5)
        // The train loss is the mean over an epoch, measured while the weights changed: it is
        // drawn at the epoch's middle (x = epoch − ½), the test numbers at its end.
        epochs.append([0, r.before.testLoss, 100 * r.before.testAccuracy, .nan])
        for e in r.epochs { epochs.append([Double(e.epoch), e.testLoss, 100 * e.testAccuracy, e.trainLoss]) }
        figures.append(Figure(
            name: "q2-train-epochs",
            caption: "Q2 training: test loss and test accuracy after each epoch (epoch 0 is before training), the train loss averaged during each epoch (drawn mid-epoch), and the homework's ~85 %", data: [("epochs", epochs)],
            commands: Q1Plot.style
                + Q1Plot.titleCommand("Q2 test loss and test accuracy per epoch (epoch 0: before training)", user: title)
                + """
                set xlabel 'epoch'
                set xtics 1
                set xrange [-0.2:\(max(1, r.epochs.count)) + 0.2]
                set ylabel 'cross-entropy loss per sample'
                set yrange [0:\(Gnuplot.number(1.35 * topLoss))]
                set y2label 'test accuracy (%)'
                set y2range [0:135]
                set y2tics 0,10,100
                set ytics nomirror
                set key top center horizontal width 1

                plot $epochs using 1:2 axes x1y1 with linespoints pt 7 ps 1.2 lw 2 lc rgb '\(Q1Plot.color(1))' title 'test loss (left)', \\
                     $epochs using ($1 - 0.5):4 axes x1y1 with linespoints pt 6 ps 1.2 lw 2 dt 2 lc rgb '\(Q1Plot.color(4))' title 'train loss, mean during the epoch (left)', \\
                     85 axes x1y2 with lines lw 1.5 dt 3 lc rgb '#555555' title 'the homework expects 85 % (right)', \\
                     $epochs using 1:3 axes x1y2 with linespoints pt 5 ps 1.2 lw 2 lc rgb '\(Q1Plot.color(0))' title 'test accuracy (right)', \\
                     $epochs using 1:3:(sprintf('%.1f %%', $3)) axes x1y2 with labels offset 0,1.2 tc rgb '\(Q1Plot.color(0))' notitle

                """))
        figures.append(Q2Plot.confusion(
            r.confusion.flatMap { $0 }, classNames: r.data.classNames, name: "q2-train-confusion",
            caption: "Q2 training: the confusion matrix on the test set after training (row: true class, column: predicted)",
            title: Q1Plot.titleCommand("Q2 confusion matrix on \(Q2Format.count(r.final.count)) test images, accuracy \(Q2Format.percent(r.after.testAccuracy))", user: title)))
        return figures
    }

    /// q2-train-predictions (the first 40 test digits), q2-train-weights (first-layer weights as
    /// 28×28 tiles, up to 64 units), q2-train-mistakes (the 20 most confidently wrong).
    package static func rasters(for r: Result, title: String?) -> [RasterFigure] {
        guard r.test.rows == 28, r.test.columns == 28 else { return [] }
        let names = r.data.classNames
        let prefix = title.map { $0 + " - " } ?? ""
        var rasters: [RasterFigure] = []
        let shown = Array(0 ..< min(40, r.test.count))
        if !shown.isEmpty {
            let wrong = shown.filter { r.final.predictions[$0] != r.test.labels[$0] }.count
            rasters.append(RasterFigure(name: "q2-train-predictions",
            caption: "Q2 training: the first 40 test images with the trained network's prediction (mistakes marked)", canvas: RasterFigures.predictionGrid(
                images: shown.map { Array(r.test.image(at: $0)) }, predicted: shown.map { Int(r.final.predictions[$0]) },
                actual: shown.map { Int(r.test.labels[$0]) }, classNames: names, columns: 10,
                title: prefix + "Q2 first \(shown.count) test images: predicted class (\(wrong) wrong)")))
        }
        let first = r.network.layers[0]
        let units = min(first.outputCount, 64)
        var weights = [Double](repeating: 0, count: 784 * units)
        for i in 0 ..< 784 { for j in 0 ..< units { weights[i * units + j] = first.weights[i * first.outputCount + j] } }
        rasters.append(RasterFigure(name: "q2-train-weights",
            caption: "Q2 training: the first layer's weight vectors after training, one 28×28 tile per hidden unit", canvas: RasterFigures.weightTiles(
            weights: weights, units: units, columns: 8,
            title: prefix + "Q2 first-layer weights after training: one 28x28 tile per hidden unit"
                + (units < first.outputCount ? " (first \(units) of \(first.outputCount))" : ""))))
        let mistakes = r.final.confidentMistakes(limit: 20)
        if !mistakes.isEmpty {
            rasters.append(RasterFigure(name: "q2-train-mistakes",
            caption: "Q2 training: the test images the trained network gets wrong with the highest confidence", canvas: RasterFigures.confidentlyWrong(
                images: mistakes.map { Array(r.test.image(at: $0)) }, predicted: mistakes.map { Int(r.final.predictions[$0]) },
                actual: mistakes.map { Int(r.test.labels[$0]) }, confidence: mistakes.map { r.final.maxProbabilities[$0] },
                classNames: names, columns: 10,
                title: prefix + "Q2 the \(mistakes.count) most confidently wrong test images: prediction, its probability, truth")))
        }
        return rasters
    }
}
