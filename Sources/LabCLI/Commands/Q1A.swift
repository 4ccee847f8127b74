// `lab q1a`: its options, checked, become `Q1A.Settings`; the lab computes
// (Labs/Question1/Q1A.swift) and its page presents the result (LabReport/Pages/Q1A+Page.swift).

import ArgumentParser
import Foundation
import LabFigures
import LabReport
import LabSupport
import Labs
import MNISTNet
import Quadratic

struct Q1ACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q1a",
        abstract: "Q1(a): the gradient and minimiser of L = ½(a·w₁² + b·w₂²), checked; GD reaches w*.",
        discussion: "Figure: <out>/q1a-descent.png (loss and distance to w* per step, log scale).")

    @OptionGroup var problem: QuadraticOptions

    @Option(name: .customLong("eta"), parsing: .unconditional, help: "Learning rate η (> 0).")
    var eta: Double = Q1A.Settings().learningRate

    @Option(help: "Maximum number of gradient-descent steps (0 … 10000000).")
    var steps = Q1A.Settings().steps

    @Option(name: .customLong("epsilon"), parsing: .unconditional,
            help: "Stop once L(w) ≤ ε (≥ 0).")
    var epsilon: Double = Q1A.Settings().epsilon

    @Option(help: "Number of random points for the gradient check (1 … 1000).")
    var points = Q1A.Settings().points

    @Option(help: "Seed for the random gradient-check points.")
    var seed: UInt64 = Q1A.Settings().seed

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if output.explain { return }
        try ArgumentCheck.positive(eta, "--eta", example: "0.15")
        try ArgumentCheck.steps(steps, "--steps", limit: 10_000_000, example: "200")
        try ArgumentCheck.steps(points, "--points", limit: 1000, example: "8")
        guard points >= 1 else { throw ValidationError("--points must be at least 1; try --points 8") }
        guard epsilon.isFinite, epsilon >= 0 else {
            throw ValidationError("--epsilon must be a finite number ≥ 0, got \(epsilon); try --epsilon 1e-12")
        }
    }

    func run() throws {
        let shown = try Q1A.perform(output: output) {
            try Q1A.compute(Q1A.Settings(
                a: problem.a, b: problem.b, w0: problem.w0.coordinates, learningRate: eta, steps: steps,
                epsilon: epsilon, points: points, seed: seed))
        }
        guard let result = shown else { return }
        // A check that could not compare (a non-finite difference) or disagrees is a failure.
        if !result.gradientCheckPassed {
            throw LabError.failed("the gradient check failed (max relative error \(NumberFormat.error(result.maxRelativeError))); see the table above")
        }
    }
}
