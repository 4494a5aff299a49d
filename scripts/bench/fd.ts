/** Central finite differences over a chosen subset of coordinates. */
export function fdGradient(
  evalAt: (theta: Float64Array) => number,
  theta: Float64Array,
  coords: number[],
): Float64Array {
  const g = new Float64Array(coords.length);
  for (let c = 0; c < coords.length; c++) {
    const i = coords[c];
    const t = theta[i];
    const h = 1e-6 * Math.max(1, Math.abs(t));
    theta[i] = t + h;
    const fp = evalAt(theta);
    theta[i] = t - h;
    const fm = evalAt(theta);
    theta[i] = t;
    g[c] = (fp - fm) / (2 * h);
  }
  return g;
}
