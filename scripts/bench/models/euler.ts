/**
 * Benchmark model 4: a long loop-carried recurrence. The Lotka–Volterra predator–prey system
 *
 *   u' = α·u − β·u·v,   v' = δ·u·v − γ·v
 *
 * integrated with 10⁵ explicit Euler steps of size h from (u0, v0); the loss is the squared misfit
 * of the trajectory to observations taken every `stride` steps. The state of step i depends on
 * step i−1 nonlinearly, so reverse mode needs the trajectory (a tape) to run backwards.
 * Derivatives in `euler.ad.ts`.
 */

/**
 * Squared misfit of an explicit-Euler Lotka–Volterra trajectory to observations
 * obs[2j], obs[2j+1] of (u, v) after step (j+1)·stride.
 * @differentiable
 * @wrt alpha, beta, gamma, delta, u0, v0
 */
export function eulerLoss(
  alpha: number,
  beta: number,
  gamma: number,
  delta: number,
  u0: number,
  v0: number,
  h: number,
  steps: number,
  stride: number,
  obs: Float64Array,
): number {
  let u = u0;
  let v = v0;
  let loss = 0;
  for (let i = 1; i <= steps; i++) {
    const uv = u * v;
    const du = alpha * u - beta * uv;
    const dv = delta * uv - gamma * v;
    u = u + h * du;
    v = v + h * dv;
    if (i % stride === 0) {
      const j = 2 * (i / stride - 1);
      const eu = u - obs[j];
      const ev = v - obs[j + 1];
      loss += eu * eu + ev * ev;
    }
  }
  return loss;
}
