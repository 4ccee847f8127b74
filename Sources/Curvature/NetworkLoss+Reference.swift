// The plain twin of `NetworkLoss`'s kernel (issue 12): the same R-operator equations with dense
// inputs (all 784 pixels, zeros included), one array per layer and no pointers, written to be
// read. The tests hold the fast sparse kernel to it.

import Foundation
import MNISTNet

extension NetworkLoss {
    /// (L, ∇L, H v) by the straightforward dense computation, summed in sample order then divided
    /// by N (see the type's equations; here x is a dense vector and R{x} = 0 is an explicit zero).
    func referenceLossGradientAndProduct(at θ: [Double], _ v: [Double])
        -> (loss: Double, gradient: [Double], product: [Double]) {
        let sizes = layerSizes, L = sizes.count - 1
        let net = NetworkLoss.network(layerSizes: sizes, parameters: θ)
        let dir = NetworkLoss.network(layerSizes: sizes, parameters: v)
        var loss = 0.0
        var gW = net.layers.map { [Double](repeating: 0, count: $0.weights.count) }
        var gB = net.layers.map { [Double](repeating: 0, count: $0.biases.count) }
        var hW = gW, hB = gB
        for n in samples {
            let image = data.image(at: n)
            // a[l], ra[l] for l = 0 … L (a[L] = logits)
            var a: [[Double]] = [image.map { Double($0) * scaling.factor }]
            var ra: [[Double]] = [[Double](repeating: 0, count: sizes[0])]
            for l in 1 ... L {
                let layer = net.layers[l - 1], vLayer = dir.layers[l - 1]
                var z = layer.biases, rz = vLayer.biases
                for i in 0 ..< sizes[l - 1] {
                    for j in 0 ..< sizes[l] {
                        z[j] += a[l - 1][i] * layer.weights[i * sizes[l] + j]
                        rz[j] += a[l - 1][i] * vLayer.weights[i * sizes[l] + j] + ra[l - 1][i] * layer.weights[i * sizes[l] + j]
                    }
                }
                if l < L {
                    let s = z.map { Activation.sigmoid($0) }
                    a.append(s)
                    ra.append((0 ..< s.count).map { s[$0] * (1 - s[$0]) * rz[$0] })
                } else {
                    a.append(z)
                    ra.append(rz)
                }
            }
            let y = Int(data.labels[n])
            let logp = Activation.logSoftmax(a[L])
            loss -= logp[y]
            let p = logp.map { exp($0) }
            let pr = zip(p, ra[L]).reduce(0) { $0 + $1.0 * $1.1 }
            var d = (0 ..< sizes[L]).map { p[$0] - ($0 == y ? 1 : 0) }
            var rd = (0 ..< sizes[L]).map { p[$0] * (ra[L][$0] - pr) }
            for l in stride(from: L, through: 1, by: -1) {
                let layer = net.layers[l - 1], vLayer = dir.layers[l - 1]
                let nIn = sizes[l - 1], nOut = sizes[l]
                for i in 0 ..< nIn {
                    for j in 0 ..< nOut {
                        gW[l - 1][i * nOut + j] += a[l - 1][i] * d[j]
                        hW[l - 1][i * nOut + j] += ra[l - 1][i] * d[j] + a[l - 1][i] * rd[j]
                    }
                }
                for j in 0 ..< nOut {
                    gB[l - 1][j] += d[j]
                    hB[l - 1][j] += rd[j]
                }
                guard l > 1 else { break }
                var dIn = [Double](repeating: 0, count: nIn), rdIn = dIn
                for i in 0 ..< nIn {
                    var wd = 0.0, vd = 0.0, wrd = 0.0
                    for j in 0 ..< nOut {
                        wd += layer.weights[i * nOut + j] * d[j]
                        vd += vLayer.weights[i * nOut + j] * d[j]
                        wrd += layer.weights[i * nOut + j] * rd[j]
                    }
                    let s = a[l - 1][i]
                    dIn[i] = wd * s * (1 - s)
                    rdIn[i] = (vd + wrd) * s * (1 - s) + wd * (1 - 2 * s) * ra[l - 1][i]
                }
                d = dIn
                rd = rdIn
            }
        }
        let scale = 1 / Double(samples.count)
        var gradient: [Double] = [], product: [Double] = []
        for l in 0 ..< L {
            gradient += gW[l].map { $0 * scale } + gB[l].map { $0 * scale }
            product += hW[l].map { $0 * scale } + hB[l].map { $0 * scale }
        }
        return (loss * scale, gradient, product)
    }
}
