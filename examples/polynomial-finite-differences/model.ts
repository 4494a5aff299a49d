/**
 * func(x) = 3x³ − 5x², the tutorial's example for numerical differentiation.
 * Its derivative is 9x² − 10x, so func'(1.5) = 5.25.
 * @differentiable
 */
export function func(x: number): number {
  return 3 * x ** 3 - 5 * x ** 2;
}
