// Small networks and data for the curvature tests: a 12-6-5-3 network on random 3×4 "images"
// (about half the pixels zero, as in MNIST), and real MNIST from $MNIST_DIR for the big checks.

import Foundation
import LabSupport
import MNISTData
import MNISTNet
import TestSupport
import XCTest

enum Tiny {
    static let sizes = [12, 6, 5, 3]

    /// `count` random images with about half their pixels 0, and random labels 0…2.
    static func data(count: Int = 20, seed: UInt64 = 7) -> ImageDataset {
        var g = SeededGenerator(seed: seed)
        var pixels: [UInt8] = [], labels: [UInt8] = []
        for _ in 0 ..< count {
            for _ in 0 ..< 12 { pixels.append(g.next() & 1 == 0 ? 0 : UInt8(1 + g.next() % 255)) }
            labels.append(UInt8(g.next() % 3))
        }
        return ImageDataset(pixels: pixels, labels: labels, rows: 3, columns: 4)
    }

    /// Parameters with weights ~ N(0, 1) (larger than the initialisation, so every term of the
    /// Hessian matters) and biases ~ N(0, 0.3²).
    static func parameters(seed: UInt64 = 11) -> [Double] {
        var g = SeededGenerator(seed: seed)
        var θ: [Double] = []
        for (nIn, nOut) in zip(sizes, sizes.dropFirst()) {
            θ += (0 ..< nIn * nOut).map { _ in g.nextGaussian() }
            θ += (0 ..< nOut).map { _ in 0.3 * g.nextGaussian() }
        }
        return θ
    }

    static func vector(_ n: Int, seed: UInt64) -> [Double] {
        var g = SeededGenerator(seed: seed)
        return (0 ..< n).map { _ in g.nextGaussian() }
    }
}

extension RealMNIST {
    /// The first `count` training images of real MNIST; the tests that need it fail (never skip)
    /// when it is missing.
    static func train(prefix count: Int) throws -> ImageDataset {
        try ImageDataset.load(images: file("train-images-idx3-ubyte.gz"), labels: file("train-labels-idx1-ubyte.gz"))
            .prefix(count)
    }
}

func maxAbs(_ x: [Double]) -> Double { x.map(abs).max() ?? 0 }

/// max |x − y| / max |y|: the relative error of x against the reference y.
func relativeError(_ x: [Double], _ y: [Double]) -> Double {
    precondition(x.count == y.count)
    return maxAbs(zip(x, y).map { $0 - $1 }) / max(maxAbs(y), 1e-300)
}
