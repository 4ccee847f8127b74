// `lab q1c`: its options, checked, become `Q1C.Settings`; the lab computes
// (Labs/Question1/Q1C.swift) and its page presents the result (LabReport/Pages/Q1C+Page.swift).

import ArgumentParser
import Foundation
import LabReport
import LabSupport
import Labs
import MNISTNet
import Quadratic

struct Q1CCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q1c",
        abstract: "Q1(c): convergence exactly for 0 < η < 2/max(a, b); the boundary cases shown.",
        discussion: """
            Figures: <out>/q1c-rates.png (max|ρᵢ| against η, stable band shaded), \
            <out>/q1c-trajectories.png and <out>/q1c-loss.png (η below, at and above 2/max(a, b)).
            """)

    @OptionGroup var problem: QuadraticOptions

    @Option(name: .customLong("eta"), parsing: .unconditionalSingleValue,
            help: "Extra learning rate η (> 0) to classify; repeatable.")
    var etas: [Double] = []

    @Option(name: .customLong("above"), parsing: .unconditional,
            help: "The 'just above' case is η = above·2/max(a, b) (1 < above ≤ 2).")
    var above: Double = Q1C.Settings().above

    @Option(help: "Steps drawn for the below/at/above runs (1 … 100000).")
    var steps = Q1C.Settings().steps

    @Option(name: .customLong("epsilon"), parsing: .unconditional,
            help: "Loss tolerance ε for 'iterations to ε' (> 0).")
    var epsilon: Double = Q1C.Settings().epsilon

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if output.explain { return }
        for eta in etas { try ArgumentCheck.positive(eta, "--eta", example: "0.15") }
        guard etas.count <= 20 else { throw ValidationError("at most 20 --eta values, got \(etas.count)") }
        guard above.isFinite, above > 1, above <= 2 else {
            throw ValidationError("--above must be a number in (1, 2], got \(above); try --above 1.05")
        }
        try ArgumentCheck.steps(steps, "--steps", limit: 100_000, example: "60")
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1; try --steps 60") }
        try ArgumentCheck.positive(epsilon, "--epsilon", example: "1e-6")
    }

    func run() throws {
        try Q1C.perform(output: output) {
            try Q1C.compute(Q1C.Settings(
                a: problem.a, b: problem.b, w0: problem.w0.coordinates, extraLearningRates: etas,
                above: above, steps: steps, epsilon: epsilon))
        }
    }
}
