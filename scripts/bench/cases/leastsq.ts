import type * as TF from '@tensorflow/tfjs';
import { leastSquares } from '../models/leastsq.ts';
import { leastSquaresGradHand } from '../handwritten/leastsq.ts';
import { makeLeastSquaresTf } from '../tfjs/leastsq.ts';
import { Rng, randomArray } from '../rng.ts';
import { errorMessage, flatten, tapeHook, type BenchCase, type BenchConfig } from '../types.ts';

export async function leastSquaresCase(tf: typeof TF, cfg: BenchConfig): Promise<BenchCase> {
  const n = 1_000_000;
  const rng = new Rng(1);
  const x = randomArray(rng, n, (r) => r.uniform(-1, 1));
  const y = randomArray(rng, n, (r, i) => 2.5 * x[i] - 0.7 + 0.1 * r.normal());
  const a = 1.9;
  const b = 0.2;
  const params = [
    { name: 'a', length: 1 },
    { name: 'b', length: 1 },
  ];
  const direction = Float64Array.of(0.3, -0.7);

  let gen: BenchCase['gen'];
  try {
    const m = await import('../models/leastsq.ad.ts');
    gen = {
      tapePeakBytes: tapeHook(m),
      grad: () => m.leastSquaresGrad(a, b, x, y),
      jvp: () => m.leastSquaresJvp(a, b, x, y, { a: direction[0], b: direction[1] }),
    };
  } catch (e) {
    gen = { missing: errorMessage(e) };
  }

  const tfm = makeLeastSquaresTf(tf, x, y);
  const hand = () => flatten(leastSquaresGradHand(a, b, x, y), params);
  return {
    key: 'leastsq',
    title: 'least squares',
    size: 'n = 10⁶',
    params,
    paramCount: 2,
    targets: { gradOverPrimal: 2, tfjsSpeedup: 5 },
    primal: () => leastSquares(a, b, x, y),
    hand: { grad: () => leastSquaresGradHand(a, b, x, y) },
    gen,
    direction,
    theta: Float64Array.of(a, b),
    evalAt: (t) => leastSquares(t[0], t[1], x, y),
    fdCoords: [0, 1],
    tfjs: {
      run: () => tfm.grad(a, b),
      scale: 1,
      note: '',
      refHand: hand,
      tol: 1e-3,
      warmupCalls: cfg.quick ? 1 : 2,
      reps: cfg.quick ? 2 : 7,
      dispose: () => tfm.dispose(),
    },
    notes: [],
  };
}
