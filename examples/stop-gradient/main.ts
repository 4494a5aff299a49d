/**
 * stopGradient(x) is adgen's equivalent of PyTorch's `x.detach()` / `torch.no_grad()` and JAX's
 * `stop_gradient`: same values, but the derivative treats the result as a constant.
 * Run: npm run example stop-gradient
 */
import { formatTensor, isMain } from '@adgen/runtime';
import { attachedGrad, detachedGrad, fixedTargetLossGrad, noGradGrad } from './model.ad.ts';

export function main(): void {
  const x = Float64Array.of(0, 1, 2, 3);
  console.log(`x = ${formatTensor(x)}`);

  // y = x * x; u = y.detach(); z = u * x; z.sum().backward()
  const det = detachedGrad(x);
  const u = x.map((v) => v * v);
  console.log(`u = (x * x).detach() = ${formatTensor(u)}`);
  console.log(`z.sum() = ${det.value}`);
  console.log(`x.grad with detach    = ${formatTensor(det.grad.x)}`);
  console.log(`x.grad == u: ${det.grad.x.every((g, i) => g === u[i])}`);

  const att = attachedGrad(x);
  console.log(`x.grad without detach = ${formatTensor(att.grad.x)}   (3x², same value z = ${att.value})`);

  // with torch.no_grad(): (x ** 2).requires_grad → False
  console.log(`d/dx stopGradient(x ** 2) at x = 3: ${noGradGrad(3).grad.x}   (like torch.no_grad())`);

  // A fixed target: only the prediction w·a is differentiated.
  const w = 0.5;
  const a = 2;
  const b = 1;
  const { grad } = fixedTargetLossGrad(w, a, b);
  console.log(`loss = (w·a − stopGradient(w·b))² at w = ${w}, a = ${a}, b = ${b}: ∂loss/∂w = ${grad.w}   (2(wa − wb)·a = ${2 * (w * a - w * b) * a}; without stopGradient: ${2 * (w * a - w * b) * (a - b)})`);
}

if (isMain(import.meta.url)) main();
