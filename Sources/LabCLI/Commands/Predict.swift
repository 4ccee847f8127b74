// `lab predict`: the trained network on the user's own digit images. Each PNG is read (any
// PNG libpng reads), converted the way MNIST was made (DigitPreprocessing: polarity, 20×20 box,
// centre of mass at the centre of 28×28), and classified; the ten class probabilities and the
// prediction are printed. Without --load the default model is trained once and cached.

import ArgumentParser
import Foundation
import LabFigures
import LabReport
import LabSupport
import Labs
import MNISTData
import MNISTNet

/// `--invert auto|yes|no`.
enum InvertChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, yes, no

    var inversion: DigitInversion {
        switch self {
        case .auto: return .auto
        case .yes: return .yes
        case .no: return .no
        }
    }
}

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify your own digit images (PNG) with the trained network.",
        discussion: """
            Each image is converted like MNIST: white ink on black (--invert auto decides from the border), \
            fitted into a 20x20 box, centred by its centre of mass in 28x28. Without --load, the default \
            model (the homework's settings, or your --hidden/--seed/--raw-pixels) is trained once and cached \
            as $XDG_CACHE_HOME/gdlab/model-<hash>.npz (else ~/.cache/gdlab/).
            """)

    @Argument(help: ArgumentHelp("PNG images of one digit each (any size, colour or polarity).", valueName: "image.png"))
    var images: [String]

    @Option(help: "Swap black and white first: auto (by the border colour), yes (dark ink on light paper), no (already white on black).")
    var invert: InvertChoice = .auto

    @Option(name: .customLong("save-input"),
            help: ArgumentHelp("Write the 28x28 image actually classified: to this .png (one image) or into this folder as <name>-28x28.png.",
                               valueName: "folder or file.png"))
    var saveInput: String?

    @Flag(help: "Print the probabilities as JSON (sorted keys) on stdout instead of text.")
    var json = false

    @OptionGroup var network: Q2NetworkOptions
    @OptionGroup var data: Q2DataOptions

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("pass at least one PNG image, e.g. lab predict digit.png") }
        for image in images where image.isEmpty || image.contains("\0") {
            throw ValidationError("an image argument is empty; pass PNG file names, e.g. lab predict digit.png")
        }
        if let saveInput {
            try Q2Check.path(saveInput, "--save-input", example: "inputs/")
            if images.count > 1, saveInput.lowercased().hasSuffix(".png") {
                throw ValidationError("--save-input \(saveInput) is one file but there are \(images.count) images; pass a folder, e.g. --save-input inputs/")
            }
        }
    }

    func run() throws {
        if let saveInput {
            // Checked before any image is read or a model trained.
            for index in images.indices {
                let url = Self.inputURL(saveInput, for: images[index], index: index, all: images)
                do {
                    try AtomicFile.prepareDestination(url)
                } catch {
                    throw LabError.failed("--save-input: \(error)")
                }
            }
        }
        let inputs = try images.map { try Self.prepare($0, inversion: invert.inversion) }
        let model = try Self.model(network: network.settings, data: data.settings)
        var files: [String] = []
        var results: [ImageResult] = []
        for (k, input) in inputs.enumerated() {
            let pass = model.network.forward(input.digit.pixels.map { Double($0) * network.settings.scaling.factor })
            guard pass.probabilities.allSatisfy(\.isFinite) else {
                throw LabError.failed(model.unusable(on: input.path))
            }
            var result = ImageResult(
                file: input.path, prediction: pass.prediction, predictedName: model.classNames[pass.prediction],
                probabilities: pass.probabilities, inverted: input.digit.inverted,
                inkBox: [input.digit.inkBox.x, input.digit.inkBox.y, input.digit.inkBox.width, input.digit.inkBox.height])
            if let saveInput {
                let url = Self.inputURL(saveInput, for: input.path, index: k, all: inputs.map(\.path))
                try Self.write(input.digit, to: url)
                result.savedInput = url.path
                files.append(url.path)
            }
            results.append(result)
        }
        let output = Output(model: model.description, classNames: model.classNames, images: results)
        if json {
            StandardStreams.printJSON(try LabJSON.encode(Envelope(result: output, files: files)))
        } else {
            StandardStreams.print(Self.text(for: output))
        }
    }

    // MARK: - Results

    struct ImageResult: Encodable {
        var file: String
        var prediction: Int
        var predictedName: String
        var probabilities: [Double]
        var inverted: Bool
        /// x, y, width, height of the ink in the original image.
        var inkBox: [Int]
        var savedInput: String?
    }

    struct Output: Encodable {
        var model: String
        var classNames: [String]
        var images: [ImageResult]
    }

    private struct Envelope: Encodable {
        var result: Output
        var files: [String]
    }

    static func text(for output: Output) -> String {
        var lines = ["Model: \(output.model)"]
        for image in output.images {
            lines.append("")
            lines.append("\(image.file): predicted \(image.predictedName) with probability \(Q2Format.percent(image.probabilities[image.prediction]))"
                         + " (\(image.inverted ? "inverted: dark ink on light" : "not inverted: light ink on dark"); ink box \(image.inkBox[2])×\(image.inkBox[3]) px)")
            for (k, p) in image.probabilities.enumerated() {
                let name = k < output.classNames.count ? output.classNames[k] : "\(k)"
                let bar = String(repeating: "█", count: Int((p * 30).rounded()))
                let width = output.classNames.map(\.count).max() ?? 1
                let padded = name.padding(toLength: max(width, name.count), withPad: " ", startingAt: 0)
                lines.append("  \(padded) \(String(format: "%7.2f %%", 100 * p))  \(bar)\(k == image.prediction ? "  ←" : "")")
            }
            if let saved = image.savedInput { lines.append("  classified 28×28 input written to \(saved)") }
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - Inputs

    struct Input {
        var path: String
        var digit: PreparedDigit
    }

    /// Reads `path` as gray and prepares it like MNIST; one-line errors.
    static func prepare(_ path: String, inversion: DigitInversion) throws -> Input {
        do {
            let image = try PNGImage.read(contentsOf: URL(fileURLWithPath: path), as: .gray)
            let digit = try DigitPreprocessing.prepare(gray: image.pixels, width: image.width, height: image.height,
                                                       inversion: inversion)
            return Input(path: path, digit: digit)
        } catch let error as DigitPreprocessingError {
            throw LabError.failed("\(path): \(error)")
        } catch {
            throw LabError.failed("\(error)")
        }
    }

    /// Where `--save-input` puts the 28×28 of `path`.
    static func inputURL(_ target: String, for path: String, index: Int, all: [String]) -> URL {
        if all.count == 1, target.lowercased().hasSuffix(".png") { return URL(fileURLWithPath: target) }
        // Named after the image (its name with U+FFFD for bytes that are not UTF-8).
        func stemOf(_ path: String) -> String {
            URL(fileURLWithPath: RawFileNames.repaired(path)).deletingPathExtension().lastPathComponent
        }
        let stem = stemOf(path)
        let clashes = all.filter { stemOf($0) == stem }.count > 1
        return URL(fileURLWithPath: target, isDirectory: true)
            .appendingPathComponent(stem + (clashes ? "-\(index + 1)" : "") + "-28x28.png")
    }

    static func write(_ digit: PreparedDigit, to url: URL) throws {
        do {
            try AtomicFile.prepareFolder(url.deletingLastPathComponent())
            let png = PNGImage(width: DigitPreprocessing.side, height: DigitPreprocessing.side, layout: .gray, pixels: digit.pixels)
            try AtomicFile.write(try png.pngData(), to: url)
        } catch {
            throw LabError.failed("cannot write --save-input \(url.path): \(error)")
        }
    }

    // MARK: - The model

    struct Model {
        var network: MLP
        var classNames: [String]
        var description: String
        /// The weights file (`--load`) or the cache file it came from.
        var file: String
        var cached = false

        /// Why a non-finite output (overflow from weights that are finite but huge) ends the run.
        func unusable(on image: String) -> String {
            let largest = network.layers.lazy.flatMap(\.weights).map(\.magnitude).max() ?? 0
            let what = "the weights in '\(file)' give non-finite class probabilities for '\(image)' (largest |weight| "
                + "\(NumberFormat.number(largest))): they are unusable"
            return cached
                ? what + "; delete that cached model and run lab predict again to retrain it"
                : what + "; train them again, e.g. lab q2-train --save weights.npz, and pass that file to --load"
        }
    }

    /// The --load weights, or the default model from the cache (trained and cached when absent).
    static func model(network: Q2NetworkSettings, data: Q2DataSettings) throws -> Model {
        let kind = data.dataset
        if let path = network.load {
            let loaded = try Q2Network.make(network, classes: kind.classNames.count)
            guard loaded.inputCount == DigitPreprocessing.side * DigitPreprocessing.side else {
                throw LabError.failed("\(path) takes \(loaded.inputCount) inputs, but a prepared digit has 784 (28×28); use weights trained on MNIST")
            }
            return Model(network: loaded, classNames: kind.classNames,
                         description: "\(path) (\(Q2Format.layers(loaded.layerSizes)), \(Q2Format.scaling(network.scaling)))",
                         file: path)
        }
        let settings = ModelCache.settings(network: network, dataset: data.dataset)
        let files = try Q2Data.files(data, progress: DownloadReporter.shared.report)
        let identity: String
        do {
            identity = try files.trainingDataIdentity()
        } catch {
            throw LabError.failed("\(error)")
        }
        let key = ModelCache.Key(settings: settings, trainingDataSHA256: identity)
        let url = ModelCache.url(for: key)
        if let cached = try? NPZ.decode(contentsOf: url), cached.layerSizes == [784] + network.hiddenSizes + [10] {
            return Model(network: cached, classNames: kind.classNames,
                         description: "the default \(kind.displayName) model (\(Q2Format.layers(cached.layerSizes)), \(Q2Format.scaling(network.scaling))), cached at \(url.path)",
                         file: url.path, cached: true)
        }
        Console.error("no --load: training the default \(kind.displayName) model once (η = 0.003, 3 epochs) on \(files.folder.path); it is cached in \(url.path) for next time")
        var full = settings
        full.data = data
        let loaded = try Q2Data.load(data, progress: DownloadReporter.shared.report)
        let trained = try Q2Train.trainInteractively(full, data: loaded, save: nil, label: "default model")
        var description = "the default \(kind.displayName) model (\(Q2Format.layers(trained.network.layerSizes)), test accuracy \(Q2Format.percent(trained.after.testAccuracy))), trained now"
        do {
            try ModelCache.store(trained.network, key: key, at: url)
            description += " and cached at \(url.path)"
        } catch {
            // The prediction does not need the cache: say so, and go on.
            Console.error("lab: warning: the default model could not be cached (\(Lab.visible("\(error)"))); it will be trained again next time")
            description += " (not cached)"
        }
        return Model(network: trained.network, classNames: kind.classNames, description: description,
                     file: url.path, cached: false)
    }
}

/// The default models `lab predict` trains: one file per distinct setting and training data,
/// named by a hash of both, with a JSON record of both beside it.
enum ModelCache {
    /// What a cached model depends on: its training settings and the data it was trained on.
    struct Key: Codable, Equatable {
        var settings: Q2Train.Settings
        /// `DatasetFiles.trainingDataIdentity()` of the training files.
        var trainingDataSHA256: String
    }

    /// The training settings of the default model for `network` on `dataset` (data location
    /// and --load do not change the settings; the data itself enters the key by its SHA-256).
    static func settings(network: Q2NetworkSettings, dataset: DatasetKind) -> Q2Train.Settings {
        var model = network
        model.load = nil
        model.hidden = network.hiddenSizes
        return Q2Train.Settings(data: Q2DataSettings(dataset: dataset), network: model, training: Q2TrainingSettings())
    }

    /// `<cache root>/model-<16 hex digits>.npz`, the digits being FNV-1a (64-bit) of the key
    /// (settings and training-data SHA-256) as sorted-key JSON: stable across runs and machines.
    static func url(for key: Key, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in record(key) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let name = "model-" + String(format: "%016llx", hash) + ".npz"
        return DatasetLocation.cacheRoot(environment: environment).appendingPathComponent(name)
    }

    /// Writes the model and, beside it, `model-<hash>.json` recording its key.
    ///
    /// - Throws: `FileWriteError` when the cache cannot be written.
    static func store(_ network: MLP, key: Key, at url: URL) throws {
        try AtomicFile.prepareDestination(url)
        try AtomicFile.write(record(key, pretty: true), to: url.deletingPathExtension().appendingPathExtension("json"))
        try AtomicFile.write(try NPZ.encode(network), to: url)
    }

    private static func record(_ key: Key, pretty: Bool = false) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        return (try? encoder.encode(key)) ?? Data()
    }
}
