/**
 * A constrained problem for the tutorial's Lagrange multipliers: the point of the unit circle
 * closest to (2, 1),
 *   minimise f(x, y) = (x − 2)² + (y − 1)²   subject to   g(x, y) = x² + y² − 1 = 0.
 * Analytic solution: (x*, y*) = (2, 1)/√5, and ∇f = λ∇g gives λ* = 1 − √5.
 */

/**
 * The objective f(x, y).
 * @differentiable
 */
export function objective(x: number, y: number): number {
  return (x - 2) ** 2 + (y - 1) ** 2;
}

/**
 * The constraint function g(x, y); the constraint is g = 0.
 * @differentiable
 */
export function constraint(x: number, y: number): number {
  return x * x + y * y - 1;
}

/**
 * The Lagrangian with the tutorial's sign convention, 𝓛(x, y, λ) = f(x, y) − λ·g(x, y).
 * ∇_{x,y,λ} 𝓛 = 0 is the optimality system ∇f = λ∇g, g = 0.
 * @differentiable
 */
export function lagrangian(x: number, y: number, lambda: number): number {
  return objective(x, y) - lambda * constraint(x, y);
}

/**
 * The augmented Lagrangian of the method of multipliers,
 * 𝓛_ρ(x, y; λ) = f − λ·g + (ρ/2)·g², minimised over (x, y) for fixed λ and ρ.
 * @differentiable
 * @wrt x, y
 */
export function augmentedLagrangian(x: number, y: number, lambda: number, rho: number): number {
  const g = constraint(x, y);
  return objective(x, y) - lambda * g + (rho / 2) * g * g;
}
