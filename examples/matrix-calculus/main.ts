/**
 * Checks the tutorial's matrix-calculus identities at random points against adgen's gradients:
 *   ∇ₓ(aᵀx) = a,   ∇ₓ(xᵀAx) = (A + Aᵀ)x,   ∇ₓ(Ax) = Aᵀ,
 *   ∂/∂s (x−As)ᵀW(x−As) = −2AᵀW(x−As),   ∂/∂x (x−As)ᵀW(x−As) = 2W(x−As)   (W symmetric).
 * Run: npm run example matrix-calculus
 */
import { Rng, isMain, maxAbsDiff } from '@adgen/runtime';
import { innerProductGrad, matVecJacobian, quadraticFormGrad, weightedResidualGrad } from './model.ad.ts';

/** y = Mv for a flat rows×cols matrix M. */
function mul(M: Float64Array, v: Float64Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) y[i] += M[i * cols + j] * v[j];
  return y;
}

/** Mᵀ of a flat rows×cols matrix. */
function transpose(M: Float64Array, rows: number, cols: number): Float64Array {
  const T = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) T[j * rows + i] = M[i * cols + j];
  return T;
}

export interface IdentityCheck {
  identity: string;
  /** max |adgen − formula| */
  error: number;
}

/** Evaluate every identity at one random point drawn from `seed`; dimensions n (square) and m×k. */
export function checkIdentities(seed: number, n = 5, m = 6, k = 3): IdentityCheck[] {
  const rng = new Rng(seed);
  const checks: IdentityCheck[] = [];

  const a = rng.normalArray(n);
  const x = rng.normalArray(n);
  checks.push({ identity: '∇ₓ(aᵀx) = a', error: maxAbsDiff(innerProductGrad(a, x).grad.x, a) });

  const A = rng.normalArray(n * n);
  const AplusAT = A.map((v, idx) => v + A[(idx % n) * n + Math.floor(idx / n)]);
  checks.push({
    identity: '∇ₓ(xᵀAx) = (A + Aᵀ)x',
    error: maxAbsDiff(quadraticFormGrad(A, x).grad.x, mul(AplusAT, x, n, n)),
  });

  // Jacobian rows follow y, columns follow x: J = A, the transpose of the gradient layout Aᵀ.
  const B = rng.normalArray(m * n);
  const J = matVecJacobian(B, x, new Float64Array(m)).jacobian;
  checks.push({
    identity: '∇ₓ(Ax) = Aᵀ  (Jacobian of Ax is A)',
    error: Math.max(...J.map((row, i) => maxAbsDiff(row, B.subarray(i * n, (i + 1) * n)))),
  });

  // W = CᵀC + I is symmetric (and positive definite).
  const C = rng.normalArray(m * m);
  const W = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      let s = i === j ? 1 : 0;
      for (let l = 0; l < m; l++) s += C[l * m + i] * C[l * m + j];
      W[i * m + j] = s;
    }
  }
  const xm = rng.normalArray(m);
  const Am = rng.normalArray(m * k);
  const s = rng.normalArray(k);
  const As = mul(Am, s, m, k);
  const r = xm.map((v, i) => v - As[i]);
  const Wr = mul(W, r, m, m);
  const expectedS = mul(transpose(Am, m, k), Wr, k, m).map((v) => -2 * v);
  const expectedX = Wr.map((v) => 2 * v);
  const { grad } = weightedResidualGrad(xm, Am, s, W);
  checks.push({ identity: '∂/∂s (x−As)ᵀW(x−As) = −2AᵀW(x−As)', error: maxAbsDiff(grad.s, expectedS) });
  checks.push({ identity: '∂/∂x (x−As)ᵀW(x−As) = 2W(x−As)', error: maxAbsDiff(grad.x, expectedX) });
  return checks;
}

export function main(): void {
  const seeds = [1, 2, 3, 4, 5];
  console.log(`max |adgen gradient − closed form| over ${seeds.length} random points:`);
  const rows = seeds.map((seed) => checkIdentities(seed));
  for (let c = 0; c < rows[0].length; c++) {
    const worst = Math.max(...rows.map((r) => r[c].error));
    console.log(`  ${rows[0][c].identity.padEnd(38)} ${worst.toExponential(2)}`);
  }
}

if (isMain(import.meta.url)) main();
