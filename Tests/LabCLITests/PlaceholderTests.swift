import XCTest

final class LabCLIPlaceholderTests: XCTestCase {
    func testPackageBuilds() {}
}
