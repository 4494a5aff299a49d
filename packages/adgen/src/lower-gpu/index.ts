/**
 * GPU lowering (SPEC §6): for a `@gpu` function `f`, run its parallel loops — maps
 * `out[i] = g(…)` and sum reductions `s += g(…)` over an index — as gpu.js kernels, and emit
 * `createFGpu(gpu)` returning async `f`, `fGrad` (scalar `f`) and `fVjp` that use them.
 *
 * Input: the normalised FunctionIR, its activity, and the write map and callees reverse mode
 * uses. Output: target functions and module declarations to add to the generated file, the
 * runtime imports they need, and warnings (AD4xxx) for loops that stay on the CPU.
 *
 * Phases, each in its own module:
 *  1. plan.ts   — which outermost loops are kernels, and what each reads and writes;
 *  2. kernel.ts — per loop, a value kernel and a gradient kernel (the iteration's adjoint, from
 *                 `RULES[op].vjp`, one partial derivative per output row), with `rule.gpu` spellings;
 *  3. host.ts   — the rest of the function in float64: each loop becomes a call whose primal and
 *                 reverse kernel run those kernels and sum their rows on the host (pairwise, in
 *                 float64), and reverse/ differentiates the host program like any other.
 * What a model's loops become, e.g. a two-layer network's batch loss written as a per-sample
 * loop with inner loops over hidden units and inputs: the per-sample loop is one kernel (its inner
 * loops run inside each thread); the gradient of the shared weights is a gather — output z of
 * thread i is ∂loss_i/∂W[z], summed over samples on the host — so it costs n × (number of
 * weights) threads, each recomputing its sample. Lowering layers as separate maps would need the
 * same gather for the first layer's weights, so the per-sample loop is the unit.
 * Invariants: kernels are plain `function (…) { … this.thread.x … }` bodies with no closures or
 * calls, only operations whose rule has a gpu spelling; the host program computes what `f`
 * computes, so `createFGpu(gpu)` agrees with `f`/`fGrad` to single precision.
 * Refuses (warnings, the CPU derivatives are generated regardless): loops that are not counting
 * loops, loop-carried values, indirect or conditional writes, calls, operations without a gpu
 * spelling, jumps, and locals the kernel's adjoint could not recompute (plan.ts says which).
 */
import type { Activity, WriteMap } from '../analyze/activity.ts';
import type { DiagnosticBag } from '../diagnostics/diagnostic.ts';
import type { Namer } from '../ir/namer.ts';
import type { Expr, FunctionIR } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import * as b from '../ir/builders.ts';
import { names } from '../analyze/names.ts';
import type { reversePublic } from '../reverse/index.ts';
import { buildHost, SCOPED_RUNTIME, type LoweredLoop } from './host.ts';
import { buildKernels } from './kernel.ts';
import { isRefusal, outermostLoops, planLoop, type Refusal } from './plan.ts';

export interface GpuLowering {
  functions: TargetFunction[];
  globals: { name: string; type: string; init: Expr; mutable: boolean }[];
  imports: { from: string; names: string[] }[];
  /** constant TypeScript text to include once per file (kernel sources, helpers) */
  prelude: string[];
  /** which of reverse mode's helpers (tapes, array copies; emit/prelude.ts) the host code uses */
  usesTape: ReturnType<typeof reversePublic>['usesTape'];
}

export interface GpuContext {
  bag: DiagnosticBag;
  namer: Namer;
  activity: Activity;
  /** which parameters each user function writes (reverse mode's write map) */
  writes?: WriteMap;
  /** the user functions f calls, lowered */
  callees?: Map<string, FunctionIR>;
}

/** The types generated GPU code names: gpu.js's, imported for type checking only. */
export const GPU_TYPES = "import type { GPU, IKernelFunctionThis } from 'gpu.js';\n";

export function lowerGpu(fn: FunctionIR, ctx: GpuContext): GpuLowering {
  const warn = (loc: { line: number; column: number } | undefined, r: Refusal) =>
    ctx.bag.add(r.code, { file: fn.file, line: loc?.line ?? fn.line, column: loc?.column ?? 1 }, fn.name, ...r.args);
  const loops: LoweredLoop[] = [];
  const candidates = outermostLoops(fn.body);
  if (candidates.length === 0) ctx.bag.add('AD4008', { file: fn.file, line: fn.line, column: 1 }, fn.name, names.gpuFactory(fn.name));
  candidates.forEach((loop, k) => {
    const plan = planLoop(loop, fn, ctx.namer);
    if (isRefusal(plan)) return warn(loop.loc, plan);
    if (plan.accumulators.length === 0 && plan.maps.length === 0) return warn(loop.loc, { code: 'AD4007', args: ['it neither sums into an outer variable nor stores into an outer array'] });
    const name = `_${fn.name}Loop${k}`;
    const single = plan.accumulators.length === 1 && plan.maps.length === 0;
    // the gradient kernel's seeds: s̄ of each active accumulator, ō of each active mapped array
    const accumulators = new Map<string, Expr>();
    plan.accumulators.forEach((s, j) => {
      if (ctx.activity.active.has(s)) accumulators.set(s, single ? b.v('_seed') : b.idx(names.adjointOf('_sums'), b.num(j)));
    });
    const maps = plan.maps.filter((o) => ctx.activity.active.has(o));
    const kernels = buildKernels(plan, fn, ctx.activity, ctx.namer.fork(), (kind) => `${name}${kind}`, { accumulators, maps });
    if (kernels.unsupported) return warn(loop.loc, { code: 'AD4005', args: [kernels.unsupported, ' (in the derivative)'] });
    loops.push({ plan, kernels, name, single });
  });
  const host = buildHost(fn, loops, ctx.namer, { writes: ctx.writes ?? new Map(), callees: ctx.callees ?? new Map() });
  return {
    functions: host.functions,
    globals: host.globals,
    imports: [{ from: '@adgen/runtime', names: [...host.runtime].sort().map((n) => (SCOPED_RUNTIME.has(n) ? `${n} as _${n}` : n)) }],
    prelude: [GPU_TYPES],
    usesTape: host.usesTape,
  };
}
