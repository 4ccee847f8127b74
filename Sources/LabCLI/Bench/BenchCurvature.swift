// `lab bench`'s curvature rows (issue 12): one exact Hessian-vector product over the training
// set in Double on one thread, beside numpy computing the same product (bench/hvp.py) in the
// same invocation, and λmax to 1e-4 relative on 10,000 images by Lanczos.

import Curvature
import Foundation
import LabSupport
import MNISTData
import MNISTNet

/// The curvature figures of `lab bench`.
struct BenchCurvature: Encodable {
    var samples: Int
    /// Median seconds of one H·v over `samples` images, one thread.
    var productSeconds: Double
    /// Median thread CPU seconds of the same (less inflated by other programs than wall time).
    var productCPUSeconds: Double = 0
    /// The same on two threads (when the machine has two cores or more).
    var productSecondsTwoThreads: Double?
    var numpySeconds: Double?
    var numpyRatio: Double?
    /// |‖Hv‖ − ‖Hv‖_numpy| / ‖Hv‖_numpy: both computed the same product.
    var numpyAgreement: Double?
    var numpyNote: String?
    /// λmax of the mean loss over `lambdaSamples` images to `lambdaTolerance`: value, seconds, products.
    var lambdaSamples: Int
    var lambdaTolerance: Double
    var lambdaMax: Double
    var lambdaSeconds: Double
    var lambdaProducts: Int

    static func measure(_ files: DatasetFiles, runs: Int, reference: String?, numpy: Bool) throws -> BenchCurvature {
        let folder = files.folder
        let train = try ImageDataset.load(images: files.trainImages, labels: files.trainLabels)
        train.prepareSparsePixels()
        let network = try MLP()
        let θ = NetworkLoss.parameters(of: network)
        var g = SeededGenerator(seed: 1)
        let v = (0 ..< θ.count).map { _ in g.nextGaussian() }
        let loss = NetworkLoss(network: network, data: train)
        var times: [Double] = [], cpu: [Double] = []
        var product: [Double] = []
        for _ in 0 ..< max(1, runs) {
            let clock = BenchClock.now(), cpuClock = BenchClock.threadCPU()
            product = loss.hessianVectorProduct(at: θ, v)
            times.append(BenchClock.now() - clock)
            cpu.append(BenchClock.threadCPU() - cpuClock)
        }
        var figures = BenchCurvature(
            samples: train.count, productSeconds: BenchStats.median(times), lambdaSamples: 10_000, lambdaTolerance: 1e-4,
            lambdaMax: 0, lambdaSeconds: 0, lambdaProducts: 0)
        figures.productCPUSeconds = BenchStats.median(cpu)
        if ProcessInfo.processInfo.activeProcessorCount >= 2 {
            let two = loss.restricted(to: loss.samples, threads: 2)
            var twoTimes: [Double] = []
            for _ in 0 ..< max(1, runs) {
                let clock = BenchClock.now()
                _ = two.hessianVectorProduct(at: θ, v)
                twoTimes.append(BenchClock.now() - clock)
            }
            figures.productSecondsTwoThreads = BenchStats.median(twoTimes)
        }
        if numpy {
            switch runNumpy(folder: folder, reference: reference) {
            case .success(let reply):
                figures.numpySeconds = reply.seconds
                figures.numpyRatio = reply.seconds / figures.productSeconds
                let norm = product.reduce(0) { $0 + $1 * $1 }.squareRoot()
                figures.numpyAgreement = abs(norm - reply.norm) / reply.norm
            case .failure(let failure):
                figures.numpyNote = failure.description
            }
        } else {
            figures.numpyNote = "skipped (--no-numpy)"
        }
        let subset = loss.restricted(to: Array(0 ..< min(10_000, train.count)), threads: 1)
        let clock = BenchClock.now()
        var lg = SeededGenerator(seed: MLP.defaultSeed)
        let top = try Lanczos.topEigenvalues(of: subset.hessian(at: θ), count: 1, options: LanczosOptions(tolerance: 1e-4),
                                             generator: &lg)
        figures.lambdaSeconds = BenchClock.now() - clock
        figures.lambdaMax = top.eigenvalues[0]
        figures.lambdaProducts = top.products
        figures.lambdaSamples = subset.sampleCount
        return figures
    }

    private struct NumpyReply: Decodable {
        var numpy: String
        var seconds: Double
        var norm: Double
    }

    /// bench/hvp.py beside reference.py, on one BLAS thread.
    private static func runNumpy(folder: URL, reference: String?) -> Result<NumpyReply, BenchNumpy.Failure> {
        guard let python = BenchNumpy.python() else { return .failure(.init(description: "python3 not found on PATH")) }
        guard let script = BenchNumpy.script(reference)?.deletingLastPathComponent().appendingPathComponent("hvp.py"),
              FileManager.default.isReadableFile(atPath: script.path) else {
            return .failure(.init(description: "bench/hvp.py not found; pass --reference PATH/reference.py"))
        }
        var environment = ProcessInfo.processInfo.environment
        for variable in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] { environment[variable] = "1" }
        do {
            let output = try BenchProcess.run(python, arguments: [script.path, "--data-dir", folder.path, "--passes", "3"],
                                              environment: environment)
            guard output.status == 0 else { return .failure(.init(description: "hvp.py failed: \(output.stderrLine)")) }
            guard let reply = try? JSONDecoder().decode(NumpyReply.self, from: output.stdout) else {
                return .failure(.init(description: "hvp.py printed no figures"))
            }
            return .success(reply)
        } catch {
            return .failure(.init(description: "python3 could not be run: \(error.localizedDescription)"))
        }
    }

    var text: String {
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        var lines = ["Curvature (Double, 784-32-32-10, seeded start):"]
        var row = "  Hessian-vector product over \(samples) images, one thread: \(f(productSeconds)) s wall, \(f(productCPUSeconds)) s CPU (medians)"
        if let two = productSecondsTwoThreads { row += "; two threads: \(f(two)) s" }
        lines.append(row)
        if let numpySeconds, let numpyRatio, let numpyAgreement {
            lines.append("  numpy float64, same product (bench/hvp.py, one BLAS thread): \(f(numpySeconds)) s; gdlab is \(String(format: "%.1f", numpyRatio))× faster; ‖Hv‖ agrees to \(String(format: "%.1e", numpyAgreement))")
        } else if let numpyNote {
            lines.append("  numpy: not run (\(numpyNote))")
        }
        lines.append("  λmax of the mean loss over \(lambdaSamples) images to \(lambdaTolerance) relative residual: \(String(format: "%.5f", lambdaMax)) in \(f(lambdaSeconds)) s (\(lambdaProducts) products, one thread)")
        return lines.joined(separator: "\n") + "\n"
    }
}
