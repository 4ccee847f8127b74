// What `lab bench` prints: its figures as text rows (with ratios against the references measured
// in the same invocation) or as JSON.

import ArgumentParser
import Foundation
import LabSupport
import MNISTData
import MNISTNet

struct BenchReport: Encodable {
    var cpu: String
    var cores: Int
    /// What the fast kernel ran with, and what its baseline copy uses.
    var instructionSet: String
    var baselineInstructionSet: String
    var runs: Int
    var epochSize: Int
    var batchSize: Int
    var loadSeconds: Double
    /// Listing the training images' non-zero pixels for the fast kernel, once.
    var listSeconds: Double
    var fastEpochSeconds = 0.0
    var fastEpochSpread: [Double] = []
    /// The fast kernel's baseline copy, when the fast one used AVX2.
    var baselineEpochSeconds: Double?
    /// One evaluation of the test set.
    var evaluateSeconds = 0.0
    var evaluateCount = 0
    var fastEpochCPUSeconds = 0.0
    var batchEpochCPUSeconds = 0.0
    var loadAverage: Double?
    var fastAccuracyAfterOneEpoch = 0.0
    var batchEpochSeconds = 0.0
    var referenceSamples = 0
    var referenceEpochSeconds = 0.0
    var trainEvaluateWallSeconds = 0.0
    var trainEvaluateSeconds = 0.0
    var trainEvaluatePeakMB = 0.0
    var trainEvaluateAccuracy: [Double] = []
    var numpyVersion: String?
    var numpySamples: Int?
    var numpyEpochSeconds: Double?
    var numpyNote: String?
    var numpyBatchSamples: Int?
    var numpyBatchEpochSeconds: Double?
    var benchPeakMB = 0.0
    /// The full-batch gradient rows (BenchFullBatch.swift).
    var fullBatch: BenchFullBatch?
    /// The curvature rows (BenchCurvature.swift).
    var curvature: BenchCurvature?

    var fastSamplesPerSecond: Double { Double(epochSize) / fastEpochSeconds }
    /// The median over the runs of numpy's epoch over the fast kernel's, each pair run back to back.
    var numpySpeedup: Double?
    var referenceSpeedup: Double { referenceEpochSeconds / fastEpochSeconds }

