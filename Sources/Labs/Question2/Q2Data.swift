// Question 2's inputs for the CLI: the dataset (found or downloaded once per process, with
// download progress on stderr) and the starting network (seeded initialisation or --load),
// plus writing weights with --save. Every failure becomes one `LabError` line.

import Foundation
import LabSupport
import MNISTData
import MNISTNet

/// A loaded dataset: both splits, and where they came from.
package struct Q2Data: Sendable {
    package let kind: DatasetKind
    package let files: DatasetFiles
    package let train: ImageDataset
    package let test: ImageDataset

    /// "MNIST from $MNIST_DIR (/path/to/mnist)".
    package var origin: String { "\(kind.displayName) from \(files.source) (\(files.folder.path))" }

    /// The dataset for `settings`, loaded at most once per process (later calls with the same
    /// settings return the same value). A download reports its progress to `progress`.
    ///
    /// - Throws: `LabError.failed` with the library's one-line reason (not found, download
    ///   failed, a damaged file).
    package static func load(_ settings: Q2DataSettings,
                             progress: @escaping @Sendable (DatasetProgress) -> Void = { _ in }) throws -> Q2Data {
        try cache.value(for: settings) { try read(settings, progress: progress) }
    }

    private static let cache = Memo<Q2DataSettings, Q2Data>()

    /// The four files for `settings`, found or downloaded (progress to `progress`), without reading them.
    ///
    /// - Throws: `LabError.failed` with the library's one-line reason.
    package static func files(_ settings: Q2DataSettings,
                              progress: @escaping @Sendable (DatasetProgress) -> Void = { _ in }) throws -> DatasetFiles {
        let kind = settings.dataset
        do {
            let location = DatasetLocation(
                kind: kind, explicitFolder: settings.dataDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) })
            return try location.resolve(
                downloader: try DatasetDownloader(kind: kind, mirror: settings.mirror), progress: progress)
        } catch {
            throw LabError.failed("\(error)")
        }
    }

    private static func read(_ settings: Q2DataSettings, progress: @escaping @Sendable (DatasetProgress) -> Void) throws -> Q2Data {
        let kind = settings.dataset
        let files = try files(settings, progress: progress)
        do {
            let train = try ImageDataset.load(images: files.trainImages, labels: files.trainLabels)
            let test = try ImageDataset.load(images: files.testImages, labels: files.testLabels)
            try checkImageSizes(train: train, test: test, folder: files.folder.relativePath)
            return Q2Data(kind: kind, files: files, train: train, test: test)
        } catch let error as LabError {
            throw error
        } catch {
            throw LabError.failed("\(error)")
        }
    }
}

extension Q2Data {
    /// The training and test images must have one size, and one a network can take as inputs;
    /// said about the data (not as advice about --load or --hidden, which cannot help).
    ///
    /// - Throws: `LabError.failed` naming both sizes and the folder.
    package static func checkImageSizes(train: ImageDataset, test: ImageDataset, folder: String) throws {
        guard train.rows == test.rows, train.columns == test.columns else {
            throw LabError.failed(
                "the training images are \(train.rows)×\(train.columns) but the test images are \(test.rows)×\(test.columns) (in '\(folder)'); "
                    + "all four files must come from one dataset: put matching files there, or point --data-dir at a folder that has them")
        }
        guard train.pixelsPerImage <= MLP.maximumLayerSize else {
            throw LabError.failed(
                "the images in '\(folder)' are \(train.rows)×\(train.columns) = \(Q2Format.count(train.pixelsPerImage)) pixels, more than the "
                    + "\(Q2Format.count(MLP.maximumLayerSize)) inputs a gdlab network takes (128×128); use a dataset of small images such as MNIST's 28×28")
        }
    }
}

/// A thread-safe memo: each key's value is computed once per process.
package final class Memo<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Key: Value] = [:]

    package func value(for key: Key, compute: () throws -> Value) rethrows -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let value = values[key] { return value }
        let value = try compute()
        values[key] = value
        return value
    }
}

/// The starting network and weight files.
package enum Q2Network {
    /// The network `settings` describe: the weights in `settings.load`, or a fresh seeded
    /// initialisation with `settings.hiddenSizes`. When `data` is given the network must fit it.
    ///
    /// - Throws: `LabError.failed` for an unreadable or wrongly shaped file, hidden sizes that
    ///   disagree with the file, or a network that does not fit the data.
    package static func make(_ settings: Q2NetworkSettings, fitting data: ImageDataset? = nil,
                     classes: Int = 10) throws -> MLP {
        let network: MLP
        do {
            if let path = settings.load {
                network = try NPZ.decode(contentsOf: URL(fileURLWithPath: path))
                let fileHidden = Array(network.layerSizes.dropFirst().dropLast())
                if let hidden = settings.hidden, hidden != fileHidden {
                    throw LabError.failed(
                        "\(path) has hidden layers \(list(fileHidden)) but --hidden says \(list(hidden)); drop --hidden or pass --hidden \(list(fileHidden))")
                }
            } else {
                let inputs = data?.pixelsPerImage ?? MLP.homeworkLayerSizes[0]
                network = try MLP(inputCount: inputs, hiddenSizes: settings.hiddenSizes, outputCount: classes,
                                  seed: settings.seed)
            }
            if let data { try network.checkCompatible(with: data) }
            guard network.outputCount == classes else {
                throw LabError.failed("the weights have \(network.outputCount) outputs but the data has \(classes) classes; use weights with one output per class")
            }
        } catch let error as LabError {
            throw error
        } catch {
            let prefix = settings.load.map { "cannot use --load \($0): " } ?? ""
            throw LabError.failed(prefix + "\(error)")
        }
        return network
    }

    /// Writes `network` as .npz to `path` atomically.
    ///
    /// - Throws: `LabError.failed` when the file cannot be written.
    package static func save(_ network: MLP, to path: String) throws {
        do {
            try AtomicFile.write(try NPZ.encode(network), to: URL(fileURLWithPath: path))
        } catch {
            throw LabError.failed("cannot write the weights to \(path): \(error)")
        }
    }

    /// Checks before training that `--save path` (and its `.partial.npz`) can be written: the
    /// folder is created if needed and must be writable, and neither name may be a folder, a
    /// device, a FIFO or a socket.
    ///
    /// - Throws: `LabError.failed` naming the problem.
    package static func prepareSave(_ path: String) throws {
        do {
            try AtomicFile.prepareDestination(URL(fileURLWithPath: path))
            try AtomicFile.checkDestination(URL(fileURLWithPath: partialPath(for: path)))
        } catch {
            throw LabError.failed("--save: \(error)")
        }
    }

    /// Where an interrupted run's weights go: `name.npz` → `name.partial.npz`.
    package static func partialPath(for path: String) -> String {
        path.hasSuffix(".npz") ? String(path.dropLast(4)) + ".partial.npz" : path + ".partial.npz"
    }

    package static func list(_ sizes: [Int]) -> String { sizes.map(String.init).joined(separator: ",") }
}
