// How Question 2's network reads a pixel: the factor between a pixel byte (0…255) and the
// input x the first layer sees. It belongs to the network, not to the data files: the same
// bytes are read at either scale.

/// How pixel bytes become network inputs.
public enum InputScaling: String, Sendable, CaseIterable {
    /// x = pixel / 255, in [0, 1]: the default, and what makes training work well.
    case unit
    /// x = pixel, in 0…255: the homework as written; the first sigmoid layer saturates.
    case raw

    /// The factor applied to a pixel byte.
    public var factor: Double { self == .unit ? 1.0 / 255.0 : 1.0 }
}
