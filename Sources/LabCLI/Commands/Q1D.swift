// `lab q1d`: its options, checked, become `Q1D.Settings`; the lab computes
// (Labs/Question1/Q1D.swift) and its page presents the result (LabReport/Pages/Q1D+Page.swift).

import ArgumentParser
import Foundation
import LabReport
import LabSupport
import Labs
import MNISTNet
import Quadratic

struct Q1DCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q1d",
        abstract: "Q1(d): iterations to ε grow like κ at η* and like √κ with momentum (heavy ball, Nesterov).",
        discussion: """
            a = κ·b for each κ. Figures: <out>/q1d-iterations.png (log–log, measured over the exact \
            counts), <out>/q1d-zigzag.png (GD, heavy ball and Nesterov for --zigzag-kappa, and |wᵢ(t)| \
            against t), <out>/q1d-heatmap.png (iterations to ε over (η, κ)), <out>/q1d-momentum-map.png \
            (the heavy-ball rate over (η, β) with Polyak's optimum).
            """)

    @Option(name: .customLong("b"), parsing: .unconditional,
            help: "The smaller curvature b (> 0); a = κ·b.")
    var b: Double = Q1D.Settings().b

    @Option(name: .customLong("kappa"), parsing: .unconditionalSingleValue,
            help: "Condition number κ = a/b ≥ 1 to measure; repeatable (default 1, 3, 10, …, 10000).")
    var kappas: [Double] = []

    @Option(name: .customLong("w0"), parsing: .unconditional,
            help: ArgumentHelp("Start point w(0) as 'w1,w2', not (0, 0).", valueName: "w1,w2"))
    var w0 = PlanePoint(Q1D.Settings().w0[0], Q1D.Settings().w0[1])

    @Option(name: .customLong("epsilon"), parsing: .unconditional,
            help: "Tolerance ε (> 0; < 1 when relative).")
    var epsilon: Double = Q1D.Settings().epsilon

    @Option(help: "relative: stop at L/L₀ ≤ ε (counts depend on κ alone); absolute: stop at L ≤ ε.")
    var tolerance: ToleranceKind = Q1D.Settings().tolerance

    @Option(name: .customLong("zigzag-kappa"), parsing: .unconditional,
            help: "κ of the zig-zag figure, the 2×2 iteration matrices and the (η, β) rate map (1 … 1e4).")
    var zigzagKappa: Double = Q1D.Settings().zigzagKappa

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if output.explain { return }
        try ArgumentCheck.positive(b, "--b", example: "1")
        try ArgumentCheck.finite(w0, "--w0")
        guard w0.x != 0 || w0.y != 0 else { throw ValidationError("--w0 is the minimum already; try --w0 1,1") }
        try ArgumentCheck.positive(epsilon, "--epsilon", example: "1e-6")
        if tolerance == .relative, epsilon >= 1 {
            throw ValidationError("--epsilon must be < 1 with --tolerance relative (it is the fraction L/L₀ to reach), got \(epsilon); try --epsilon 1e-6")
        }
        guard kappas.count <= 40 else { throw ValidationError("at most 40 --kappa values, got \(kappas.count)") }
        for kappa in kappas + [zigzagKappa] {
            guard kappa.isFinite, kappa >= 1, kappa <= 1e6 else {
                throw ValidationError("κ must be a number in [1, 1e6], got \(kappa); try --kappa 100")
            }
        }
        guard zigzagKappa <= 1e4 else { throw ValidationError("--zigzag-kappa must be ≤ 1e4; try --zigzag-kappa 50") }
        guard (b * 1e6).isFinite else { throw ValidationError("--b is too large for a = κ·b; try --b 1") }
    }

    func run() throws {
        try Q1D.perform(output: output) {
            var settings = Q1D.Settings(b: b, w0: w0.coordinates, epsilon: epsilon, tolerance: tolerance, zigzagKappa: zigzagKappa)
            if !kappas.isEmpty { settings.kappas = kappas }
            return try Q1D.compute(settings)
        }
    }
}

extension ToleranceKind: ExpressibleByArgument {}
