// `lab q1b`: its options, checked, become `Q1B.Settings`; the lab computes
// (Labs/Question1/Q1B.swift) and its page presents the result (LabReport/Pages/Q1B+Page.swift).

import ArgumentParser
import Foundation
import LabReport
import LabSupport
import Labs
import MNISTNet
import Quadratic

struct Q1BCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q1b",
        abstract: "Q1(b): contraction factors ρᵢ = 1 − η·aᵢ measured and w(t) = ρᵗ·w(0) checked.",
        discussion: """
            Figures: <out>/q1b-trajectory.png (iterates over the contours of L) and \
            <out>/q1b-coordinates.png (|wᵢ(t)| simulated, with the closed form |ρᵢ|ᵗ·|wᵢ(0)|).
            """)

    @OptionGroup var problem: QuadraticOptions

    @Option(name: .customLong("eta"), parsing: .unconditionalSingleValue,
            help: "Learning rate η (> 0); repeat for several runs (default: 0.05 and 0.15).")
    var etas: [Double] = []

    @Option(help: "Number of gradient-descent steps (1 … 100000).")
    var steps = Q1B.Settings().steps

    @Option(name: .customLong("angle"), parsing: .unconditional,
            help: "Rotate the quadratic by θ degrees, L = ½·wᵀ·R(θ)·diag(a, b)·R(θ)ᵀ·w (default 0: the homework's diagonal case).")
    var angle: Double = Q1B.Settings().angleDegrees

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if output.explain { return }
        for eta in etas { try ArgumentCheck.positive(eta, "--eta", example: "0.15") }
        guard etas.count <= 8 else { throw ValidationError("at most 8 --eta values, got \(etas.count)") }
        try ArgumentCheck.steps(steps, "--steps", limit: 100_000, example: "40")
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1; try --steps 40") }
        guard angle.isFinite, abs(angle) <= 360 else {
            throw ValidationError("--angle must be a number of degrees in [-360, 360], got \(angle); try --angle 30")
        }
    }

    func run() throws {
        try Q1B.perform(output: output) {
            var settings = Q1B.Settings(a: problem.a, b: problem.b, w0: problem.w0.coordinates, steps: steps, angleDegrees: angle)
            if !etas.isEmpty { settings.learningRates = etas }
            return try Q1B.compute(settings)
        }
    }
}
