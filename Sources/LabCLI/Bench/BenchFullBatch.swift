// `lab bench`'s full-batch rows (sharpness issue): one gradient of the mean loss over the
// whole training set — the step of full-batch gradient descent — in Float32 (both compiled
// copies, alternating) beside its Double twin (the reference backpropagation summed) in the
// same invocation.

import Foundation
import LabSupport
import MNISTData
import MNISTNet

/// Seconds per full-batch gradient, fast and reference.
struct BenchFullBatch: Codable {
    /// Images in the batch.
    var images: Int
    /// Median seconds per gradient: the fast path with the detected instructions, its baseline
    /// copy (when the fast one used AVX2), and the Double twin on `referenceImages`, extrapolated.
    var fastSeconds: Double
    var fastCPUSeconds: Double
    var baselineSeconds: Double?
    var referenceImages: Int
    var referenceSeconds: Double

    /// Times `runs` gradients of each kind at the seeded start on the first `images` of `train`.
    static func measure(_ train: ImageDataset, images: Int, referenceImages: Int, runs: Int) throws -> BenchFullBatch {
        let data = train.prefix(images)
        let start = try MLP()
        let fast = FullBatchGradient(data: data, layerSizes: start.layerSizes, scaling: .unit)
        let compareBaseline = fast.instructionSet != .baseline
        let baseline = FullBatchGradient(data: data, layerSizes: start.layerSizes, scaling: .unit, instructionSet: .baseline)
        var gradient = Gradients(zerosLike: start)
        _ = fast.lossAndGradient(at: start, into: &gradient)  // warm: caches, page faults
        var fastTimes: [Double] = [], fastCPU: [Double] = [], baselineTimes: [Double] = []
        for _ in 0 ..< runs {
            let begin = BenchClock.now(), cpu = BenchClock.threadCPU()
            _ = fast.lossAndGradient(at: start, into: &gradient)
            fastTimes.append(BenchClock.now() - begin)
            fastCPU.append(BenchClock.threadCPU() - cpu)
            if compareBaseline {
                let begin = BenchClock.now()
                _ = baseline.lossAndGradient(at: start, into: &gradient)
                baselineTimes.append(BenchClock.now() - begin)
            }
        }
        let referenceCount = min(referenceImages, data.count)
        let begin = BenchClock.now()
        _ = start.lossAndGradients(on: data, indices: Array(0 ..< referenceCount))
        let reference = (BenchClock.now() - begin) * Double(data.count) / Double(referenceCount)
        return BenchFullBatch(
            images: data.count, fastSeconds: BenchStats.median(fastTimes), fastCPUSeconds: BenchStats.median(fastCPU),
            baselineSeconds: compareBaseline ? BenchStats.median(baselineTimes) : nil,
            referenceImages: referenceCount, referenceSeconds: reference)
    }

    /// The table rows.
    func rows(runs: Int, instructionSet: String, baselineInstructionSet: String) -> [(String, String, String)] {
        func f(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
        var rows = [("full-batch gradient, Float32 (\(instructionSet))", "\(f(fastSeconds)) s",
                     "mean loss over \(images) images; median of \(runs) (\(f(fastCPUSeconds)) s CPU)")]
        if let baselineSeconds {
            rows.append(("full-batch gradient, Float32 (\(baselineInstructionSet))", "\(f(baselineSeconds)) s",
                         "median of \(runs), alternating with the row above"))
        }
        rows.append(("full-batch gradient, Double reference", "\(f(referenceSeconds, 2)) s",
                     "1 run over \(referenceImages) images, extrapolated; Float32 is \(f(referenceSeconds / fastSeconds, 1))×"))
        return rows
    }
}