    enum CodingKeys: String, CodingKey {
        case cpu, cores, instructionSet, baselineInstructionSet, runs, epochSize, batchSize, loadSeconds, listSeconds
        case fastEpochSeconds, fastEpochSpread, baselineEpochSeconds, evaluateSeconds, evaluateCount
        case fastEpochCPUSeconds, batchEpochCPUSeconds, loadAverage
        case fastAccuracyAfterOneEpoch, batchEpochSeconds, referenceSamples, referenceEpochSeconds
        case trainEvaluateWallSeconds, trainEvaluateSeconds, trainEvaluatePeakMB, trainEvaluateAccuracy
        case numpyVersion, numpySamples, numpyEpochSeconds, numpyNote, numpyBatchSamples, numpyBatchEpochSeconds
        case benchPeakMB, fullBatch, curvature
        case fastSamplesPerSecond, numpySpeedup, referenceSpeedup
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cpu, forKey: .cpu); try c.encode(cores, forKey: .cores); try c.encode(runs, forKey: .runs)
        try c.encode(instructionSet, forKey: .instructionSet)
        try c.encode(baselineInstructionSet, forKey: .baselineInstructionSet)
        try c.encodeIfPresent(baselineEpochSeconds, forKey: .baselineEpochSeconds)
        try c.encode(evaluateSeconds, forKey: .evaluateSeconds); try c.encode(evaluateCount, forKey: .evaluateCount)
        try c.encode(epochSize, forKey: .epochSize); try c.encode(batchSize, forKey: .batchSize)
        try c.encode(loadSeconds, forKey: .loadSeconds); try c.encode(listSeconds, forKey: .listSeconds)
        try c.encode(fastEpochSeconds, forKey: .fastEpochSeconds); try c.encode(fastEpochSpread, forKey: .fastEpochSpread)
        try c.encode(fastEpochCPUSeconds, forKey: .fastEpochCPUSeconds)
        try c.encode(batchEpochCPUSeconds, forKey: .batchEpochCPUSeconds)
        try c.encodeIfPresent(loadAverage, forKey: .loadAverage)
        try c.encode(fastAccuracyAfterOneEpoch, forKey: .fastAccuracyAfterOneEpoch)
        try c.encode(fastSamplesPerSecond, forKey: .fastSamplesPerSecond)
        try c.encode(batchEpochSeconds, forKey: .batchEpochSeconds)
        try c.encode(referenceSamples, forKey: .referenceSamples)
        try c.encode(referenceEpochSeconds, forKey: .referenceEpochSeconds)
        try c.encode(referenceSpeedup, forKey: .referenceSpeedup)
        try c.encode(trainEvaluateWallSeconds, forKey: .trainEvaluateWallSeconds)
        try c.encode(trainEvaluateSeconds, forKey: .trainEvaluateSeconds)
        try c.encode(trainEvaluatePeakMB, forKey: .trainEvaluatePeakMB)
        try c.encode(trainEvaluateAccuracy, forKey: .trainEvaluateAccuracy)
        try c.encodeIfPresent(numpyVersion, forKey: .numpyVersion)
        try c.encodeIfPresent(numpySamples, forKey: .numpySamples)
        try c.encodeIfPresent(numpyEpochSeconds, forKey: .numpyEpochSeconds)
        try c.encodeIfPresent(numpySpeedup, forKey: .numpySpeedup)
        try c.encodeIfPresent(numpyNote, forKey: .numpyNote)
        try c.encodeIfPresent(numpyBatchSamples, forKey: .numpyBatchSamples)
        try c.encodeIfPresent(numpyBatchEpochSeconds, forKey: .numpyBatchEpochSeconds)
        try c.encode(benchPeakMB, forKey: .benchPeakMB)
        try c.encodeIfPresent(fullBatch, forKey: .fullBatch)
        try c.encodeIfPresent(curvature, forKey: .curvature)
    }

    var text: String {
        func f(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
        var rows: [(String, String, String)] = []
        rows.append(("per-sample SGD, fast kernel (\(instructionSet))", "\(f(fastEpochSeconds)) s/epoch",
                     "median of \(runs) (\(f(fastEpochCPUSeconds)) s CPU); \(f(fastSamplesPerSecond / 1e6, 2)) M samples/s; range \(f(fastEpochSpread.first ?? 0))–\(f(fastEpochSpread.last ?? 0)) s"))
        if let baselineEpochSeconds {
            rows.append(("per-sample SGD, fast-baseline (\(baselineInstructionSet))", "\(f(baselineEpochSeconds)) s/epoch",
                         "median of \(runs), alternating with the row above; \(instructionSet) gains \(f(baselineEpochSeconds / fastEpochSeconds, 2))×"))
        }
        rows.append(("per-sample SGD, reference kernel", "\(f(referenceEpochSeconds, 2)) s/epoch",
                     "1 run of \(referenceSamples) samples, extrapolated; fast is \(f(referenceSpeedup, 1))×"))
        if let numpyEpochSeconds, let numpySamples, let numpySpeedup {
            rows.append(("per-sample SGD, numpy \(numpyVersion ?? "")", "\(f(numpyEpochSeconds, 2)) s/epoch",
                         "median of \(runs), each one pass over \(numpySamples) samples after a fast run, extrapolated; gdlab is \(f(numpySpeedup, 1))× (median of the runs' ratios)"))
        }
        rows.append(("mini-batch SGD, B = \(batchSize), fast", "\(f(batchEpochSeconds)) s/epoch",
                     "median of \(runs) (\(f(batchEpochCPUSeconds)) s CPU)"))
        if let numpyBatchEpochSeconds, let numpyBatchSamples {
            rows.append(("mini-batch SGD, B = \(batchSize), numpy", "\(f(numpyBatchEpochSeconds, 2)) s/epoch",
                         "median of 3 passes over \(numpyBatchSamples) samples, extrapolated; gdlab is \(f(numpyBatchEpochSeconds / batchEpochSeconds, 1))×"))
        }
        rows += fullBatch?.rows(runs: runs, instructionSet: instructionSet, baselineInstructionSet: baselineInstructionSet) ?? []
        rows.append(("evaluating the test set", "\(f(evaluateSeconds)) s",
                     "median of \(runs); \(evaluateCount) images: loss, accuracy, confusion, saturation (Double)"))
        rows.append(("train + evaluate, 3 epochs", "\(f(trainEvaluateWallSeconds, 2)) s wall",
                     "fresh process: load + train + 3 test evaluations (\(f(trainEvaluateSeconds, 2)) s inside); median of \(runs)"))
        rows.append(("  peak memory of that run", "\(f(trainEvaluatePeakMB, 0)) MB", "ru_maxrss"))
        rows.append(("  test accuracy after epochs", trainEvaluateAccuracy.map { f($0 * 100, 2) + " %" }.joined(separator: ", "), ""))
        rows.append(("loading MNIST (train + test)", "\(f(loadSeconds, 2)) s", "IDX .gz, once"))
        rows.append(("listing non-zero pixels", "\(f(listSeconds, 3)) s", "the training images', once, for the fast kernel"))
        let left = rows.map(\.0.count).max() ?? 0, middle = rows.map(\.1.count).max() ?? 0
        var text = "CPU: \(cpu) (\(cores) core\(cores == 1 ? "" : "s")); one thread; \(epochSize) samples per epoch, 784-32-32-10\n"
        #if DEBUG
        text += "note: this is a debug build; build with `swift build -c release` for meaningful figures\n"
        #endif
        if let loadAverage, loadAverage > 0.5 * Double(cores) {
            text += "note: load average \(f(loadAverage, 1)) on \(cores) cores: other programs are running, wall times are inflated (CPU times less so)\n"
        }
        for (a, b, c) in rows {
            text += a.padding(toLength: left, withPad: " ", startingAt: 0) + "  "
                + b.padding(toLength: middle, withPad: " ", startingAt: 0) + "  " + c + "\n"
        }
        if let numpyNote { text += numpyNote + "\n" }
        if let curvature { text += curvature.text }
        return text
    }
}
