/**
 * The host side of a `@gpu` function: everything outside its lowered loops, in float64.
 *
 * Each lowered loop becomes a call to a synthetic function `_fLoopK` whose primal runs the value
 * kernel and sums its rows, and whose reverse-mode kernel `__fLoopKVjp` runs the gradient kernel
 * and sums its rows into the adjoints; the rest of the function is differentiated by the
 * ordinary reverse mode (reverse/), which sees those calls as calls to any other differentiated
 * function (joint mode: the primal in the forward sweep, the vjp in the adjoint sweep). So code
 * around the loops — and loops that stay on the CPU — get exactly the CPU derivative code.
 *
 * A sum `s += g(i)` with nothing else becomes `const _t = _fLoopK(…); s = s + _t`; other loops
 * write their mapped arrays and, for their sums, a small array `_sums` (`s = s + _sums[j]`).
 * Every synthetic call takes the kernel cache `_gpu` first, then the loop bounds and the outer
 * values the body reads. Arrays whose adjoint the loop never touches are passed through
 * `stopGradient`, so the adjoint sweep allocates no adjoint array for them.
 */
import * as b from '../ir/builders.ts';
import type { Namer } from '../ir/namer.ts';
import { isArrayType, type Expr, type FunctionIR, type Param, type Stmt, type VarType } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { analyzeActivity, type Activity, type WriteMap } from '../analyze/activity.ts';
import { names } from '../analyze/names.ts';
import { gradTypeText, primalExpr, primalStmts, returnTypeText, tsType } from '../analyze/shared.ts';
import { reversePublic } from '../reverse/index.ts';
import type { LoopKernels, Row } from './kernel.ts';
import type { LoopPlan } from './plan.ts';

/** A loop with its kernels and the name of its synthetic function. */
export interface LoweredLoop {
  plan: LoopPlan;
  kernels: LoopKernels;
  /** `_fLoopK`: its primal is `__fLoopK`, its reverse kernel `__fLoopKVjp` */
  name: string;
  /** a single sum and no map: the call returns the sum */
  single: boolean;
}

export interface Host {
  functions: TargetFunction[];
  globals: { name: string; type: string; init: Expr; mutable: boolean }[];
  runtime: Set<string>;
  usesTape: ReturnType<typeof reversePublic>['usesTape'];
}

const KERNELS = '_gpu';
const KERNELS_TYPE = 'GpuKernels';

/**
 * Runtime helpers called where the user's parameters are in scope are imported under adgen's own
 * `_` names (`sumRow as _sumRow`), so a parameter called `sumRow` cannot hide them.
 */
export const SCOPED_RUNTIME = new Set(['sumRow', 'storeRow', 'addRow', 'addRowSums']);
const runtimeLocal = (name: string): string => `_${name}`;
const bar = names.adjointOf;

/** Host function and parameter names a loop's call passes, with how each is passed. */
interface CallParam {
  name: string;
  type: VarType;
  /** written by the call (a mapped array or `_sums`) */
  written: boolean;
  /** passed as a plain array variable (reverse mode pairs it with its adjoint array) */
  paired: boolean;
  arg: Expr;
}

