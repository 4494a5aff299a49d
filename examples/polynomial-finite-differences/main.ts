/**
 * AutoDiff is not numerical differentiation: the exact derivative of func(x) = 3x³ − 5x² at
 * x = 1.5 next to forward differences (f(x+h) − f(x))/h and central differences
 * (f(x+h) − f(x−h))/2h for h = 1e-1 … 1e-12. The truncation error falls like h (forward) or h²
 * (central) until floating-point cancellation takes over and the error grows again.
 * Run: npm run example polynomial-finite-differences
 */
import { centralDifference, forwardDifference, isMain } from '@adgen/runtime';
import { linePlotSpec, outPath, writePlot } from '@adgen/runtime/plot';
import { func } from './model.ts';
import { funcGrad } from './model.ad.ts';

/** The hand-derived derivative of the tutorial, `func_der`. */
export function funcDer(x: number): number {
  return 9 * x ** 2 - 10 * x;
}

export interface DifferenceRow {
  h: number;
  forward: number;
  central: number;
  /** |forward − exact| */
  forwardError: number;
  /** |central − exact| */
  centralError: number;
}

/** Step sizes 1e-1, 1e-2, …, 1e-12. */
export const STEPS: number[] = Array.from({ length: 12 }, (_, i) => 10 ** -(i + 1));

/** Forward and central differences of `func` at x, with their errors against adgen's exact derivative. */
export function differenceTable(x: number, steps: number[] = STEPS): { exact: number; rows: DifferenceRow[] } {
  const exact = funcGrad(x).grad.x;
  const rows = steps.map((h) => {
    const forward = forwardDifference(func, x, h);
    const central = centralDifference(func, x, h);
    return { h, forward, central, forwardError: Math.abs(forward - exact), centralError: Math.abs(central - exact) };
  });
  return { exact, rows };
}

export async function main(): Promise<void> {
  const x = 1.5;
  const { exact, rows } = differenceTable(x);
  console.log(`func(x) = 3x^3 - 5x^2 at x = ${x}`);
  console.log(`  adgen (reverse mode)      func'(1.5) = ${exact}`);
  console.log(`  by hand, 9x^2 - 10x       func'(1.5) = ${funcDer(x)}`);
  console.log();
  const e = (v: number) => v.toExponential(3).padStart(10);
  const d = (v: number) => v.toFixed(12).padStart(17);
  console.log(`${'h'.padStart(7)}  ${'forward'.padStart(17)}  ${'error'.padStart(10)}  ${'central'.padStart(17)}  ${'error'.padStart(10)}`);
  for (const r of rows) {
    console.log(`${r.h.toExponential(0).padStart(7)}  ${d(r.forward)}  ${e(r.forwardError)}  ${d(r.central)}  ${e(r.centralError)}`);
  }
  const best = (key: 'forwardError' | 'centralError') =>
    rows.reduce((a, b) => (b[key] < a[key] ? b : a));
  console.log();
  console.log(`smallest forward-difference error ${e(best('forwardError').forwardError).trim()} at h = ${best('forwardError').h.toExponential(0)}`);
  console.log(`smallest central-difference error ${e(best('centralError').centralError).trim()} at h = ${best('centralError').h.toExponential(0)}`);
  console.log('adgen error: 0 (the derivative is exact up to rounding, with no step size to choose)');

  // An error of exactly 0 cannot go on a log axis; those points are left out of the plot.
  const positive = (key: 'forwardError' | 'centralError') => rows.filter((r) => r[key] > 0);
  const path = await writePlot(
    outPath(import.meta.url, 'errors.svg'),
    linePlotSpec({
      title: "Finite-difference error of func'(1.5)",
      xLabel: 'step size h',
      yLabel: '|approximation − exact|',
      logX: true,
      logY: true,
      points: true,
      curves: [
        { name: 'forward difference', x: positive('forwardError').map((r) => r.h), y: positive('forwardError').map((r) => r.forwardError) },
        { name: 'central difference', x: positive('centralError').map((r) => r.h), y: positive('centralError').map((r) => r.centralError) },
      ],
    }),
  );
  console.log(`plot: ${path}`);
}

if (isMain(import.meta.url)) await main();
