// `lab q2-init`: Question 2, the network before training — layer shapes, the parameter count,
// and per-tensor statistics of the initialisation W ~ N(0, 1/max(n_in, n_out)), b = 0, against
// the theoretical standard deviation; a histogram of the standardised weights.

import ArgumentParser
import Foundation
import MNISTNet

struct Q2Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q2-init",
        abstract: "Q2: the MLP's layer shapes, parameter count and initialisation statistics.",
        discussion: "Figure: <out>/q2-init-weights.png (standardised weights against N(0, 1)). --save writes the initial weights as .npz (the starting point of lab q2-train, for numpy or --load).")

    @OptionGroup var network: Q2NetworkOptions

    @Option(help: ArgumentHelp("Write these initial weights to this .npz (arrays w1, b1, …; numpy.load reads it).",
                               valueName: "file.npz"))
    var save: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let save { try Q2Check.path(save, "--save", example: "initial.npz") }
    }

    func run() throws {
        if output.explain { return try Presenter.explain(Self.worksheet) }
        let settings = Settings(network: network.settings)
        let network = try Q2Network.make(settings.network)
        let result = try Self.compute(settings, network: network, origin: nil)
        if let save { try Q2Network.save(network, to: save) }
        try Self.present(result, output: output, saved: save.map { [$0] } ?? [])
    }
}

extension Q2Init: Q2Lab {
    static let worksheet = "q2-init"

    struct Settings: Codable, Sendable {
        var network = Q2NetworkSettings()
    }

    /// Statistics of one parameter tensor.
    struct TensorStatistics: Codable, Sendable {
        var name: String
        var shape: [Int]
        var count: Int
        var mean: Double
        var std: Double
        /// 1/√max(n_in, n_out) for weights, 0 for biases.
        var theoreticalStd: Double
        var min: Double
        var max: Double
        /// The mean in standard errors of a mean of `count` N(0, σ²) draws: mean / (σ/√n).
        /// `nil` for biases (σ = 0).
        var meanZ: Double?
        /// std/σ − 1 in standard errors of a sample standard deviation, ≈ 1/√(2n):
        /// (std/σ − 1)·√(2n). `nil` for biases.
        var stdZ: Double?

        /// Whether a statistic lies outside ±`outlierZ` standard errors.
        var isOutlier: Bool { [meanZ, stdZ].contains { $0.map { !($0.magnitude <= Q2Init.outlierZ) } ?? false } }
    }

    /// A statistic more than this many standard errors from its theoretical value is flagged
    /// (N(0, σ²) draws stay within ±3 standard errors 99.7 % of the time).
    static let outlierZ = 3.0

    struct Result: Encodable {
        var settings: Settings
        var origin: String
        var layerSizes: [Int]
        var parameterCount: Int
        var initialisation = "W_ij ~ N(0, 1/max(n_in, n_out)), b_j = 0"
        var tensors: [TensorStatistics]
        /// The weights, for the histogram; not in the JSON.
        var weights: [[Double]]

        enum CodingKeys: String, CodingKey {
            case settings, origin, layerSizes, parameterCount, initialisation, tensors
        }
    }

    /// The statistics of the network `settings` describe (or of `network` when given).
    ///
    /// - Throws: `LabError.failed` for bad sizes or an unusable --load file.
    static func compute(_ settings: Settings, network given: MLP? = nil) throws -> Result {
        try compute(settings, network: try given ?? Q2Network.make(settings.network), origin: given == nil ? nil : "given network")
    }

    /// The statistics of `network`, made from `settings`; `origin` overrides the description
    /// of where the weights came from.
    static func compute(_ settings: Settings, network: MLP, origin given: String?) throws -> Result {
        var tensors: [TensorStatistics] = []
        for (l, layer) in network.layers.enumerated() {
            let std = 1 / Double(Swift.max(layer.inputCount, layer.outputCount)).squareRoot()
            tensors.append(statistics("w\(l + 1)", [layer.inputCount, layer.outputCount], layer.weights, std))
            tensors.append(statistics("b\(l + 1)", [layer.outputCount], layer.biases, 0))
        }
        let origin = given ?? settings.network.load.map { "loaded from \($0)" }
            ?? "seeded initialisation, seed \(settings.network.seed)"
        return Result(settings: settings, origin: origin, layerSizes: network.layerSizes,
                      parameterCount: network.parameterCount, tensors: tensors,
                      weights: network.layers.map(\.weights))
    }

    /// Mean, (population) standard deviation, min and max of `values`.
    static func statistics(_ name: String, _ shape: [Int], _ values: [Double], _ theoretical: Double) -> TensorStatistics {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let std = variance.squareRoot()
        let hasTheory = theoretical > 0
        return TensorStatistics(name: name, shape: shape, count: values.count, mean: mean, std: std,
                                theoreticalStd: theoretical, min: values.min() ?? 0, max: values.max() ?? 0,
                                meanZ: hasTheory ? mean / (theoretical / n.squareRoot()) : nil,
                                stdZ: hasTheory ? (std / theoretical - 1) * (2 * n).squareRoot() : nil)
    }

