/**
 * Linear regression of the clinical-trial data (course: "Machine Learning via Differentiation").
 */

/** ŷ = m·x + b, the course's `regression(m, x, b)`. */
export function regression(m: number, x: number, b: number): number {
  return m * x + b;
}

/**
 * Mean squared error C = (1/n) Σᵢ (ŷᵢ − yᵢ)² of the line ŷ = m·x + b, the course's
 * `mse(regression(m, x, b), y)`.
 * @differentiable
 * @wrt m, b
 */
export function cost(m: number, b: number, x: Float64Array, y: Float64Array): number {
  let sigma = 0;
  for (let i = 0; i < y.length; i++) {
    const yhat = regression(m, x[i], b);
    sigma += (yhat - y[i]) ** 2;
  }
  return sigma / y.length;
}
