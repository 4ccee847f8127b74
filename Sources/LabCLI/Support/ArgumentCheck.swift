// Validating numbers given on the command line: each check throws a ValidationError that says
// what was wrong and what to pass instead.

import ArgumentParser
import Foundation
import LabSupport
import MNISTNet

/// Validation messages that say what to pass instead.
enum ArgumentCheck {
    static func finite(_ x: Double, _ name: String, example: String) throws {
        guard x.isFinite else { throw ValidationError("\(name) must be a finite number, got \(x); try \(name) \(example)") }
    }

    static func positive(_ x: Double, _ name: String, example: String) throws {
        guard x.isFinite, x > 0 else {
            throw ValidationError("\(name) must be a finite number > 0, got \(x); try \(name) \(example)")
        }
    }

    static func finite(_ point: PlanePoint, _ name: String) throws {
        guard point.x.isFinite, point.y.isFinite else {
            throw ValidationError("\(name) must be two finite numbers, got \(point.x),\(point.y); try \(name) 1,1")
        }
    }

    static func steps(_ n: Int, _ name: String, limit: Int, example: String) throws {
        guard n >= 0, n <= limit else {
            throw ValidationError("\(name) must be between 0 and \(limit), got \(n); try \(name) \(example)")
        }
    }
}

/// Number formatting shared by the Question 1 text renderers.
