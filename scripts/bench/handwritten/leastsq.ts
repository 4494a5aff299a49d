/**
 * Hand-written gradient of `leastSquares` (models/leastsq.ts), as an expert writes it: one fused
 * pass computing the residual, the loss and both partial derivatives; no allocation.
 */
export function leastSquaresGradHand(
  a: number,
  b: number,
  x: Float64Array,
  y: Float64Array,
): { value: number; grad: { a: number; b: number } } {
  const n = x.length;
  let s = 0;
  let ra = 0; // Σ r·x
  let rb = 0; // Σ r
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const r = a * xi + b - y[i];
    s += r * r;
    ra += r * xi;
    rb += r;
  }
  const scale = 2 / n;
  return { value: s / n, grad: { a: ra * scale, b: rb * scale } };
}
