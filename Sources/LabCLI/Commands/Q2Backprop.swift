// `lab q2-backprop`: Question 2, backpropagation checked — for every weight and bias tensor,
// sampled entries of ∇L from backpropagation against central finite differences
// (L(θ + h·e_k) − L(θ − h·e_k)) / 2h of the summed loss over a few training images, in Double.

import ArgumentParser
import Foundation
import MNISTNet

struct Q2Backprop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q2-backprop",
        abstract: "Q2: the gradient check — backpropagation against central differences, per tensor.",
        discussion: "Figure: <out>/q2-backprop-errors.png (max relative error per tensor, log scale, with the 1e-6 bar).")

    @OptionGroup var data: Q2DataOptions
    @OptionGroup var network: Q2NetworkOptions

    @Option(help: "Training images in the checked loss L = Σ −log p_y (1 … 1000).")
    var samples = 10

    @Option(help: "Entries compared per tensor (1 … 10000; all entries when a tensor has fewer).")
    var entries = 20

    @OptionGroup var output: OutputOptions

    func validate() throws {
        try ArgumentCheck.steps(samples, "--samples", limit: 1000, example: "10")
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1; try --samples 10") }
        try ArgumentCheck.steps(entries, "--entries", limit: 10000, example: "20")
        guard entries >= 1 else { throw ValidationError("--entries must be at least 1; try --entries 20") }
    }

    func run() throws {
        if output.explain { return try Presenter.explain(Self.worksheet) }
        let settings = Settings(data: data.settings, network: network.settings, samples: samples, entries: entries)
        try Self.present(try Self.compute(settings, data: try Q2Data.load(settings.data)), output: output)
    }
}

extension Q2Backprop: Q2Lab {
    static let worksheet = "q2-backprop"
    /// A tensor passes when its largest relative error is at most this.
    static let tolerance = 1e-6

    struct Settings: Codable, Sendable {
        var data = Q2DataSettings()
        var network = Q2NetworkSettings()
        var samples = 10
        var entries = 20
    }

    struct Row: Codable, Sendable {
        var name: String
        var shape: [Int]
        var checked: Int
        var maxRelativeError: Double
        var maxAbsoluteError: Double
        var largestGradient: Double
        var passed: Bool
    }

    struct Result: Encodable {
        var settings: Settings
        var data: Q2DataSummary
        var layerSizes: [Int]
        var step: Double
        var tolerance: Double
        var rows: [Row]
        var passed: Bool
    }

    /// The gradient check at the network `settings` describe (or `network`), on the first
    /// `settings.samples` training images; entries drawn with the network seed.
    static func compute(_ settings: Settings, data: Q2Data, network given: MLP? = nil) throws -> Result {
        let network = try given ?? Q2Network.make(settings.network, fitting: data.train)
        let count = min(settings.samples, data.train.count)
        guard count >= 1 else { throw LabError.failed("the training set is empty; the gradient check needs images") }
        let rows = GradientCheck.run(
            network, data: data.train, indices: Array(0 ..< count), scaling: settings.network.scaling,
            entriesPerTensor: settings.entries, seed: settings.network.seed
        ).map {
            Row(name: $0.name, shape: $0.shape, checked: $0.checked, maxRelativeError: $0.maxRelativeError,
                maxAbsoluteError: $0.maxAbsoluteError, largestGradient: $0.largestGradient,
                passed: $0.maxRelativeError <= tolerance)
        }
        return Result(settings: settings, data: Q2DataSummary(data), layerSizes: network.layerSizes,
                      step: GradientCheck.defaultStep, tolerance: tolerance, rows: rows,
                      passed: rows.allSatisfy(\.passed))
    }

    static func text(for r: Result) -> String {
        var lines = [
            "Q2 backprop  gradient check of L = Σ −log p_y over the first \(r.settings.samples) training images",
            r.data.line,
            "Network \(Q2Format.layers(r.layerSizes)), \(Q2Format.scaling(r.settings.network.scaling)); central differences with h = \(NumberFormat.error(r.step)), rel = |g − ĝ| / max(|g|, |ĝ|)",
            "",
        ]
        var table = TextTable(header: ["tensor", "shape", "entries checked", "max rel error", "max abs error", "largest |g|", "≤ 1e-6"])
        for row in r.rows {
            table.add([row.name, Q2Format.shape(row.shape), "\(row.checked)", NumberFormat.error(row.maxRelativeError),
                       NumberFormat.error(row.maxAbsoluteError), NumberFormat.error(row.largestGradient), row.passed ? "pass" : "FAIL"])
        }
        lines.append(table.render())
        lines.append("")
        lines.append(r.passed
            ? "PASS: every tensor's largest relative error is ≤ \(NumberFormat.error(r.tolerance)); backpropagation agrees with the finite differences."
            : "FAIL: some tensor's relative error exceeds \(NumberFormat.error(r.tolerance)); with tiny gradients (see largest |g|) this can be finite-difference noise — compare the absolute errors.")
        return lines.joined(separator: "\n")
    }

    /// q2-backprop-errors: the largest relative and absolute errors per tensor (log scale)
    /// beside the tolerance.
    static func figures(for r: Result, title: String?) -> [Figure] {
        var table = Table(columns: ["index", "max_relative_error", "max_absolute_error"])
        for (k, row) in r.rows.enumerated() {
            table.append([Double(k), Swift.max(row.maxRelativeError, 1e-18), Swift.max(row.maxAbsoluteError, 1e-18)])
        }
        let tics = r.rows.enumerated().map { "\(Gnuplot.quoted($0.element.name)) \($0.offset)" }.joined(separator: ", ")
        let commands = Q1Plot.style
            + Q1Plot.titleCommand("Q2 gradient check: backpropagation vs central differences (h = \(NumberFormat.error(r.step))), \(r.passed ? "all tensors pass" : "some tensors FAIL")", user: title)
            + """
            set xtics (\(tics))
            set xlabel 'parameter tensor'
            set ylabel 'largest error over the checked entries (log scale)'
            set logscale y
            set format y '10^{%L}'
            set xrange [-0.6:\(r.rows.count) - 0.4]
            set style fill solid 0.85 border -1
            set boxwidth 0.38
            set key top left
            plot $errors using ($1 - 0.2):2 with boxes lc rgb '\(Q1Plot.color(0))' title 'max relative error', \\
                 $errors using ($1 + 0.2):3 with boxes lc rgb '\(Q1Plot.color(5))' title 'max absolute error', \\
                 \(r.tolerance) with lines lw 2 dt 2 lc rgb '\(Q1Plot.color(1))' title 'tolerance 1e-6 (relative)'

            """
        return [Figure(name: "q2-backprop-errors", data: [("errors", table)], commands: commands)]
    }
}
