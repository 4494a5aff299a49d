/**
 * Benchmark model 1: ordinary least squares, y ≈ a·x + b, over 10⁶ points.
 * Written as a user of adgen would write it (SPEC §1). The generated derivatives live in
 * `leastsq.ad.ts` beside this file (`npx adgen scripts/bench/models/leastsq.ts`).
 */

/**
 * Mean squared residual of the straight-line fit y ≈ a·x + b.
 * @differentiable
 * @wrt a, b
 */
export function leastSquares(a: number, b: number, x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const r = a * x[i] + b - y[i];
    s += r * r;
  }
  return s / x.length;
}
