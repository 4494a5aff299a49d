/**
 * dy/dx of y = x² at x = 5 (course: "AutoDiff with PyTorch and TensorFlow 2").
 * Run: npm run example square-derivative
 */
import { formatTensor, isMain } from '@adgen/runtime';
import { squareGrad, squareJvp } from './model.ad.ts';

export function main(): void {
  const x = 5;
  console.log(`x = ${formatTensor(x)}`);

  // PyTorch: y = x**2; y.backward(); x.grad  — reverse mode
  const { value: y, grad } = squareGrad(x);
  console.log(`y = x**2 = ${formatTensor(y)}`);
  console.log(`x.grad (reverse mode, like y.backward())     = ${formatTensor(grad.x)}`);

  // TensorFlow's t.gradient(y, x) gives the same number; forward mode (dual numbers) too.
  const { tangent } = squareJvp(x, { x: 1 });
  console.log(`dy/dx  (forward mode, dual number x + 1·ε)   = ${formatTensor(tangent)}`);
  console.log(`dy/dx = 2x = 2(5) = ${2 * x}`);
}

if (isMain(import.meta.url)) main();
