// The Labs module: every experiment gdlab runs, each as Settings → compute → a Codable result.
// Question1/ holds q1a–q1d (the gradient and its check, one step and its closed form, the
// stable band of η, conditioning and momentum); Question2/ the homework's network labs (the
// initialisation, the forward pass, the gradient check, the training pipeline) with the data
// and settings they share and the download progress handed in as a callback; beside them the
// curvature lab, the learning-rate sweep and sharpness during full-batch descent.
//
// Imports: Foundation, LabSupport, Quadratic, MNISTData, MNISTNet, Curvature. Never a figure,
// the report or ArgumentParser: it never prints, draws, parses a command line or exits. Ctrl-C
// reaches a lab only through `Interrupt` (LabSupport) and the observers its callers pass.
