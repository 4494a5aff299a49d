import type * as TF from '@tensorflow/tfjs';
import { eulerLoss } from '../models/euler.ts';
import { eulerHandTapeBytes, eulerLossGradHand } from '../handwritten/euler.ts';
import { makeEulerTf } from '../tfjs/euler.ts';
import { Rng, randomArray } from '../rng.ts';
import {
  errorMessage,
  flatten,
  tapeHook,
  type BenchCase,
  type BenchConfig,
  type FlatGrad,
} from '../types.ts';

export const EULER_STEPS = 100_000;

export async function eulerCase(tf: typeof TF, cfg: BenchConfig): Promise<BenchCase> {
  const steps = EULER_STEPS;
  const h = 5e-4;
  const stride = 1000;
  // observations: the same integrator at the "true" parameters, plus noise
  const truth = [1.0, 0.4, 0.45, 0.1, 10, 5];
  const rng = new Rng(4);
  const obs = new Float64Array((2 * steps) / stride);
  {
    let [u, v] = [truth[4], truth[5]];
    for (let i = 1; i <= steps; i++) {
      const uv = u * v;
      const du = truth[0] * u - truth[1] * uv;
      const dv = truth[3] * uv - truth[2] * v;
      u += h * du;
      v += h * dv;
      if (i % stride === 0) {
        obs[2 * (i / stride - 1)] = u + 0.1 * rng.normal();
        obs[2 * (i / stride - 1) + 1] = v + 0.1 * rng.normal();
      }
    }
  }
  const th = [1.05, 0.38, 0.47, 0.11, 9.5, 5.3];
  const [alpha, beta, gamma, delta, u0, v0] = th;
  const names = ['alpha', 'beta', 'gamma', 'delta', 'u0', 'v0'];
  const params = names.map((name) => ({ name, length: 1 }));
  const direction = Float64Array.of(0.3, -0.7, 0.5, 0.2, -0.4, 0.6);
  const tangent = Object.fromEntries(names.map((nm, i) => [nm, direction[i]]));

  let gen: BenchCase['gen'];
  let refGen: ((s: number) => FlatGrad) | undefined;
  try {
    const m = await import('../models/euler.ad.ts');
    gen = {
      tapePeakBytes: tapeHook(m),
      grad: () => m.eulerLossGrad(alpha, beta, gamma, delta, u0, v0, h, steps, stride, obs),
      jvp: () => m.eulerLossJvp(alpha, beta, gamma, delta, u0, v0, h, steps, stride, obs, tangent),
    };
    refGen = (s) =>
      flatten(m.eulerLossGrad(alpha, beta, gamma, delta, u0, v0, h, s, stride, obs), params);
  } catch (e) {
    gen = { missing: errorMessage(e) };
  }

  // tfjs records ~10 scalar ops per step on its tape (~50 kB of heap per step): the full 10⁵
  // steps would need ~5 GB and a minute per call, so it runs fewer steps and is scaled linearly
  // (tfjs's per-step cost only grows with length, so this flatters tfjs).
  const tfSteps = cfg.quick ? 1000 : 10_000;
  const tfm = makeEulerTf(tf, h, stride, obs);
  return {
    key: 'euler',
    title: 'Euler ODE (Lotka–Volterra)',
    size: `${steps.toLocaleString('en-US')} steps`,
    params,
    paramCount: 6,
    targets: { gradOverPrimal: 3, tfjsSpeedup: 50 },
    primal: () => eulerLoss(alpha, beta, gamma, delta, u0, v0, h, steps, stride, obs),
    hand: {
      grad: () => eulerLossGradHand(alpha, beta, gamma, delta, u0, v0, h, steps, stride, obs),
    },
    gen,
    direction,
    theta: Float64Array.from(th),
    evalAt: (t) => eulerLoss(t[0], t[1], t[2], t[3], t[4], t[5], h, steps, stride, obs),
    fdCoords: [0, 1, 2, 3, 4, 5],
    tfjs: {
      run: () => tfm.grad(th, tfSteps),
      scale: steps / tfSteps,
      note: `tfjs timed on ${tfSteps.toLocaleString('en-US')} steps, scaled ×${steps / tfSteps}`,
      refHand: () =>
        flatten(
          eulerLossGradHand(alpha, beta, gamma, delta, u0, v0, h, tfSteps, stride, obs),
          params,
        ),
      refGen: refGen && (() => refGen(tfSteps)),
      tol: 1e-2,
      warmupCalls: 1,
      reps: cfg.quick ? 1 : 3,
      dispose: () => tfm.dispose(),
    },
    notes: [`hand-written tape: ${eulerHandTapeBytes(steps)} bytes (2·(steps+1) doubles)`],
  };
}
