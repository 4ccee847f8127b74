// The full-batch gradient (Question 2, sharpness issue): Σ_n ∇(−log p_{y_n}) over a run of
// images in Float32 on the fast kernel's rows of eight lanes (`FastLayout`), the first layer
// reading only the rows of each image's non-zero pixels. Parameters are only read: this is the
// gradient that full-batch gradient descent and the sharpness lab step along.
//
// Compiled twice like SparseSGD.swift (a symbolic link in SGDKernelAVX2); `multiplyAdd` is
// fused there. Per-sample gradients are summed in Float over blocks of `blockSize` images and
// each block's sum is added to Double totals, so the summation error grows with the block size
// (256), not with the number of images (60,000).

/// The entry point: one call sums the per-sample gradients of a run of images.
public enum SparseGradient {
    /// Images whose gradients are summed in Float before the sum joins the Double totals.
    public static let blockSize = 256

    /// What one call computed.
    public struct Report: Sendable {
        /// Σ −log p_{y_n} over the images summed (in Double, each term a Float).
        public var lossSum: Double = 0
        /// Images whose gradient was added to the totals.
        public var summed = 0
        /// Position (relative to the first image) of the first image whose loss was not
        /// finite; summation stopped there and the totals then hold an incomplete sum.
        public var nonFiniteAt: Int?
    }

    /// Adds Σ_{n ∈ images} ∇_θ(−log p_{y_n}(x_n; θ)) to `totals`.
    ///
    /// Per image, with S the non-zero pixels:
    /// ```
    /// forward:   z¹ = b¹ + Σ_{i∈S} x_i W¹[i, :],  aˡ = σ(zˡ),  zˡ⁺¹ = bˡ⁺¹ + aˡ Wˡ⁺¹
    /// output:    δᴸ = softmax(zᴸ) − onehot(y)
    /// backward:  δˡ = (Wˡ⁺¹ δˡ⁺¹) ⊙ aˡ ⊙ (1 − aˡ)
    /// gradient:  ∂Wˡ⁺¹ += (aˡ)ᵀ δˡ⁺¹,  ∂bˡ += δˡ,  ∂W¹[i, :] += x_i δ¹ for i ∈ S only
    /// ```
    /// - Parameters:
    ///   - sizes: n₀ … n_L; the buffers are laid out as `FastLayout(sizes:)` says.
    ///   - parameters: `parameterCount` lanes, read only.
    ///   - blockSums: `parameterCount` lanes, all zero; zero again on return.
    ///   - work: `workCount` lanes.
    ///   - totals: 8·`parameterCount` Doubles in the same lane layout; the sum is added to them.
    ///   - table, starts, pixelIndices, pixelBytes, labels: as `SparseSGD.train` takes them.
    ///   - images: the images to sum over.
    /// - Complexity: O(|images| · (non-zero pixels · n₁ + weights of layers 2 … L)), plus
    ///   O(parameterCount) per `blockSize` images.
    public static func accumulate(
        sizes: [Int], parameters: UnsafeMutablePointer<FastLanes>, blockSums: UnsafeMutablePointer<FastLanes>,
        work: UnsafeMutablePointer<FastLanes>, totals: UnsafeMutablePointer<Double>, table: UnsafePointer<Float>,
        starts: UnsafePointer<Int>, pixelIndices: UnsafePointer<UInt16>, pixelBytes: UnsafePointer<UInt8>,
        labels: UnsafePointer<UInt8>, images: Range<Int>
    ) -> Report {
        // The forward pass and the loss are the SGD step's own (`FastStep`); this call never
        // updates anything, so the step's learning rate is 0 and its list of touched rows is
        // never read (one placeholder entry).
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 1) { unused in
            let step = FastStep(
                layout: FastLayout(sizes: sizes), p: parameters, g: blockSums, w: work, rows: unused.baseAddress!,
                table: table, learningRate: 0)
            return step.sumGradients(
                totals: totals, starts: starts, pixelIndices: pixelIndices, pixelBytes: pixelBytes, labels: labels,
                images: images)
        }
    }
}

extension FastStep {
    func sumGradients(
        totals: UnsafeMutablePointer<Double>, starts: UnsafePointer<Int>, pixelIndices: UnsafePointer<UInt16>,
        pixelBytes: UnsafePointer<UInt8>, labels: UnsafePointer<UInt8>, images: Range<Int>
    ) -> SparseGradient.Report {
        var report = SparseGradient.Report()
        var inBlock = 0
        for n in images {
            let first = starts[n]
            let image = Pixels(indices: pixelIndices + first, bytes: pixelBytes + first, count: starts[n + 1] - first)
            forward(image)
            let loss = lossAndOutputDelta(label: Int(labels[n]))
            guard loss.isFinite else {
                flushBlock(into: totals)
                report.nonFiniteAt = n - images.lowerBound
                return report
            }
            report.lossSum += Double(loss)
            backwardAndSum(image)
            report.summed += 1
            inBlock += 1
            if inBlock == SparseGradient.blockSize {
                flushBlock(into: totals)
                inBlock = 0
            }
        }
        if inBlock > 0 { flushBlock(into: totals) }
        return report
    }

