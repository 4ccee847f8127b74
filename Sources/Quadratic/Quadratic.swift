// The Quadratic module: Question 1's theory. The diagonal quadratic L = ½·Σ aᵢ·wᵢ², gradient
// descent on it with and without momentum (heavy ball, Nesterov), the closed forms (ρᵢ = 1 − η·aᵢ,
// the stable band, iterations to ε), and the rotated quadratic.
//
// Imports: Foundation only. Pure: no files, no printing.
