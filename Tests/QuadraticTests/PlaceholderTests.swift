import XCTest

final class QuadraticPlaceholderTests: XCTestCase {
    func testPackageBuilds() {}
}
