// swift-tools-version:6.0
// gdlab: the gradient-descent lab toolkit. Question 1's theory lives in `Quadratic`, Question 2's
// network in `MNISTNet` (its data files in `MNISTData`), the experiments on both in `Labs`; the
// figures are drawn by `LabFigures`, results read as pages and the report in `LabReport`, and the
// `lab` executable parses the command line and presents them.

import PackageDescription

// The AVX2 copy of the SGD kernel (`SGDKernelAVX2`): on x86-64 it is compiled with AVX2 and FMA
// (256-bit lanes, fused multiply-add); `MNISTNet` runs it only on processors that have both and
// falls back to `SGDKernel`, the baseline copy, elsewhere. On other architectures the two copies
// are the same code. `#if arch` is the architecture this manifest is built for, the host's.
#if arch(x86_64)
let avx2Settings: [SwiftSetting] = [.define("GDLAB_AVX2"), .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma"])]
#else
let avx2Settings: [SwiftSetting] = []
#endif

let package = Package(
    name: "gdlab",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lab", targets: ["LabCLI"]),
        .library(name: "Quadratic", targets: ["Quadratic"]),
        .library(name: "MNISTData", targets: ["MNISTData"]),
        .library(name: "MNISTNet", targets: ["MNISTNet"]),
        .library(name: "Curvature", targets: ["Curvature"]),
        .library(name: "Labs", targets: ["Labs"]),
        // For the fuzz package's PNG target (PNGImage is public for it).
        .library(name: "LabFigures", targets: ["LabFigures"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        // `swift package generate-documentation`: DocC for the library products (build time only).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // System libraries: headers and linker flags come from pkg-config.
        .systemLibrary(
            name: "CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(
            name: "CLibZ", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        // libdeflate's whole-buffer gzip decompressor: loads MNIST 3× faster than zlib.
        .systemLibrary(
            name: "CLibDeflate", pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"]), .brew(["libdeflate"])]),
        // LAPACK's C interface, for the symmetric eigenproblems of `Curvature` (Linux; macOS
        // uses Accelerate instead and never builds this target).
        .systemLibrary(
            name: "CLapack", pkgConfig: "lapacke",
            providers: [.apt(["liblapacke-dev"])]),

        // Seeded randomness and atomic file writes, shared by both questions and the CLI.
        .target(name: "LabSupport"),

        // Question 1: the diagonal quadratic, gradient descent and its theory. Pure.
        .target(name: "Quadratic"),

        // Question 2's fast SGD step, compiled twice from the same files (SGDKernelAVX2 links
        // them): for the baseline instruction set and for AVX2 + FMA. `CPUFeatures` asks the
        // processor at run time which one it can execute.
        .target(name: "SGDKernel"),
        .target(name: "SGDKernelAVX2", swiftSettings: avx2Settings),
        .target(name: "CPUFeatures"),

        // Question 2's data: the IDX files (gzip), finding, downloading and checking them
        // (SHA-256), the image container, MNIST's digit preprocessing, and .npz arrays (ZIP).
        .target(
            name: "MNISTData",
            dependencies: [
                "LabSupport", "CLibZ", "CLibDeflate", "ZIPFoundation",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),

        // Question 2: the MLP, backpropagation, training, weights on disk (as MNISTData's .npz).
        .target(
            name: "MNISTNet",
            dependencies: ["MNISTData", "LabSupport", "SGDKernel", "SGDKernelAVX2", "CPUFeatures"]),

        // The loss surface of the network: exact Hessian-vector products and spectrum tools
        // (Lanczos, power iteration, Hutchinson's trace, stochastic Lanczos quadrature).
        .target(
            name: "Curvature",
            dependencies: [
                "MNISTNet", "MNISTData", "LabSupport",
                .target(name: "CLapack", condition: .when(platforms: [.linux])),
            ]),

        // Every experiment: settings → compute → Codable result, no printing (q1a–q1d, the
        // Question 2 pipeline, curvature, the learning-rate sweep, sharpness).
        .target(name: "Labs", dependencies: ["Quadratic", "MNISTNet", "MNISTData", "Curvature", "LabSupport"]),

        // Drawing: gnuplot figures with their CSV sidecars, libpng rasters and PNG reading,
        // text tables. Knows no lab.
        .target(name: "LabFigures", dependencies: ["LabSupport", "CPNG"]),

        // How results read: each lab's page (text, figures, worksheet) and the report built from
        // the labs' results (Markdown, HTML, notebook, PDF).
        .target(
            name: "LabReport",
            dependencies: ["Labs", "LabFigures", "LabSupport", "Quadratic", "MNISTNet", "MNISTData", "Curvature"],
            resources: [.process("Worksheets")]),

        // The `lab` executable: options → settings → run the lab → present its page.
        .executableTarget(
            name: "LabCLI",
            dependencies: [
                "Quadratic", "MNISTNet", "MNISTData", "LabSupport", "Curvature", "Labs", "LabFigures", "LabReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // What the test targets share: where real MNIST is, peak memory, running `lab`. A plain
        // library (Foundation only), so it is not itself a test target.
        .target(name: "TestSupport", path: "Tests/TestSupport"),

        .testTarget(name: "QuadraticTests", dependencies: ["Quadratic", "LabSupport"]),
        .testTarget(name: "MNISTDataTests", dependencies: ["MNISTData", "MNISTNet", "LabSupport", "CLibZ", "ZIPFoundation", "TestSupport"]),
        .testTarget(name: "MNISTNetTests", dependencies: ["MNISTNet", "MNISTData", "SGDKernel", "LabSupport", "TestSupport"]),
        .testTarget(name: "CurvatureTests", dependencies: ["Curvature", "MNISTNet", "MNISTData", "LabSupport", "TestSupport"]),
        .testTarget(name: "LabsTests", dependencies: ["Labs", "Curvature", "MNISTNet", "MNISTData", "LabSupport"]),
        .testTarget(name: "LabCLITests", dependencies: ["LabCLI", "MNISTNet", "MNISTData", "LabSupport", "LabFigures", "LabReport", "Labs", "TestSupport"]),
    ]
)
