// The fast SGD step (Question 2, fast-training issue): the homework's per-sample SGD — and
// mini-batch SGD on the summed loss — in Float32 on rows of eight lanes (`FastLayout`). The first
// layer reads and updates only the rows of the non-zero pixels (about 19 % of MNIST's); layers
// 2…L are small, dense and SIMD. Nothing is allocated inside a step.
//
// This file is compiled twice: in `SGDKernel` for the baseline of the target (SSE2 on x86-64,
// NEON on arm64) and, through symbolic links, in `SGDKernelAVX2` with AVX2 and FMA enabled
// (`GDLAB_AVX2`). `MNISTNet.FastKernel` picks the AVX2 copy when the processor has it. The one
// difference in the source is `multiplyAdd`: a fused multiply-add (one rounding) with FMA, a
// product and a sum (two roundings) without.
//
// About 430 lines in one file because it is the unit compiled twice: every hot loop of the step
// (sparse first layer, dense layers, the mini-batch sums) must sit in the file both targets link.

import Foundation

/// The entry point: one call trains a run of samples on buffers laid out as `FastLayout` says.
public enum SparseSGD {
    /// The instructions this copy was compiled for.
    #if GDLAB_AVX2
    public static let instructionSet = "AVX2+FMA"
    #else
    public static let instructionSet = "baseline SIMD"
    #endif

    /// What one call did (see `MNISTNet.KernelReport`).
    public struct Report: Sendable {
        public var lossSum: Double = 0
        public var trained = 0
        public var divergedAt: Int?
        public var divergedLoss: Double?
    }

    /// Trains `order`'s samples in batches of `batchSize`, updating `parameters` in place.
    ///
    /// - Parameters:
    ///   - sizes: n₀ … n_L; the buffers are laid out as `FastLayout(sizes:)` says.
    ///   - parameters, gradients: `parameterCount` lanes each; `gradients` all zero.
    ///   - work: `workCount` lanes.
    ///   - rows: 2·n₀ entries, all zero on first use (kept between calls; mini-batches only).
    ///   - table: 256 entries, the input value of each pixel byte.
    ///   - starts, pixelIndices, pixelBytes: the non-zero pixels of every image (`SparsePixels`
    ///     in MNISTNet): image n's are at positions starts[n] ..< starts[n + 1], in increasing
    ///     pixel order, as the pixel's index (< n₀ ≤ 2¹⁶) and its byte (never 0).
    ///   - labels: one class per image.
    public static func train(
        sizes: [Int], parameters: UnsafeMutablePointer<FastLanes>, gradients: UnsafeMutablePointer<FastLanes>,
        work: UnsafeMutablePointer<FastLanes>, rows: UnsafeMutablePointer<Int>, table: UnsafePointer<Float>,
        learningRate: Float, starts: UnsafePointer<Int>, pixelIndices: UnsafePointer<UInt16>,
        pixelBytes: UnsafePointer<UInt8>, labels: UnsafePointer<UInt8>, order: ArraySlice<Int>, batchSize: Int
    ) -> Report {
        let step = FastStep(
            layout: FastLayout(sizes: sizes), p: parameters, g: gradients, w: work, rows: rows, table: table,
            learningRate: learningRate)
        return step.run(
            starts: starts, pixelIndices: pixelIndices, pixelBytes: pixelBytes, labels: labels, order: order,
            batchSize: batchSize)
    }
}

/// sum + x·y lane by lane: fused (rounded once) where FMA is enabled, else rounded twice.
@inline(__always)
func multiplyAdd(_ sum: FastLanes, _ x: Float, _ y: FastLanes) -> FastLanes {
    #if GDLAB_AVX2
    return sum.addingProduct(x, y)
    #else
    return sum + x * y
    #endif
}

/// sum + x·y for two lane vectors (see the scalar version).
@inline(__always)
func multiplyAdd(_ sum: FastLanes, _ x: FastLanes, _ y: FastLanes) -> FastLanes {
    #if GDLAB_AVX2
    return sum.addingProduct(x, y)
    #else
    return sum + x * y
    #endif
}

