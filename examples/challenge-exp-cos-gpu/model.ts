/**
 * Second challenge of the backprop practical on a GPU: mean squared error of the fit
 * y ≈ exp(w·cos(p·x) + b). `@gpu` asks adgen for `createLossGpu(gpu)`, whose sum over the
 * samples (and its adjoint) runs as gpu.js kernels.
 * @differentiable
 * @gpu
 * @wrt w, b, p
 */
export function loss(w: number, b: number, p: number, x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const r = Math.exp(w * Math.cos(p * x[i]) + b) - y[i];
    s += r * r;
  }
  return s / x.length;
}
