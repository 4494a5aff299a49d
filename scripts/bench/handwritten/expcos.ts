/**
 * Hand-written gradient of the exp-cos fit `loss` (models/expcos.ts): one fused pass, constant
 * factors (2/n, −w) hoisted out of the loop; no allocation.
 *
 *   r_i = exp(w·cos(p·x_i) + b) − y_i,  L = Σ r_i² / n
 *   ∂L/∂w = 2/n Σ r_i e_i cos(p x_i),  ∂L/∂b = 2/n Σ r_i e_i,  ∂L/∂p = −2w/n Σ r_i e_i sin(p x_i) x_i
 */
export function lossGradHand(
  w: number,
  b: number,
  p: number,
  x: Float64Array,
  y: Float64Array,
): { value: number; grad: { w: number; b: number; p: number } } {
  const n = x.length;
  let s = 0;
  let gw = 0;
  let gb = 0;
  let gp = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const px = p * xi;
    const c = Math.cos(px);
    const e = Math.exp(w * c + b);
    const r = e - y[i];
    s += r * r;
    const t = r * e;
    gw += t * c;
    gb += t;
    gp += t * Math.sin(px) * xi;
  }
  const scale = 2 / n;
  return { value: s / n, grad: { w: gw * scale, b: gb * scale, p: -w * gp * scale } };
}
