/**
 * Challenge 1 of the backprop practical: recover w* and b* from samples of
 * yₜ = exp(w*·cos(xₜ) + b*) (plus a little noise) by gradient descent on the MSE, with Adam.
 * Run: npm run example challenge-exp-cos
 */
import { Adam, Rng, arange, isMain, linspace } from '@adgen/runtime';
import { fitPlotSpec, linePlotSpec, outPath, writePlot } from '@adgen/runtime/plot';
import { lossGrad } from './model.ad.ts';

export const W_STAR = 1.5;
export const B_STAR = -0.5;
/** Standard deviation of the additive observation noise. */
export const NOISE = 0.02;

/** n points xₜ ~ U(−5, 5), yₜ = exp(w*·cos xₜ + b*) + N(0, NOISE²). */
export function makeData(seed: number, n = 100): { x: Float64Array; y: Float64Array } {
  const rng = new Rng(seed);
  const x = rng.uniformArray(n, -5, 5);
  const y = x.map((xt) => Math.exp(W_STAR * Math.cos(xt) + B_STAR) + rng.normal(0, NOISE));
  return { x, y };
}

export interface FitResult {
  w: number;
  b: number;
  losses: number[];
}

/** Full-batch Adam from w = b = 0. */
export function fit(x: Float64Array, y: Float64Array, steps = 1500, lr = 0.05): FitResult {
  const theta = Float64Array.of(0, 0);
  const optimizer = new Adam(theta, { lr });
  const losses: number[] = [];
  for (let k = 0; k < steps; k++) {
    const { value, grad } = lossGrad(theta[0], theta[1], x, y);
    losses.push(value);
    optimizer.step([grad.w, grad.b]);
  }
  return { w: theta[0], b: theta[1], losses };
}

export async function main(): Promise<void> {
  const { x, y } = makeData(7);
  console.log(`${x.length} samples of y = exp(${W_STAR}·cos(x) − ${-B_STAR}) + N(0, ${NOISE}²)`);
  const result = fit(x, y);
  for (const k of [0, 10, 50, 100, 250, 500, 1000, result.losses.length - 1]) {
    console.log(`step ${String(k).padStart(4)}  loss ${result.losses[k].toExponential(4)}`);
  }
  console.log(`recovered w = ${result.w.toFixed(4)} (w* = ${W_STAR}), b = ${result.b.toFixed(4)} (b* = ${B_STAR})`);

  const xs = linspace(-5, 5, 200);
  const model = (w: number, b: number) => xs.map((v) => Math.exp(w * Math.cos(v) + b));
  const fitFile = await writePlot(
    outPath(import.meta.url, 'fit.svg'),
    fitPlotSpec({
      title: 'Challenge 1: y = exp(w·cos(x) + b)',
      data: { x, y, name: 'samples' },
      curves: [
        { name: `fit (w = ${result.w.toFixed(3)}, b = ${result.b.toFixed(3)})`, x: xs, y: model(result.w, result.b) },
        { name: `true (w* = ${W_STAR}, b* = ${B_STAR})`, x: xs, y: model(W_STAR, B_STAR), dash: [6, 4] },
      ],
    }),
  );
  const lossFile = await writePlot(
    outPath(import.meta.url, 'loss.svg'),
    linePlotSpec({ title: 'MSE per Adam step', xLabel: 'step', yLabel: 'loss', logY: true, curves: [{ name: 'loss', x: arange(result.losses.length), y: result.losses }] }),
  );
  console.log(`plots: ${fitFile}, ${lossFile}`);
}

if (isMain(import.meta.url)) await main();
