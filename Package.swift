// swift-tools-version:6.0
// gdlab: the gradient-descent lab toolkit. Question 1 lives in `Quadratic`, Question 2 in
// `MNISTNet`, and the `lab` executable presents both as text, CSV and PNG figures.

import PackageDescription

let package = Package(
    name: "gdlab",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lab", targets: ["LabCLI"]),
        .library(name: "Quadratic", targets: ["Quadratic"]),
        .library(name: "MNISTNet", targets: ["MNISTNet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
    ],
    targets: [
        // System libraries: headers and linker flags come from pkg-config.
        .systemLibrary(
            name: "CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(
            name: "CLibZ", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

        // Seeded randomness and atomic file writes, shared by both questions and the CLI.
        .target(name: "LabSupport"),

        // Question 1: the diagonal quadratic, gradient descent and its theory. Pure.
        .target(name: "Quadratic"),

        // Question 2: IDX data, the MLP, backpropagation, training, weights on disk.
        .target(
            name: "MNISTNet",
            dependencies: [
                "LabSupport", "CLibZ", "ZIPFoundation",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),

        // The `lab` executable.
        .executableTarget(
            name: "LabCLI",
            dependencies: [
                "Quadratic", "MNISTNet", "LabSupport", "CPNG",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            resources: [.process("Worksheets")]),

        .testTarget(name: "QuadraticTests", dependencies: ["Quadratic", "LabSupport"]),
        .testTarget(name: "MNISTNetTests", dependencies: ["MNISTNet", "LabSupport"]),
        .testTarget(name: "LabCLITests", dependencies: ["LabCLI", "MNISTNet", "LabSupport"]),
    ]
)
