/**
 * The common derivatives of the tutorial's matrix-calculus section. Matrices are flat row-major
 * Float64Arrays: A[i * cols + j].
 */

/**
 * f = aᵀx = Σᵢ aᵢxᵢ.  ∇ₓ(aᵀx) = a.
 * @differentiable
 * @wrt x
 */
export function innerProduct(a: Float64Array, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    s += a[i] * x[i];
  }
  return s;
}

/**
 * f = xᵀAx for a square n×n matrix A.  ∇ₓ(xᵀAx) = (A + Aᵀ)x.
 * @differentiable
 * @wrt x
 */
export function quadraticForm(A: Float64Array, x: Float64Array): number {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      s += x[i] * A[i * n + j] * x[j];
    }
  }
  return s;
}

/**
 * y = Ax for an m×n matrix A (m = y.length, n = x.length). Its Jacobian is A, so in the
 * tutorial's layout ∇ₓ(Ax) = Aᵀ.
 * @differentiable
 * @wrt x
 * @out y
 */
export function matVec(A: Float64Array, x: Float64Array, y: Float64Array): void {
  const m = y.length;
  const n = x.length;
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) {
      s += A[i * n + j] * x[j];
    }
    y[i] = s;
  }
}

/**
 * f = (x − As)ᵀW(x − As), the weighted least-squares residual, with A m×k (m = x.length,
 * k = s.length) and W m×m. For symmetric W:
 *   ∂f/∂s = −2AᵀW(x − As),   ∂f/∂x = 2W(x − As).
 * @differentiable
 * @wrt x, s
 */
export function weightedResidual(x: Float64Array, A: Float64Array, s: Float64Array, W: Float64Array): number {
  const m = x.length;
  const k = s.length;
  const r = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let as = 0;
    for (let j = 0; j < k; j++) {
      as += A[i * k + j] * s[j];
    }
    r[i] = x[i] - as;
  }
  let f = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      f += r[i] * W[i * m + j] * r[j];
    }
  }
  return f;
}
