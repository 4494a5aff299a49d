/**
 * Row-major matrix times vector into an output array.
 * @differentiable
 * @out y
 */
export function matvec(A: Float64Array, x: Float64Array, y: Float64Array): void {
  const n = x.length;
  for (let i = 0; i < y.length; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += A[i * n + j]! * x[j]!;
    y[i] = Math.tanh(s);
  }
}

/**
 * @differentiable
 * @wrt z
 */
export function softmaxCrossEntropy(z: Float64Array, label: number): number {
  let m = -Infinity;
  for (let i = 0; i < z.length; i++) m = Math.max(m, z[i]!);
  let s = 0;
  for (let i = 0; i < z.length; i++) s += Math.exp(z[i]! - m);
  return m + Math.log(s) - z[label]!;
}
