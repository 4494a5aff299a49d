/**
 * d = a·(a + b), the tutorial's reverse-mode example, written with the intermediate c = a + b
 * of its computational graph. By hand: ∂d/∂a = 2a + b, ∂d/∂b = a.
 * @differentiable
 */
export function product(a: number, b: number): number {
  const c = a + b;
  const d = a * c;
  return d;
}
