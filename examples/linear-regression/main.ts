/**
 * Fits a line to the clinical-trial data (drug dosage x, forgetfulness y) by gradient descent,
 * as the course does with PyTorch: start from m = 0.9, b = 0.1, SGD with lr = 0.01, one step
 * by hand and then 1000 epochs, printing cost and gradients each epoch.
 * Run: npm run example linear-regression
 */
import { SGD, arange, formatG, formatTensor, isMain } from '@adgen/runtime';
import { fitPlotSpec, linePlotSpec, outPath, writePlot } from '@adgen/runtime/plot';
import { regression } from './model.ts';
import { costGrad } from './model.ad.ts';

/** Drug dosage (mL). */
export const X = Float64Array.of(0, 1, 2, 3, 4, 5, 6, 7);
/** Forgetfulness scores. */
export const Y = Float64Array.of(1.86, 1.31, 0.62, 0.33, 0.09, -0.67, -1.23, -1.37);

export interface EpochLog {
  epoch: number;
  cost: number;
  mGrad: number;
  bGrad: number;
}

export interface TrainResult {
  m: number;
  b: number;
  /** cost and gradients of every epoch, evaluated before that epoch's step (as the course prints them) */
  history: EpochLog[];
  /** cost at the final m, b */
  finalCost: number;
}

/**
 * The course's training: one SGD step (steps 1–4 shown one at a time), then `epochs` epochs of
 * zero_grad / forward / cost / backward / step. Calls `log` with every epoch.
 */
export function train(epochs = 1000, lr = 0.01, log?: (e: EpochLog) => void): TrainResult {
  const theta = Float64Array.of(0.9, 0.1); // m = nn.Parameter(0.9), b = nn.Parameter(0.1)
  const optimizer = new SGD(theta, { lr });
  const first = costGrad(theta[0], theta[1], X, Y);
  optimizer.step([first.grad.m, first.grad.b]);

  const history: EpochLog[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const { value: C, grad } = costGrad(theta[0], theta[1], X, Y);
    optimizer.step([grad.m, grad.b]);
    const entry = { epoch, cost: C, mGrad: grad.m, bGrad: grad.b };
    history.push(entry);
    log?.(entry);
  }
  return { m: theta[0], b: theta[1], history, finalCost: costGrad(theta[0], theta[1], X, Y).value };
}

/** The exact least-squares line (normal equations), for comparison. */
export function leastSquares(x: ArrayLike<number>, y: ArrayLike<number>): { m: number; b: number } {
  const n = x.length;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  const m = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  return { m, b: (sy - m * sx) / n };
}

export async function main(): Promise<void> {
  console.log(`x = ${formatTensor(X)}`);
  console.log(`y = ${formatTensor(Y)}`);
  const m0 = 0.9;
  const b0 = 0.1;

  // Steps 1–4 once: forward pass, cost, gradient, one SGD step.
  const { value: C0, grad: g0 } = costGrad(m0, b0, X, Y);
  console.log(`yhat = ${formatTensor(X.map((x) => regression(m0, x, b0)))}`);
  console.log(`C = ${formatTensor(C0)}`);
  console.log(`m.grad = ${formatTensor(g0.m)}, b.grad = ${formatTensor(g0.b)}`);
  const m1 = m0 - 0.01 * g0.m;
  const b1 = b0 - 0.01 * g0.b;
  console.log(`after optimizer.step(): m = ${formatTensor(m1)}, b = ${formatTensor(b1)}`);
  console.log(`C = ${formatTensor(costGrad(m1, b1, X, Y).value)}`);

  // The loop (train() repeats the single step above, then runs the epochs).
  const result = train(1000, 0.01, (e) =>
    console.log(`Epoch ${e.epoch}, cost ${formatG(e.cost, 3)}, m grad ${formatG(e.mGrad, 3)}, b grad ${formatG(e.bGrad, 3)}`),
  );
  const ls = leastSquares(X, Y);
  console.log(`learned:       m = ${result.m.toFixed(4)}, b = ${result.b.toFixed(4)}, cost = ${result.finalCost.toFixed(4)}`);
  console.log(`least squares: m = ${ls.m.toFixed(5)}, b = ${ls.b.toFixed(4)}`);

  const xs = [-0.5, 7.5];
  const fit = await writePlot(
    outPath(import.meta.url, 'regression.svg'),
    fitPlotSpec({
      title: 'Clinical Trial',
      xLabel: 'Drug dosage (mL)',
      yLabel: 'Forgetfulness',
      data: { x: X, y: Y, name: 'patients' },
      curves: [
        { name: 'initial line (m = 0.9, b = 0.1)', x: xs, y: xs.map((x) => regression(m0, x, b0)) },
        { name: `after 1000 epochs (m = ${result.m.toFixed(3)}, b = ${result.b.toFixed(3)})`, x: xs, y: xs.map((x) => regression(result.m, x, result.b)) },
      ],
    }),
  );
  const costPlot = await writePlot(
    outPath(import.meta.url, 'cost.svg'),
    linePlotSpec({
      title: 'MSE cost per epoch',
      xLabel: 'epoch',
      yLabel: 'cost',
      logY: true,
      curves: [{ name: 'cost', x: arange(result.history.length), y: result.history.map((e) => e.cost) }],
    }),
  );
  console.log(`plots: ${fit}, ${costPlot}`);
}

if (isMain(import.meta.url)) await main();
