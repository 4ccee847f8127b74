// The MNISTNet module: Question 2's network. It owns the MLP (sigmoid hidden layers, softmax,
// summed cross-entropy), its forward and backward passes, evaluation (loss, accuracy, confusion,
// saturation), training (per-sample and mini-batch SGD) with the reference and the fast kernels
// (SGDKernel, SGDKernelAVX2, chosen with CPUFeatures), the gradient check, the full-batch
// gradient, how a pixel becomes an input (`InputScaling`) and the weights as .npz.
//
// Imports: Foundation, LabSupport, MNISTData (images and .npz archives), SGDKernel,
// SGDKernelAVX2, CPUFeatures. It never prints or exits.
