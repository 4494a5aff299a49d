/**
 * Kernel functions for a planned loop: plain `function (…) { … this.thread.x … }` bodies that
 * gpu.js compiles, one thread per iteration, built from the loop's IR. Iteration i − start is
 * thread x + width·y of a plane (`this.output.x` wide; runtime gpu.ts picks the width), and
 * `this.thread.z` numbers the outputs when an iteration has several.
 *
 *  - The *value kernel* runs the iteration and returns what it contributes: the value stored into
 *    each mapped array and the term added to each accumulator.
 *  - The *gradient kernel* runs the iteration, then its adjoint with the seeds the host passes in
 *    (s̄ for a sum, out̄[i] for a map), reading only `RULES[op].vjp`. Output z of a thread is one
 *    partial derivative of its iteration: one per outer number the iteration reads; one per array
 *    read at i + c (the adjoint of element i + c, added on the host); and, for an array read at
 *    any other index (a shared weight), one per element: each thread adds only the terms whose
 *    index is its element (gather, no scatter), and the host sums over iterations.
 *    Values are never taped: inner loops are summed again in the adjoint (their iterations are
 *    independent), and every local keeps one value once read (plan.ts), so any value the adjoint
 *    needs is recomputed or still in place.
 *
 * Operations are written with their rule's `gpu` spelling; an operation without one, in the loop
 * or in its derivative, makes the loop stay on the CPU (`unsupported`).
 */
import * as b from '../ir/builders.ts';
import type { Namer } from '../ir/namer.ts';
import { isArrayType, type Expr, type FunctionIR, type Stmt, type VarType } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { diffVars, type Activity } from '../analyze/activity.ts';
import { isAtom, operandAdjoints, type Lin, provenance, tsType, usesOf } from '../analyze/shared.ts';
import { names } from '../analyze/names.ts';
import { BOOLEAN_OPS, ruleFor } from '../rules/index.ts';
import { accumulation, declareOnce, type LoopPlan, type LoopStmt } from './plan.ts';

const bar = names.adjointOf;
const THREAD_X = b.ext('this.thread.x');
const THREAD_Y = b.ext('this.thread.y');
const THREAD_Z = b.ext('this.thread.z');
const OUTPUT_X = b.ext('this.output.x');
/** iteration i − start of a thread: outputs are planes of width `this.output.x`, so that GL textures stay within their size limit */
const ITERATION = b.add(THREAD_X, b.mul(OUTPUT_X, THREAD_Y));

/** One row of the gradient kernel's output. */
export type Row =
  | { kind: 'scalar'; name: string }
  | { kind: 'shift'; arr: string; shift: number }
  | { kind: 'gather'; arr: string };

/** A kernel parameter and the expression the host passes for it. */
export interface KernelParam {
  name: string;
  type: string;
  host: Expr;
}

/** Where the gradient kernel's seeds come from on the host. */
export interface Seeds {
  /** accumulator → host expression of its adjoint */
  accumulators: Map<string, Expr>;
  /** mapped arrays whose adjoint array the host passes */
  maps: string[];
}

export interface LoopKernels {
  value: TargetFunction;
  valueParams: KernelParam[];
  /** value kernel outputs: the mapped arrays, then the accumulators (rows when more than one) */
  outputs: number;
  grad: TargetFunction | null;
  gradParams: KernelParam[];
  rows: Row[];
  /** rows before the first gathered array */
  fixedRows: number;
  /** an operation without a gpu.js spelling, if the kernels need one */
  unsupported: string | null;
}


const lengthName = (a: string) => `_${a}_length`;
const zeroOf = (t: VarType): Expr => (t === 'boolean' ? { k: 'bool', v: false } : b.ZERO);

/** Builds the value and gradient kernels of one loop. */
export function buildKernels(plan: LoopPlan, fn: FunctionIR, act: Activity, namer: Namer, kernelName: (kind: 'Value' | 'Grad') => string, seeds: Seeds): LoopKernels {
  return new KernelBuilder(plan, fn, act, namer, seeds).build(kernelName);
}