export function buildHost(fn: FunctionIR, loops: LoweredLoop[], namer: Namer, opts: { writes: WriteMap; callees: Map<string, FunctionIR> }): Host {
  const runtime = new Set<string>();
  const functions: TargetFunction[] = [];
  const globals: Host['globals'] = [];
  const locals = new Map(fn.locals);
  locals.set(KERNELS, 'boolean');
  const writes: WriteMap = new Map(opts.writes);
  const callees = new Map(opts.callees);
  const replacement = new Map<Stmt, Stmt[]>();
  const writtenArrays = arraysWritten(fn, opts.writes);

  for (const l of loops) {
    const { plan, kernels } = l;
    const params: CallParam[] = [];
    const pre: Stmt[] = [];
    let sums: string | null = null;
    if (!l.single && plan.accumulators.length > 0) {
      sums = namer.fresh('_sums');
      locals.set(sums, 'Float64Array');
      pre.push(b.decl(sums, 'Float64Array', { k: 'alloc', ctor: 'Float64Array', len: b.num(plan.accumulators.length) }, false, plan.loop.loc));
      params.push({ name: '_sums', type: 'Float64Array', written: true, paired: true, arg: b.v(sums) });
    }
    for (const o of plan.maps) params.push({ name: o, type: fn.locals.get(o)!, written: true, paired: true, arg: b.v(o) });
    params.push({ name: '_start', type: 'number', written: false, paired: false, arg: { k: 'stop', e: primalExpr(plan.start) } });
    params.push({ name: '_end', type: 'number', written: false, paired: false, arg: { k: 'stop', e: primalExpr(plan.end) } });
    for (const u of plan.scalars) params.push({ name: u, type: fn.locals.get(u)!, written: false, paired: false, arg: b.v(u) });
    const touched = new Set(kernels.rows.filter((r): r is Exclude<Row, { kind: 'scalar' }> => r.kind !== 'scalar').map((r) => r.arr));
    for (const a of plan.arrays) {
      // an array the loop's adjoint never touches needs no adjoint array, unless it is written
      // somewhere (then reverse mode must see it, to save its contents around the call)
      const paired = touched.has(a) || writtenArrays.has(a);
      params.push({ name: a, type: fn.locals.get(a)!, written: false, paired, arg: paired ? b.v(a) : { k: 'stop', e: b.v(a) } });
    }
    const callee: FunctionIR = {
      ...fn,
      name: l.name,
      params: [{ name: KERNELS, type: 'boolean', active: false, out: false }, ...params.map((p): Param => ({ name: p.name, type: p.type, active: false, out: false }))],
      returns: l.single ? { kind: 'number' } : { kind: 'void' },
      locals: new Map(params.map((p) => [p.name, p.type])),
      body: [],
      exported: false,
      tagged: false,
      gpu: false,
      callees: [],
      importFrom: new Map(),
    };
    callees.set(l.name, callee);
    writes.set(l.name, new Set(params.flatMap((p, k) => (p.written ? [k + 1] : []))));
    const call: Expr = { k: 'call', fn: l.name, args: [b.v(KERNELS), ...params.map((p) => p.arg)] };
    const loc = plan.loop.loc;
    if (l.single) {
      const t = namer.fresh('_t');
      locals.set(t, 'number');
      const s = plan.accumulators[0]!;
      replacement.set(plan.loop, [b.decl(t, 'number', call, false, loc), b.assign(s, b.add(b.v(s), b.v(t)), '=', loc)]);
    } else {
      replacement.set(plan.loop, [
        ...pre,
        { k: 'expr', e: call, ...(loc ? { loc } : {}) },
        ...plan.accumulators.map((s, j) => b.assign(s, b.add(b.v(s), b.idx(sums!, b.num(j))), '=', loc)),
      ]);
    }
    functions.push(...loopFunctions(fn, l, params, runtime, globals));
    functions.push(kernels.value);
    if (kernels.grad) functions.push(kernels.grad);
  }

  // the host program: the function with its lowered loops replaced by the calls
  const hostName = `_${fn.name}Gpu`;
  const host: FunctionIR = {
    ...fn,
    name: hostName,
    params: [{ name: KERNELS, type: 'boolean', active: false, out: false }, ...fn.params.map((p) => ({ ...p }))],
    locals,
    body: replaceLoops(fn.body, replacement),
  };
  const publicInputs = new Set(fn.params.filter((p) => p.active).map((p) => p.name));
  const act: Activity = analyzeActivity(host, publicInputs, writes);
  const vjp = reversePublic(host, act, namer.fork(), { writes, callees });
  const { usesTape, ...vjpFn } = vjp;
  const typed = (params: { name: string; type: string }[]) => params.map((p) => (p.name === KERNELS ? { name: KERNELS, type: KERNELS_TYPE } : p));
  const hostFunctions: TargetFunction[] = [
    {
      name: hostName,
      exported: false,
      doc: `\`${fn.name}\` (${fn.fileBase}:${fn.line}) with its parallel loops run by the gpu.js kernels in \`${KERNELS}\`.`,
      params: typed(host.params.map((p) => ({ name: p.name, type: tsType(p.type) }))),
      returnType: fn.returns.kind === 'number' ? 'number' : fn.returns.kind === 'void' ? 'void' : returnTypeText(fn),
      body: primalStmts(host.body),
    },
    {
      ...vjpFn,
      exported: false,
      doc: `Reverse mode of \`${fn.name}\` (${fn.fileBase}:${fn.line}) with its parallel loops and their adjoints run by the gpu.js kernels in \`${KERNELS}\`: the value and \`cotangentᵀ·J\` for each active input.`,
      params: typed(vjpFn.params),
    },
  ];
  const factory: [string, Expr][] = [[fn.name, b.xcall('bindKernels', b.v(hostName), b.v(KERNELS))]];
  if (fn.returns.kind === 'number') {
    const gradName = `${hostName}Grad`;
    const gradType = gradTypeText(fn);
    hostFunctions.push({
      name: gradName,
      exported: false,
      doc: `Gradient of \`${fn.name}\` (${fn.fileBase}:${fn.line}) by reverse mode, its parallel loops run as gpu.js kernels.`,
      params: typed(host.params.map((p) => ({ name: p.name, type: tsType(p.type) }))),
      returnType: `{ value: number; grad: ${gradType} }`,
      body: [{ k: 'return', e: b.xcall(vjpFn.name, ...host.params.map((p) => b.v(p.name)), b.ONE) }],
    });
    factory.push([names.grad(fn.name), b.xcall('bindKernels', b.v(gradName), b.v(KERNELS))]);
  }
  factory.push([names.vjp(fn.name), b.xcall('bindKernels', b.v(vjpFn.name), b.v(KERNELS))]);
  const exported = factory.map(([k]) => `\`${k}\``);
  factory.push(['kernels', b.v(KERNELS)], ['destroy', { k: 'lambda', params: [], body: b.xcall(`${KERNELS}.destroy`) }]);
  hostFunctions.push({
    name: names.gpuFactory(fn.name),
    exported: true,
    doc: `GPU versions of \`${fn.name}\` (${fn.fileBase}:${fn.line}) for a gpu.js \`GPU\` instance: async ${exported.join(', ')} whose parallel loops run as gpu.js kernels in single precision (sums added in float64 on the host), and \`destroy()\` to release the kernels. Kernels are compiled on first use and reused.`,
    params: [{ name: 'gpu', type: 'GPU' }],
    returnType: null,
    body: [b.decl(KERNELS, 'number', b.xcall('createKernels', b.v('gpu')), false), { k: 'return', e: { k: 'obj', props: factory } }],
  });
  runtime.add('createKernels').add('bindKernels').add(KERNELS_TYPE);
  return { functions: [...functions, ...hostFunctions], globals, runtime, usesTape };
}

