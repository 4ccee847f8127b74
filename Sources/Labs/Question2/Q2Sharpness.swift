// `lab q2-sharpness`: Question 1(c)'s threshold 2/η acting on the Question 2 network — full-batch
// gradient descent for several η with the sharpness λmax (largest Hessian eigenvalue) measured
// along the way, which moves to about 2/η and hovers there instead of diverging (the edge of
// stability). The experiment is `SharpnessLab` in Labs; this file parses and presents.

import Foundation
import MNISTNet
import LabSupport

package enum Q2Sharpness {
    package struct Result: Encodable {
        package var data: Q2DataSummary
        package var start: String
        package var lab: SharpnessLab.Result

        package init(data: Q2DataSummary, start: String, lab: SharpnessLab.Result) {
            self.data = data
            self.start = start
            self.lab = lab
        }
    }

    /// The lab, its errors as one line.
    package static func compute(_ settings: SharpnessLab.Settings, data: Q2Data, start: MLP,
                        observer: @escaping @Sendable (SharpnessLab.Progress) -> TrainingControl = { _ in .proceed })
        throws -> SharpnessLab.Result
    {
        do {
            return try SharpnessLab.compute(settings, start: start, train: data.train, test: data.test, observer: observer)
        } catch let error as SharpnessError {
            throw LabError.failed("\(error)")
        }
    }
}
