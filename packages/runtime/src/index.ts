/**
 * adgen runtime. Generated derivative code does not depend on this package, except the GPU code of
 * `@gpu` functions (kernel cache and float64 sums, gpu.ts); user models import `stopGradient`
 * from it, and examples use its optimizers, random numbers and helpers. Plots (vega-lite) are a
 * module of their own, `@adgen/runtime/plot`, so code that never plots never loads their types.
 */

/** Where `adgen check` puts its version while finite differences run (adgen's check/stop-gradient.ts). */
const CHECK_HOOK = '__adgenCheckStopGradient';

/**
 * Identity at run time; a constant to the differentiator (PyTorch `detach()`, JAX `stop_gradient`).
 * Typed `number` → `number` (not generic): `let m = stopGradient(0.5)` is a number the code may
 * assign again, not the literal type 0.5.
 */
export function stopGradient(x: number): number {
  const hook = (globalThis as { [CHECK_HOOK]?: (x: number) => number })[CHECK_HOOK];
  return hook === undefined ? x : hook(x);
}

export { SGD, Adam, type Optimizer, type SGDOptions, type AdamOptions } from './optim.ts';
export { Rng, mulberry32 } from './random.ts';
export {
  flatten,
  linspace,
  arange,
  basis,
  dot,
  norm,
  mean,
  maxAbsDiff,
  allClose,
  forwardDifference,
  centralDifference,
  formatG,
  formatTensor,
  isMain,
} from './helpers.ts';
export {
  GpuKernels,
  createKernels,
  bindKernels,
  sumRow,
  storeRow,
  addRow,
  addRowSums,
  type GpuLike,
  type KernelArg,
  type KernelRow,
} from './gpu.ts';
