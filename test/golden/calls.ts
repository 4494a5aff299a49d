function sigmoid(t: number): number {
  return 1 / (1 + Math.exp(-t));
}

/**
 * Logistic regression negative log-likelihood.
 * @differentiable
 * @wrt w, b
 */
export function nll(w: Float64Array, b: number, X: Float64Array, y: Float64Array): number {
  const d = w.length;
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    let z = b;
    for (let j = 0; j < d; j++) z += w[j]! * X[i * d + j]!;
    const p = sigmoid(z);
    s -= y[i]! * Math.log(p) + (1 - y[i]!) * Math.log(1 - p);
  }
  return s;
}
