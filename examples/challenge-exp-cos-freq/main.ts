/**
 * Challenge 2 of the backprop practical: recover p*, w*, b* from samples of
 * yₜ = exp(w*·cos(p*·xₜ) + b*) (plus a little noise). The loss is not convex in the frequency
 * p — a start far from p* settles in a local minimum — so the example runs Adam from a few
 * starting frequencies and keeps the best fit, then refines it.
 * Run: npm run example challenge-exp-cos-freq
 */
import { Adam, Rng, isMain, linspace } from '@adgen/runtime';
import { fitPlotSpec, outPath, writePlot } from '@adgen/runtime/plot';
import { lossGrad } from './model.ad.ts';

export const P_STAR = 2.5;
export const W_STAR = 0.8;
export const B_STAR = 0.2;
export const NOISE = 0.02;

/** n points xₜ ~ U(−3, 3), yₜ = exp(w*·cos(p*·xₜ) + b*) + N(0, NOISE²). */
export function makeData(seed: number, n = 200): { x: Float64Array; y: Float64Array } {
  const rng = new Rng(seed);
  const x = rng.uniformArray(n, -3, 3);
  const y = x.map((xt) => Math.exp(W_STAR * Math.cos(P_STAR * xt) + B_STAR) + rng.normal(0, NOISE));
  return { x, y };
}

export interface Params {
  w: number;
  b: number;
  p: number;
  loss: number;
}

/** Full-batch Adam on (w, b, p) from the given start. */
export function descend(x: Float64Array, y: Float64Array, start: { w: number; b: number; p: number }, steps: number, lr = 0.02): Params {
  const theta = Float64Array.of(start.w, start.b, start.p);
  const optimizer = new Adam(theta, { lr });
  for (let k = 0; k < steps; k++) {
    const { grad } = lossGrad(theta[0], theta[1], theta[2], x, y);
    optimizer.step([grad.w, grad.b, grad.p]);
  }
  return { w: theta[0], b: theta[1], p: theta[2], loss: lossGrad(theta[0], theta[1], theta[2], x, y).value };
}

/** Starting frequencies tried before refining the best. cos is even, so p > 0 is enough. */
export const STARTS: number[] = [0.5, 1, 1.5, 2, 3, 4];

export function fit(x: Float64Array, y: Float64Array, log?: (start: number, result: Params) => void): { best: Params; tries: Params[] } {
  const tries = STARTS.map((p0) => {
    const r = descend(x, y, { w: 0.5, b: 0, p: p0 }, 400);
    log?.(p0, r);
    return r;
  });
  const best = tries.reduce((a, b) => (b.loss < a.loss ? b : a));
  return { best: descend(x, y, best, 2000, 0.005), tries };
}

export async function main(): Promise<void> {
  const { x, y } = makeData(11);
  console.log(`${x.length} samples of y = exp(${W_STAR}·cos(${P_STAR}·x) + ${B_STAR}) + N(0, ${NOISE}²)`);
  console.log('400 Adam steps from each starting frequency p0 (w = 0.5, b = 0):');
  const { best } = fit(x, y, (p0, r) =>
    console.log(`  p0 = ${p0.toFixed(1)}  →  p = ${r.p.toFixed(4)}, w = ${r.w.toFixed(4)}, b = ${r.b.toFixed(4)}, loss ${r.loss.toExponential(3)}`),
  );
  console.log('best start refined with 2000 more steps:');
  console.log(`recovered p = ${best.p.toFixed(4)} (p* = ${P_STAR}), w = ${best.w.toFixed(4)} (w* = ${W_STAR}), b = ${best.b.toFixed(4)} (b* = ${B_STAR}), loss ${best.loss.toExponential(3)}`);

  const xs = linspace(-3, 3, 400);
  const model = (w: number, b: number, p: number) => xs.map((v) => Math.exp(w * Math.cos(p * v) + b));
  const path = await writePlot(
    outPath(import.meta.url, 'fit.svg'),
    fitPlotSpec({
      title: 'Challenge 2: y = exp(w·cos(p·x) + b)',
      data: { x, y, name: 'samples' },
      curves: [
        { name: `fit (p = ${best.p.toFixed(3)}, w = ${best.w.toFixed(3)}, b = ${best.b.toFixed(3)})`, x: xs, y: model(best.w, best.b, best.p) },
        { name: `true (p* = ${P_STAR}, w* = ${W_STAR}, b* = ${B_STAR})`, x: xs, y: model(W_STAR, B_STAR, P_STAR), dash: [6, 4] },
      ],
    }),
  );
  console.log(`plot: ${path}`);
}

if (isMain(import.meta.url)) await main();
