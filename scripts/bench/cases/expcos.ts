import type * as TF from '@tensorflow/tfjs';
import { loss } from '../models/expcos.ts';
import { lossGradHand } from '../handwritten/expcos.ts';
import { makeExpCosTf } from '../tfjs/expcos.ts';
import { Rng, randomArray } from '../rng.ts';
import { errorMessage, flatten, tapeHook, type BenchCase, type BenchConfig } from '../types.ts';

export async function expCosCase(tf: typeof TF, cfg: BenchConfig): Promise<BenchCase> {
  const n = 1_000_000;
  const rng = new Rng(2);
  const x = randomArray(rng, n, (r) => r.uniform(0, 2 * Math.PI));
  const y = randomArray(
    rng,
    n,
    (r, i) => Math.exp(0.8 * Math.cos(1.3 * x[i]) + 0.3) + 0.05 * r.normal(),
  );
  const w = 0.6;
  const b = 0.1;
  const p = 1.25;
  const params = [
    { name: 'w', length: 1 },
    { name: 'b', length: 1 },
    { name: 'p', length: 1 },
  ];
  const direction = Float64Array.of(0.3, -0.7, 0.5);

  let gen: BenchCase['gen'];
  try {
    const m = await import('../models/expcos.ad.ts');
    gen = {
      tapePeakBytes: tapeHook(m),
      grad: () => m.lossGrad(w, b, p, x, y),
      jvp: () => m.lossJvp(w, b, p, x, y, { w: direction[0], b: direction[1], p: direction[2] }),
    };
  } catch (e) {
    gen = { missing: errorMessage(e) };
  }

  const tfm = makeExpCosTf(tf, x, y);
  return {
    key: 'expcos',
    title: 'exp-cos fit (SPEC §1)',
    size: 'n = 10⁶',
    params,
    paramCount: 3,
    targets: { gradOverPrimal: 2, tfjsSpeedup: 5 },
    primal: () => loss(w, b, p, x, y),
    hand: { grad: () => lossGradHand(w, b, p, x, y) },
    gen,
    direction,
    theta: Float64Array.of(w, b, p),
    evalAt: (t) => loss(t[0], t[1], t[2], x, y),
    fdCoords: [0, 1, 2],
    tfjs: {
      run: () => tfm.grad(w, b, p),
      scale: 1,
      note: '',
      refHand: () => flatten(lossGradHand(w, b, p, x, y), params),
      tol: 1e-3,
      warmupCalls: cfg.quick ? 1 : 2,
      reps: cfg.quick ? 2 : 7,
      dispose: () => tfm.dispose(),
    },
    notes: [],
  };
}
