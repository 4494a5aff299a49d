/**
 * First challenge of the backprop practical: mean squared error of the model
 * y = exp(w·cos(x) + b) over the observations (xₜ, yₜ).
 * @differentiable
 * @wrt w, b
 */
export function loss(w: number, b: number, x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const r = Math.exp(w * Math.cos(x[i]) + b) - y[i];
    s += r * r;
  }
  return s / x.length;
}