class KernelBuilder {
  private readonly localTypes = new Map<string, VarType>();
  private readonly lins = new Map<Stmt, Lin>();
  private readonly lengths = new Set<string>();
  private unsupported: string | null = null;
  private readonly namer: Namer;

  constructor(
    private readonly plan: LoopPlan,
    private readonly fn: FunctionIR,
    private readonly act: Activity,
    namer: Namer,
    private readonly seeds: Seeds,
  ) {
    this.namer = namer.fork();
    const collect = (stmts: Stmt[]) => {
      for (const s of stmts) {
        if (s.k === 'decl') this.localTypes.set(s.name, s.type);
        else if (s.k === 'if') { collect(s.then); collect(s.else); }
        else if (s.k === 'loop') { collect(s.init); collect(s.body); }
      }
    };
    collect(plan.body);
    this.localTypes.set(plan.counter, 'number');
  }

  // ---- activity -------------------------------------------------------------------------------

  private activeScalar(v: string): boolean {
    if (this.plan.locals.has(v)) return this.localTypes.get(v) === 'number' && this.act.active.has(this.plan.origin.get(v) ?? v);
    return this.fn.locals.get(v) === 'number' && this.act.active.has(v);
  }

  private activeArray(a: string): boolean {
    return !this.plan.locals.has(a) && isArrayType(this.fn.locals.get(a) ?? 'number') && this.act.active.has(a);
  }

  private activeExpr(e: Expr): boolean {
    return [...diffVars(e)].some((v) => this.activeScalar(v) || this.activeArray(v));
  }

  // ---- expressions ----------------------------------------------------------------------------

  /** A source expression in kernel terms: lengths become parameters, stopGradient vanishes. */
  private kexpr(e: Expr): Expr {
    switch (e.k) {
      case 'idx': return b.idx(e.arr, this.kexpr(e.i));
      case 'len':
        this.lengths.add(e.arr);
        return b.v(lengthName(e.arr));
      case 'op': return { ...e, args: e.args.map((a) => this.kexpr(a)) };
      case 'stop': return this.kexpr(e.e);
      case 'cond': return { ...e, c: this.kexpr(e.c), a: this.kexpr(e.a), b: this.kexpr(e.b) };
      default: return e;
    }
  }

  /** gpu.js spellings: `a ** b` is `Math.pow(a, b)`, `+a` is `a`, `Math.max(a, b, c)` nests. */
  private spell(e: Expr): Expr {
    switch (e.k) {
      case 'idx': return { ...e, i: this.spell(e.i) };
      case 'cond': return { ...e, c: this.spell(e.c), a: this.spell(e.a), b: this.spell(e.b) };
      case 'op': {
        const args = e.args.map((a) => this.spell(a));
        if (BOOLEAN_OPS.has(e.op) || e.op === 'neg') return { ...e, args };
        if (e.op === 'pos') return args[0]!;
        const gpu = ruleFor(e.op)?.gpu ?? null;
        if (!gpu) {
          this.unsupported ??= e.op;
          return { ...e, args };
        }
        if (!gpu.startsWith('Math.')) return { ...e, args };
        if ((gpu === 'Math.max' || gpu === 'Math.min') && args.length > 2) return args.slice(1).reduce((acc, a) => b.op(gpu, acc, a), args[0]!);
        return webglSafe(gpu, args) ?? b.op(gpu, ...args);
      }
      default: return e;
    }
  }

  private spellAll(stmts: Stmt[]): Stmt[] {
    return stmts.map((s): Stmt => {
      switch (s.k) {
        case 'decl': return { ...s, init: s.init && this.spell(s.init) };
        case 'assign': return { ...s, e: this.spell(s.e) };
        case 'store': return { ...s, i: this.spell(s.i), e: this.spell(s.e) };
        case 'if': return { ...s, c: this.spell(s.c), then: this.spellAll(s.then), else: this.spellAll(s.else) };
        case 'loop': return { ...s, init: this.spellAll(s.init), test: s.test && this.spell(s.test), update: this.spellAll(s.update), body: this.spellAll(s.body) };
        case 'return': return { ...s, e: s.e && this.spell(s.e) };
        default: return s;
      }
    });
  }

  // ---- the value kernel -----------------------------------------------------------------------

