// The memory layout of the fast SGD kernel (Question 2, fast-training issue): every tensor of the
// 784-32-32-10 network (or any other shape) as rows of eight Float lanes in one flat buffer.

/// Eight Float lanes: the unit of every row of parameters, activations and deltas below.
public typealias FastLanes = SIMD8<Float>

/// Where each tensor lives in the kernel's flat buffers.
///
/// Every row of n_out values is padded to c = ⌈n_out / 8⌉ chunks of `FastLanes`; padding lanes
/// hold 0 and stay 0 (their δ is never written, so their updates are −η·a·0). Layer l (0-based)
/// maps sizes[l] inputs to sizes[l + 1] units:
/// ```
/// parameters: W¹ (n₀, c₁) | b¹ (c₁) | W² (n₁, c₂) | b² (c₂) | …        chunks, row-major
/// work:       a¹ (c₁) | … | a^L = logits (c_L) | δ¹ (c₁) | … | δ^L (c_L)
/// ```
public struct FastLayout: Sendable {
    /// n₀ … n_L.
    public let sizes: [Int]
    /// chunks[l] = ⌈n_l / 8⌉ for l ≥ 1; chunks[0] = 0 (the input is never stored as lanes).
    public let chunks: [Int]
    /// Offset of W^{l+1} and b^{l+1} in the parameters, for l in 0 ..< L.
    public let weights: [Int]
    public let biases: [Int]
    public let parameterCount: Int
    /// Offset of a^l and δ^l in the work buffer, for l in 1 … L (index 0 unused).
    public let activations: [Int]
    public let deltas: [Int]
    public let workCount: Int

    public var layerCount: Int { sizes.count - 1 }

    public init(sizes: [Int]) {
        self.sizes = sizes
        chunks = sizes.enumerated().map { $0.offset == 0 ? 0 : ($0.element + 7) / 8 }
        var weights: [Int] = [], biases: [Int] = [], offset = 0
        for l in 0 ..< sizes.count - 1 {
            weights.append(offset)
            offset += sizes[l] * chunks[l + 1]
            biases.append(offset)
            offset += chunks[l + 1]
        }
        self.weights = weights
        self.biases = biases
        parameterCount = offset
        var activations = [0], deltas = [0], work = 0
        for l in 1 ..< sizes.count { activations.append(work); work += chunks[l] }
        for l in 1 ..< sizes.count { deltas.append(work); work += chunks[l] }
        self.activations = activations
        self.deltas = deltas
        workCount = work
    }
}
