// The curvature of Question 2's loss (issue 12): the mean cross-entropy of the MLP over a set of
// training samples as a function of the flat parameter vector θ, with its exact gradient and
// exact Hessian-vector product H·v by Pearlmutter's R-operator (forward-over-reverse), in Double.
//
// Longer than most files (about 490 lines) on purpose: the forward pass, the backward pass and
// their R-operator twins share one layout of the parameters and one set of buffers, and each
// R-line mirrors the plain line above it; split apart, the correspondence the tests check
// (H·v against central differences of the gradient) could no longer be read side by side.

import Dispatch
import Foundation
import MNISTData
import MNISTNet

/// The mean cross-entropy of an MLP over chosen samples, as a function of the flat parameters.
///
/// ```
/// L(θ) = (1/N) Σ_{n ∈ S} −log softmax(f(x_n; θ))_{y_n}        N = |S|
/// θ    = (W¹, b¹, W², b², …)   each Wˡ (n_{l−1}, n_l) row-major, like `DenseLayer`
/// ```
/// `lossAndGradient` is backpropagation; `hessianVectorProduct` is Pearlmutter's R-operator
/// R{·} = ∂/∂r (·)(θ + r v) at r = 0 pushed through the forward and the backward pass:
/// ```
/// R{z¹} = x V¹ + vb¹                                   (R{x} = 0)
/// R{zˡ} = R{aˡ⁻¹} Wˡ + aˡ⁻¹ Vˡ + vbˡ,   R{aˡ} = aˡ(1 − aˡ) ⊙ R{zˡ}
/// δᴸ = p − onehot(y),                    R{δᴸ} = p ⊙ R{zᴸ} − p (pᵀ R{zᴸ})
/// δˡ⁻¹ = (Wˡ δˡ) ⊙ s,   s = aˡ⁻¹(1 − aˡ⁻¹)
/// R{δˡ⁻¹} = (Vˡ δˡ + Wˡ R{δˡ}) ⊙ s + (Wˡ δˡ) ⊙ (1 − 2aˡ⁻¹) ⊙ R{aˡ⁻¹}
/// (H v)_{Wˡ} = R{aˡ⁻¹}ᵀ δˡ + (aˡ⁻¹)ᵀ R{δˡ},   (H v)_{bˡ} = R{δˡ}
/// ```
/// averaged over the samples: the exact product (no finite differences), for about three times
/// the work of a gradient. The first layer reads only each image's non-zero pixels (the list
/// training uses, `ImageDataset.nonZeroPixels`), so an image with 150 lit pixels costs 150 rows
/// of W¹ and V¹ rather than 784.
///
/// Samples may be split over `threads` threads (contiguous chunks, each with its own sums, added
/// in chunk order): the result depends on `threads` only through rounding, and is the same on
/// every run with the same `threads`.
public struct NetworkLoss: Sendable {
    /// Unit counts from input to output, e.g. [784, 32, 32, 10].
    public let layerSizes: [Int]
    /// The samples the mean runs over (indices into the dataset), in summation order.
    public let samples: [Int]
    /// How pixel bytes become inputs (÷255 or raw).
    public let scaling: InputScaling
    /// Threads the samples are split over (1: the calling thread only).
    public let threads: Int
    let data: ImageDataset
    private let pixels: NonZeroPixels
    private let layout: ParameterLayout

    /// The loss of a network with `layerSizes` on `samples` of `data`.
    ///
    /// - Parameters:
    ///   - layerSizes: unit counts from input to output; the first must be `data.pixelsPerImage`.
    ///   - data: the images and labels.
    ///   - samples: indices into `data` (default: every image); at least one.
    ///   - scaling: `.unit` (pixel/255, the default) or `.raw` (0…255).
    ///   - threads: threads to split the samples over (≥ 1).
    /// - Precondition: the sizes fit the data, every index is in range, every label is a class.
    public init(layerSizes: [Int], data: ImageDataset, samples: [Int]? = nil, scaling: InputScaling = .unit,
                threads: Int = 1) {
        precondition(layerSizes.count >= 3 && layerSizes.allSatisfy { $0 >= 1 }, "need input, hidden and output sizes")
        precondition(layerSizes[0] == data.pixelsPerImage, "the network's input count must equal the image size")
        let samples = samples ?? Array(0 ..< data.count)
        precondition(!samples.isEmpty, "the mean needs at least one sample")
        precondition(samples.allSatisfy { data.labels.indices.contains($0) }, "sample index out of range")
        precondition(samples.allSatisfy { Int(data.labels[$0]) < layerSizes[layerSizes.count - 1] },
                     "every label must be a class index")
        precondition(threads >= 1, "threads must be at least 1")
        self.layerSizes = layerSizes
        self.samples = samples
        self.scaling = scaling
        self.threads = threads
        self.data = data
        self.pixels = data.nonZeroPixels
        self.layout = ParameterLayout(layerSizes: layerSizes)
    }

