/**
 * Hand-written gradient of ADBench's GMM objective (models/gmm.ts), written the way ADBench's
 * "manual" C++ gradient is: per data point one forward pass over the K components that keeps
 * x − μ_k and Q_k(x − μ_k) for all k (K·d doubles each, allocated once per call), the softmax
 * weights of the log-sum-exp, then one fused reverse pass over the triangular factor. The
 * preprocessing (exp of the log-diagonal) and the Wishart prior are differentiated once at the end.
 */
export function gmmObjectiveGradHand(
  alphas: Float64Array,
  means: Float64Array,
  icf: Float64Array,
  x: Float64Array,
  d: number,
  k: number,
  wishartGamma: number,
  wishartM: number,
): { value: number; grad: { alphas: Float64Array; means: Float64Array; icf: Float64Array } } {
  const n = x.length / d;
  const icfSz = (d * (d + 1)) / 2;

  const qdiags = new Float64Array(k * d);
  const sumQs = new Float64Array(k);
  for (let ik = 0; ik < k; ik++) {
    let sq = 0;
    for (let id = 0; id < d; id++) {
      const q = icf[ik * icfSz + id];
      sq += q;
      qdiags[ik * d + id] = Math.exp(q);
    }
    sumQs[ik] = sq;
  }

  const gAlphas = new Float64Array(k);
  const gMeans = new Float64Array(k * d);
  const gIcf = new Float64Array(k * icfSz);
  const gQdiags = new Float64Array(k * d);
  const gSumQs = new Float64Array(k);
  const xc = new Float64Array(k * d); // x_i − μ_k, all k
  const qxc = new Float64Array(k * d); // Q_k (x_i − μ_k), then its adjoint
  const main = new Float64Array(k); // main terms, then exp(main − max)

  let slse = 0;
  for (let ix = 0; ix < n; ix++) {
    const xo = ix * d;
    let mx = -Infinity;
    for (let ik = 0; ik < k; ik++) {
      const mo = ik * d;
      for (let id = 0; id < d; id++) {
        const c = x[xo + id] - means[mo + id];
        xc[mo + id] = c;
        qxc[mo + id] = qdiags[mo + id] * c;
      }
      let li = ik * icfSz + d;
      for (let i = 0; i < d; i++) {
        const ci = xc[mo + i];
        for (let j = i + 1; j < d; j++) {
          qxc[mo + j] += icf[li] * ci;
          li++;
        }
      }
      let sq = 0;
      for (let id = 0; id < d; id++) {
        const q = qxc[mo + id];
        sq += q * q;
      }
      const mt = alphas[ik] + sumQs[ik] - 0.5 * sq;
      main[ik] = mt;
      if (mt > mx) mx = mt;
    }
    let se = 0;
    for (let ik = 0; ik < k; ik++) {
      const e = Math.exp(main[ik] - mx);
      main[ik] = e;
      se += e;
    }
    slse += Math.log(se) + mx;

    // reverse: ∂slse/∂main_k = softmax weight w_k; ∂main_k/∂(Q_k xc) = −Q_k xc
    const inv = 1 / se;
    for (let ik = 0; ik < k; ik++) {
      const wk = main[ik] * inv;
      gAlphas[ik] += wk;
      gSumQs[ik] += wk;
      const mo = ik * d;
      for (let id = 0; id < d; id++) qxc[mo + id] *= -wk;
      let li = ik * icfSz + d;
      for (let i = 0; i < d; i++) {
        const ci = xc[mo + i];
        const qbi = qxc[mo + i];
        gQdiags[mo + i] += qbi * ci;
        let cb = qbi * qdiags[mo + i];
        for (let j = i + 1; j < d; j++) {
          const qbj = qxc[mo + j];
          gIcf[li] += qbj * ci;
          cb += qbj * icf[li];
          li++;
        }
        gMeans[mo + i] -= cb;
      }
    }
  }

  // − n · logsumexp(alphas)
  let amx = -Infinity;
  for (let ik = 0; ik < k; ik++) if (alphas[ik] > amx) amx = alphas[ik];
  let asum = 0;
  for (let ik = 0; ik < k; ik++) asum += Math.exp(alphas[ik] - amx);
  const lseAlphas = Math.log(asum) + amx;
  for (let ik = 0; ik < k; ik++) gAlphas[ik] -= (n * Math.exp(alphas[ik] - amx)) / asum;

  // Wishart prior, then back through the preprocessing (sumQs, qdiags = exp(icf diag))
  const g2 = wishartGamma * wishartGamma;
  let prior = 0;
  for (let ik = 0; ik < k; ik++) {
    const mo = ik * d;
    const io = ik * icfSz;
    let frobenius = 0;
    for (let id = 0; id < d; id++) {
      const q = qdiags[mo + id];
      frobenius += q * q;
    }
    for (let j = d; j < icfSz; j++) {
      const l = icf[io + j];
      frobenius += l * l;
      gIcf[io + j] += g2 * l;
    }
    prior += 0.5 * g2 * frobenius - wishartM * sumQs[ik];
    const gs = gSumQs[ik] - wishartM;
    for (let id = 0; id < d; id++) {
      const q = qdiags[mo + id];
      gIcf[io + id] += gs + (gQdiags[mo + id] + g2 * q) * q;
    }
  }

  const constant = -n * d * 0.5 * Math.log(2 * Math.PI);
  return {
    value: constant + slse - n * lseAlphas + prior,
    grad: { alphas: gAlphas, means: gMeans, icf: gIcf },
  };
}