    static func text(for r: Result) -> String {
        let activations = Array(repeating: "sigmoid", count: r.layerSizes.count - 2) + ["softmax"]
        var lines = [
            "Q2 init  network \(Q2Format.layers(r.layerSizes)) (\(activations.joined(separator: ", "))), \(Q2Format.count(r.parameterCount)) parameters",
            "Weights: \(r.origin).  Initialisation: \(r.initialisation)",
            "",
        ]
        var table = TextTable(header: ["tensor", "shape", "count", "mean", "std", "σ = 1/√max(n_in,n_out)", "std/σ",
                                       "mean/(σ/√n)", "(std/σ − 1)·√(2n)", "min", "max"])
        func z(_ value: Double?) -> String {
            value.map { String(format: "%+.2f", $0) + ($0.magnitude <= outlierZ ? "" : " !") } ?? "—"
        }
        for t in r.tensors {
            let ratio = t.theoreticalStd > 0 ? String(format: "%.3f", t.std / t.theoreticalStd) : "—"
            table.add([t.name, Q2Format.shape(t.shape), Q2Format.count(t.count), String(format: "%+.5f", t.mean),
                       String(format: "%.5f", t.std), t.theoreticalStd > 0 ? String(format: "%.5f", t.theoreticalStd) : "0",
                       ratio, z(t.meanZ), z(t.stdZ), String(format: "%+.4f", t.min), String(format: "%+.4f", t.max)])
        }
        lines.append(table.render())
        lines.append("")
        lines.append("The two z columns measure each weight tensor's mean and std/σ in standard errors of n draws from N(0, σ²):")
        lines.append("σ/√n for a mean, about 1/√(2n) for a standard deviation ratio. Draws from the right distribution stay within ±\(Int(outlierZ)) 99.7 % of the time.")
        let weights = r.tensors.filter { $0.meanZ != nil }
        let outliers = weights.filter(\.isOutlier).map(\.name)
        if r.origin.hasPrefix("loaded") {
            lines.append("These weights were loaded, not freshly drawn: the bands describe the initialisation and need not hold after training.")
        } else if outliers.isEmpty {
            let biasesZero = r.tensors.filter { $0.meanZ == nil }.allSatisfy { $0.min == 0 && $0.max == 0 }
            lines.append("Every weight tensor is within ±\(Int(outlierZ)) standard errors: the draw matches N(0, 1/max(n_in, n_out))\(biasesZero ? "; biases start at 0" : "").")
        } else {
            // Each statistic leaves ±3 standard errors with probability erfc(3/√2) ≈ 0.27 %.
            let statistics = 2 * weights.count
            let perSeed = 1 - pow(1 - erfc(outlierZ / 2.0.squareRoot()), Double(statistics))
            lines.append("Outside ±\(Int(outlierZ)) standard errors (marked !): \(outliers.joined(separator: ", ")). A correct draw puts one of its \(statistics) statistics out of band")
            lines.append("for about one seed in \(Int((1 / perSeed).rounded())); the same tensor out of band for several seeds would mean a wrong initialisation.")
        }
        return lines.joined(separator: "\n")
    }

    /// q2-init-weights: each layer's weights divided by its theoretical σ, as a density
    /// histogram, against the standard normal density.
    static func figures(for r: Result, title: String?) -> [Figure] {
        let bins = 48, lo = -4.0, hi = 4.0, width = (hi - lo) / Double(bins)
        let weightTensors = r.tensors.filter { $0.name.hasPrefix("w") }
        var table = Table(columns: ["z"] + weightTensors.map { "density_" + $0.name } + ["normal"])
        var densities = [[Double]](repeating: [Double](repeating: 0, count: bins), count: weightTensors.count)
        for (k, (tensor, weights)) in zip(weightTensors, r.weights).enumerated() {
            for w in weights {
                let z = w / tensor.theoreticalStd
                guard z.isFinite, z >= lo, z < hi else { continue }
                densities[k][Int((z - lo) / width)] += 1 / (Double(weights.count) * width)
            }
        }
        for b in 0 ..< bins {
            let z = lo + (Double(b) + 0.5) * width
            table.append([z] + densities.map { $0[b] } + [exp(-z * z / 2) / (2 * Double.pi).squareRoot()])
        }
        var plots: [String] = []
        for (k, tensor) in weightTensors.enumerated() {
            plots.append("$hist using 1:\(k + 2) with steps lw 2 lc rgb '\(Q1Plot.color(k))' title "
                         + Gnuplot.quoted("\(tensor.name) (\(Q2Format.shape(tensor.shape))), σ = 1/√\(Swift.max(tensor.shape[0], tensor.shape[1]))"))
        }
        plots.append("$hist using 1:\(weightTensors.count + 2) with lines lw 2 dt 2 lc rgb '#000000' title 'N(0, 1) density'")
        let commands = Q1Plot.style
            + Q1Plot.titleCommand("Q2 initial weights divided by their theoretical σ (\(r.origin))", user: title)
            + """
            set xlabel 'w / σ   with σ = 1/√max(n_{in}, n_{out})'
            set ylabel 'density'
            set xrange [-4:4]
            set key top right
            plot \(plots.joined(separator: ", \\\n     "))

            """
        return [Figure(name: "q2-init-weights", data: [("hist", table)], commands: commands)]
    }
}
