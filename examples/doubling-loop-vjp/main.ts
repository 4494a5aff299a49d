/**
 * y = x·2ᵏ with a data-dependent k, and the vector–Jacobian product vᵀJ with
 * v = [0.1, 1.0, 0.0001], which PyTorch computes with `y.backward(v)`.
 * Run: npm run example doubling-loop-vjp
 */
import { Rng, formatTensor, isMain, norm } from '@adgen/runtime';
import { doublingVjp } from './model.ad.ts';

/**
 * The tutorial draws x = torch.randn(3). This seed gives 1000/1024 ≤ ‖x‖ < 1000/512, so the
 * loop doubles ten times in all, as in the tutorial's printed output (x.grad = 1024·v).
 */
export const SEED = 2;

export const V = Float64Array.of(0.1, 1.0, 0.0001);

export function run(x: Float64Array, v: Float64Array = V) {
  const y = new Float64Array(x.length);
  const { value, grad } = doublingVjp(x, y, v);
  const factor = value[0] / x[0]; // 2ᵏ
  return { y: value, xGrad: grad.x, factor };
}

export function main(): void {
  const x = new Rng(SEED).normalArray(3);
  console.log(`x = ${formatTensor(x)}    (‖x‖ = ${norm(x).toFixed(4)})`);
  const { y, xGrad, factor } = run(x);
  console.log(`y = ${formatTensor(y)}    (‖y‖ = ${norm(y).toFixed(1)}, y = ${factor}·x)`);
  console.log(`v = ${formatTensor(V)}`);
  console.log('y.backward(v); x.grad =');
  console.log(formatTensor(xGrad));
}

if (isMain(import.meta.url)) main();