  /**
   * Straight translation of loop statements. Writes to names outside `scope` go to `outer`
   * (the value kernel turns them into its outputs; the gradient kernel drops them, their values
   * being final already).
   */
  private valueCode(stmts: Stmt[], scope: Set<string>, outer: (s: Extract<Stmt, { k: 'assign' | 'store' }>) => Stmt[]): Stmt[] {
    const out: Stmt[] = [];
    for (const s of stmts) {
      const note = provenance(this.fn, s);
      const code = ((): Stmt[] => {
        switch (s.k) {
          case 'decl': return [b.decl(s.name, s.type, s.init ? this.kexpr(s.init) : zeroOf(s.type), s.mutable)];
          case 'assign': {
            if (!scope.has(s.name)) return outer(s);
            const acc = accumulation(s);
            return [acc ? b.assign(s.name, this.kexpr(acc.term), acc.sign > 0 ? '+=' : '-=') : b.assign(s.name, this.kexpr(s.e))];
          }
          case 'store': return outer(s);
          case 'if': return [b.ifs(this.kexpr(s.c), this.valueCode(s.then, scope, outer), this.valueCode(s.else, scope, outer))];
          case 'loop': return [this.innerLoop(s, this.valueCode(s.body, scope, outer))];
          default: return [];
        }
      })();
      if (code.length > 0 && note) out.push(note);
      out.push(...code);
    }
    return out;
  }

  /** An inner counting loop with a new body (its header as written). */
  private innerLoop(s: LoopStmt, body: Stmt[]): Stmt {
    const c = s.counter!;
    return {
      k: 'loop',
      init: [b.decl(c.name, 'number', this.kexpr(c.start))],
      test: s.test && this.kexpr(s.test),
      update: [b.assign(c.name, b.num(Math.abs(c.step)), c.step > 0 ? '+=' : '-=')],
      body,
      doWhile: false,
    };
  }

  /** `const i = this.thread.x + this.output.x * this.thread.y + start` */
  private indexDecl(params: KernelParam[]): Stmt {
    const start = this.plan.start;
    if (start.k === 'num') return b.decl(this.plan.counter, 'number', b.add(ITERATION, start), false);
    params.push({ name: '_start', type: 'number', host: b.v('_start') });
    return b.decl(this.plan.counter, 'number', b.add(ITERATION, b.v('_start')), false);
  }

  /** The outer values a kernel reads, as parameters (after the ones already in `params`). */
  private inputParams(params: KernelParam[], extraLengths: string[] = []): void {
    for (const u of this.plan.scalars) params.push({ name: u, type: tsType(this.fn.locals.get(u)!), host: b.v(u) });
    for (const a of this.plan.arrays) if (this.lengths.has(a) || extraLengths.includes(a)) params.push({ name: lengthName(a), type: 'number', host: b.len(a) });
    for (const a of extraLengths) if (!this.plan.arrays.includes(a)) params.push({ name: lengthName(a), type: 'number', host: b.len(a) });
    for (const a of this.plan.arrays) params.push({ name: a, type: tsType(this.fn.locals.get(a)!), host: b.v(a) });
  }

  /** `if (this.thread.z === 0) return a; … return z;` */
  private selectRow(values: Expr[]): Stmt[] {
    const out: Stmt[] = [];
    values.forEach((v, r) => {
      if (r < values.length - 1) out.push(b.ifs(b.op('===', THREAD_Z, b.num(r)), [{ k: 'return', e: v }]));
      else out.push({ k: 'return', e: v });
    });
    return out;
  }

  private valueKernel(name: string): { fn: TargetFunction; params: KernelParam[]; outputs: number } {
    const params: KernelParam[] = [];
    const head = this.indexDecl(params);
    const outputs = new Map<string, string>();
    for (const o of this.plan.maps) outputs.set(o, this.namer.fresh('_out'));
    for (const s of this.plan.accumulators) outputs.set(s, this.namer.fresh('_acc'));
    const accDecls = this.plan.accumulators.map((s) => b.decl(outputs.get(s)!, 'number', b.ZERO, true));
    const body = this.valueCode(this.plan.body, this.plan.locals, (s) => {
      if (s.k === 'store') return [b.decl(outputs.get(s.arr)!, 'number', this.kexpr(s.e), false)];
      const acc = accumulation(s)!;
      return [b.assign(outputs.get(s.name)!, this.kexpr(acc.term), acc.sign > 0 ? '+=' : '-=')];
    });
    this.inputParams(params);
    const values = [...outputs.values()].map((v) => b.v(v));
    return {
      fn: this.kernelFunction(name, params, [head, ...accDecls, ...body, ...this.selectRow(values)], this.valueDoc()),
      params,
      outputs: values.length,
    };
  }

