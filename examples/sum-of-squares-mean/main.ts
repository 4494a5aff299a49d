/**
 * PyTorch's autograd tutorial: out = mean(3(x + 2)²) at x = ones(2, 2); out.backward() fills
 * x.grad with 4.5.
 * Run: npm run example sum-of-squares-mean
 */
import { isMain } from '@adgen/runtime';
import { outGrad } from './model.ad.ts';

/** Print a flat row-major rows×cols matrix the way PyTorch prints a 2-D tensor. */
function formatMatrix(a: ArrayLike<number>, rows: number, cols: number): string {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const row = Array.from({ length: cols }, (_, j) => a[i * cols + j].toFixed(4));
    lines.push(`[${row.join(', ')}]`);
  }
  return `tensor([${lines.join(',\n        ')}])`;
}

export function main(): void {
  const x = new Float64Array(4).fill(1); // torch.ones(2, 2)
  console.log(`x =\n${formatMatrix(x, 2, 2)}`);
  const z = x.map((xi) => 3 * (xi + 2) ** 2);
  console.log(`z = 3 * (x + 2)**2 =\n${formatMatrix(z, 2, 2)}`);

  const { value, grad } = outGrad(x);
  console.log(`out = z.mean() = ${value}`);
  console.log(`x.grad (d(out)/dx = 3/2 (x + 2)) =\n${formatMatrix(grad.x, 2, 2)}`);
}

if (isMain(import.meta.url)) main();