    /// The same loss for `network`'s shape.
    public init(network: MLP, data: ImageDataset, samples: [Int]? = nil, scaling: InputScaling = .unit,
                threads: Int = 1) {
        self.init(layerSizes: network.layerSizes, data: data, samples: samples, scaling: scaling, threads: threads)
    }

    /// Number of parameters (the dimension of θ and of H).
    public var parameterCount: Int { layout.count }
    /// Number of samples in the mean.
    public var sampleCount: Int { samples.count }

    /// The same loss on other samples of the same data (e.g. one sample, for its own curvature).
    public func restricted(to samples: [Int], threads: Int? = nil) -> NetworkLoss {
        NetworkLoss(layerSizes: layerSizes, data: data, samples: samples, scaling: scaling,
                    threads: threads ?? self.threads)
    }

    // MARK: - θ ↔ MLP

    /// The flat parameter vector of `network`: W¹, b¹, W², b², … (each W row-major).
    public static func parameters(of network: MLP) -> [Double] {
        var θ: [Double] = []
        θ.reserveCapacity(network.parameterCount)
        for layer in network.layers {
            θ += layer.weights
            θ += layer.biases
        }
        return θ
    }

    /// The network with `layerSizes` whose parameters are `θ` (the inverse of `parameters(of:)`).
    public static func network(layerSizes: [Int], parameters θ: [Double]) -> MLP {
        let layout = ParameterLayout(layerSizes: layerSizes)
        precondition(θ.count == layout.count, "θ must have one entry per parameter")
        var layers: [DenseLayer] = []
        for l in 0 ..< layerSizes.count - 1 {
            let w = layout.weights[l], b = layout.biases[l]
            layers.append(DenseLayer(inputCount: layerSizes[l], outputCount: layerSizes[l + 1],
                                     weights: Array(θ[w ..< w + layerSizes[l] * layerSizes[l + 1]]),
                                     biases: Array(θ[b ..< b + layerSizes[l + 1]])))
        }
        return MLP(layers: layers)
    }

    // MARK: - Loss, gradient, Hessian-vector product

    /// L(θ), the mean cross-entropy.
    ///
    /// - Complexity: one forward pass per sample.
    public func loss(at θ: [Double]) -> Double {
        run(θ, direction: nil, gradient: false).loss
    }

    /// L(θ) and ∇L(θ).
    ///
    /// - Complexity: one forward and one backward pass per sample.
    public func lossAndGradient(at θ: [Double]) -> (loss: Double, gradient: [Double]) {
        let r = run(θ, direction: nil, gradient: true)
        return (r.loss, r.gradient)
    }

    /// H(θ)·v, the exact Hessian-vector product of the mean loss.
    ///
    /// - Complexity: about three gradients' work (R-forward, backward and R-backward per sample).
    public func hessianVectorProduct(at θ: [Double], _ v: [Double]) -> [Double] {
        run(θ, direction: v, gradient: false).product
    }

    /// L(θ), ∇L(θ) and H(θ)·v in one pass (the gradient costs little extra).
    public func lossGradientAndProduct(at θ: [Double], _ v: [Double])
        -> (loss: Double, gradient: [Double], product: [Double]) {
        let r = run(θ, direction: v, gradient: true)
        return (r.loss, r.gradient, r.product)
    }

    /// H(θ) as an operator for the spectrum tools.
    public func hessian(at θ: [Double]) -> SymmetricOperator {
        precondition(θ.count == parameterCount, "θ must have one entry per parameter")
        let copy = self
        return SymmetricOperator(dimension: parameterCount) { copy.hessianVectorProduct(at: θ, $0) }
    }

    // MARK: - The kernel

    private struct Sums {
        var loss = 0.0
        var gradient: [Double] = []
        var product: [Double] = []
    }