    /// totals += the block's Float sums (widened exactly), and the block sums back to 0.
    func flushBlock(into totals: UnsafeMutablePointer<Double>) {
        for k in 0 ..< layout.parameterCount {
            let v = g[k], t = totals + 8 &* k
            let low = SIMD4<Double>(v.lowHalf), high = SIMD4<Double>(v.highHalf)
            let raw = UnsafeMutableRawPointer(t)
            raw.storeBytes(of: raw.loadUnaligned(as: SIMD4<Double>.self) + low, as: SIMD4<Double>.self)
            raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self) + high,
                           toByteOffset: 32, as: SIMD4<Double>.self)
            g[k] = FastLanes()
        }
    }

    /// Backpropagates δᴸ (parameters unchanged) and adds this image's gradient to the block
    /// sums `g`: every row of the dense layers, the rows of W¹ of the non-zero pixels.
    @inline(__always)
    func backwardAndSum(_ image: Pixels) {
        let indices = image.indices, bytes = image.bytes, count = image.count, table = self.table
        let L = layout.layerCount
        for l in stride(from: L, to: 1, by: -1) {  // W^l: a^{l−1} → z^l, and δ^{l−1}
            let nIn = layout.sizes[l - 1], c = layout.chunks[l]
            let wl = p + layout.weights[l - 1], gl = g + layout.weights[l - 1], gb = g + layout.biases[l - 1]
            let a = w + layout.activations[l - 1], d = w + layout.deltas[l], previous = w + layout.deltas[l - 1]
            switch c {  // literal chunk counts unroll the rows and keep δ in registers
            case 4 where nIn & 7 == 0:
                denseBackwardAndSumBlocks(chunks: 4, inputs: nIn, weights: wl, sums: gl, input: a, delta: d, previous: previous)
            case 2 where nIn & 7 == 0:
                denseBackwardAndSumBlocks(chunks: 2, inputs: nIn, weights: wl, sums: gl, input: a, delta: d, previous: previous)
            case 1 where nIn & 7 == 0:
                denseBackwardAndSumBlocks(chunks: 1, inputs: nIn, weights: wl, sums: gl, input: a, delta: d, previous: previous)
            default:
                for i in 0 ..< nIn {
                    let row = wl + i &* c, grow = gl + i &* c
                    var s = FastLanes()
                    for q in 0 ..< c { s = multiplyAdd(s, row[q], d[q]) }
                    let ai = a[i >> 3][i & 7]
                    previous[i >> 3][i & 7] = s.sum() * ai * (1 - ai)
                    for q in 0 ..< c { grow[q] = multiplyAdd(grow[q], ai, d[q]) }
                }
            }
            for q in 0 ..< c { gb[q] += d[q] }
        }
        // Layer 1: only the rows of the non-zero pixels.
        let c1 = layout.chunks[1]
        let g1 = g + layout.weights[0], gb1 = g + layout.biases[0], d1 = w + layout.deltas[1]
        if c1 == 4 {  // 32 hidden units (the homework): δ¹ stays in registers
            let e0 = d1[0], e1 = d1[1], e2 = d1[2], e3 = d1[3]
            for t in 0 ..< count {
                let x = table[Int(bytes[t])], row = g1 + Int(indices[t]) &* 4
                row[0] = multiplyAdd(row[0], x, e0); row[1] = multiplyAdd(row[1], x, e1)
                row[2] = multiplyAdd(row[2], x, e2); row[3] = multiplyAdd(row[3], x, e3)
            }
        } else {
            for t in 0 ..< count {
                let x = table[Int(bytes[t])], row = g1 + Int(indices[t]) &* c1
                for q in 0 ..< c1 { row[q] = multiplyAdd(row[q], x, d1[q]) }
            }
        }
        for q in 0 ..< c1 { gb1[q] += d1[q] }
    }

    /// δ^{l−1} = (W δ) ⊙ a ⊙ (1 − a) and ∂W += aᵀ δ for one dense layer of a literal `chunks`
    /// ≤ 4 and a multiple of 8 inputs, eight rows at a time (as `denseBackwardAndUpdateBlocks`,
    /// with the update replaced by the sum).
    @inline(__always)
    func denseBackwardAndSumBlocks(
        chunks c: Int, inputs nIn: Int, weights wl: UnsafeMutablePointer<FastLanes>,
        sums gl: UnsafeMutablePointer<FastLanes>, input a: UnsafeMutablePointer<FastLanes>,
        delta d: UnsafeMutablePointer<FastLanes>, previous: UnsafeMutablePointer<FastLanes>
    ) {
        let d0 = d[0], d1 = c > 1 ? d[1] : FastLanes(), d2 = c > 2 ? d[2] : FastLanes(), d3 = c > 3 ? d[3] : FastLanes()
        for k in 0 ..< nIn >> 3 {
            let av = a[k], base = wl + (k << 3) &* c, gbase = gl + (k << 3) &* c
            var h = (SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(),
                     SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>())
            withUnsafeMutableBytes(of: &h) { raw in
                let partial = raw.baseAddress!.assumingMemoryBound(to: SIMD4<Float>.self)
                for r in 0 ..< 8 {
                    let row = base + r &* c, grow = gbase + r &* c
                    var s = row[0] * d0
                    if c > 1 { s = multiplyAdd(s, row[1], d1) }
                    if c > 2 { s = multiplyAdd(s, row[2], d2) }
                    if c > 3 { s = multiplyAdd(s, row[3], d3) }
                    let f = av[r]
                    grow[0] = multiplyAdd(grow[0], f, d0)
                    if c > 1 { grow[1] = multiplyAdd(grow[1], f, d1) }
                    if c > 2 { grow[2] = multiplyAdd(grow[2], f, d2) }
                    if c > 3 { grow[3] = multiplyAdd(grow[3], f, d3) }
                    partial[r] = s.lowHalf + s.highHalf
                }
            }
            let s = FastLanes(lowHalf: Self.sums(h.0, h.1, h.2, h.3), highHalf: Self.sums(h.4, h.5, h.6, h.7))
            previous[k] = s * av * (1 - av)
        }
    }
}
