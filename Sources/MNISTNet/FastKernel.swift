// The fast SGD kernel (Question 2, fast-training issue): the homework's per-sample SGD — and
// mini-batch SGD on the summed loss — in Float32 with SIMD8 rows. The first layer reads and
// updates only the rows of the non-zero pixels (about 19 % of MNIST's); layers 2…L are small,
// dense and SIMD. Nothing is allocated inside a step. `ReferenceKernel` is the yardstick.

import Foundation

/// Eight Float lanes: the unit of every row of parameters, activations and deltas below.
typealias FastLanes = SIMD8<Float>

/// Where each tensor lives in the kernel's flat buffers.
///
/// Every row of n_out values is padded to c = ⌈n_out / 8⌉ chunks of `FastLanes`; padding lanes
/// hold 0 and stay 0 (their δ is never written, so their updates are −η·a·0). Layer l (0-based)
/// maps sizes[l] inputs to sizes[l + 1] units:
/// ```
/// parameters: W¹ (n₀, c₁) | b¹ (c₁) | W² (n₁, c₂) | b² (c₂) | …        chunks, row-major
/// work:       a¹ (c₁) | … | a^L = logits (c_L) | δ¹ (c₁) | … | δ^L (c_L)
/// ```
struct FastLayout: Sendable {
    /// n₀ … n_L.
    let sizes: [Int]
    /// chunks[l] = ⌈n_l / 8⌉ for l ≥ 1; chunks[0] = 0 (the input is never stored as lanes).
    let chunks: [Int]
    /// Offset of W^{l+1} and b^{l+1} in the parameters, for l in 0 ..< L.
    let weights: [Int]
    let biases: [Int]
    let parameterCount: Int
    /// Offset of a^l and δ^l in the work buffer, for l in 1 … L (index 0 unused).
    let activations: [Int]
    let deltas: [Int]
    let workCount: Int

    var layerCount: Int { sizes.count - 1 }

