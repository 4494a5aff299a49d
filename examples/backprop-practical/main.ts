/**
 * The backprop practical: generate points (xₜ, yₜ) with yₜ = w*·xₜ + b* + noise, then recover
 * w* and b* by stochastic gradient descent, one sample at a time, with the gradient of the
 * per-sample loss from `sampleLossGrad` (the practical's hand-coded backward pass, generated).
 * Run: npm run example backprop-practical
 */
import { Rng, SGD, isMain, linspace } from '@adgen/runtime';
import { fitPlotSpec, outPath, writePlot } from '@adgen/runtime/plot';
import { sampleLoss } from './model.ts';
import { sampleLossGrad } from './model.ad.ts';

/** The generating parameters. */
export const W_STAR = 2;
export const B_STAR = 3;
/** Standard deviation of the observation noise. */
export const NOISE = 0.1;

/** n points xₜ ~ N(0, 1), yₜ = w*·xₜ + b* + N(0, NOISE²). */
export function makeData(seed: number, n = 50): { x: Float64Array; y: Float64Array } {
  const rng = new Rng(seed);
  const x = rng.normalArray(n);
  const y = x.map((xt) => W_STAR * xt + B_STAR + rng.normal(0, NOISE));
  return { x, y };
}

/**
 * The practical's backward pass written by hand, node by node from the loss back to the
 * parameters (ℓ̄ = 1): r̄ = 2r,  ŷ̄ = r̄,  ū = ŷ̄,  b̄ = ŷ̄,  w̄ = ū·x.
 */
export function handBackward(w: number, b: number, x: number, y: number): { w: number; b: number } {
  const r = w * x + b - y;
  const rBar = 2 * r;
  return { w: rBar * x, b: rBar };
}

export interface FitResult {
  w: number;
  b: number;
  /** mean loss over the data after each epoch */
  losses: number[];
}

/** Online SGD: for each epoch, visit the samples in a random order and step after each one. */
export function fit(x: Float64Array, y: Float64Array, epochs = 20, lr = 0.02, seed = 0, log?: (epoch: number, loss: number, w: number, b: number) => void): FitResult {
  const rng = new Rng(seed);
  const theta = Float64Array.of(rng.normal(), rng.normal()); // random initialisation of w, b
  const optimizer = new SGD(theta, { lr });
  const losses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const t of rng.permutation(x.length)) {
      const { grad } = sampleLossGrad(theta[0], theta[1], x[t], y[t]);
      optimizer.step([grad.w, grad.b]);
    }
    let total = 0;
    for (let t = 0; t < x.length; t++) total += sampleLoss(theta[0], theta[1], x[t], y[t]);
    losses.push(total / x.length);
    log?.(epoch, total / x.length, theta[0], theta[1]);
  }
  return { w: theta[0], b: theta[1], losses };
}

export async function main(): Promise<void> {
  const { x, y } = makeData(42);
  console.log(`${x.length} samples of y = ${W_STAR}·x + ${B_STAR} + N(0, ${NOISE}²)`);

  // The generated backward pass equals the hand-written one.
  const g = sampleLossGrad(0.5, -1, x[0], y[0]).grad;
  const h = handBackward(0.5, -1, x[0], y[0]);
  console.log(`gradient at (w, b) = (0.5, -1), first sample: adgen (${g.w.toFixed(6)}, ${g.b.toFixed(6)}), by hand (${h.w.toFixed(6)}, ${h.b.toFixed(6)})`);

  const result = fit(x, y, 20, 0.02, 0, (epoch, loss, w, b) =>
    console.log(`epoch ${String(epoch).padStart(2)}  loss ${loss.toFixed(5)}  w ${w.toFixed(4)}  b ${b.toFixed(4)}`),
  );
  console.log(`recovered w = ${result.w.toFixed(4)} (w* = ${W_STAR}), b = ${result.b.toFixed(4)} (b* = ${B_STAR})`);

  const xs = linspace(-3, 3, 2);
  const path = await writePlot(
    outPath(import.meta.url, 'fit.svg'),
    fitPlotSpec({
      title: 'Backprop practical: y = w·x + b',
      data: { x, y, name: 'samples' },
      curves: [
        { name: `fit (w = ${result.w.toFixed(3)}, b = ${result.b.toFixed(3)})`, x: xs, y: xs.map((v) => result.w * v + result.b) },
        { name: `true line (w* = ${W_STAR}, b* = ${B_STAR})`, x: xs, y: xs.map((v) => W_STAR * v + B_STAR), dash: [6, 4] },
      ],
    }),
  );
  console.log(`plot: ${path}`);
}

if (isMain(import.meta.url)) await main();