  private valueDoc(): string {
    const what = [...this.plan.maps.map((o) => `\`${o}[${this.plan.counter}]\``), ...this.plan.accumulators.map((s) => `the term added to \`${s}\``)];
    const rows = what.length > 1 ? ` (output z = ${what.map((w, r) => `${r}: ${w}`).join(', ')})` : '';
    return `gpu.js kernel of the loop at ${this.fn.fileBase}:${this.plan.loop.loc?.line ?? '?'}: thread (x, y) runs iteration \`${this.plan.counter}\` = x + width·y (+ the first index) and computes ${what.join(' and ')}${rows}.`;
  }

  private kernelFunction(name: string, params: KernelParam[], body: Stmt[], doc: string): TargetFunction {
    return {
      name,
      exported: false,
      doc,
      params: [{ name: 'this', type: 'IKernelFunctionThis' }, ...params.map((p) => ({ name: p.name, type: p.type }))],
      returnType: 'number',
      // the adjoint repeats inner loops (and their declarations) to sum them again
      body: declareOnce(this.spellAll(body), this.namer),
    };
  }

  // ---- linearisation and adjoints -------------------------------------------------------------

  private temp(e: Expr, out: Stmt[], prefix = '_t'): Expr {
    const name = this.namer.fresh(prefix);
    out.push(b.decl(name, 'number', e, false));
    return b.v(name);
  }

  /** Names the values the adjoint of e reads (the operands and results its partials use). */
  private linearize(e: Expr, out: Stmt[], needed: boolean): Lin {
    const keep = (val: Expr) => (needed && !isAtom(val) ? this.temp(val, out) : val);
    switch (e.k) {
      case 'var': return { e, val: e, args: [], active: this.activeScalar(e.name) };
      case 'idx': {
        const index = this.kexpr(e.i);
        return { e, val: keep(b.idx(e.arr, index)), args: [], active: this.activeArray(e.arr), index };
      }
      case 'op': {
        const rule = ruleFor(e.op);
        if (!rule || rule.zero || !this.activeExpr(e)) return { e, val: keep(this.kexpr(e)), args: [], active: false };
        const uses = usesOf(rule, e.args.length, e.args.map((a) => this.activeExpr(a)));
        const args = e.args.map((a, k) => this.linearize(a, out, uses.x[k] ?? false));
        let val: Expr = { k: 'op', op: e.op, args: args.map((a) => a.val) };
        if ((uses.y || needed) && !isAtom(val)) val = this.temp(val, out);
        return { e, val, args, active: true };
      }
      default: return { e, val: keep(this.kexpr(e)), args: [], active: false };
    }
  }

  /** x̄ += ∂·ȳ for every active leaf of a linearised expression; array adjoints go to `a_bar[index]`. */
  private propagate(lin: Lin, seed: Expr, out: Stmt[]): void {
    if (!lin.active || b.isZero(seed)) return;
    switch (lin.e.k) {
      case 'var': out.push(...b.accumulate(bar(lin.e.name), seed)); return;
      case 'idx': out.push(...b.accumulateAt(bar(lin.e.arr), lin.index!, seed)); return;
      case 'op': {
        const parts = operandAdjoints(lin.e.op, lin.args, lin.val, seed);
        lin.args.forEach((arg, k) => {
          if (!arg.active) return;
          let c = parts[k] ?? b.ZERO;
          if (b.isZero(c)) return;
          if (arg.e.k === 'op' && !isAtom(c)) {
            const name = arg.val.k === 'var' && arg.val.name.startsWith('_t') ? bar(arg.val.name) : this.namer.fresh('_b');
            out.push(b.decl(name, 'number', c, false));
            c = b.v(name);
          }
          this.propagate(arg, c, out);
        });
        return;
      }
      default: return;
    }
  }