    init(sizes: [Int]) {
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

/// Float32 SGD with a sparse first layer; same contract as `TrainingKernel` (see there).
///
/// Per-sample step (batch size 1), with S = {i : x_i ≠ 0} the non-zero pixels:
/// ```
/// z¹ = b¹ + Σ_{i∈S} x_i W¹[i, :]               only |S| rows of W¹ are read
/// aˡ = σ(zˡ),  z^{l+1} = b^{l+1} + aˡ W^{l+1}   dense, l = 1 … L−1
/// δᴸ = softmax(zᴸ) − onehot(y)
/// δˡ = (W^{l+1} δ^{l+1}) ⊙ aˡ ⊙ (1 − aˡ)        with W^{l+1} before its update
/// W^{l+1} −= η (aˡ)ᵀ δ^{l+1},  b^{l+1} −= η δ^{l+1}
/// W¹[i, :] −= η x_i δ¹  for i ∈ S only           (rows of zero pixels have zero gradient)
/// ```
/// Mini-batches sum the same per-sample gradients (W¹ only over the union of the samples'
/// non-zero rows) and apply them once at the end of the batch.
///
/// Precision: parameters, activations and updates are Float (unit roundoff u = 2⁻²⁴ ≈ 6e-8);
/// the loss is reported in Double. The tests bound the difference from `ReferenceKernel`
/// (`FastKernelTests`): after N steps the weights agree to a few N·u relative to their size.
public struct FastKernel: TrainingKernel {
    let layout: FastLayout
    /// The parameters, laid out as `FastLayout` says.
    private var parameters: [FastLanes]
    /// Σ of per-sample gradients in a mini-batch (same layout); all zero between batches.
    private var gradients: [FastLanes]
    /// Activations and deltas of the current sample.
    private var work: [FastLanes]
    /// [0, n₀): indices of the non-zero pixels of the current sample; [n₀, 2n₀): the rows of
    /// W¹ with a gradient in the current batch; [2n₀, 3n₀): 1 for such a row, else 0.
    private var indices: [Int]
    /// [0, n₀): the input values of the non-zero pixels; [n₀, n₀ + 256): the input value of
    /// each pixel byte (byte / 255, or the byte itself for raw pixels).
    private var values: [Float]
    private let learningRate: Float

    /// A kernel that starts from `network` (its weights rounded to Float).
    ///
    /// - Parameters:
    ///   - learningRate: η; rounded to Float (0.003 becomes 0.003000000026…).
    ///   - scaling: how pixel bytes become inputs.
    public init(network: MLP, learningRate: Double, scaling: InputScaling) {
        layout = FastLayout(sizes: network.layerSizes)
        let n0 = layout.sizes[0]
        parameters = [FastLanes](repeating: FastLanes(), count: layout.parameterCount)
        gradients = parameters
        work = [FastLanes](repeating: FastLanes(), count: layout.workCount)
        indices = [Int](repeating: 0, count: 3 * n0)
        values = [Float](repeating: 0, count: n0 + 256)
        for byte in 0 ... 255 { values[n0 + byte] = Float(Double(byte) * scaling.factor) }
        self.learningRate = Float(learningRate)
        for (l, layer) in network.layers.enumerated() {
            let c = layout.chunks[l + 1], w = layout.weights[l], b = layout.biases[l]
            for i in 0 ..< layer.inputCount {
                for j in 0 ..< layer.outputCount {
                    parameters[w + i * c + j >> 3][j & 7] = Float(layer.weights[i * layer.outputCount + j])
                }
            }
            for j in 0 ..< layer.outputCount { parameters[b + j >> 3][j & 7] = Float(layer.biases[j]) }
        }
    }

    /// The current parameters, widened exactly to Double.
    public var network: MLP {
        var layers: [DenseLayer] = []
        for l in 0 ..< layout.layerCount {
            let nIn = layout.sizes[l], nOut = layout.sizes[l + 1]
            let c = layout.chunks[l + 1], w = layout.weights[l], b = layout.biases[l]
            var weights = [Double](repeating: 0, count: nIn * nOut)
            for i in 0 ..< nIn {
                for j in 0 ..< nOut { weights[i * nOut + j] = Double(parameters[w + i * c + j >> 3][j & 7]) }
            }
            let biases = (0 ..< nOut).map { Double(parameters[b + $0 >> 3][$0 & 7]) }
            layers.append(DenseLayer(inputCount: nIn, outputCount: nOut, weights: weights, biases: biases))
        }
        return MLP(layers: layers)
    }

    public mutating func train(_ data: ImageDataset, order: ArraySlice<Int>, batchSize: Int) -> KernelReport {
        precondition(batchSize >= 1, "batch size must be positive")
        precondition(data.pixelsPerImage == layout.sizes[0], "the images must have one pixel per network input")
        // Move the buffers out of `self` so that the closures below borrow locals, not `self`.
        var parameters = self.parameters, gradients = self.gradients, work = self.work
        var indices = self.indices, values = self.values
        self.parameters = []; self.gradients = []; self.work = []; self.indices = []; self.values = []
        defer {
            self.parameters = parameters; self.gradients = gradients; self.work = work
            self.indices = indices; self.values = values
        }
        let layout = self.layout, learningRate = self.learningRate
        return data.pixels.withUnsafeBufferPointer { pixels in
            data.labels.withUnsafeBufferPointer { labels in
                parameters.withUnsafeMutableBufferPointer { p in
                    gradients.withUnsafeMutableBufferPointer { g in
                        work.withUnsafeMutableBufferPointer { w in
                            indices.withUnsafeMutableBufferPointer { index in
                                values.withUnsafeMutableBufferPointer { value in
                                    let step = FastStep(
                                        layout: layout, p: p.baseAddress!, g: g.baseAddress!, w: w.baseAddress!,
                                        index: index.baseAddress!, value: value.baseAddress!, learningRate: learningRate)
                                    return step.run(
                                        pixels: pixels.baseAddress!, labels: labels.baseAddress!,
                                        order: order, batchSize: batchSize)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Raw views of a `FastKernel`'s buffers for the duration of one `train` call: the arithmetic.
struct FastStep {
    let layout: FastLayout
    /// Parameters, gradient sums, work (see `FastLayout`).
    let p: UnsafeMutablePointer<FastLanes>
    let g: UnsafeMutablePointer<FastLanes>
    let w: UnsafeMutablePointer<FastLanes>
    /// Non-zero pixel indices, touched rows, touched flags (n₀ each).
    let index: UnsafeMutablePointer<Int>
    /// Non-zero pixel values (n₀), then the byte → value table (256).
    let value: UnsafeMutablePointer<Float>
    let learningRate: Float

    func run(pixels: UnsafePointer<UInt8>, labels: UnsafePointer<UInt8>, order: ArraySlice<Int>, batchSize: Int)
        -> KernelReport
    {
        var report = KernelReport()
        let n0 = layout.sizes[0]
        var position = order.startIndex
        while position < order.endIndex {
            let end = min(position + batchSize, order.endIndex)
            if batchSize == 1 {
                let n = order[position]
                let count = gather(pixels + n * n0)
                forward(count: count)
                let loss = lossAndOutputDelta(label: Int(labels[n]))
                guard loss.isFinite else {
                    report.divergedAt = position - order.startIndex
                    report.divergedLoss = Double(loss)
                    return report
                }
                backwardAndUpdate(count: count)
                report.lossSum += Double(loss)
                report.trained += 1
            } else {
                var touched = 0, batchLoss = 0.0
                for k in position ..< end {
                    let n = order[k]
                    let count = gather(pixels + n * n0)
                    forward(count: count)
                    let loss = lossAndOutputDelta(label: Int(labels[n]))
                    guard loss.isFinite else {
                        finishBatch(touched: touched, apply: false)
                        report.divergedAt = k - order.startIndex
                        report.divergedLoss = Double(loss)
                        return report
                    }
                    batchLoss += Double(loss)
                    backwardAndAccumulate(count: count, touched: &touched)
                }
                finishBatch(touched: touched, apply: true)
                report.lossSum += batchLoss
                report.trained += end - position
            }
            position = end
        }
        return report
    }

    /// Lists the non-zero pixels of one image: index[0 ..< count] and value[0 ..< count], in
    /// increasing pixel order. Eight bytes at a time: all-zero words (most of the border) are
    /// skipped with one comparison; inside a word every byte is written and the count advances
    /// only past non-zero ones, so no branch depends on the (unpredictable) pixel values.
    /// Writes stay below n₀: slot `count` ≤ the byte's own index.
    ///
    /// - Returns: the number of non-zero pixels.
    @inline(__always)
    func gather(_ image: UnsafePointer<UInt8>) -> Int {
        let n0 = layout.sizes[0]
        let table = value + n0
        var count = 0
        var k = 0
        let raw = UnsafeRawPointer(image)
        while k + 8 <= n0 {
            if raw.loadUnaligned(fromByteOffset: k, as: UInt64.self) != 0 {
                for m in k ..< k + 8 {
                    let pixel = image[m]
                    index[count] = m
                    value[count] = table[Int(pixel)]
                    count &+= pixel != 0 ? 1 : 0
                }
            }
            k += 8
        }
        for m in k ..< n0 {
            let pixel = image[m]
            index[count] = m
            value[count] = table[Int(pixel)]
            count &+= pixel != 0 ? 1 : 0
        }
        return count
    }

    /// Fills a¹ … a^{L−1} and the logits a^L from the gathered non-zero pixels.
    @inline(__always)
    func forward(count: Int) {
        let L = layout.layerCount
        // Layer 1: z¹ = b¹ + Σ_{i∈S} x_i W¹[i, :]
        let c1 = layout.chunks[1]
        let w1 = p + layout.weights[0], b1 = p + layout.biases[0], z1 = w + layout.activations[1]
        if c1 == 4 {  // 32 hidden units (the homework): the sum stays in registers
            var h0 = b1[0], h1 = b1[1], h2 = b1[2], h3 = b1[3]
            for t in 0 ..< count {
                let x = value[t], row = w1 + index[t] &* 4
                h0 += x * row[0]; h1 += x * row[1]; h2 += x * row[2]; h3 += x * row[3]
            }
            z1[0] = h0; z1[1] = h1; z1[2] = h2; z1[3] = h3
        } else {
            for q in 0 ..< c1 { z1[q] = b1[q] }
            for t in 0 ..< count {
                let x = value[t], row = w1 + index[t] &* c1
                for q in 0 ..< c1 { z1[q] += x * row[q] }
            }
        }
        if L > 1 { activate(z1, count: layout.sizes[1]) }
        // Layers 2 … L: z^{l+1} = b^{l+1} + aˡ W^{l+1}
        for l in 1 ..< L {
            let nIn = layout.sizes[l], c = layout.chunks[l + 1]
            let wl = p + layout.weights[l], bl = p + layout.biases[l]
            let a = w + layout.activations[l], z = w + layout.activations[l + 1]
            switch c {  // a constant chunk count unrolls the rows and keeps the sums in registers
            case 4: denseForward(chunks: 4, inputs: nIn, weights: wl, biases: bl, input: a, output: z)
            case 2: denseForward(chunks: 2, inputs: nIn, weights: wl, biases: bl, input: a, output: z)
            case 1: denseForward(chunks: 1, inputs: nIn, weights: wl, biases: bl, input: a, output: z)
            default:
                for q in 0 ..< c { z[q] = bl[q] }
                for i in 0 ..< nIn {
                    let ai = a[i >> 3][i & 7], row = wl + i &* c
                    for q in 0 ..< c { z[q] += ai * row[q] }
                }
            }
            if l < L - 1 { activate(z, count: layout.sizes[l + 1]) }
        }
    }

    /// z = b + a W for a dense layer of `chunks` ≤ 4 lanes per row, the sums held in four
    /// registers (`chunks` is a literal at every call, so the unused ones vanish). The same
    /// additions in the same order as the generic loop: bit-identical results.
    @inline(__always)
    func denseForward(
        chunks c: Int, inputs nIn: Int, weights wl: UnsafeMutablePointer<FastLanes>,
        biases bl: UnsafeMutablePointer<FastLanes>, input a: UnsafeMutablePointer<FastLanes>,
        output z: UnsafeMutablePointer<FastLanes>
    ) {
        var h0 = bl[0], h1 = c > 1 ? bl[1] : FastLanes(), h2 = c > 2 ? bl[2] : FastLanes(), h3 = c > 3 ? bl[3] : FastLanes()
        for i in 0 ..< nIn {
            let ai = a[i >> 3][i & 7], row = wl + i &* c
            h0 += ai * row[0]
            if c > 1 { h1 += ai * row[1] }
            if c > 2 { h2 += ai * row[2] }
            if c > 3 { h3 += ai * row[3] }
        }
        z[0] = h0
        if c > 1 { z[1] = h1 }
        if c > 2 { z[2] = h2 }
        if c > 3 { z[3] = h3 }
    }

    /// a = σ(z) in place for the first `count` lanes; padding lanes stay 0.
    @inline(__always)
    func activate(_ z: UnsafeMutablePointer<FastLanes>, count: Int) {
        let full = count >> 3
        for q in 0 ..< full { z[q] = FastMath.sigmoid(z[q]) }
        if count & 7 != 0 {
            let s = FastMath.sigmoid(z[full])
            var v = z[full]
            for k in 0 ..< (count & 7) { v[k] = s[k] }
            z[full] = v
        }
    }

    /// −log softmax(z)_label for the logits z = a^L, and δ^L = softmax(z) − onehot(label).
    ///
    /// ```
    /// m = max_k z_k,  S = Σ_k e^(z_k − m),  loss = log S − (z_label − m),  p_k = e^(z_k − m) / S
    /// ```
    /// - Returns: the loss; NaN when a logit is NaN or infinite (the caller stops: divergence).
    @inline(__always)
    func lossAndOutputDelta(label: Int) -> Float {
        let L = layout.layerCount, n = layout.sizes[L]
        let z = w + layout.activations[L], d = w + layout.deltas[L]
        var m = -Float.infinity
        var sawNaN = false
        for k in 0 ..< n {
            let v = z[k >> 3][k & 7]
            if v > m { m = v }
            if v.isNaN { sawNaN = true }
        }
        guard !sawNaN, m.isFinite else { return .nan }
        var sum: Float = 0
        for k in 0 ..< n {
            let e = Foundation.exp(z[k >> 3][k & 7] - m)
            d[k >> 3][k & 7] = e
            sum += e
        }
        let inverse = 1 / sum
        for k in 0 ..< n { d[k >> 3][k & 7] *= inverse }
        d[label >> 3][label & 7] -= 1
        return Foundation.log(sum) - (z[label >> 3][label & 7] - m)
    }

    /// Backpropagates δ^L and applies the per-sample update to every layer.
    @inline(__always)
    func backwardAndUpdate(count: Int) {
        let L = layout.layerCount
        for l in stride(from: L, to: 1, by: -1) {  // W^l: a^{l−1} → z^l, and δ^{l−1}
            let nIn = layout.sizes[l - 1], c = layout.chunks[l]
            let wl = p + layout.weights[l - 1], bl = p + layout.biases[l - 1]
            let a = w + layout.activations[l - 1], d = w + layout.deltas[l], previous = w + layout.deltas[l - 1]
            switch c {  // as in `forward`: constant chunk counts unroll the rows
            case 4 where nIn & 7 == 0:
                denseBackwardAndUpdateBlocks(chunks: 4, inputs: nIn, weights: wl, input: a, delta: d, previous: previous)
            case 2 where nIn & 7 == 0:
                denseBackwardAndUpdateBlocks(chunks: 2, inputs: nIn, weights: wl, input: a, delta: d, previous: previous)
            case 4: denseBackwardAndUpdate(chunks: 4, inputs: nIn, weights: wl, input: a, delta: d, previous: previous)
            case 2: denseBackwardAndUpdate(chunks: 2, inputs: nIn, weights: wl, input: a, delta: d, previous: previous)
            case 1: denseBackwardAndUpdate(chunks: 1, inputs: nIn, weights: wl, input: a, delta: d, previous: previous)
            default: denseBackwardAndUpdate(chunks: c, inputs: nIn, weights: wl, input: a, delta: d, previous: previous)
            }
            for q in 0 ..< c { bl[q] -= learningRate * d[q] }
        }
        // Layer 1: only the rows of the non-zero pixels.
        let c1 = layout.chunks[1]
        let w1 = p + layout.weights[0], b1 = p + layout.biases[0], d1 = w + layout.deltas[1]
        if c1 == 4 {
            let e0 = learningRate * d1[0], e1 = learningRate * d1[1]
            let e2 = learningRate * d1[2], e3 = learningRate * d1[3]
            for t in 0 ..< count {
                let x = value[t], row = w1 + index[t] &* 4
                row[0] -= x * e0; row[1] -= x * e1; row[2] -= x * e2; row[3] -= x * e3
            }
        } else {
            for t in 0 ..< count {
                let f = learningRate * value[t], row = w1 + index[t] &* c1
                for q in 0 ..< c1 { row[q] -= f * d1[q] }
            }
        }
        for q in 0 ..< c1 { b1[q] -= learningRate * d1[q] }
    }

    /// δ^{l−1} = (W δ) ⊙ a ⊙ (1 − a) and W −= η aᵀ δ for one dense layer, row by row (each row
    /// is read once for both). Called with a literal `chunks` for the usual sizes, which lets
    /// the compiler unroll the inner loops and keep δ in registers.
    @inline(__always)
    func denseBackwardAndUpdate(
        chunks c: Int, inputs nIn: Int, weights wl: UnsafeMutablePointer<FastLanes>,
        input a: UnsafeMutablePointer<FastLanes>, delta d: UnsafeMutablePointer<FastLanes>,
        previous: UnsafeMutablePointer<FastLanes>
    ) {
        for i in 0 ..< nIn {
            let row = wl + i &* c
            var s = FastLanes()
            for q in 0 ..< c { s += row[q] * d[q] }
            let ai = a[i >> 3][i & 7]
            previous[i >> 3][i & 7] = s.sum() * ai * (1 - ai)
            let f = learningRate * ai
            for q in 0 ..< c { row[q] -= f * d[q] }
        }
    }

    /// `denseBackwardAndUpdate` for a literal `chunks` ≤ 4 and a multiple of 8 inputs, eight rows at a
    /// time: each row is loaded once into registers for both its dot product s_r = W[r, :]·δ
    /// and its update, and the eight horizontal sums are reduced together (a transpose by
    /// halves), so δ^{l−1} = s ⊙ a ⊙ (1 − a) is computed on whole lanes. The horizontal sums
    /// add in a tree instead of lane by lane: a different rounding, within the same Float
    /// error bound (`FastKernelTests`).
    @inline(__always)
    func denseBackwardAndUpdateBlocks(
        chunks c: Int, inputs nIn: Int, weights wl: UnsafeMutablePointer<FastLanes>,
        input a: UnsafeMutablePointer<FastLanes>, delta d: UnsafeMutablePointer<FastLanes>,
        previous: UnsafeMutablePointer<FastLanes>
    ) {
        let d0 = d[0], d1 = c > 1 ? d[1] : FastLanes(), d2 = c > 2 ? d[2] : FastLanes(), d3 = c > 3 ? d[3] : FastLanes()
        let eta = learningRate
        for k in 0 ..< nIn >> 3 {
            let av = a[k], base = wl + (k << 3) &* c
            var h = (SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(),
                     SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>())
            withUnsafeMutableBytes(of: &h) { raw in
                let partial = raw.baseAddress!.assumingMemoryBound(to: SIMD4<Float>.self)
                for r in 0 ..< 8 {  // s_r = W[row, :]·δ as eight partial lanes, then the update
                    let row = base + r &* c
                    let r0 = row[0], r1 = c > 1 ? row[1] : FastLanes()
                    let r2 = c > 2 ? row[2] : FastLanes(), r3 = c > 3 ? row[3] : FastLanes()
                    var s = r0 * d0
                    if c > 1 { s += r1 * d1 }
                    if c > 2 { s += r2 * d2 }
                    if c > 3 { s += r3 * d3 }
                    let f = eta * av[r]
                    row[0] = r0 - f * d0
                    if c > 1 { row[1] = r1 - f * d1 }
                    if c > 2 { row[2] = r2 - f * d2 }
                    if c > 3 { row[3] = r3 - f * d3 }
                    partial[r] = s.lowHalf + s.highHalf
                }
            }
            let s = FastLanes(lowHalf: Self.sums(h.0, h.1, h.2, h.3), highHalf: Self.sums(h.4, h.5, h.6, h.7))
            previous[k] = s * av * (1 - av)
        }
    }

    /// (Σ x, Σ y, Σ z, Σ w) of four 4-lane vectors, by pairs (a transpose by halves).
    @inline(__always)
    static func sums(_ x: SIMD4<Float>, _ y: SIMD4<Float>, _ z: SIMD4<Float>, _ w: SIMD4<Float>) -> SIMD4<Float> {
        let xy = SIMD8(lowHalf: x, highHalf: y), zw = SIMD8(lowHalf: z, highHalf: w)
        let u = xy.evenHalf + xy.oddHalf, v = zw.evenHalf + zw.oddHalf
        let uv = SIMD8(lowHalf: u, highHalf: v)
        return uv.evenHalf + uv.oddHalf
    }

    /// Backpropagates δ^L with the parameters unchanged and adds this sample's gradient to the
    /// sums; records the rows of W¹ that received one.
    @inline(__always)
    func backwardAndAccumulate(count: Int, touched: inout Int) {
        let L = layout.layerCount, n0 = layout.sizes[0]
        for l in stride(from: L, to: 1, by: -1) {
            let nIn = layout.sizes[l - 1], c = layout.chunks[l]
            let wl = p + layout.weights[l - 1], gl = g + layout.weights[l - 1], gb = g + layout.biases[l - 1]
            let a = w + layout.activations[l - 1], d = w + layout.deltas[l], previous = w + layout.deltas[l - 1]
            for i in 0 ..< nIn {
                let row = wl + i &* c, grow = gl + i &* c
                var s = FastLanes()
                for q in 0 ..< c { s += row[q] * d[q] }
                let ai = a[i >> 3][i & 7]
                previous[i >> 3][i & 7] = s.sum() * ai * (1 - ai)
                for q in 0 ..< c { grow[q] += ai * d[q] }
            }
            for q in 0 ..< c { gb[q] += d[q] }
        }
        let c1 = layout.chunks[1]
        let g1 = g + layout.weights[0], gb1 = g + layout.biases[0], d1 = w + layout.deltas[1]
        let rows = index + n0, flags = index + 2 * n0
        for t in 0 ..< count {
            let i = index[t]
            if flags[i] == 0 {
                flags[i] = 1
                rows[touched] = i
                touched += 1
            }
            let x = value[t], grow = g1 + i &* c1
            for q in 0 ..< c1 { grow[q] += x * d1[q] }
        }
        for q in 0 ..< c1 { gb1[q] += d1[q] }
    }

    /// θ −= η Σ∇ (when `apply`), then clears the sums and the touched rows for the next batch.
    func finishBatch(touched: Int, apply: Bool) {
        let n0 = layout.sizes[0]
        // b¹ and the dense layers 2 … L: their lanes are contiguous, from b¹ to the end.
        for k in layout.biases[0] ..< layout.parameterCount {
            if apply { p[k] -= learningRate * g[k] }
            g[k] = FastLanes()
        }
        // W¹: only the touched rows.
        let c1 = layout.chunks[1], w1 = p + layout.weights[0], g1 = g + layout.weights[0]
        let rows = index + n0, flags = index + 2 * n0
        for r in 0 ..< touched {
            let i = rows[r]
            flags[i] = 0
            let row = w1 + i &* c1, grow = g1 + i &* c1
            for q in 0 ..< c1 {
                if apply { row[q] -= learningRate * grow[q] }
                grow[q] = FastLanes()
            }
        }
    }
}