    /// Sums over the samples (split over `threads` chunks), then divides by N.
    private func run(_ θ: [Double], direction v: [Double]?, gradient: Bool) -> Sums {
        precondition(θ.count == layout.count, "θ must have one entry per parameter")
        if let v { precondition(v.count == layout.count, "v must have one entry per parameter") }
        let chunks = min(threads, samples.count)
        var parts = [Sums](repeating: Sums(), count: chunks)
        let count = samples.count
        if chunks == 1 {
            parts[0] = accumulate(θ, v, gradient: gradient, range: 0 ..< count)
        } else {
            let box = PartsBox(parts)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let range = (c * count / chunks) ..< ((c + 1) * count / chunks)
                box.store(accumulate(θ, v, gradient: gradient, range: range), at: c)
            }
            parts = box.parts
        }
        var total = parts[0]
        for part in parts.dropFirst() {
            total.loss += part.loss
            add(part.gradient, to: &total.gradient)
            add(part.product, to: &total.product)
        }
        let scale = 1 / Double(count)
        total.loss *= scale
        for k in total.gradient.indices { total.gradient[k] *= scale }
        for k in total.product.indices { total.product[k] *= scale }
        return total
    }

    private func add(_ x: [Double], to y: inout [Double]) {
        guard !x.isEmpty else { return }
        for k in y.indices { y[k] += x[k] }
    }

    /// The sums over samples[range]: one workspace, no allocation per sample.
    private func accumulate(_ θ: [Double], _ v: [Double]?, gradient wantGradient: Bool, range: Range<Int>) -> Sums {
        let sizes = layerSizes, L = sizes.count - 1
        let p = layout.count
        var sums = Sums()
        var g = [Double](repeating: 0, count: wantGradient ? p : 0)
        var hv = [Double](repeating: 0, count: v == nil ? 0 : p)
        // Per-layer scratch, one flat buffer: for l = 1 … L at offsets[l]: a (σ(z) or the logits),
        // ra = R{a}, d = δ, rd = R{δ}; each n_l long.
        var offsets = [Int](repeating: 0, count: L + 1)
        var total = 0
        for l in 1 ... L { offsets[l] = total; total += 4 * sizes[l] }
        var scratch = [Double](repeating: 0, count: total)
        let table = (0 ... 255).map { Double($0) * scaling.factor }
        let withR = v != nil
        let zeros = [Double](repeating: 0, count: withR ? 0 : p)
        let pix = pixels
        var lossSum = 0.0

        θ.withUnsafeBufferPointer { th in
        (v ?? zeros).withUnsafeBufferPointer { vv in
        g.withUnsafeMutableBufferPointer { gg in
        hv.withUnsafeMutableBufferPointer { hh in
        scratch.withUnsafeMutableBufferPointer { s in
        table.withUnsafeBufferPointer { xs in
        data.labels.withUnsafeBufferPointer { labels in
        samples.withUnsafeBufferPointer { order in
            // Empty buffers may still have a base address: the flags, not the pointers, say what is wanted.
            let th = th.baseAddress!
            let vv = withR ? vv.baseAddress : nil, gg = wantGradient ? gg.baseAddress : nil, hh = withR ? hh.baseAddress : nil
            let s = s.baseAddress!, xs = xs.baseAddress!
            let wOff = layout.weights, bOff = layout.biases
            for position in range {
                let n = order[position]
                let label = Int(labels[n])
                let first = pix.starts[n], last = pix.starts[n + 1]
                // ---- forward, layer 1 from the non-zero pixels: z = b + Σ_k x_k W[i_k, :],  R{z} = vb + Σ_k x_k V[i_k, :]
                do {
                    let nOut = sizes[1]
                    let a = s + offsets[1], ra = a + nOut
                    sparseForward(nOut, th + wOff[0], th + bOff[0], withR ? vv! + wOff[0] : nil, withR ? vv! + bOff[0] : nil,
                                  a, ra, pix, first, last, xs)
                    if L > 1 { sigmoidWithR(a, ra, nOut, withR) }
                }
                // ---- forward, layers 2 … L: z = b + a W,  R{z} = vb + a V + R{a} W
                var l = 2
                while l <= L {
                    let nIn = sizes[l - 1], nOut = sizes[l]
                    let aIn = s + offsets[l - 1], raIn = aIn + nIn
                    let a = s + offsets[l], ra = a + nOut
                    let w = th + wOff[l - 1], b = th + bOff[l - 1]
                    for j in 0 ..< nOut { a[j] = b[j] }
                    if withR {
                        let vw = vv! + wOff[l - 1], vb = vv! + bOff[l - 1]
                        for j in 0 ..< nOut { ra[j] = vb[j] }
                        for i in 0 ..< nIn {
                            let ai = aIn[i], rai = raIn[i], row = i * nOut
                            for j in 0 ..< nOut {
                                a[j] += ai * w[row + j]
                                ra[j] += ai * vw[row + j] + rai * w[row + j]
                            }
                        }
                    } else {
                        for i in 0 ..< nIn {
                            let ai = aIn[i], row = i * nOut
                            for j in 0 ..< nOut { a[j] += ai * w[row + j] }
                        }
                    }
                    if l < L { sigmoidWithR(a, ra, nOut, withR) }
                    l += 1
                }
                // ---- output: log-softmax, loss, δᴸ = p − onehot(y), R{δᴸ} = p ⊙ R{z} − p (pᵀR{z})
                do {
                    let nOut = sizes[L]
                    let z = s + offsets[L], rz = z + nOut, d = rz + nOut, rd = d + nOut
                    var m = -Double.infinity
                    var sawNaN = false
                    for j in 0 ..< nOut {
                        if z[j] > m { m = z[j] }
                        if z[j].isNaN { sawNaN = true }
                    }
                    if sawNaN || !m.isFinite {
                        for j in 0 ..< nOut { d[j] = .nan; rd[j] = .nan }
                        lossSum += .nan
                    } else {
                        var sum = 0.0
                        for j in 0 ..< nOut { sum += exp(z[j] - m) }
                        let logSum = log(sum)
                        lossSum -= (z[label] - m) - logSum
                        var pr = 0.0
                        for j in 0 ..< nOut {
                            let pj = exp((z[j] - m) - logSum)
                            d[j] = pj - (j == label ? 1 : 0)
                            if withR { pr += pj * rz[j] }
                        }
                        if withR {
                            for j in 0 ..< nOut {
                                let pj = d[j] + (j == label ? 1 : 0)
                                rd[j] = pj * (rz[j] - pr)
                            }
                        }
                    }
                }
                if gg == nil && !withR { continue }  // the loss alone needs no backward pass
                // ---- backward, layers L … 2
                l = L
                while l >= 2 {
                    let nIn = sizes[l - 1], nOut = sizes[l]
                    let aIn = s + offsets[l - 1], raIn = aIn + nIn, dIn = raIn + nIn, rdIn = dIn + nIn
                    let d = s + offsets[l] + 2 * nOut, rd = d + nOut
                    let w = th + wOff[l - 1]
                    if let gg {
                        let gw = gg + wOff[l - 1], gb = gg + bOff[l - 1]
                        for i in 0 ..< nIn {
                            let ai = aIn[i], row = i * nOut
                            for j in 0 ..< nOut { gw[row + j] += ai * d[j] }
                        }
                        for j in 0 ..< nOut { gb[j] += d[j] }
                    }
                    if withR {
                        let hw = hh! + wOff[l - 1], hb = hh! + bOff[l - 1], vw = vv! + wOff[l - 1]
                        for i in 0 ..< nIn {
                            let ai = aIn[i], rai = raIn[i], row = i * nOut
                            var wd = 0.0, vdwr = 0.0
                            for j in 0 ..< nOut {
                                hw[row + j] += rai * d[j] + ai * rd[j]
                                wd += w[row + j] * d[j]
                                vdwr += vw[row + j] * d[j] + w[row + j] * rd[j]
                            }
                            let sp = ai * (1 - ai)
                            dIn[i] = wd * sp
                            rdIn[i] = vdwr * sp + wd * (1 - 2 * ai) * rai
                        }
                        for j in 0 ..< nOut { hb[j] += rd[j] }
                    } else {
                        for i in 0 ..< nIn {
                            let ai = aIn[i], row = i * nOut
                            var wd = 0.0
                            for j in 0 ..< nOut { wd += w[row + j] * d[j] }
                            dIn[i] = wd * ai * (1 - ai)
                        }
                    }
                    l -= 1
                }
                // ---- layer 1 from the non-zero pixels: ∂W¹[i_k, :] += x_k δ¹, (Hv)_{W¹}[i_k, :] += x_k R{δ¹}
                do {
                    let nOut = sizes[1]
                    let d = s + offsets[1] + 2 * nOut, rd = d + nOut
                    if let gg {
                        sparseOuterAdd(nOut, d, gg + wOff[0], pix, first, last, xs)
                        let gb = gg + bOff[0]
                        for j in 0 ..< nOut { gb[j] += d[j] }
                    }
                    if withR {
                        sparseOuterAdd(nOut, rd, hh! + wOff[0], pix, first, last, xs)
                        let hb = hh! + bOff[0]
                        for j in 0 ..< nOut { hb[j] += rd[j] }
                    }
                }
            }
        }}}}}}}}
        sums.loss = lossSum
        sums.gradient = g
        sums.product = hv
        return sums
    }
}

