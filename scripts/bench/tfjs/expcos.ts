/** TensorFlow.js version of the exp-cos fit (SPEC §1), vectorised over the data. */
import type * as TF from '@tensorflow/tfjs';
import type { TfGradResult } from './leastsq.ts';

export function makeExpCosTf(tf: typeof TF, x: Float64Array, y: Float64Array) {
  const xt = tf.tensor1d(Float32Array.from(x));
  const yt = tf.tensor1d(Float32Array.from(y));
  const f = (w: TF.Tensor, b: TF.Tensor, p: TF.Tensor) =>
    tf
      .exp(tf.cos(p.mul(xt)).mul(w).add(b))
      .sub(yt)
      .square()
      .mean() as TF.Scalar;
  const vg = tf.valueAndGrads(f);
  return {
    grad(w: number, b: number, p: number): TfGradResult {
      const out = tf.tidy(() => {
        const { value, grads } = vg([tf.scalar(w), tf.scalar(b), tf.scalar(p)]);
        return [value, ...grads];
      });
      const vals = out.map((t) => t.dataSync()[0]);
      tf.dispose(out);
      return { value: vals[0], grad: Float64Array.from(vals.slice(1)) };
    },
    dispose() {
      tf.dispose([xt, yt]);
    },
  };
}
