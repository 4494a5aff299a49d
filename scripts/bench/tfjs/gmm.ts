/**
 * TensorFlow.js version of ADBench's GMM objective, vectorised as a tfjs user would write it:
 * the triangular factors Q_k are assembled with one `gather` from [exp(log-diag) | lower | 0],
 * Q_k (x_i − μ_k) for all i, k is one batched `matMul`, and the mixture is a `logSumExp`.
 */
import type * as TF from '@tensorflow/tfjs';
import type { TfGradResult } from './leastsq.ts';

export function makeGmmTf(
  tf: typeof TF,
  x: Float64Array,
  d: number,
  k: number,
  wishartGamma: number,
  wishartM: number,
) {
  const n = x.length / d;
  const icfSz = (d * (d + 1)) / 2;
  const nLower = icfSz - d;
  const xt = tf.tensor2d(Float32Array.from(x), [n, d]);
  // Q[r][c] (row-major, d×d) as an index into [qdiag (d) | lower (nLower) | 0]
  const idx = new Int32Array(d * d).fill(d + nLower);
  for (let r = 0; r < d; r++) idx[r * d + r] = r;
  let li = 0;
  for (let c = 0; c < d; c++) {
    for (let r = c + 1; r < d; r++) idx[r * d + c] = d + li++;
  }
  const qIndex = tf.tensor1d(idx, 'int32');
  const zeros = tf.zeros([k, 1]);
  const constant = -n * d * 0.5 * Math.log(2 * Math.PI);

  const f = (alphas: TF.Tensor, means: TF.Tensor, icf: TF.Tensor) => {
    const logDiag = icf.slice([0, 0], [k, d]); // [K, d]
    const lower = icf.slice([0, d], [k, nLower]); // [K, d(d-1)/2]
    const sumQs = logDiag.sum(1); // [K]
    const qdiag = logDiag.exp();
    const q = tf.gather(tf.concat([qdiag, lower, zeros], 1), qIndex, 1).reshape([k, d, d]);
    const xc = xt.expandDims(0).sub(means.reshape([k, 1, d])); // [K, n, d]
    const qxc = tf.matMul(xc, q, false, true); // [K, n, d]
    const sq = qxc.square().sum(2); // [K, n]
    const main = alphas.add(sumQs).reshape([k, 1]).sub(sq.mul(0.5)); // [K, n]
    const slse = tf.logSumExp(main, 0).sum();
    const lseAlphas = tf.logSumExp(alphas);
    const frobenius = qdiag.square().sum(1).add(lower.square().sum(1)); // [K]
    const prior = frobenius
      .mul(0.5 * wishartGamma * wishartGamma)
      .sub(sumQs.mul(wishartM))
      .sum();
    return slse.sub(lseAlphas.mul(n)).add(prior).add(constant) as TF.Scalar;
  };
  const vg = tf.valueAndGrads(f);
  return {
    grad(alphas: Float64Array, means: Float64Array, icf: Float64Array): TfGradResult {
      const out = tf.tidy(() => {
        const { value, grads } = vg([
          tf.tensor1d(Float32Array.from(alphas)),
          tf.tensor2d(Float32Array.from(means), [k, d]),
          tf.tensor2d(Float32Array.from(icf), [k, icfSz]),
        ]);
        return [value, ...grads];
      });
      const parts = out.map((t) => t.dataSync());
      tf.dispose(out);
      const grad = new Float64Array(alphas.length + means.length + icf.length);
      grad.set(parts[1], 0);
      grad.set(parts[2], alphas.length);
      grad.set(parts[3], alphas.length + means.length);
      return { value: parts[0][0], grad };
    },
    dispose() {
      tf.dispose([xt, qIndex, zeros]);
    },
  };
}
