// Real MNIST for the tests, read once per test process (the training set takes a moment).

import Foundation
import MNISTData
import MNISTNet
import TestSupport

enum MNISTSets {
    static let train: Result<ImageDataset, any Error> = Result {
        try ImageDataset.load(
            images: RealMNIST.file("train-images-idx3-ubyte.gz"),
            labels: RealMNIST.file("train-labels-idx1-ubyte.gz"))
    }
    static let test: Result<ImageDataset, any Error> = Result {
        try ImageDataset.load(
            images: RealMNIST.file("t10k-images-idx3-ubyte.gz"),
            labels: RealMNIST.file("t10k-labels-idx1-ubyte.gz"))
    }
}