/// Raw views of the kernel's buffers for the duration of one `train` call: the arithmetic.
struct FastStep {
    let layout: FastLayout
    /// Parameters, gradient sums, work (see `FastLayout`).
    let p: UnsafeMutablePointer<FastLanes>
    let g: UnsafeMutablePointer<FastLanes>
    let w: UnsafeMutablePointer<FastLanes>
    /// Rows of W¹ with a gradient in the current batch, then 1 for such a row, else 0 (n₀ each).
    let rows: UnsafeMutablePointer<Int>
    /// Pixel byte → input value (256).
    let table: UnsafePointer<Float>
    let learningRate: Float

    /// The non-zero pixels of one image: `count` pixel indices and bytes.
    struct Pixels {
        let indices: UnsafePointer<UInt16>
        let bytes: UnsafePointer<UInt8>
        let count: Int
    }

    func run(
        starts: UnsafePointer<Int>, pixelIndices: UnsafePointer<UInt16>, pixelBytes: UnsafePointer<UInt8>,
        labels: UnsafePointer<UInt8>, order: ArraySlice<Int>, batchSize: Int
    ) -> SparseSGD.Report {
        var report = SparseSGD.Report()
        @inline(__always) func pixels(_ n: Int) -> Pixels {
            let first = starts[n]
            return Pixels(indices: pixelIndices + first, bytes: pixelBytes + first, count: starts[n + 1] - first)
        }
        var position = order.startIndex
        while position < order.endIndex {
            let end = min(position + batchSize, order.endIndex)
            if batchSize == 1 {
                let n = order[position]
                let image = pixels(n)
                forward(image)
                let loss = lossAndOutputDelta(label: Int(labels[n]))
                guard loss.isFinite else {
                    report.divergedAt = position - order.startIndex
                    report.divergedLoss = Double(loss)
                    return report
                }
                backwardAndUpdate(image)
                report.lossSum += Double(loss)
                report.trained += 1
            } else {
                var touched = 0, batchLoss = 0.0
                for k in position ..< end {
                    let n = order[k]
                    let image = pixels(n)
                    forward(image)
                    let loss = lossAndOutputDelta(label: Int(labels[n]))
                    guard loss.isFinite else {
                        finishBatch(touched: touched, apply: false)
                        report.divergedAt = k - order.startIndex
                        report.divergedLoss = Double(loss)
                        return report
                    }
                    batchLoss += Double(loss)
                    backwardAndAccumulate(image, touched: &touched)
                }
                finishBatch(touched: touched, apply: true)
                report.lossSum += batchLoss
                report.trained += end - position
            }
            position = end
        }
        return report
    }

