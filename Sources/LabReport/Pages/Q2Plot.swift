// Building blocks for the Question 2 gnuplot figures: class names as axis tics (always
// escaped: Fashion-MNIST's names contain slashes and spaces) and the confusion-matrix heat map
// with its counts written in the cells.

import Foundation
import LabFigures
import LabSupport
import Labs
import MNISTNet

package enum Q2Plot {
    /// `set xtics ('0' 0, '1' 1, …)` for class indices 0…n−1 named by `names`.
    package static func classTics(_ names: [String], axis: String) -> String {
        precondition(axis == "x" || axis == "y")
        let tics = names.enumerated().map { "\(Gnuplot.quoted($0.element)) \($0.offset)" }.joined(separator: ", ")
        let rotate = axis == "x" && names.contains(where: { $0.count > 2 }) ? " rotate by -30" : ""
        return "set \(axis)tics (\(tics))\(rotate)\n"
    }

    /// A heat map of `confusion` ((classes, classes) row-major, row = true class, column =
    /// predicted), colour = log₁₀(1 + count) so the few mistakes stay visible next to the large
    /// diagonal, every cell labelled with its count.
    package static func confusion(_ confusion: [Int], classNames: [String], name: String, caption: String, title: String) -> Figure {
        let classes = classNames.count
        precondition(confusion.count == classes * classes)
        var table = Table(columns: ["predicted", "true", "count", "log10_1_plus_count", "row_fraction"])
        let largest = confusion.max() ?? 0
        for t in 0 ..< classes {
            let rowTotal = (0 ..< classes).reduce(0) { $0 + confusion[t * classes + $1] }
            for p in 0 ..< classes {
                let count = confusion[t * classes + p]
                table.append([Double(p), Double(t), Double(count), log10(1 + Double(count)),
                              rowTotal == 0 ? 0 : Double(count) / Double(rowTotal)])
            }
        }
        // Dark cells (above half the colour range) get white labels.
        let threshold = log10(1 + Double(largest)) / 2
        let commands = title + classTics(classNames, axis: "x") + classTics(classNames, axis: "y") + """
            set xlabel 'predicted class'
            set ylabel 'true class'
            set xrange [-0.5:\(classes) - 0.5]
            set yrange [\(classes) - 0.5:-0.5]
            set size ratio -1
            set palette defined (0 '#ffffff', 1 '#c6dbef', 2 '#6baed6', 3 '#2171b5', 4 '#08306b')
            set cbrange [0:\(Gnuplot.number(max(1, log10(1 + Double(largest)))))]
            set cblabel 'count (log scale)'
            set cbtics (\([0, 1, 10, 100, 1000, 10000].filter { $0 <= max(1, largest) }.map { "'\($0)' \(Gnuplot.number(log10(1 + Double($0))))" }.joined(separator: ", ")))
            unset key
            plot $cells using 1:2:4 with image, \\
                 $cells using 1:2:($4 > \(Gnuplot.number(threshold)) ? sprintf('%d', int($3)) : '') with labels font ',9' tc rgb '#ffffff', \\
                 $cells using 1:2:($4 <= \(Gnuplot.number(threshold)) ? sprintf('%d', int($3)) : '') with labels font ',9' tc rgb '#000000'

            """
        return Figure(name: name, caption: caption, width: 820, height: 760, data: [("cells", table)], commands: commands)
    }
}

extension Saturation {
    /// "12.34 % (1,234 ≤ 0.01, 56 ≥ 0.99 of 10,000)".
    package var text: String {
        "\(Q2Format.percent(fraction)) (\(Q2Format.count(low)) ≤ 0.01, \(Q2Format.count(high)) ≥ 0.99 of \(Q2Format.count(total)))"
    }
}
