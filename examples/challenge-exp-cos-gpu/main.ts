/**
 * Challenge 2 of the backprop practical, with the gradient computed by gpu.js kernels: recover
 * p*, w*, b* from noisy samples of yₜ = exp(w*·cos(p*·xₜ) + b*). `createLossGpu(gpu)` (generated
 * from model.ts, tagged `@gpu`) runs the sum over the samples and its adjoint as kernels in
 * single precision and adds the per-sample terms in float64 on the host; Adam does the rest.
 * As in challenge-exp-cos-freq, the loss is not convex in p, so Adam starts from a few
 * frequencies and the best fit is refined.
 * The backend is gpu.js's choice (headless-gl where it is built, else WebAssembly), or the one
 * named by ADGEN_GPU_MODE (cpu, webasm, headlessgl …).
 * Run: npm run example challenge-exp-cos-gpu
 */
import { GPU } from 'gpu.js';
import { Adam, Rng, isMain, linspace } from '@adgen/runtime';
import { fitPlotSpec, outPath, writePlot } from '@adgen/runtime/plot';
import { createLossGpu, lossGrad } from './model.ad.ts';

export const P_STAR = 2.5;
export const W_STAR = 0.8;
export const B_STAR = 0.2;
export const NOISE = 0.05;
export const SAMPLES = 2048;

/** n points xₜ ~ U(−3, 3), yₜ = exp(w*·cos(p*·xₜ) + b*) + N(0, NOISE²). */
export function makeData(seed: number, n = SAMPLES): { x: Float64Array; y: Float64Array } {
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

type LossGpu = ReturnType<typeof createLossGpu>;

/** Full-batch Adam on (w, b, p) from the given start, with the GPU gradient. */
export async function descend(g: LossGpu, x: Float64Array, y: Float64Array, start: { w: number; b: number; p: number }, steps: number, lr = 0.02): Promise<Params> {
  const theta = Float64Array.of(start.w, start.b, start.p);
  const optimizer = new Adam(theta, { lr });
  for (let k = 0; k < steps; k++) {
    const { grad } = await g.lossGrad(theta[0], theta[1], theta[2], x, y);
    optimizer.step([grad.w, grad.b, grad.p]);
  }
  return { w: theta[0], b: theta[1], p: theta[2], loss: await g.loss(theta[0], theta[1], theta[2], x, y) };
}

/** Starting frequencies tried before refining the best. cos is even, so p > 0 is enough. */
export const STARTS: number[] = [0.5, 1, 1.5, 2, 3, 4];

export async function fit(g: LossGpu, x: Float64Array, y: Float64Array, log?: (start: number, result: Params) => void): Promise<{ best: Params; tries: Params[] }> {
  const tries: Params[] = [];
  for (const p0 of STARTS) {
    const r = await descend(g, x, y, { w: 0.5, b: 0, p: p0 }, 200);
    log?.(p0, r);
    tries.push(r);
  }
  const best = tries.reduce((a, b) => (b.loss < a.loss ? b : a));
  return { best: await descend(g, x, y, best, 800, 0.005), tries };
}

export async function main(): Promise<void> {
  const gpu = new GPU({ mode: process.env['ADGEN_GPU_MODE'] as 'cpu' | undefined });
  const g = createLossGpu(gpu);
  try {
    const { x, y } = makeData(11);
    console.log(`${x.length} samples of y = exp(${W_STAR}·cos(${P_STAR}·x) + ${B_STAR}) + N(0, ${NOISE}²)`);
    console.log('200 Adam steps from each starting frequency p0 (w = 0.5, b = 0), gradient by gpu.js kernels:');
    const { best } = await fit(g, x, y, (p0, r) =>
      console.log(`  p0 = ${p0.toFixed(1)}  →  p = ${r.p.toFixed(4)}, w = ${r.w.toFixed(4)}, b = ${r.b.toFixed(4)}, loss ${r.loss.toExponential(3)}`),
    );
    console.log(`gpu.js backend: ${g.kernels.backends.join(', ')} (${g.kernels.size} compiled kernels)`);
    console.log('best start refined with 800 more steps:');
    console.log(`recovered p = ${best.p.toFixed(4)} (p* = ${P_STAR}), w = ${best.w.toFixed(4)} (w* = ${W_STAR}), b = ${best.b.toFixed(4)} (b* = ${B_STAR}), loss ${best.loss.toExponential(3)}`);
    // the single-precision kernels against the float64 CPU gradient at a point away from the optimum
    const cpu = lossGrad(0.5, 0, 2, x, y);
    const gpuGrad = await g.lossGrad(0.5, 0, 2, x, y);
    const diff = Math.max(...(['w', 'b', 'p'] as const).map((k) => Math.abs(gpuGrad.grad[k] - cpu.grad[k]) / Math.abs(cpu.grad[k])));
    console.log(`GPU vs CPU gradient at (w, b, p) = (0.5, 0, 2): largest relative difference ${diff.toExponential(1)}`);

    const xs = linspace(-3, 3, 400);
    const model = (w: number, b: number, p: number) => xs.map((v) => Math.exp(w * Math.cos(p * v) + b));
    const path = await writePlot(
      outPath(import.meta.url, 'fit.svg'),
      fitPlotSpec({
        title: 'Challenge 2 on gpu.js: y = exp(w·cos(p·x) + b)',
        data: { x: x.subarray(0, 400), y: y.subarray(0, 400), name: 'samples (first 400)' },
        curves: [
          { name: `fit (p = ${best.p.toFixed(3)}, w = ${best.w.toFixed(3)}, b = ${best.b.toFixed(3)})`, x: xs, y: model(best.w, best.b, best.p) },
          { name: `true (p* = ${P_STAR}, w* = ${W_STAR}, b* = ${B_STAR})`, x: xs, y: model(W_STAR, B_STAR, P_STAR), dash: [6, 4] },
        ],
      }),
    );
    console.log(`plot: ${path}`);
  } finally {
    g.destroy();
    gpu.destroy();
  }
}

if (isMain(import.meta.url)) await main();
