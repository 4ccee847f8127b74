import XCTest

final class MNISTNetPlaceholderTests: XCTestCase {
    func testPackageBuilds() {}
}
