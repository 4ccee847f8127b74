// Real MNIST for the tests, read once per test process (the training set takes a moment).

import Foundation
import MNISTData
import MNISTNet

enum MNISTSets {
    static let train: Result<ImageDataset, any Error> = Result {
        try ImageDataset.load(
            images: TestData.mnistFile("train-images-idx3-ubyte.gz"),
            labels: TestData.mnistFile("train-labels-idx1-ubyte.gz"))
    }
    static let test: Result<ImageDataset, any Error> = Result {
        try ImageDataset.load(
            images: TestData.mnistFile("t10k-images-idx3-ubyte.gz"),
            labels: TestData.mnistFile("t10k-labels-idx1-ubyte.gz"))
    }
}
