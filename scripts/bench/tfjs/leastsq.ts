/**
 * TensorFlow.js version of the least-squares model, written as a tfjs user would: data tensors
 * created once, the loss as vectorised tensor ops, `tf.valueAndGrads` for the gradient.
 * (tfjs's CPU backend computes in float32.)
 */
import type * as TF from '@tensorflow/tfjs';

export interface TfGradResult {
  value: number;
  grad: Float64Array; // all active parameters, flattened in declaration order
}

export function makeLeastSquaresTf(tf: typeof TF, x: Float64Array, y: Float64Array) {
  const xt = tf.tensor1d(Float32Array.from(x));
  const yt = tf.tensor1d(Float32Array.from(y));
  const f = (a: TF.Tensor, b: TF.Tensor) => a.mul(xt).add(b).sub(yt).square().mean() as TF.Scalar;
  const vg = tf.valueAndGrads(f);
  return {
    grad(a: number, b: number): TfGradResult {
      const out = tf.tidy(() => {
        const { value, grads } = vg([tf.scalar(a), tf.scalar(b)]);
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