    /// Fills a¹ … a^{L−1} and the logits a^L from an image's non-zero pixels.
    @inline(__always)
    func forward(_ image: Pixels) {
        // Local copies of the pointers: the compiler cannot prove that stores through raw
        // pointers leave `self` and `image` alone, and would reload them after every store.
        let indices = image.indices, bytes = image.bytes, count = image.count, table = self.table
        let L = layout.layerCount
        // Layer 1: z¹ = b¹ + Σ_{i∈S} x_i W¹[i, :]
        let c1 = layout.chunks[1]
        let w1 = p + layout.weights[0], b1 = p + layout.biases[0], z1 = w + layout.activations[1]
        if c1 == 4 {  // 32 hidden units (the homework): the sum stays in registers
            var h0 = b1[0], h1 = b1[1], h2 = b1[2], h3 = b1[3]
            for t in 0 ..< count {
                let x = table[Int(bytes[t])], row = w1 + Int(indices[t]) &* 4
                h0 = multiplyAdd(h0, x, row[0]); h1 = multiplyAdd(h1, x, row[1])
                h2 = multiplyAdd(h2, x, row[2]); h3 = multiplyAdd(h3, x, row[3])
            }
            z1[0] = h0; z1[1] = h1; z1[2] = h2; z1[3] = h3
        } else {
            for q in 0 ..< c1 { z1[q] = b1[q] }
            for t in 0 ..< count {
                let x = table[Int(bytes[t])], row = w1 + Int(indices[t]) &* c1
                for q in 0 ..< c1 { z1[q] = multiplyAdd(z1[q], x, row[q]) }
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
                    for q in 0 ..< c { z[q] = multiplyAdd(z[q], ai, row[q]) }
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
            h0 = multiplyAdd(h0, ai, row[0])
            if c > 1 { h1 = multiplyAdd(h1, ai, row[1]) }
            if c > 2 { h2 = multiplyAdd(h2, ai, row[2]) }
            if c > 3 { h3 = multiplyAdd(h3, ai, row[3]) }
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
    func backwardAndUpdate(_ image: Pixels) {
        let indices = image.indices, bytes = image.bytes, count = image.count, table = self.table
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
                let x = table[Int(bytes[t])], row = w1 + Int(indices[t]) &* 4
                row[0] = multiplyAdd(row[0], -x, e0); row[1] = multiplyAdd(row[1], -x, e1)
                row[2] = multiplyAdd(row[2], -x, e2); row[3] = multiplyAdd(row[3], -x, e3)
            }
        } else {
            for t in 0 ..< count {
                let f = learningRate * table[Int(bytes[t])], row = w1 + Int(indices[t]) &* c1
                for q in 0 ..< c1 { row[q] = multiplyAdd(row[q], -f, d1[q]) }
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
            for q in 0 ..< c { s = multiplyAdd(s, row[q], d[q]) }
            let ai = a[i >> 3][i & 7]
            previous[i >> 3][i & 7] = s.sum() * ai * (1 - ai)
            let f = learningRate * ai
            for q in 0 ..< c { row[q] = multiplyAdd(row[q], -f, d[q]) }
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
                    if c > 1 { s = multiplyAdd(s, r1, d1) }
                    if c > 2 { s = multiplyAdd(s, r2, d2) }
                    if c > 3 { s = multiplyAdd(s, r3, d3) }
                    let f = eta * av[r]
                    row[0] = multiplyAdd(r0, -f, d0)
                    if c > 1 { row[1] = multiplyAdd(r1, -f, d1) }
                    if c > 2 { row[2] = multiplyAdd(r2, -f, d2) }
                    if c > 3 { row[3] = multiplyAdd(r3, -f, d3) }
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
    func backwardAndAccumulate(_ image: Pixels, touched: inout Int) {
        let indices = image.indices, bytes = image.bytes, count = image.count, table = self.table
        let L = layout.layerCount, n0 = layout.sizes[0]
        for l in stride(from: L, to: 1, by: -1) {
            let nIn = layout.sizes[l - 1], c = layout.chunks[l]
            let wl = p + layout.weights[l - 1], gl = g + layout.weights[l - 1], gb = g + layout.biases[l - 1]
            let a = w + layout.activations[l - 1], d = w + layout.deltas[l], previous = w + layout.deltas[l - 1]
            for i in 0 ..< nIn {
                let row = wl + i &* c, grow = gl + i &* c
                var s = FastLanes()
                for q in 0 ..< c { s = multiplyAdd(s, row[q], d[q]) }
                let ai = a[i >> 3][i & 7]
                previous[i >> 3][i & 7] = s.sum() * ai * (1 - ai)
                for q in 0 ..< c { grow[q] = multiplyAdd(grow[q], ai, d[q]) }
            }
            for q in 0 ..< c { gb[q] += d[q] }
        }
        let c1 = layout.chunks[1]
        let g1 = g + layout.weights[0], gb1 = g + layout.biases[0], d1 = w + layout.deltas[1]
        let rows = self.rows, flags = rows + n0
        for t in 0 ..< count {
            let i = Int(indices[t])
            if flags[i] == 0 {
                flags[i] = 1
                rows[touched] = i
                touched += 1
            }
            let x = table[Int(bytes[t])], grow = g1 + i &* c1
            for q in 0 ..< c1 { grow[q] = multiplyAdd(grow[q], x, d1[q]) }
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
        let flags = rows + n0
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
