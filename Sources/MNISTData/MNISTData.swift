// The MNISTData module: Question 2's data, apart from the network. It owns the IDX files of
// MNIST and Fashion-MNIST (IDX.swift, gzip in Gzip.swift), where they are found, downloaded,
// cached and checked against their SHA-256 (Dataset.swift, DatasetLocation.swift, Download.swift),
// the images as bytes (ImageDataset.swift) and NumPy .npz archives of float64 arrays (NPZ.swift).
//
// Two files sit here because of what they do, not because of who calls them:
// - SparsePixels.swift lists each image's non-zero pixels (the fast kernel reads the first
//   layer through it). It is a property of the pixels alone, made once and kept inside the
//   `ImageDataset` it describes, and a stored property can only live in its type's module.
//   MNISTNet reads it through the public `ImageDataset.nonZeroPixels`.
// - DigitPreprocessing.swift turns a user's own image into an MNIST-style 28×28 digit (for
//   `lab predict`) the way the MNIST files were made: it produces data, it knows no network.
// How the network reads a pixel byte (`InputScaling`) and the weights stored in an .npz
// (`NPZ.encode(_:)` / `NPZ.decode` for an `MLP`, MLP+NPZ.swift) stay in MNISTNet.
//
// Imports: Foundation, LabSupport (atomic writes), CLibZ and CLibDeflate (gzip), ZIPFoundation
// (.npz) and swift-crypto (SHA-256). Never MNISTNet or anything above it; it never prints or exits.
