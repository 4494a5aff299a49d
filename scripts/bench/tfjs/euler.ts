/**
 * TensorFlow.js version of the Euler-integrated Lotka–Volterra loss. A recurrence cannot be
 * vectorised, so a tfjs user writes the time loop over scalar tensors and lets the tape record
 * every step (about ten ops per step).
 */
import type * as TF from '@tensorflow/tfjs';
import type { TfGradResult } from './leastsq.ts';

export function makeEulerTf(tf: typeof TF, h: number, stride: number, obs: Float64Array) {
  const ht = tf.scalar(h);
  const obsT = Array.from(obs, (o) => tf.scalar(o));
  const zero = tf.scalar(0);
  return {
    grad(theta: ArrayLike<number>, steps: number): TfGradResult {
      const f = (
        alpha: TF.Tensor,
        beta: TF.Tensor,
        gamma: TF.Tensor,
        delta: TF.Tensor,
        u0: TF.Tensor,
        v0: TF.Tensor,
      ) => {
        let u = u0;
        let v = v0;
        let loss: TF.Tensor = zero;
        for (let i = 1; i <= steps; i++) {
          const uv = u.mul(v);
          const du = alpha.mul(u).sub(beta.mul(uv));
          const dv = delta.mul(uv).sub(gamma.mul(v));
          u = u.add(ht.mul(du));
          v = v.add(ht.mul(dv));
          if (i % stride === 0) {
            const j = 2 * (i / stride - 1);
            loss = loss.add(u.sub(obsT[j]).square()).add(v.sub(obsT[j + 1]).square());
          }
        }
        return loss as TF.Scalar;
      };
      const out = tf.tidy(() => {
        const { value, grads } = tf.valueAndGrads(f)(Array.from(theta, (t) => tf.scalar(t)));
        return [value, ...grads];
      });
      const vals = out.map((t) => t.dataSync()[0]);
      tf.dispose(out);
      return { value: vals[0], grad: Float64Array.from(vals.slice(1)) };
    },
    dispose() {
      tf.dispose([ht, zero, ...obsT]);
    },
  };
}