  /** The adjoint seed of a write to a name outside the current block: an accumulator's s̄, or v̄ of an enclosing block. */
  private outerSeed(name: string): Expr | null {
    if (!this.plan.locals.has(name)) return this.seeds.accumulators.has(name) ? b.v(this.seedName(name)) : null;
    return this.activeScalar(name) ? b.v(bar(name)) : null;
  }

  /**
   * Forward code of a block for the gradient kernel: statements at the block's top level name the
   * values their adjoint reads; declarations inside branches move to the block's top so the
   * adjoint's branches can read them.
   */
  private forward(stmts: Stmt[], scope: Set<string>, inIf: boolean, hoist: Stmt[]): Stmt[] {
    const out: Stmt[] = [];
    for (const s of stmts) {
      const code: Stmt[] = [];
      switch (s.k) {
        case 'decl': {
          const init = s.init ?? zeroOf(s.type);
          if (inIf) {
            hoist.push(b.decl(s.name, s.type, zeroOf(s.type), true));
            code.push(b.assign(s.name, this.kexpr(init)));
          } else if (this.activeScalar(s.name) && this.activeExpr(init)) {
            const lin = this.linearize(init, code, false);
            this.lins.set(s, lin);
            code.push(b.decl(s.name, s.type, lin.val, s.mutable));
          } else code.push(b.decl(s.name, s.type, this.kexpr(init), s.mutable));
          break;
        }
        case 'assign': {
          const acc = accumulation(s);
          if (!scope.has(s.name)) {
            // a sum into an accumulator or an enclosing block's local: only its adjoint is needed here
            if (!inIf && acc && this.outerSeed(s.name) && this.activeExpr(acc.term)) this.lins.set(s, this.linearize(acc.term, code, false));
            break;
          }
          const term = acc ? acc.term : s.e;
          const write = (val: Expr) => code.push(acc ? b.assign(s.name, val, acc.sign > 0 ? '+=' : '-=') : b.assign(s.name, val));
          if (!inIf && this.activeScalar(s.name) && this.activeExpr(term)) {
            const lin = this.linearize(term, code, false);
            this.lins.set(s, lin);
            write(lin.val);
          } else write(this.kexpr(term));
          break;
        }
        case 'store':
          if (this.seeds.maps.includes(s.arr) && this.activeExpr(s.e)) this.lins.set(s, this.linearize(s.e, code, false));
          break;
        case 'if':
          code.push(b.ifs(this.kexpr(s.c), this.forward(s.then, scope, true, hoist), this.forward(s.else, scope, true, hoist)));
          break;
        case 'loop':
          code.push(this.innerLoop(s, this.valueCode(s.body, scope, () => [])));
          break;
        default: break;
      }
      const note = provenance(this.fn, s);
      if (code.length > 0 && note) out.push(note);
      out.push(...code);
    }
    return out;
  }

  /** The adjoint of a block's statements, last statement first. */
  private adjoint(stmts: Stmt[], scope: Set<string>): Stmt[] {
    const out: Stmt[] = [];
    for (const s of [...stmts].reverse()) {
      const code = this.adjointOf(s, scope);
      if (code.every((c) => c.k === 'comment')) continue;
      const note = provenance(this.fn, s, 'adjoint of ');
      if (note) out.push(note);
      out.push(...code);
    }
    return out;
  }

