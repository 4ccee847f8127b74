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
        discussion: "Figure: <out>/q2-init-weights.png (standardised weights against N(0, 1)).")

    @OptionGroup var network: Q2NetworkOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        if output.explain { return try Presenter.explain(Self.worksheet) }
        try Self.present(try Self.compute(Settings(network: network.settings)), output: output)
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
    }

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
        let network = try given ?? Q2Network.make(settings.network)
        var tensors: [TensorStatistics] = []
        for (l, layer) in network.layers.enumerated() {
            let std = 1 / Double(Swift.max(layer.inputCount, layer.outputCount)).squareRoot()
            tensors.append(statistics("w\(l + 1)", [layer.inputCount, layer.outputCount], layer.weights, std))
            tensors.append(statistics("b\(l + 1)", [layer.outputCount], layer.biases, 0))
        }
        let origin = settings.network.load.map { "loaded from \($0)" }
            ?? (given == nil ? "seeded initialisation, seed \(settings.network.seed)" : "given network")
        return Result(settings: settings, origin: origin, layerSizes: network.layerSizes,
                      parameterCount: network.parameterCount, tensors: tensors,
                      weights: network.layers.map(\.weights))
    }

    /// Mean, (population) standard deviation, min and max of `values`.
    static func statistics(_ name: String, _ shape: [Int], _ values: [Double], _ theoretical: Double) -> TensorStatistics {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        return TensorStatistics(name: name, shape: shape, count: values.count, mean: mean, std: variance.squareRoot(),
                                theoreticalStd: theoretical, min: values.min() ?? 0, max: values.max() ?? 0)
    }

    static func text(for r: Result) -> String {
        let activations = Array(repeating: "sigmoid", count: r.layerSizes.count - 2) + ["softmax"]
        var lines = [
            "Q2 init  network \(Q2Format.layers(r.layerSizes)) (\(activations.joined(separator: ", "))), \(Q2Format.count(r.parameterCount)) parameters",
            "Weights: \(r.origin).  Initialisation: \(r.initialisation)",
            "",
        ]
        var table = TextTable(header: ["tensor", "shape", "count", "mean", "std", "1/√max(n_in,n_out)", "std/theory", "min", "max"])
        for t in r.tensors {
            let ratio = t.theoreticalStd > 0 ? String(format: "%.3f", t.std / t.theoreticalStd) : "—"
            table.add([t.name, Q2Format.shape(t.shape), Q2Format.count(t.count), String(format: "%+.5f", t.mean),
                       String(format: "%.5f", t.std), t.theoreticalStd > 0 ? String(format: "%.5f", t.theoreticalStd) : "0",
                       ratio, String(format: "%+.4f", t.min), String(format: "%+.4f", t.max)])
        }
        lines.append(table.render())
        lines.append("")
        lines.append("std/theory near 1 and mean near 0 (within ≈ 1/√count) confirm the draw; biases start at 0.")
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
