/**
 * A neural network with one hidden layer for 2-D binary classification:
 *   h = tanh(W1·x + b1)  (H hidden units),   z = W2·h + b2   (the logit of class 1).
 * W1 is H×2 row-major, b1 and W2 have length H, b2 is a scalar.
 */

/** The logit z of the network for one point (x0, x1). */
export function logit(W1: Float64Array, b1: Float64Array, W2: Float64Array, b2: number, x0: number, x1: number): number {
  let z = b2;
  for (let j = 0; j < b1.length; j++) {
    const h = Math.tanh(W1[2 * j] * x0 + W1[2 * j + 1] * x1 + b1[j]);
    z += W2[j] * h;
  }
  return z;
}

/**
 * Mean binary cross-entropy of the network over n points X (n×2 row-major) with labels in
 * {0, 1}: the mean of log(1 + eᶻ) − label·z, written so that eᶻ cannot overflow.
 * @differentiable
 * @wrt W1, b1, W2, b2
 */
export function loss(W1: Float64Array, b1: Float64Array, W2: Float64Array, b2: number, X: Float64Array, labels: Float64Array): number {
  const n = labels.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const z = logit(W1, b1, W2, b2, X[2 * i], X[2 * i + 1]);
    s += Math.max(z, 0) - labels[i] * z + Math.log1p(Math.exp(-Math.abs(z)));
  }
  return s / n;
}
