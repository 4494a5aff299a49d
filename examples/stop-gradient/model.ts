/**
 * stopGradient is adgen's `detach()`: the identity at run time, a constant to the differentiator.
 */
import { stopGradient } from '@adgen/runtime';

/**
 * PyTorch's detach example: y = x * x; u = y.detach(); z = u * x; z.sum().backward().
 * u is a constant, so ∂z/∂xᵢ = uᵢ = xᵢ² (x.grad == u).
 * @differentiable
 */
export function detached(x: Float64Array): number {
  let z = 0;
  for (let i = 0; i < x.length; i++) {
    const u = stopGradient(x[i] * x[i]);
    z += u * x[i];
  }
  return z;
}

/**
 * The same computation without detach: z = Σ xᵢ³, so ∂z/∂xᵢ = 3xᵢ².
 * @differentiable
 */
export function attached(x: Float64Array): number {
  let z = 0;
  for (let i = 0; i < x.length; i++) {
    const u = x[i] * x[i];
    z += u * x[i];
  }
  return z;
}

/**
 * `with torch.no_grad(): y = x ** 2` — a result computed entirely under stopGradient does not
 * depend on x as far as the derivative is concerned: ∂y/∂x = 0.
 * @differentiable
 */
export function noGrad(x: number): number {
  return stopGradient(x ** 2);
}

/**
 * A common use of detach: a target held fixed while the prediction moves (as in
 * bootstrapped targets in reinforcement learning). loss = (w·a − stopGradient(w·b))², so only
 * the prediction w·a is differentiated: ∂loss/∂w = 2(w·a − w·b)·a.
 * @differentiable
 * @wrt w
 */
export function fixedTargetLoss(w: number, a: number, b: number): number {
  const prediction = w * a;
  const target = stopGradient(w * b);
  return (prediction - target) ** 2;
}