  private adjointOf(s: Stmt, scope: Set<string>): Stmt[] {
    const out: Stmt[] = [];
    const lin = (e: Expr) => this.lins.get(s) ?? this.linearize(e, out, false);
    switch (s.k) {
      case 'decl': {
        const init = s.init ?? zeroOf(s.type);
        if (this.activeScalar(s.name) && this.activeExpr(init)) this.propagate(lin(init), b.v(bar(s.name)), out);
        break;
      }
      case 'assign': {
        const acc = accumulation(s);
        if (!scope.has(s.name)) {
          const seed = this.outerSeed(s.name);
          if (seed && acc && this.activeExpr(acc.term)) this.propagate(lin(acc.term), acc.sign > 0 ? seed : b.neg(seed), out);
          break;
        }
        if (!this.activeScalar(s.name)) break;
        const v = b.v(bar(s.name));
        if (acc) {
          if (this.activeExpr(acc.term)) this.propagate(lin(acc.term), acc.sign > 0 ? v : b.neg(v), out);
          break;
        }
        // v = e overwrites v: its adjoint so far goes to e, and v̄ starts again from zero
        if (!this.activeExpr(s.e)) {
          out.push(b.assign(bar(s.name), b.ZERO));
          break;
        }
        const saved = this.namer.fresh('_b');
        const l = lin(s.e);
        out.push(b.decl(saved, 'number', v, false), b.assign(bar(s.name), b.ZERO));
        this.propagate(l, b.v(saved), out);
        break;
      }
      case 'store':
        if (this.seeds.maps.includes(s.arr) && this.activeExpr(s.e)) this.propagate(lin(s.e), b.idx(bar(s.arr), b.v(this.plan.counter)), out);
        break;
      case 'if': {
        const t = this.adjoint(s.then, scope);
        const e = this.adjoint(s.else, scope);
        if (t.length > 0 || e.length > 0) out.push(b.ifs(this.kexpr(s.c), t, e));
        break;
      }
      case 'loop': {
        const iteration = this.block(s.body, declaredIn(s));
        if (iteration.adjoint.length > 0) out.push(this.innerLoop(s, [...iteration.hoisted, ...iteration.forward, ...iteration.bars, ...iteration.adjoint]));
        break;
      }
      default: break;
    }
    return out;
  }

  /** One iteration's forward code and adjoint (the top body, or an inner loop's body). */
  private block(stmts: Stmt[], scope: Set<string>): { hoisted: Stmt[]; forward: Stmt[]; bars: Stmt[]; adjoint: Stmt[] } {
    const hoisted: Stmt[] = [];
    const forward = this.forward(stmts, scope, false, hoisted);
    const adjoint = this.adjoint(stmts, scope);
    const bars = directDecls(stmts)
      .filter((v) => this.activeScalar(v))
      .map((v) => b.decl(bar(v), 'number', b.ZERO, true));
    return { hoisted, forward, bars, adjoint };
  }

