// swift-tools-version:6.0
// gdlab's fuzz targets: libFuzzer drives the IDX/gzip reader, the .npz reader and the PNG reader
// with mutated bytes under AddressSanitizer. A separate package so `swift test` never builds it;
// run it with Fuzz/run.sh (see the README), which builds with --sanitize=fuzzer,address.

import PackageDescription

let package = Package(
    name: "gdlab-fuzz",
    dependencies: [
        // The package being fuzzed (its identity is the folder name, so it is named explicitly).
        .package(name: "gdlab", path: ".."),
    ],
    targets: [
        // Seed writing and the input conversion shared by the targets.
        .target(name: "FuzzSupport", path: "Sources/FuzzSupport"),

        // IDX images and labels, the two-file dataset parser, and gzip.
        .executableTarget(
            name: "fuzz-idx",
            dependencies: ["FuzzSupport", .product(name: "MNISTData", package: "gdlab")],
            path: "Targets/IDX"),
        // NumPy .npz weights (the archive is MNISTData's, the network it holds MNISTNet's).
        .executableTarget(
            name: "fuzz-npz",
            dependencies: [
                "FuzzSupport", .product(name: "MNISTData", package: "gdlab"),
                .product(name: "MNISTNet", package: "gdlab"),
            ],
            path: "Targets/NPZ"),
        // PNG decoding (every layout) and the digit preprocessing of `lab predict`.
        .executableTarget(
            name: "fuzz-png",
            dependencies: [
                "FuzzSupport", .product(name: "LabFigures", package: "gdlab"),
                .product(name: "MNISTData", package: "gdlab"),
            ],
            path: "Targets/PNG"),
    ]
)
