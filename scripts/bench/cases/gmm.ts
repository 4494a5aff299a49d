import type * as TF from '@tensorflow/tfjs';
import { gmmObjective } from '../models/gmm.ts';
import { gmmObjectiveGradHand } from '../handwritten/gmm.ts';
import { makeGmmTf } from '../tfjs/gmm.ts';
import { Rng, randomArray } from '../rng.ts';
import { errorMessage, flatten, tapeHook, type BenchCase, type BenchConfig } from '../types.ts';

/** Evenly spread subset of `count` coordinates out of `total`. */
function spread(total: number, count: number): number[] {
  if (count >= total) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: count }, (_, j) => Math.round((j * (total - 1)) / (count - 1)));
}

export async function gmmCase(tf: typeof TF, cfg: BenchConfig): Promise<BenchCase> {
  const d = 10;
  const k = 25;
  const n = 1000;
  const icfSz = (d * (d + 1)) / 2;
  const gamma = 1; // ADBench's Wishart hyper-parameters
  const wm = 0;
  const rng = new Rng(3);
  const x = randomArray(rng, n * d, (r) => r.normal());
  const alphas = randomArray(rng, k, (r) => r.normal());
  const means = randomArray(rng, k * d, (r) => r.normal());
  const icf = randomArray(rng, k * icfSz, (r) => 0.3 * r.normal());
  const params = [
    { name: 'alphas', length: k },
    { name: 'means', length: k * d },
    { name: 'icf', length: k * icfSz },
  ];
  const P = k + k * d + k * icfSz;
  const dr = new Rng(33);
  const direction = randomArray(dr, P, (r) => r.normal());
  const dAlphas = direction.subarray(0, k);
  const dMeans = direction.subarray(k, k + k * d);
  const dIcf = direction.subarray(k + k * d);

  let gen: BenchCase['gen'];
  try {
    const m = await import('../models/gmm.ad.ts');
    gen = {
      tapePeakBytes: tapeHook(m),
      grad: () => m.gmmObjectiveGrad(alphas, means, icf, x, d, k, gamma, wm),
      jvp: () =>
        m.gmmObjectiveJvp(alphas, means, icf, x, d, k, gamma, wm, {
          alphas: dAlphas,
          means: dMeans,
          icf: dIcf,
        }),
    };
  } catch (e) {
    gen = { missing: errorMessage(e) };
  }

  const theta = new Float64Array(P);
  theta.set(alphas, 0);
  theta.set(means, k);
  theta.set(icf, k + k * d);
  const tA = theta.subarray(0, k);
  const tM = theta.subarray(k, k + k * d);
  const tI = theta.subarray(k + k * d);

  const tfm = makeGmmTf(tf, x, d, k, gamma, wm);
  return {
    key: 'gmm',
    title: 'GMM (ADBench)',
    size: `d = ${d}, K = ${k}, n = ${n}`,
    params,
    paramCount: P,
    targets: { gradOverPrimal: 3, tfjsSpeedup: 50 },
    primal: () => gmmObjective(alphas, means, icf, x, d, k, gamma, wm),
    hand: { grad: () => gmmObjectiveGradHand(alphas, means, icf, x, d, k, gamma, wm) },
    gen,
    direction,
    theta,
    // theta's subarrays are views, so perturbing theta perturbs the arguments
    evalAt: () => gmmObjective(tA, tM, tI, x, d, k, gamma, wm),
    fdCoords: spread(P, cfg.quick ? 10 : 40),
    tfjs: {
      run: () => tfm.grad(alphas, means, icf),
      scale: 1,
      note: '',
      refHand: () => flatten(gmmObjectiveGradHand(alphas, means, icf, x, d, k, gamma, wm), params),
      tol: 2e-3,
      warmupCalls: cfg.quick ? 1 : 2,
      reps: cfg.quick ? 2 : 7,
      dispose: () => tfm.dispose(),
    },
    notes: [],
  };
}