// MARK: - The first layer's sparse loops, eight columns at a time

/// Eight doubles at `p` (no alignment needed).
@inline(__always)
private func load8(_ p: UnsafePointer<Double>) -> SIMD8<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Double>.self)
}

@inline(__always)
private func store8(_ v: SIMD8<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Double>.self)
}

/// z = b + Σ_k x_k W[i_k, :] and, with `vw`, R{z} = vb + Σ_k x_k V[i_k, :], over the non-zero
/// pixels first ..< last: eight columns at a time, their sums kept in registers while the pixels
/// run (the same sums as the plain loop, in the same order per column).
@inline(__always)
private func sparseForward(
    _ nOut: Int, _ w: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ vw: UnsafePointer<Double>?,
    _ vb: UnsafePointer<Double>?, _ a: UnsafeMutablePointer<Double>, _ ra: UnsafeMutablePointer<Double>,
    _ pix: NonZeroPixels, _ first: Int, _ last: Int, _ xs: UnsafePointer<Double>
) {
    let indices = pix.indices, bytes = pix.bytes
    var c = 0
    while c + 8 <= nOut {
        var z = load8(b + c)
        if let vw, let vb {
            var rz = load8(vb + c)
            for k in first ..< last {
                let x = xs[Int(bytes[k])], row = Int(indices[k]) &* nOut &+ c
                z += x * load8(w + row)
                rz += x * load8(vw + row)
            }
            store8(rz, ra + c)
        } else {
            for k in first ..< last {
                z += xs[Int(bytes[k])] * load8(w + (Int(indices[k]) &* nOut &+ c))
            }
        }
        store8(z, a + c)
        c += 8
    }
    if c < nOut {  // the last nOut mod 8 columns, one by one
        for j in c ..< nOut {
            a[j] = b[j]
            if let vb { ra[j] = vb[j] }
        }
        for k in first ..< last {
            let x = xs[Int(bytes[k])], row = Int(indices[k]) &* nOut
            for j in c ..< nOut {
                a[j] += x * w[row + j]
                if let vw { ra[j] += x * vw[row + j] }
            }
        }
    }
}

