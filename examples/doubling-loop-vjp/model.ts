/**
 * PyTorch's vector–Jacobian product example, a loop whose trip count depends on the input:
 *   y = x * 2
 *   while y.data.norm() < 1000:
 *       y = y * 2
 * The result is y = 2ᵏ·x for the k that first lifts ‖y‖ to 1000, so the Jacobian is 2ᵏ·I and
 * the vector–Jacobian product with v is 2ᵏ·v. The norm only steers the loop; no derivative
 * flows through it.
 * @differentiable
 * @out y
 */
export function doubling(x: Float64Array, y: Float64Array): void {
  const n = x.length;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    y[i] = x[i] * 2;
    sq += y[i] * y[i];
  }
  while (Math.sqrt(sq) < 1000) {
    sq = 0;
    for (let i = 0; i < n; i++) {
      y[i] = y[i] * 2;
      sq += y[i] * y[i];
    }
  }
}
