// The Curvature module (issue 12, "Question 1 meets Question 2"): the Hessian of the network's
// loss, measured exactly and cheaply, and the spectrum tools that turn it into λmax, the top-k,
// the trace and the eigenvalue density — so η < 2/λmax from Question 1 can be checked on the MLP.
//
// API (stable; later changes are additive):
//
//   NetworkLoss(layerSizes:data:samples:scaling:threads:)   the MEAN cross-entropy over `samples`
//       .loss(at: θ) → Double
//       .lossAndGradient(at: θ) → (loss, gradient)
//       .hessianVectorProduct(at: θ, v) → H(θ) v          exact, Pearlmutter's R-operator, Double
//       .lossGradientAndProduct(at: θ, v)                  all three in one pass
//       .hessian(at: θ) → SymmetricOperator                 for the spectrum tools
//       .restricted(to: samples, threads:)                  the same loss on other samples
//       NetworkLoss.parameters(of: MLP) → θ                 flat: W¹, b¹, W², b², … (W row-major)
//       NetworkLoss.network(layerSizes:parameters:) → MLP   the inverse
//
//   SymmetricOperator(dimension:apply:)        any symmetric v ↦ A v ([Double] → [Double])
//   SymmetricOperator(matrix:dimension:)       a dense symmetric matrix; .denseMatrix() builds one
//   Lanczos.topEigenvalues(of:count:options:start:generator:) → LanczosResult   top-k, full reorth.
//   PowerIteration.dominantEigenvalue(of:tolerance:maximumIterations:start:generator:)  warm-startable
//   Hutchinson.trace(of:samples:generator:) → TraceEstimate (trace ± standard error)
//   SpectralDensity.estimate(of:probes:steps:generator:) → nodes/weights; .density(at:sigma:), .curve
//   SymmetricEigen.tridiagonal(diagonal:offDiagonal:) / .dense(_:dimension:)   LAPACK dstev / dsyev
//   CurvatureError                             non-finite products, LAPACK failures (one-line messages)
//
// Randomness is LabSupport's SeededGenerator, passed inout. Linux only for now: LAPACK comes from
// the CLapack system library (liblapacke-dev); on macOS Accelerate would provide dstev/dsyev.
// Per-sample SGD (batch size 1, summed loss) steps on one sample's loss: its curvature is
// `restricted(to: [n])`'s, not the mean's — the labs measure both.
