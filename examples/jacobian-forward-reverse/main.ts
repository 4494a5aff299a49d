/**
 * The Jacobian of f: ℝ³ → ℝ² three ways: column by column with forward mode (fJvp with
 * tangent eⱼ, one pass per input), row by row with reverse mode (fVjp with cotangent eᵢ, one
 * pass per output), and with fJacobian. All agree with the hand-derived matrix.
 * Run: npm run example jacobian-forward-reverse
 */
import { basis, isMain, maxAbsDiff } from '@adgen/runtime';
import { fJacobian, fJvp, fVjp } from './model.ad.ts';

/** m outputs, n inputs. */
const M = 2;

/** J built from n forward-mode passes: column j is J·eⱼ. Returns rows. */
export function jacobianByForwardMode(x: Float64Array): Float64Array[] {
  const n = x.length;
  const rows = Array.from({ length: M }, () => new Float64Array(n));
  for (let j = 0; j < n; j++) {
    const { tangent } = fJvp(x, new Float64Array(M), { x: basis(n, j) });
    for (let i = 0; i < M; i++) rows[i][j] = tangent[i];
  }
  return rows;
}

/** J built from m reverse-mode passes: row i is eᵢᵀ·J. */
export function jacobianByReverseMode(x: Float64Array): Float64Array[] {
  return Array.from({ length: M }, (_, i) => fVjp(x, new Float64Array(M), basis(M, i)).grad.x);
}

/** J by hand. */
export function jacobianByHand(x: Float64Array): Float64Array[] {
  const [x0, x1, x2] = x;
  return [Float64Array.of(x1, x0, Math.cos(x2)), Float64Array.of(Math.exp(x1), x0 * Math.exp(x1), -2 * x2)];
}

function printMatrix(title: string, rows: Float64Array[]): void {
  console.log(title);
  for (const r of rows) console.log(`  [${Array.from(r, (v) => v.toFixed(6).padStart(10)).join(' ')} ]`);
}

export function main(): void {
  const x = Float64Array.of(1.5, 0.5, -2);
  console.log(`x = [${Array.from(x).join(', ')}]`);
  const fwd = jacobianByForwardMode(x);
  const rev = jacobianByReverseMode(x);
  const full = fJacobian(x, new Float64Array(M)).jacobian;
  const hand = jacobianByHand(x);
  printMatrix(`forward mode, ${x.length} passes (one per input column):`, fwd);
  printMatrix(`reverse mode, ${M} passes (one per output row):`, rev);
  printMatrix('fJacobian:', full);
  printMatrix('by hand:', hand);
  const diff = (a: Float64Array[], b: Float64Array[]) => Math.max(...a.map((r, i) => maxAbsDiff(r, b[i])));
  console.log(`max |forward − reverse| = ${diff(fwd, rev).toExponential(2)}`);
  console.log(`max |forward − by hand| = ${diff(fwd, hand).toExponential(2)}`);
  console.log(`max |fJacobian − by hand| = ${diff(full, hand).toExponential(2)}`);
}

if (isMain(import.meta.url)) main();
