/**
 * The chain rule on the graph of d = a·(a + b): one reverse sweep gives both partial
 * derivatives, forward mode needs one pass per input.
 * Run: npm run example chain-rule-product
 */
import { isMain } from '@adgen/runtime';
import { productGrad, productJvp } from './model.ad.ts';

export function main(): void {
  const a = 2;
  const b = 3;
  console.log(`a = ${a}, b = ${b}`);
  console.log(`c = a + b = ${a + b}`);

  // Reverse mode: d̄ = 1;  c̄ = d̄·a;  ā = d̄·c + c̄;  b̄ = c̄
  const { value: d, grad } = productGrad(a, b);
  console.log(`d = a * c = ${d}`);
  console.log('reverse mode (one backward sweep):');
  console.log(`  dd/da = ${grad.a}    (2a + b = ${2 * a + b})`);
  console.log(`  dd/db = ${grad.b}    (a = ${a})`);

  // Forward mode: one pass per input direction.
  const da = productJvp(a, b, { a: 1 }).tangent;
  const db = productJvp(a, b, { b: 1 }).tangent;
  console.log('forward mode (one pass per input):');
  console.log(`  dd/da = ${da}`);
  console.log(`  dd/db = ${db}`);
}

if (isMain(import.meta.url)) main();
