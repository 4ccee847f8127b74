// How `lab q2-init` reads: the text and the figures (each with its caption) of `Q2Init`'s result,
// which the command prints and the report reuses. What is computed: Labs/Question2/Q2Init.swift.

import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTNet

extension Q2Init: LabPage {
    package static let worksheet = "q2-init"

    package static func text(for r: Result) -> String {
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
    package static func figures(for r: Result, title: String?) -> [Figure] {
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
        return [Figure(name: "q2-init-weights",
            caption: "Q2 init: each layer's initial weights divided by their theoretical σ = 1/√max(n_in, n_out), against the N(0, 1) density", data: [("hist", table)], commands: commands)]
    }
}
