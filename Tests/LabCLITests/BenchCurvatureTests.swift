// `lab bench`'s curvature rows (issue 12) end to end: the Hessian-vector product over 60,000
// images and λmax on 10,000 images are timed and reported, in text and JSON.

import Foundation
import TestSupport
import XCTest

final class BenchCurvatureTests: XCTestCase {
    func testCurvatureRowsInTextAndJSON() throws {
        let output = try LabProcess.run(BenchTests.small + ["--json", "--no-numpy"], directory: BenchTests.repository,
                                        timeout: 600)
        XCTAssertEqual(output.status, 0, output.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let curvature = try XCTUnwrap(object["curvature"] as? [String: Any], output.stdout)
        XCTAssertEqual(curvature["samples"] as? Int, 60_000)
        let seconds = try XCTUnwrap(curvature["productSeconds"] as? Double)
        XCTAssertTrue(seconds > 0 && seconds.isFinite)
        XCTAssertEqual(curvature["numpyNote"] as? String, "skipped (--no-numpy)")
        // λmax of the seeded network's mean loss over 10,000 images (tests elsewhere pin the tools).
        XCTAssertEqual(try XCTUnwrap(curvature["lambdaMax"] as? Double), 1.448, accuracy: 0.001)
        XCTAssertEqual(curvature["lambdaSamples"] as? Int, 10_000)
    }
}