  private gradKernel(name: string): { fn: TargetFunction; params: KernelParam[]; rows: Row[]; fixedRows: number } | null {
    const params: KernelParam[] = [];
    const head = this.indexDecl(params);
    for (const [s, host] of this.seeds.accumulators) params.push({ name: this.seedName(s), type: 'number', host });
    for (const o of this.seeds.maps) params.push({ name: bar(o), type: 'Float64Array', host: b.v(bar(o)) });
    const top = this.block(this.plan.body, this.plan.locals);
    // rows: outer numbers, arrays read at i + c, then arrays read elsewhere (one row per element)
    const adjointStores = collectStores(top.adjoint);
    const scalars = this.plan.scalars.filter((u) => this.activeScalar(u) && assigns(top.adjoint, bar(u)));
    const arrays = this.plan.arrays.filter((a) => adjointStores.some((st) => st.arr === bar(a)));
    const shifts = new Map<string, number[]>();
    const gathered: string[] = [];
    for (const a of arrays) {
      const offs = adjointStores.filter((st) => st.arr === bar(a)).map((st) => shiftOf(st.i, this.plan.counter));
      if (offs.every((o): o is number => o !== null)) shifts.set(a, [...new Set(offs)].sort((x, y) => x - y));
      else gathered.push(a);
    }
    const rows: Row[] = [
      ...scalars.map((name): Row => ({ kind: 'scalar', name })),
      ...[...shifts].flatMap(([arr, offs]) => offs.map((shift): Row => ({ kind: 'shift', arr, shift }))),
      ...gathered.map((arr): Row => ({ kind: 'gather', arr })),
    ];
    if (rows.length === 0) return null;
    const fixedRows = rows.length - gathered.length;
    const rowVar = (r: Row) => (r.kind === 'scalar' ? bar(r.name) : r.kind === 'gather' || r.shift === 0 ? bar(r.arr) : `${bar(r.arr)}_${r.shift > 0 ? 'p' : 'm'}${Math.abs(r.shift)}`);
    // which element of a gathered array this thread sums: y − (its first row)
    const elementOf = new Map<string, string>();
    const elementDecls: Stmt[] = [];
    let first: Expr = b.num(fixedRows);
    for (const a of gathered) {
      const e = this.namer.fresh(`_${a}_element`);
      elementOf.set(a, e);
      elementDecls.push(b.decl(e, 'number', b.sub(THREAD_Z, first), false));
      first = b.add(first, b.v(lengthName(a)));
    }
    const rewrite = (stmts: Stmt[]): Stmt[] =>
      stmts.map((st): Stmt => {
        if (st.k === 'store' && arrays.some((a) => bar(a) === st.arr)) {
          const a = arrays.find((x) => bar(x) === st.arr)!;
          const shift = shiftOf(st.i, this.plan.counter);
          if (!gathered.includes(a)) return b.assign(rowVar({ kind: 'shift', arr: a, shift: shift! }), st.e, st.op);
          return b.ifs(b.op('===', st.i, b.v(elementOf.get(a)!)), [b.assign(bar(a), st.e, st.op)]);
        }
        if (st.k === 'if') return { ...st, then: rewrite(st.then), else: rewrite(st.else) };
        if (st.k === 'loop') return { ...st, body: rewrite(st.body) };
        return st;
      });
    const rowDecls = rows.map((r) => b.decl(rowVar(r), 'number', b.ZERO, true));
    const returns: Stmt[] = [];
    rows.slice(0, fixedRows).forEach((r, k) => {
      if (k < rows.length - 1) returns.push(b.ifs(b.op('===', THREAD_Z, b.num(k)), [{ k: 'return', e: b.v(rowVar(r)) }]));
    });
    let end: Expr = b.num(fixedRows);
    gathered.forEach((a, k) => {
      end = b.add(end, b.v(lengthName(a)));
      if (k < gathered.length - 1) returns.push(b.ifs(b.op('<', THREAD_Z, end), [{ k: 'return', e: b.v(bar(a)) }]));
    });
    returns.push({ k: 'return', e: b.v(rowVar(rows[rows.length - 1]!)) });
    this.inputParams(params, gathered);
    const body = [head, ...elementDecls, ...top.hoisted, ...top.forward, ...rowDecls, ...top.bars, b.comment('adjoint of the iteration'), ...rewrite(top.adjoint), ...returns];
    return { fn: this.kernelFunction(name, params, body, this.gradDoc(rows)), params, rows, fixedRows };
  }

  private seedName(accumulator: string): string {
    return this.seeds.accumulators.size === 1 ? '_seed' : `_seed${this.plan.accumulators.indexOf(accumulator)}`;
  }

  private gradDoc(rows: Row[]): string {
    const seeds = [...[...this.seeds.accumulators.keys()].map((s) => `${this.seedName(s)} = ${bar(s)}`), ...this.seeds.maps.map((o) => `${bar(o)}[${this.plan.counter}]`)];
    const what = rows.map((r, k) =>
      r.kind === 'scalar' ? `${k}: ∂/∂${r.name}` : r.kind === 'shift' ? `${k}: ∂/∂${r.arr}[${this.plan.counter}${r.shift === 0 ? '' : r.shift > 0 ? ` + ${r.shift}` : ` - ${-r.shift}`}]` : `one row per element of ${r.arr}`,
    );
    return `Adjoint of one iteration of the loop at ${this.fn.fileBase}:${this.plan.loop.loc?.line ?? '?'} with the seeds ${seeds.join(', ')}: thread (x, y, z) runs iteration x + width·y and returns its partial derivative number z (${what.join('; ')}).`;
  }

  build(kernelName: (kind: 'Value' | 'Grad') => string): LoopKernels {
    const value = this.valueKernel(kernelName('Value'));
    const grad = this.gradKernel(kernelName('Grad'));
    return {
      value: value.fn,
      valueParams: value.params,
      outputs: value.outputs,
      grad: grad?.fn ?? null,
      gradParams: grad?.params ?? [],
      rows: grad?.rows ?? [],
      fixedRows: grad?.fixedRows ?? 0,
      unsupported: this.unsupported,
    };
  }
}

