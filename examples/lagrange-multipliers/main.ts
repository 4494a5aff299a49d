/**
 * The method of multipliers (augmented Lagrangian) on min (x−2)² + (y−1)² s.t. x² + y² = 1:
 * minimise 𝓛_ρ over (x, y) with gradient descent (gradients from adgen), then update
 * λ ← λ − ρ·g(x, y), until the constraint holds. The result matches the analytic optimum
 * (2, 1)/√5 and multiplier λ* = 1 − √5, and ∇𝓛 vanishes there.
 * Run: npm run example lagrange-multipliers
 */
import { SGD, isMain, linspace, norm } from '@adgen/runtime';
import { fitPlotSpec, outPath, writePlot } from '@adgen/runtime/plot';
import { constraint, objective } from './model.ts';
import { augmentedLagrangianGrad, lagrangianGrad } from './model.ad.ts';

/** The analytic solution. */
export const ANALYTIC = { x: 2 / Math.sqrt(5), y: 1 / Math.sqrt(5), lambda: 1 - Math.sqrt(5), f: (Math.sqrt(5) - 1) ** 2 };

export interface Iterate {
  k: number;
  x: number;
  y: number;
  lambda: number;
  /** constraint violation g(x, y) */
  g: number;
  /** inner gradient-descent steps used */
  steps: number;
}

/** Minimise 𝓛_ρ(·; λ) over (x, y) from `start` by gradient descent with momentum. */
function minimiseInner(start: Float64Array, lambda: number, rho: number): number {
  const optimizer = new SGD(start, { lr: 0.01, momentum: 0.9 });
  for (let step = 1; step <= 20000; step++) {
    const { grad } = augmentedLagrangianGrad(start[0], start[1], lambda, rho);
    if (norm([grad.x, grad.y]) < 1e-12) return step;
    optimizer.step([grad.x, grad.y]);
  }
  return 20000;
}

/** The method of multipliers from (x, y) = (0, 0), λ = 0. */
export function solve(rho = 10, tol = 1e-12, log?: (it: Iterate) => void): { x: number; y: number; lambda: number; iterates: Iterate[] } {
  const xy = Float64Array.of(0, 0);
  let lambda = 0;
  const iterates: Iterate[] = [];
  for (let k = 1; k <= 50; k++) {
    const steps = minimiseInner(xy, lambda, rho);
    const g = constraint(xy[0], xy[1]);
    lambda -= rho * g; // multiplier update: the minimiser satisfies ∇f = (λ − ρg)∇g
    const it = { k, x: xy[0], y: xy[1], lambda, g, steps };
    iterates.push(it);
    log?.(it);
    if (Math.abs(g) < tol) break;
  }
  return { x: xy[0], y: xy[1], lambda, iterates };
}

export async function main(): Promise<void> {
  console.log('minimise f(x, y) = (x − 2)² + (y − 1)²  subject to  g(x, y) = x² + y² − 1 = 0');
  console.log('method of multipliers, ρ = 10:');
  const sol = solve(10, 1e-12, (it) =>
    console.log(
      `  k = ${String(it.k).padStart(2)}  x = ${it.x.toFixed(10)}  y = ${it.y.toFixed(10)}  λ = ${it.lambda.toFixed(10)}  g = ${it.g.toExponential(2)}  (${it.steps} inner steps)`,
    ),
  );
  console.log(`solution:  x = ${sol.x.toFixed(10)}, y = ${sol.y.toFixed(10)}, λ = ${sol.lambda.toFixed(10)}, f = ${objective(sol.x, sol.y).toFixed(10)}`);
  console.log(`analytic:  x = ${ANALYTIC.x.toFixed(10)}, y = ${ANALYTIC.y.toFixed(10)}, λ = ${ANALYTIC.lambda.toFixed(10)}, f = ${ANALYTIC.f.toFixed(10)}`);
  // ∇_{x,y,λ} 𝓛 = (∇f − λ∇g, −g) must vanish at the solution.
  const { grad } = lagrangianGrad(sol.x, sol.y, sol.lambda);
  console.log(`∇𝓛 at the solution: ∂x = ${grad.x.toExponential(2)}, ∂y = ${grad.y.toExponential(2)}, ∂λ = ${grad.lambda.toExponential(2)}`);

  // The constraint circle, the iterates approaching it, and the segment from (2, 1) to x*.
  const t = linspace(0, 2 * Math.PI, 200);
  const path = await writePlot(
    outPath(import.meta.url, 'iterates.svg'),
    fitPlotSpec({
      title: 'Method of multipliers: closest point of the unit circle to (2, 1)',
      // equal units on both axes, so the circle looks round
      width: 400,
      height: 300,
      xDomain: [-1.5, 2.5],
      yDomain: [-1.5, 1.5],
      data: { x: [0, ...sol.iterates.map((it) => it.x)], y: [0, ...sol.iterates.map((it) => it.y)], name: 'iterates (x, y)' },
      curves: [
        { name: 'constraint x² + y² = 1', x: t.map(Math.cos), y: t.map(Math.sin), dash: [6, 4] },
        { name: '(2, 1) → analytic optimum', x: [2, ANALYTIC.x], y: [1, ANALYTIC.y] },
      ],
    }),
  );
  console.log(`plot: ${path}`);
}

if (isMain(import.meta.url)) await main();