/** The primal `__fLoopK` and the reverse kernel `__fLoopKVjp` of a lowered loop. */
function loopFunctions(fn: FunctionIR, l: LoweredLoop, params: CallParam[], runtime: Set<string>, globals: Host['globals']): TargetFunction[] {
  const { plan, kernels } = l;
  const line = plan.loop.loc?.line ?? fn.line;
  const n = '_n';
  const count = b.decl(n, 'number', b.math('ceil', b.sub(b.v('_end'), b.v('_start'))), false);
  const kernelArgs = (ps: LoopKernels['valueParams']): Expr => ({ k: 'arr', elems: ps.map((p) => p.host) });
  const typed = (p: CallParam) => ({ name: p.name, type: tsType(p.type) });

  // primal: the value kernel, its rows stored or summed
  const primal: Stmt[] = [count];
  const outputs = [...plan.maps, ...plan.accumulators];
  if (l.single) {
    runtime.add('sumRow');
    primal.push(b.ifs(b.op('<=', b.v(n), b.ZERO), [{ k: 'return', e: b.ZERO }]));
    primal.push({ k: 'return', e: b.xcall(runtimeLocal('sumRow'), b.xcall(`${KERNELS}.run`, b.v(kernels.value.name), b.v(n), kernelArgs(kernels.valueParams))) });
  } else {
    primal.push(b.ifs(b.op('<=', b.v(n), b.ZERO), [{ k: 'return', e: null }]));
    const rows = kernels.outputs === 1 ? null : '_rows';
    if (rows) primal.push(b.decl(rows, 'number', b.xcall(`${KERNELS}.runRows`, b.v(kernels.value.name), b.v(n), b.num(kernels.outputs), kernelArgs(kernels.valueParams)), false));
    const row = (r: number): Expr => (rows ? b.idx(rows, b.num(r)) : b.xcall(`${KERNELS}.run`, b.v(kernels.value.name), b.v(n), kernelArgs(kernels.valueParams)));
    outputs.forEach((o, r) => {
      if (r < plan.maps.length) {
        runtime.add('storeRow');
        primal.push(b.exprStmt(b.xcall(runtimeLocal('storeRow'), b.v(o), row(r), b.v('_start'))));
      } else {
        runtime.add('sumRow');
        primal.push(b.store('_sums', b.num(r - plan.maps.length), b.xcall(runtimeLocal('sumRow'), row(r))));
      }
    });
  }

  // reverse kernel: the gradient kernel, its rows summed into the adjoints
  const barName = names.vjpKernelBar(l.name);
  const numbers = params.filter((p) => p.type === 'number');
  globals.push({ name: barName, type: 'Float64Array', init: { k: 'alloc', ctor: 'Float64Array', len: b.num(numbers.length) }, mutable: false });
  const vjp: Stmt[] = [b.exprStmt(b.xcall(`${barName}.fill`, b.ZERO)), count, b.ifs(b.op('<=', b.v(n), b.ZERO), [{ k: 'return', e: null }])];
  if (kernels.grad) {
    const gathered = kernels.rows.filter((r): r is Extract<Row, { kind: 'gather' }> => r.kind === 'gather');
    let total: Expr = b.num(kernels.fixedRows);
    for (const g of gathered) total = b.add(total, b.len(g.arr));
    vjp.push(b.decl('_rows', 'number', b.xcall(`${KERNELS}.runRows`, b.v(kernels.grad.name), b.v(n), total, kernelArgs(kernels.gradParams)), false));
    let first: Expr = b.num(kernels.fixedRows);
    kernels.rows.forEach((r, k) => {
      const row = b.idx('_rows', b.num(k));
      if (r.kind === 'scalar') {
        runtime.add('sumRow');
        vjp.push(b.store(barName, b.num(numbers.findIndex((p) => p.name === r.name)), b.xcall(runtimeLocal('sumRow'), row)));
      } else if (r.kind === 'shift') {
        runtime.add('addRow');
        vjp.push(b.exprStmt(b.xcall(runtimeLocal('addRow'), b.v(bar(r.arr)), row, b.add(b.v('_start'), b.num(r.shift)))));
      } else {
        runtime.add('addRowSums');
        vjp.push(b.exprStmt(b.xcall(runtimeLocal('addRowSums'), b.v(bar(r.arr)), b.v('_rows'), first)));
        first = b.add(first, b.len(r.arr));
      }
    });
  }
  // the adjoints of what the loop wrote are consumed
  for (const p of params.filter((q) => q.written)) vjp.push(b.exprStmt(b.xcall(`${bar(p.name)}.fill`, b.ZERO, ...(p.name === '_sums' ? [] : [b.v('_start'), b.add(b.v('_start'), b.v(n))]))));

  const vjpParams: { name: string; type: string }[] = [{ name: KERNELS, type: KERNELS_TYPE }];
  for (const p of params) {
    vjpParams.push(typed(p));
    if (p.paired) vjpParams.push({ name: bar(p.name), type: 'Float64Array' });
  }
  if (l.single) vjpParams.push({ name: '_seed', type: 'number' });
  const where = `the loop at ${fn.fileBase}:${line}`;
  return [
    {
      name: names.primal(l.name),
      exported: false,
      doc: `Runs ${where} as the gpu.js kernel \`${kernels.value.name}\`: ${l.single ? `returns the sum of its terms of \`${plan.accumulators[0]}\`, added in float64` : `stores ${[...plan.maps.map((o) => `\`${o}\``), ...(plan.accumulators.length > 0 ? ['the sums of its terms in `_sums`'] : [])].join(' and ')}`}.`,
      params: [{ name: KERNELS, type: KERNELS_TYPE }, ...params.map(typed)],
      returnType: l.single ? 'number' : 'void',
      body: primal,
    },
    {
      name: names.vjpKernel(l.name),
      exported: false,
      doc: `Adjoint of ${where} by the gpu.js kernel \`${kernels.grad?.name ?? '(none: nothing to differentiate)'}\`: adds its partial derivatives, summed over iterations in float64, into the adjoint arrays and \`${barName}\`.`,
      params: vjpParams,
      returnType: 'void',
      body: vjp,
    },
  ];
}