/** Names declared in a block outside its inner loops (branches included). */
function directDecls(stmts: Stmt[]): string[] {
  const out: string[] = [];
  for (const s of stmts) {
    if (s.k === 'decl') out.push(s.name);
    else if (s.k === 'if') out.push(...directDecls(s.then), ...directDecls(s.else));
  }
  return out;
}

/** Names declared anywhere in an inner loop, its counter included. */
function declaredIn(loop: LoopStmt): Set<string> {
  const out = new Set<string>(loop.counter ? [loop.counter.name] : []);
  const visit = (stmts: Stmt[]) => {
    for (const s of stmts) {
      if (s.k === 'decl') out.add(s.name);
      else if (s.k === 'if') { visit(s.then); visit(s.else); }
      else if (s.k === 'loop') { visit(s.init); visit(s.body); }
    }
  };
  visit(loop.body);
  return out;
}

function collectStores(stmts: Stmt[], out: Extract<Stmt, { k: 'store' }>[] = []): Extract<Stmt, { k: 'store' }>[] {
  for (const s of stmts) {
    if (s.k === 'store') out.push(s);
    else if (s.k === 'if') { collectStores(s.then, out); collectStores(s.else, out); }
    else if (s.k === 'loop') collectStores(s.body, out);
  }
  return out;
}

function assigns(stmts: Stmt[], name: string): boolean {
  return stmts.some((s) => (s.k === 'assign' && s.name === name) || (s.k === 'if' && (assigns(s.then, name) || assigns(s.else, name))) || (s.k === 'loop' && assigns(s.body, name)));
}

/**
 * Spellings that stay defined on the WebGL backends, whose shaders follow GLSL: `pow(x, y)` is
 * undefined for x < 0 (NaN on Mesa and most GPUs) where JavaScript's `x ** 2` is not, gpu.js's
 * `cbrt` takes pow of a negative number, and its `tanh` divides exp(2x) by itself (∞/∞ past
 * x ≈ 44). An integer power up to 8 is a product, cbrt is sign(x)·|x|^(1/3), and tanh is
 * sign(x) past |x| = 20. Null for every other operation.
 */
function webglSafe(gpu: string, args: Expr[]): Expr | null {
  const x = args[0]!;
  if (gpu === 'Math.pow') {
    const k = args[1]!;
    if (k.k !== 'num' || !Number.isInteger(k.v) || Math.abs(k.v) > 8) return null;
    if (k.v === 0) return b.ONE;
    let product = x;
    for (let i = 1; i < Math.abs(k.v); i++) product = b.op('*', product, x);
    return k.v > 0 ? product : b.op('/', b.ONE, product);
  }
  const sign = b.op('Math.sign', x);
  const abs = b.op('Math.abs', x);
  if (gpu === 'Math.cbrt') return b.op('*', sign, b.op('Math.pow', abs, b.num(1 / 3)));
  // past |x| = 20 tanh is ±1 to double precision; below, the backend's own tanh stays accurate
  // near 0, where a formula through exp(−2|x|) would cancel
  if (gpu === 'Math.tanh') return { k: 'cond', c: b.op('>', abs, b.num(20)), a: sign, b: b.op('Math.tanh', x) };
  return null;
}

/** c when the index is `i + c` (or `i`, `c + i`, `i - c`) for the loop index i; null otherwise. */
function shiftOf(e: Expr, i: string): number | null {
  const isI = (x: Expr) => x.k === 'var' && x.name === i;
  if (isI(e)) return 0;
  if (e.k === 'op' && e.args.length === 2) {
    const [l, r] = [e.args[0]!, e.args[1]!];
    if (e.op === '+' && isI(l) && r.k === 'num' && Number.isInteger(r.v)) return r.v;
    if (e.op === '+' && isI(r) && l.k === 'num' && Number.isInteger(l.v)) return l.v;
    if (e.op === '-' && isI(l) && r.k === 'num' && Number.isInteger(r.v)) return -r.v;
  }
  return null;
}
