/**
 * Hand-written gradient of `eulerLoss` (models/euler.ts): a forward sweep that records the state
 * (u, v) before every step in a reusable typed-array buffer (2·(steps+1) doubles, grown on demand
 * and kept between calls, as an expert would), then one reverse sweep with the step's Jacobian
 * written out by hand.
 */
let tape = new Float64Array(0);

/** Bytes of the trajectory buffer used for `steps` steps (for the tape-size report). */
export function eulerHandTapeBytes(steps: number): number {
  return 2 * (steps + 1) * Float64Array.BYTES_PER_ELEMENT;
}

export function eulerLossGradHand(
  alpha: number,
  beta: number,
  gamma: number,
  delta: number,
  u0: number,
  v0: number,
  h: number,
  steps: number,
  stride: number,
  obs: Float64Array,
): {
  value: number;
  grad: { alpha: number; beta: number; gamma: number; delta: number; u0: number; v0: number };
} {
  if (tape.length < 2 * (steps + 1)) tape = new Float64Array(2 * (steps + 1));
  const st = tape;
  // forward: st[2i], st[2i+1] = state after step i (state 0 = initial)
  let u = u0;
  let v = v0;
  let loss = 0;
  st[0] = u;
  st[1] = v;
  for (let i = 1; i <= steps; i++) {
    const uv = u * v;
    const un = u + h * (alpha * u - beta * uv);
    v = v + h * (delta * uv - gamma * v);
    u = un;
    st[2 * i] = u;
    st[2 * i + 1] = v;
    if (i % stride === 0) {
      const j = 2 * (i / stride - 1);
      const eu = u - obs[j];
      const ev = v - obs[j + 1];
      loss += eu * eu + ev * ev;
    }
  }
  // reverse
  let ub = 0;
  let vb = 0;
  let ga = 0; // Σ ub·u      (× h at the end)
  let gbt = 0; // Σ ub·u·v   (× −h)
  let gg = 0; // Σ vb·v      (× −h)
  let gd = 0; // Σ vb·u·v    (× h)
  for (let i = steps; i >= 1; i--) {
    if (i % stride === 0) {
      const j = 2 * (i / stride - 1);
      ub += 2 * (st[2 * i] - obs[j]);
      vb += 2 * (st[2 * i + 1] - obs[j + 1]);
    }
    const up = st[2 * i - 2];
    const vp = st[2 * i - 1];
    const uv = up * vp;
    ga += ub * up;
    gbt += ub * uv;
    gg += vb * vp;
    gd += vb * uv;
    const ubn = ub * (1 + h * (alpha - beta * vp)) + vb * h * delta * vp;
    vb = vb * (1 + h * (delta * up - gamma)) - ub * h * beta * up;
    ub = ubn;
  }
  return {
    value: loss,
    grad: { alpha: h * ga, beta: -h * gbt, gamma: -h * gg, delta: h * gd, u0: ub, v0: vb },
  };
}