function replaceLoops(stmts: Stmt[], replacement: Map<Stmt, Stmt[]>): Stmt[] {
  return stmts.flatMap((s): Stmt[] => {
    const r = replacement.get(s);
    if (r) return r;
    if (s.k === 'if') return [{ ...s, then: replaceLoops(s.then, replacement), else: replaceLoops(s.else, replacement) }];
    if (s.k === 'block') return [{ ...s, body: replaceLoops(s.body, replacement) }];
    return [s];
  });
}


/** Arrays the function writes: stored into, or passed to a callee that writes them. */
function arraysWritten(fn: FunctionIR, writes: WriteMap): Set<string> {
  const out = new Set<string>();
  const visit = (stmts: Stmt[]) => {
    for (const s of stmts) {
      if (s.k === 'store') out.add(s.arr);
      else if (s.k === 'expr' || s.k === 'decl' || s.k === 'assign') {
        const e = s.k === 'decl' ? s.init : s.e;
        if (e?.k === 'call') {
          const w = writes.get(e.fn);
          e.args.forEach((a, i) => { if (a.k === 'var' && isArrayType(fn.locals.get(a.name) ?? 'number') && (!w || w.has(i))) out.add(a.name); });
        }
      } else if (s.k === 'if') { visit(s.then); visit(s.else); }
      else if (s.k === 'loop') { visit(s.init); visit(s.body); visit(s.update); }
      else if (s.k === 'block') visit(s.body);
    }
  };
  visit(fn.body);
  return out;
}