/// out[i_k, :] += x_k r for the non-zero pixels first ..< last (the first layer's share of ∂L or
/// H v): r eight columns at a time in registers.
@inline(__always)
private func sparseOuterAdd(
    _ nOut: Int, _ r: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>,
    _ pix: NonZeroPixels, _ first: Int, _ last: Int, _ xs: UnsafePointer<Double>
) {
    let indices = pix.indices, bytes = pix.bytes
    var c = 0
    while c + 8 <= nOut {
        let rc = load8(r + c)
        for k in first ..< last {
            let p = out + (Int(indices[k]) &* nOut &+ c)
            store8(load8(p) + xs[Int(bytes[k])] * rc, p)
        }
        c += 8
    }
    if c < nOut {
        for k in first ..< last {
            let x = xs[Int(bytes[k])], row = Int(indices[k]) &* nOut
            for j in c ..< nOut { out[row + j] += x * r[j] }
        }
    }
}

/// a ← σ(a) and, with R, ra ← σ'(z) ra = a(1 − a) ra, for n entries.
@inline(__always)
private func sigmoidWithR(_ a: UnsafeMutablePointer<Double>, _ ra: UnsafeMutablePointer<Double>, _ n: Int, _ withR: Bool) {
    for j in 0 ..< n { a[j] = Activation.sigmoid(a[j]) }
    if withR {
        for j in 0 ..< n { ra[j] *= a[j] * (1 - a[j]) }
    }
}

/// Where each layer's weights and biases start in θ.
struct ParameterLayout: Sendable {
    /// weights[l], biases[l]: offsets of Wˡ⁺¹ and bˡ⁺¹ (0-based layer l).
    let weights: [Int]
    let biases: [Int]
    let count: Int

    init(layerSizes: [Int]) {
        var weights: [Int] = [], biases: [Int] = [], offset = 0
        for l in 0 ..< layerSizes.count - 1 {
            weights.append(offset)
            offset += layerSizes[l] * layerSizes[l + 1]
            biases.append(offset)
            offset += layerSizes[l + 1]
        }
        self.weights = weights
        self.biases = biases
        count = offset
    }
}

/// The per-thread sums of one `run`, stored under a lock.
private final class PartsBox<T>: @unchecked Sendable {  // every access holds `lock`
    private let lock = NSLock()
    private var stored: [T]
    init(_ parts: [T]) { stored = parts }
    func store(_ part: T, at index: Int) { lock.lock(); stored[index] = part; lock.unlock() }
    var parts: [T] { lock.lock(); defer { lock.unlock() }; return stored }
}
