// Training from the command line (`lab q2-train`, and `lab predict` training its default model):
// progress on stderr through `TrainingConsole`, Ctrl-C through `Q2Train.trainStoppable`.

import Foundation
import LabSupport
import Labs
import MNISTNet

extension Q2Train {
    /// `compute` with progress on stderr and Ctrl-C handling: an interrupted run writes the
    /// weights so far to `<save>.partial.npz` (when `save` is given) and throws
    /// `LabError.interrupted` (exit status 130).
    static func trainInteractively(_ settings: Settings, data: Q2Data, start: MLP? = nil, save: String?,
                                   label: String = "training") throws -> Result {
        let console = TrainingConsole(epochs: settings.training.epochs, label: label)
        defer { console.endBar() }
        let result = try trainStoppable(settings, data: data, start: start, save: save, show: { console.show($0) }) { samples, partial in
            var message = "interrupted after \(samples) training samples"
            if let partial {
                message += "; the weights so far are in \(partial)"
            } else {
                message += label == "training"
                    ? "; nothing saved (pass --save FILE to keep the weights of an interrupted run)"
                    : "; nothing saved or cached"
            }
            return message
        }
        console.endBar()
        Console.error(String(format: "\(label): trained %@ samples in %.1f s", Q2Format.count(result.outcome.samplesSeen), console.elapsed))
        return result
    }
}
