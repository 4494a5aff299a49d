/**
 * Benchmark model 3: Gaussian-mixture log-likelihood, the ADBench GMM objective
 * (Srajer, Kaess, Fitzgibbon: "A benchmark of selected algorithmic differentiation tools on some
 * problems in computer vision and machine learning", 2018), d = 10, K = 25, n = 1000.
 *
 * Each component k has a weight logit alphas[k], a mean means[k*d .. k*d+d) and an inverse
 * covariance factor Q_k in the triangular parameterisation: icf[k*icfSz .. k*icfSz+icfSz) holds
 * the d log-diagonal entries followed by the d(d−1)/2 strictly-lower entries, column by column
 * (Q_k[j][i] for i < j, i major), icfSz = d(d+1)/2. The objective is
 *
 *   Σ_i logsumexp_k(alphas[k] + Σ log diag Q_k − ½‖Q_k (x_i − μ_k)‖²) − n·logsumexp(alphas)
 *     − n·d/2·log(2π) + Σ_k (½γ²‖Q_k‖²_F − m·Σ log diag Q_k)
 *
 * i.e. ADBench's `gmm_objective` including its Wishart prior, without the prior's constant
 * normaliser (it needs lgamma and does not depend on the parameters). Written with plain loops and
 * flat arrays, the way ADBench's C++ reference is; derivatives in `gmm.ad.ts`.
 */

/**
 * ADBench's GMM objective: mixture log-likelihood of the points x (n×d, row-major) plus the
 * Wishart prior, as a function of the mixture parameters.
 * @differentiable
 * @wrt alphas, means, icf
 */
export function gmmObjective(
  alphas: Float64Array,
  means: Float64Array,
  icf: Float64Array,
  x: Float64Array,
  d: number,
  k: number,
  wishartGamma: number,
  wishartM: number,
): number {
  const n = x.length / d;
  const icfSz = (d * (d + 1)) / 2;

  // preprocess: Q_k's diagonal and Σ log diag Q_k
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

  const xcentered = new Float64Array(d);
  const qxcentered = new Float64Array(d);
  const mainTerm = new Float64Array(k);
  let slse = 0;
  for (let ix = 0; ix < n; ix++) {
    for (let ik = 0; ik < k; ik++) {
      // xcentered = x_i − μ_k
      for (let id = 0; id < d; id++) {
        xcentered[id] = x[ix * d + id] - means[ik * d + id];
      }
      // qxcentered = Q_k · xcentered
      for (let id = 0; id < d; id++) {
        qxcentered[id] = qdiags[ik * d + id] * xcentered[id];
      }
      let li = ik * icfSz + d;
      for (let i = 0; i < d; i++) {
        for (let j = i + 1; j < d; j++) {
          qxcentered[j] += icf[li] * xcentered[i];
          li++;
        }
      }
      let sqnorm = 0;
      for (let id = 0; id < d; id++) {
        sqnorm += qxcentered[id] * qxcentered[id];
      }
      mainTerm[ik] = alphas[ik] + sumQs[ik] - 0.5 * sqnorm;
    }
    // logsumexp over components
    let mx = mainTerm[0];
    for (let ik = 1; ik < k; ik++) {
      if (mainTerm[ik] > mx) mx = mainTerm[ik];
    }
    let semx = 0;
    for (let ik = 0; ik < k; ik++) {
      semx += Math.exp(mainTerm[ik] - mx);
    }
    slse += Math.log(semx) + mx;
  }

  // logsumexp(alphas)
  let amx = alphas[0];
  for (let ik = 1; ik < k; ik++) {
    if (alphas[ik] > amx) amx = alphas[ik];
  }
  let asum = 0;
  for (let ik = 0; ik < k; ik++) {
    asum += Math.exp(alphas[ik] - amx);
  }
  const lseAlphas = Math.log(asum) + amx;

  // Wishart prior (without its constant normaliser)
  let prior = 0;
  for (let ik = 0; ik < k; ik++) {
    let frobenius = 0;
    for (let id = 0; id < d; id++) {
      frobenius += qdiags[ik * d + id] * qdiags[ik * d + id];
    }
    for (let j = d; j < icfSz; j++) {
      frobenius += icf[ik * icfSz + j] * icf[ik * icfSz + j];
    }
    prior += 0.5 * wishartGamma * wishartGamma * frobenius - wishartM * sumQs[ik];
  }

  const constant = -n * d * 0.5 * Math.log(2 * Math.PI);
  return constant + slse - n * lseAlphas + prior;
}
