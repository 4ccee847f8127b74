// Which data a Question 2 result was computed on.

import Foundation
import LabSupport
import MNISTNet

/// Which data a result was computed on.
package struct Q2DataSummary: Codable, Sendable {
    package var dataset: String
    package var source: String
    package var folder: String
    package var trainCount: Int
    package var testCount: Int
    package var classNames: [String]

    package init(_ data: Q2Data) {
        dataset = data.kind.displayName
        source = "\(data.files.source)"
        folder = data.files.folder.path
        trainCount = data.train.count
        testCount = data.test.count
        classNames = data.kind.classNames
    }

    /// "Data: MNIST from $MNIST_DIR (/path): 60000 training, 10000 test images".
    package var line: String {
        "Data: \(dataset) from \(source) (\(folder)): \(Q2Format.count(trainCount)) training, \(Q2Format.count(testCount)) test images"
    }
}
