/**
 * GPU lowering (SPEC §6): for a `@gpu` function, find the parallel loops of the primal and of
 * its gradient — maps `out[i] = g(…)` and sum reductions `s += g(…)` over an index — and emit
 * `createFGpu(gpu)` returning async `f` and `fGrad` whose loops run as gpu.js kernels.
 *
 * Input: the normalised FunctionIR and its activity. Output: target functions and module
 * declarations to add to the generated file, the imports they need, and diagnostics (warnings)
 * for loops that cannot be lowered (the CPU derivatives are generated regardless).
 *
 * Not implemented yet: returns nothing and a warning.
 */
import type { Activity } from '../analyze/activity.ts';
import type { DiagnosticBag } from '../diagnostics/diagnostic.ts';
import type { Namer } from '../ir/namer.ts';
import type { Expr, FunctionIR } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';

export interface GpuLowering {
  functions: TargetFunction[];
  globals: { name: string; type: string; init: Expr; mutable: boolean }[];
  imports: { from: string; names: string[] }[];
  /** constant TypeScript text to include once per file (kernel sources, helpers) */
  prelude: string[];
}

export interface GpuContext {
  bag: DiagnosticBag;
  namer: Namer;
  activity: Activity;
}

export function lowerGpu(fn: FunctionIR, ctx: GpuContext): GpuLowering {
  void fn;
  void ctx;
  return { functions: [], globals: [], imports: [], prelude: [] };
}
