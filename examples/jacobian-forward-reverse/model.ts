/**
 * A small vector function f: ℝ³ → ℝ² to build a Jacobian from:
 *   y₀ = x₀·x₁ + sin(x₂)
 *   y₁ = x₀·exp(x₁) − x₂²
 * Forward mode gives one column of J per pass (J·eⱼ), reverse mode one row (eᵢᵀ·J).
 * @differentiable
 * @out y
 */
export function f(x: Float64Array, y: Float64Array): void {
  y[0] = x[0] * x[1] + Math.sin(x[2]);
  y[1] = x[0] * Math.exp(x[1]) - x[2] * x[2];
}
