/**
 * Reverse mode (adjoints, VJP), Tapenade-style: a forward sweep that runs the primal and saves
 * what the adjoint sweep will need, then the adjoint sweep in reverse order, reading only
 * `RULES[op].vjp`.
 *
 * Input: a normalised FunctionIR and its activity. Output: a TargetFunction — the public
 * `fVjp(…, cotangent)` or the kernel `_fVjp(p, p_bar, …, seed)` used by callers (joint mode).
 *
 * How values reach the adjoint sweep:
 *  - A statement outside loops ("once") names the values its adjoint reads in the forward sweep
 *    (`const _t0 = …`) and the adjoint reuses them: no recomputation, no tape.
 *  - A statement inside a loop recomputes them in the adjoint sweep from restored state: before
 *    a variable or array element is overwritten it is pushed on the typed-array tape, but only
 *    when an adjoint that runs later really reads it (the to-be-recorded sites collected in a
 *    first pass, like clad's TBR analysis). Branch directions and trip counts are pushed only
 *    when they cannot be recomputed.
 *  - A loop whose iterations are independent and only accumulate into one active scalar
 *    (`s += g(i)`) is fused: each iteration runs its own adjoint with a unit seed, and the
 *    adjoint sweep scales the per-unit sums by s̄ — no tape, one pass (the SPEC §2 shape).
 *  - Other loops with independent iterations (maps `out[i] = g(i)`, several sums) give each
 *    iteration's adjoint its state either by recomputing the iteration in the adjoint sweep or,
 *    when that costs more, from a snapshot the forward sweep pushed, with scratch arrays
 *    expanded by iteration (reverse/snapshot.ts).
 * Refuses nothing: jumps were removed (analyze/jumps.ts) and the front end checked the rest.
 */
import * as b from '../ir/builders.ts';
import type { Namer } from '../ir/namer.ts';
import { apiName, isArrayType, type ArrayResultType, type Expr, type FunctionIR, type Stmt, type VarType } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { names } from '../analyze/names.ts';
import type { ParamUse } from '../analyze/incoming.ts';
import { callIn, diffVars, readsParamContents, tangentMask, type Activity, type KernelFor, type WriteMap } from '../analyze/activity.ts';
import { extraParam, isAtom, loopWithBody, operandAdjoints, type Lin, primalExpr, primalStmts, provenance, returnTypeText, userParams, usesOf, paramType, isBooleanExpr, resultArrayType, arrayCopy, arrayOf, gradTypeText, indexCheck } from '../analyze/shared.ts';
import { ruleFor } from '../rules/index.ts';
import { removeJumps, type JumpFree } from '../analyze/jumps.ts';
import { loopIndependence, type Independence } from './independence.ts';
import { expandArray, preferSnapshot, recomputeCost, topDecls, upwardExposed, withoutOuterWrites } from './snapshot.ts';
import { forEachExpr, mapExpr, mapStmtExprs, ownExprs, someExpr, someIn, visitStmts, writtenIn } from '../ir/walk.ts';
import { invariantWith, isStrided, mergeRegions, paramWriteRegions, regionsAtCall, storeRegions, type WriteRegion as WrittenRegion } from '../analyze/regions.ts';

const bar = names.adjointOf;

/** A piece of the function whose adjoint runs right after its forward part: the whole function, or one iteration of a fused / recomputed loop. */
interface Region {
  id: Stmt | 'top';
  start: number;
  end: number;
  /** adjoint of a variable when it is not `v_bar`: the unit seed of a fused accumulator, per-unit sums */
  adjoint: Map<string, Expr>;
  /** declarations placed at the top of the region */
  hoisted: Stmt[];
  hoistedNames: Set<string>;
  /**
   * Whether the adjoint of one execution of the region's body runs right after its forward part
   * (the whole function, fused loops, recomputed loops) rather than after all of them (snapshot
   * loops): scratch storage of a loop inside can then be reused by the next execution.
   */
  interleaved: boolean;
}


/** A snapshot recomputes an iteration's constants that cost at most this (reverse/snapshot.ts). */
const CHEAP_RECOMPUTE = 4;


interface ReadSite {
  pos: number;
  loops: Stmt[];
}

interface Mode {
  region: Region;
  /** loops of this region that enclose the statement (taped loops) */
  loops: Stmt[];
  /** directly in the region's top statement list (declarations need no hoisting) */
  topSeq: boolean;
  pos: number;
}

const ZERO_OF: Record<VarType, Expr> = {
  number: b.ZERO,
  boolean: { k: 'bool', v: false },
  Float64Array: { k: 'alloc', ctor: 'Float64Array', len: b.ZERO },
  Float32Array: { k: 'alloc', ctor: 'Float32Array', len: b.ZERO },
  'number[]': { k: 'alloc', ctor: 'Array', len: b.ZERO },
};

const isEmpty = (stmts: Stmt[]) => stmts.every((s) => s.k === 'comment');

/**
 * Names that are only ever counters of canonical loops `for (let i = a; i < b; i++)`: their values
 * follow from the loop headers, so they are never saved. A name that a sibling loop with another
 * kind of header (`i < n && t < 5`, `i += st`) or any other statement also writes is a variable
 * like any other, in every loop that uses it.
 */
function counterNames(body: Stmt[]): Set<string> {
  const counters = new Set<string>();
  const other = new Set<string>();
  const visit = (stmts: Stmt[], counter: string | null): void => {
    for (const s of stmts) {
      if ((s.k === 'decl' || s.k === 'assign') && s.name !== counter) other.add(s.name);
      if (s.k === 'if') { visit(s.then, null); visit(s.else, null); }
      if (s.k === 'block') visit(s.body, null);
      if (s.k === 'loop') {
        if (s.counter) counters.add(s.counter.name);
        visit(s.init, s.counter?.name ?? null);
        visit(s.update, s.counter?.name ?? null);
        visit(s.body, null);
      }
    }
  };
  visit(body, null);
  for (const n of other) counters.delete(n);
  return counters;
}

export class ReverseTransformer {
  private pos = new Map<Stmt, number>();
  private endPos = new Map<Stmt, number>();
  private writes = new Map<string, number[]>();
  private declCount = new Map<string, number>();
  /** variables used in array indices */
  private indexVars = new Set<string>();
  /** the declaration of each variable declared once */
  private declOf = new Map<string, Extract<Stmt, { k: 'decl' }>>();
  /**
   * Arrays the adjoint sweep uses as objects beyond the reads registered: kernel arguments (a
   * kernel loops over them, writes them) and arrays saved whole or in slices (popped by their
   * length). An array made in each iteration keeps its predecessors when listed here. Filled by
   * the first pass, read by the second.
   */
  private usedByAdjoint = new Set<string>();
  /** where calls write each array */
  private callWrites = new Map<string, number[]>();
  /** where each variable is declared (an array's length changes only there) */
  private declPos = new Map<string, number[]>();
  private counters = new Set<string>();
  /** adjointSink's arrays, by parameter */
  private sinks = new Map<string, string>();
  /** to-be-recorded sites per region, filled in pass 1 */
  private reads = new Map<Stmt | 'top', Map<string, ReadSite[]>>();
  private collecting = true;
  readonly usesTape = { values: false, refs: false, copies: false };
  /** parameter arrays whose elements the adjoint sweep restores */
  readonly restoredArrays = new Set<string>();
  private jf: JumpFree;
  private namer!: Namer;
  private top!: Region;
  /** the region each variable is declared in (its adjoint is declared there too) */
  private declRegion = new Map<string, Region>();
  /** names of the per-unit adjoint sums of fused loops */
  private unitNames = new Set<string>();
  private readonly baseNamer: Namer;

  private readonly act: Activity;

  constructor(
    private readonly fn: FunctionIR,
    act: Activity,
    namer: Namer,
    private readonly writeMap: WriteMap,
    private readonly callees: Map<string, FunctionIR>,
    /** the result's cotangent (`_seed` in a kernel), when the function returns a number */
    private readonly seed: Expr | null = null,
    /** the reverse kernel to call for a callee, given which arguments carry an adjoint */
    private readonly kernelFor: KernelFor = names.vjpKernel,
    /**
     * generating a kernel: contents saved outside loops go on the value tape too, not into a
     * fresh copy (a kernel runs once per element of its caller's loops)
     */
    private readonly kernel = false,
    /** what callees do with their array parameters (analyze/incoming.ts), where known */
    private readonly incoming?: Incoming,
  ) {
    this.baseNamer = namer;
    this.jf = removeJumps(fn, namer);
    // the result variables made by removeJumps carry the cotangent
    const result = this.jf.result;
    const resultVars = result.kind === 'scalar' ? [result.name] : result.kind === 'tuple' ? result.names : [];
    this.act = { active: new Set([...act.active, ...resultVars]), useful: new Set([...(act.useful ?? act.active), ...resultVars]) };
    // a counter that starts at a value with a derivative (`for (let k = h; …)`) carries it: its
    // loop is an ordinary loop here, not one whose counter the adjoint sweep recomputes
    // (only where the counter's value reaches a result, not where it only indexes arrays)
    visitStmts(this.jf.body, (st) => {
      if (st.k !== 'loop' || !st.counter || ![...diffVars(st.counter.start)].some((v) => this.act.active.has(v))) return;
      const name = st.counter.name;
      let asValue = false;
      visitStmts(st.body, (x) => {
        const values = x.k === 'decl' ? (x.init ? [x.init] : []) : x.k === 'assign' || x.k === 'expr' ? [x.e] : x.k === 'store' ? [x.e] : x.k === 'return' && x.e ? [x.e] : [];
        if (values.some((e) => diffVars(e).has(name))) asValue = true;
      });
      if (asValue) delete st.counter;
    });
    this.counters = counterNames(this.jf.body);
    this.number(this.jf.body, 0, true);
    this.collectIndexVars(this.jf.body);
  }

  private collectIndexVars(stmts: Stmt[]): void {
    const inExpr = (e: Expr | null | undefined): void => {
      if (!e) return;
      if (e.k === 'idx') b.varsOf(e.i, this.indexVars);
      if (e.k === 'op' || e.k === 'call' || e.k === 'xcall') e.args.forEach(inExpr);
      if (e.k === 'cond') [e.c, e.a, e.b].forEach(inExpr);
      if (e.k === 'stop') inExpr(e.e);
      if (e.k === 'idx') inExpr(e.i);
    };
    for (const st of stmts) {
      if (st.k === 'store') b.varsOf(st.i, this.indexVars);
      if (st.k === 'decl') inExpr(st.init);
      if (st.k === 'assign' || st.k === 'expr' || st.k === 'return') inExpr(st.e);
      if (st.k === 'store') inExpr(st.e);
      if (st.k === 'if') { inExpr(st.c); this.collectIndexVars(st.then); this.collectIndexVars(st.else); }
      if (st.k === 'loop') { inExpr(st.test); this.collectIndexVars(st.init); this.collectIndexVars(st.body); this.collectIndexVars(st.update); }
    }
  }

  // ---- positions and writes --------------------------------------------------------------

  private number(stmts: Stmt[], n: number, top: boolean): number {
    for (const s of stmts) {
      this.pos.set(s, n++);
      const w = (name: string) => this.writes.set(name, [...(this.writes.get(name) ?? []), this.pos.get(s)!]);
      switch (s.k) {
        case 'decl':
          this.declCount.set(s.name, (this.declCount.get(s.name) ?? 0) + 1);
          this.declOf.set(s.name, s);
          if (!this.counters.has(s.name)) w(s.name);
          this.declPos.set(s.name, [...(this.declPos.get(s.name) ?? []), this.pos.get(s)!]);
          break;
        case 'assign': if (!this.counters.has(s.name)) w(s.name); break;
        case 'store': w(s.arr); break;
        case 'if': n = this.number(s.else, this.number(s.then, n, false), false); break;
        case 'loop':
          n = this.number(s.update, this.number(s.body, this.number(s.init, n, false), false), false);
          break;
        default: break;
      }
      // the arrays a call writes into, whether its value is used or not
      const call = callIn(s);
      if (call) {
        const written = this.writeMap.get(call.fn) ?? new Set();
        call.args.forEach((a, i) => {
          if (!written.has(i) || a.k !== 'var') return;
          w(a.name);
          this.callWrites.set(a.name, [...(this.callWrites.get(a.name) ?? []), this.pos.get(s)!]);
        });
      }
      this.endPos.set(s, n - 1);
    }
    return n;
  }

  private isActive(name: string): boolean {
    return this.act.active.has(name);
  }

  /** Whether writes to this variable carry an adjoint (it can reach the result). */
  private carriesAdjoint(name: string): boolean {
    return this.act.active.has(name) && (this.act.useful?.has(name) ?? true);
  }

  private activeExpr(e: Expr): boolean {
    return [...diffVars(e)].some((v) => this.isActive(v));
  }

  /** The adjoint of a scalar variable in this region (a variable name, or a constant seed). */
  private adjointOf(name: string, m: Mode): Expr {
    const override = m.region.adjoint.get(name);
    if (override) return override;
    if (!this.fn.params.some((p) => p.name === name)) {
      const region = this.declRegion.get(name) ?? this.top;
      this.hoistIn(region, bar(name), 'number');
    }
    return b.v(bar(name));
  }

  private adjointArray(name: string, m: Mode): string {
    const a = m.region.adjoint.get(name);
    return a && a.k === 'var' ? a.name : bar(name);
  }

  /** No write of v at or after position p inside the region (so v still holds its value). */
  private stable(v: string, p: number, m: Mode): boolean {
    if (this.counters.has(v)) return true;
    return !(this.writes.get(v) ?? []).some((w) => w >= p && w <= m.region.end && (w >= m.region.start || m.region.id === 'top'));
  }

  /**
   * Whether u is written, anywhere in the body of a loop around the current point whose adjoints
   * all run after all its forward parts (a snapshot region, a taped loop), so that a later
   * iteration writes u before this one's adjoint runs: a write earlier in the body counts too.
   * (`v` overwritten per iteration of such a loop: an inner sum's adjoint added into v̄ early would
   * pile the shares of every iteration onto the last one.)
   */
  private rewrittenBeforeAdjoint(u: string, m: Mode): boolean {
    const ranges: [number, number][] = m.loops.map((l) => [this.pos.get(l)!, this.endPos.get(l)!]);
    if (m.region.id !== 'top' && !m.region.interleaved) ranges.push([m.region.start, m.region.end]);
    return (this.writes.get(u) ?? []).some((w) => ranges.some(([a, z]) => w >= a && w <= z));
  }

  private stableExpr(e: Expr, p: number, m: Mode): boolean {
    return [...b.varsOf(e)].every((v) => this.stable(v, p, m));
  }

  /** Whether re-evaluating e in the adjoint sweep reads the values it had (no later write, no write in a shared taped loop). */
  private reEvaluable(e: Expr, m: Mode): boolean {
    const changes = (at: number[]) =>
      at.some((w) => {
        if (w < m.region.start && m.region.id !== 'top') return false;
        if (w > m.region.end) return false;
        return w >= m.pos || m.loops.some((l) => w >= this.pos.get(l)! && w <= this.endPos.get(l)!);
      });
    // `a.length` changes where a is declared, not where its elements are written
    const lengths = new Set<string>();
    const values = new Set<string>();
    forEachExpr(e, (x) => {
      if (x.k === 'len') lengths.add(x.arr);
      else if (x.k === 'var') values.add(x.name);
      else if (x.k === 'idx') values.add(x.arr);
    });
    return [...values].every((v) => this.counters.has(v) || !changes(this.writes.get(v) ?? [])) && [...lengths].every((a) => !changes(this.declPos.get(a) ?? []));
  }

  /**
   * Where a kernel may put the adjoint of an inactive array argument, which nothing reads: for a
   * parameter (whose length does not change) one array allocated at the top of the function,
   * not one per call in a loop.
   */
  private adjointSink(name: string): Expr {
    const alloc: Expr = { k: 'alloc', ctor: 'Float64Array', len: b.len(name) };
    if (!this.fn.params.some((p) => p.name === name)) return alloc;
    let sink = this.sinks.get(name);
    if (!sink) this.sinks.set(name, (sink = this.namer.fresh(`_${name.replace(/^_+/, '')}BarSink`)));
    // every pass of the transformer declares it again (hoistIn keeps one per region)
    this.hoistIn(this.top, sink, 'Float64Array', alloc);
    return b.v(sink);
  }

  /** Records that the adjoint sweep reads variables of e at this statement (to-be-recorded). */
  private registerReads(e: Expr, m: Mode): void {
    if (!this.collecting) return;
    let map = this.reads.get(m.region.id);
    if (!map) this.reads.set(m.region.id, (map = new Map()));
    for (const v of b.varsOf(e)) {
      if (this.counters.has(v)) continue;
      map.set(v, [...(map.get(v) ?? []), { pos: m.pos, loops: m.loops }]);
    }
  }

  /**
   * Whether the value of v (or of an element of array v) overwritten at this write must be saved.
   * Not for reads in other iterations of a loop that declares array v: each iteration has an
   * array of its own there (the adjoint sweep gets the earlier one back with `_popRef`), so a
   * fresh array's zeros are not saved before it is filled.
   */
  private needsSave(v: string, m: Mode): boolean {
    const sites = this.reads.get(m.region.id)?.get(v) ?? [];
    // (a read at the write's own position is its right-hand side, `a[0] = a[0] * y`: it needs the old value)
    return sites.some((s) => s.pos < m.pos || s.loops.some((l) => m.loops.includes(l) && (s.pos === m.pos || !this.declaresArray(l, v))));
  }

  /** Whether the adjoint sweep reads v at or before this point, or in another iteration of an enclosing loop. */
  private readAgain(v: string, m: Mode): boolean {
    const sites = this.reads.get(m.region.id)?.get(v) ?? [];
    return sites.some((s) => s.pos < m.pos || s.loops.some((l) => m.loops.includes(l)));
  }

  /**
   * Whether e has the same value in every iteration of the loops around this point: it reads no
   * counter and nothing those loops write, and the lengths it reads are of arrays declared
   * outside them or, inside, with such a length themselves (`new Float64Array(t.length)`).
   */
  private sameInEveryIteration(e: Expr, m: Mode, seen = new Set<string>()): boolean {
    const inLoops = (at: number[]) => at.some((w) => m.loops.some((l) => w >= this.pos.get(l)! && w <= this.endPos.get(l)!));
    let same = true;
    forEachExpr(e, (x) => {
      if (x.k === 'var') same &&= !this.counters.has(x.name) && !inLoops(this.writes.get(x.name) ?? []) && !m.loops.some((l) => l.k === 'loop' && l.counter?.name === x.name);
      else if (x.k === 'idx') same &&= false;
      else if (x.k === 'len') {
        const at = this.declPos.get(x.arr) ?? [];
        if (!inLoops(at)) return;
        const def = this.declOf.get(x.arr);
        same &&= !seen.has(x.arr) && at.length === 1 && def?.init?.k === 'alloc' && this.sameInEveryIteration(def.init.len, m, seen.add(x.arr));
      } else if (x.k === 'call' || x.k === 'xcall') same &&= false;
    });
    return same;
  }

  /** Whether the adjoint sweep reads array v itself (elements or length, in any region), not only its adjoint. */
  private adjointReads(v: string): boolean {
    return this.collecting || this.usedByAdjoint.has(v) || [...this.reads.values()].some((map) => (map.get(v) ?? []).length > 0);
  }

  /** Whether loop l declares array v, its one declaration (a new array each iteration). */
  private declaresArray(l: Stmt, v: string): boolean {
    const def = this.declOf.get(v);
    if (!def || this.declCount.get(v) !== 1 || !isArrayType(def.type) || l.k !== 'loop') return false;
    let found = false;
    visitStmts(l.body, (st) => { found ||= st === def; });
    return found;
  }

  /** `dst` gets the elements of `src` back (works for number[] and typed arrays). */
  private copyInto(dst: string, src: Expr): Expr {
    this.usesTape.copies = true;
    return b.xcall('_copyInto', b.v(dst), src);
  }

  // ---- naming and hoisting -------------------------------------------------------------------

  private hoist(m: Mode, name: string, type: VarType, init: Expr = ZERO_OF[type]): void {
    this.hoistIn(m.region, name, type, init);
  }

  private hoistIn(region: Region, name: string, type: VarType, init: Expr = ZERO_OF[type]): void {
    if (region.hoistedNames.has(name)) return;
    region.hoistedNames.add(name);
    region.hoisted.push(b.decl(name, type, init, true));
  }

  /**
   * A declaration stays in place only when it is the only one of its name, in a region's top
   * list, outside loops. `owner` is the source variable whose declarations the name follows (a
   * `_bar` array is defined where its array is declared); null for a fresh name, defined once.
   */
  private inlineDecl(name: string, m: Mode, owner: string | null = name): boolean {
    return m.topSeq && m.loops.length === 0 && (owner === null || (this.declCount.get(owner) ?? 0) === 1);
  }

  /** `const name = e` in place, or `name = e` with the declaration hoisted. */
  private define(name: string, type: VarType, e: Expr, m: Mode, mutable = false, owner: string | null = name): Stmt {
    if (this.inlineDecl(name, m, owner)) return b.decl(name, type, e, mutable);
    this.hoist(m, name, type);
    return b.assign(name, e);
  }

  /** A temporary holding a value for the adjoint sweep. */
  private temp(e: Expr, out: Stmt[], m: Mode, inForward: boolean, prefix = '_t'): Expr {
    const name = this.namer.fresh(prefix);
    const type = isBooleanExpr(e, this.fn) ? 'boolean' : 'number';
    if (!inForward || m.topSeq) out.push(b.decl(name, type, e, false));
    else {
      this.hoist(m, name, type);
      out.push(b.assign(name, e));
    }
    return b.v(name);
  }

  // ---- linearisation ------------------------------------------------------------------------

  /**
   * Names the values the adjoint of e will read. Once-executed statements compute them in the
   * forward sweep (`out` = forward code); statements in loops recompute them in the adjoint sweep
   * (`out` = adjoint code) and record what they read.
   */
  private linearize(e: Expr, needed: boolean, out: Stmt[], m: Mode, once: boolean): Lin {
    const keep = (val: Expr): Expr => {
      if (!needed) return val;
      if (once) return isAtom(val) && this.stableExpr(val, m.pos, m) ? val : this.temp(val, out, m, true);
      this.registerReads(val, m);
      return isAtom(val) ? val : this.temp(val, out, m, false);
    };
    switch (e.k) {
      case 'var': {
        // a cheap loop-local constant is recomputed from its definition instead of taped; where no
        // partial needs it, only a value the adjoint recomputes around it may read it (`lam * 0.5`
        // inside an exp): that value reads the definition, and registers nothing until it is used
        const def = !once ? this.recomputable(e.name, m) : null;
        if (def) return { e, val: needed ? this.linearize(def, true, out, m, false).val : this.recomputedValue(def, m), args: [], active: this.isActive(e.name) };
        return { e, val: keep(e), args: [], active: this.isActive(e.name) };
      }
      case 'idx': {
        const active = this.isActive(e.arr);
        let index = primalExpr(e.i);
        if (active) {
          if (once && !(cheapIndex(index) && this.stableExpr(index, m.pos, m))) index = this.temp(index, out, m, true, '_i');
          else if (!once) this.registerReads(index, m);
        }
        const val = needed ? keep(b.idx(e.arr, index)) : b.idx(e.arr, index);
        return { e, val, args: [], active, index };
      }
      case 'op': {
        const rule = ruleFor(e.op);
        const active = !!rule && !rule.zero && this.activeExpr(e);
        if (!active || !rule) return { e, val: keep(primalExpr(e)), args: [], active: false };
        const uses = usesOf(rule, e.args.length, e.args.map((a) => this.activeExpr(a)));
        const args = e.args.map((a, k) => this.linearize(a, uses.x[k] ?? false, out, m, once));
        let val: Expr = { k: 'op', op: e.op, args: args.map((a) => a.val) };
        if (uses.y || (needed && !isAtom(val))) {
          // recomputed in the adjoint sweep: everything it reads must still hold its value then
          if (!once) this.registerReads(val, m);
          val = this.temp(val, out, m, once);
        }
        return { e, val, args, active: true };
      }
      default:
        return { e, val: keep(primalExpr(e)), args: [], active: false };
    }
  }

  /**
   * The definition of `name` when the adjoint sweep can recompute it at this statement rather
   * than read it back from the tape: a variable written only by one declaration in the same
   * taped loop body, defined by a few arithmetic operations (no calls, no Math functions) on
   * values that nothing writes between the declaration and here.
   */
  private recomputable(name: string, m: Mode): Expr | null {
    const def = this.declOf.get(name);
    const loop = m.loops[m.loops.length - 1];
    if (!def?.init || !loop || (this.writes.get(name)?.length ?? 0) !== 1 || this.declCount.get(name) !== 1) return null;
    const d = this.pos.get(def)!;
    if (!(d > this.pos.get(loop)! && d < m.pos && d <= this.endPos.get(loop)!)) return null;
    let ops = 0;
    const cheap = (e: Expr): boolean => {
      switch (e.k) {
        case 'num': case 'var': case 'len': return true;
        case 'idx': return cheap(e.i);
        case 'op': return ['+', '-', '*', '/', 'neg', 'pos'].includes(e.op) && ++ops <= 4 && e.args.every(cheap);
        default: return false;
      }
    };
    if (!cheap(def.init)) return null;
    // (a call's write at this statement counts: its arguments are recomputed after the call
    // wrote, where an assignment's adjoint puts the old value back first)
    const untouched = [...b.varsOf(def.init)].every((v) => v !== name && !(this.writes.get(v) ?? []).some((w) => w > d && (w < m.pos || (w === m.pos && (this.callWrites.get(v)?.includes(w) ?? false)))));
    return untouched ? def.init : null;
  }

  /** The primal value of e in the adjoint sweep at this statement, cheap loop-local constants read from their definitions. */
  private recomputedValue(e: Expr, m: Mode): Expr {
    return primalExpr(
      mapExpr(e, (x) => {
        if (x.k !== 'var') return x;
        const def = this.recomputable(x.name, m);
        return def ? this.recomputedValue(def, m) : x;
      }),
    );
  }

  /** Adjoint of a linearised expression with seed ȳ: x̄ += ∂·ȳ for every active leaf. */
  private propagate(lin: Lin, seed: Expr, out: Stmt[], m: Mode): void {
    if (!lin.active || b.isZero(seed)) return;
    switch (lin.e.k) {
      case 'var': {
        const target = this.adjointOf(lin.e.name, m);
        if (target.k === 'var') out.push(...b.accumulate(target.name, seed));
        return;
      }
      case 'idx':
        out.push(...b.accumulateAt(this.adjointArray(lin.e.arr, m), lin.index!, seed));
        return;
      case 'op': {
        const parts = operandAdjoints(lin.e.op, lin.args, lin.val, seed);
        lin.args.forEach((arg, k) => {
          if (!arg.active) return;
          let c = parts[k] ?? b.ZERO;
          if (b.isZero(c)) return;
          if (arg.e.k === 'op' && !isAtom(c)) {
            const name = arg.val.k === 'var' && arg.val.name.startsWith('_t') ? `${arg.val.name}_bar` : this.namer.fresh('_b');
            out.push(b.decl(name, 'number', c, false));
            c = b.v(name);
          }
          this.propagate(arg, c, out, m);
        });
        return;
      }
      default:
        return;
    }
  }

  /** Adjoint of `v = e`, given its linearisation. */
  private adjointAssign(v: string, e: Expr, lin: Lin, resetNeeded: boolean, m: Mode): Stmt[] {
    const out: Stmt[] = [];
    const seed = this.adjointOf(v, m);
    // accumulation v = v ± r: v̄ passes through unchanged, r̄ += ±v̄
    if (e.k === 'op' && (e.op === '+' || e.op === '-') && e.args[0]!.k === 'var' && e.args[0]!.name === v && !diffVars(e.args[1]!).has(v)) {
      this.propagate(lin.args[1] ?? this.linearize(e.args[1]!, false, out, m, true), e.op === '+' ? seed : b.neg(seed), out, m);
      return out;
    }
    if (!diffVars(e).has(v)) {
      this.propagate(lin, seed, out, m);
      if (resetNeeded && seed.k === 'var') out.push(b.assign(seed.name, b.ZERO));
      return out;
    }
    const saved = this.namer.fresh('_b');
    out.push(b.decl(saved, 'number', seed, false));
    if (seed.k === 'var') out.push(b.assign(seed.name, b.ZERO));
    this.propagate(lin, b.v(saved), out, m);
    return out;
  }

  // ---- statements ------------------------------------------------------------------------------

  private seq(stmts: Stmt[], m: Omit<Mode, 'pos'>): { fwd: Stmt[]; adj: Stmt[] } {
    const fwd: Stmt[] = [];
    let adj: Stmt[] = [];
    for (const s of stmts) {
      const r = this.stmt(s, { ...m, pos: this.pos.get(s)! });
      fwd.push(...r.fwd);
      if (!isEmpty(r.adj)) {
        const note = provenance(this.fn, s, 'adjoint of ');
        adj = [...(note ? [note] : []), ...r.adj, ...adj];
      }
    }
    return { fwd, adj };
  }

  private stmt(s: Stmt, m: Mode): { fwd: Stmt[]; adj: Stmt[] } {
    const note = provenance(this.fn, s);
    const r = this.stmtInner(s, m);
    if (note && r.fwd.length > 0) r.fwd.unshift(note);
    return r;
  }

  private stmtInner(s: Stmt, m: Mode): { fwd: Stmt[]; adj: Stmt[] } {
    // a name declared again (in a sibling block: two loops that both declare `r`) is a new variable
    if (s.k === 'decl') this.declRegion.set(s.name, m.region);
    switch (s.k) {
      case 'decl':
        if (s.init?.k === 'alloc') return this.alloc(s.name, s.type, s.init, m);
        if (s.init?.k === 'call') return this.call(s.init, s.name, m, true, s.mutable);
        return this.assign(s.name, s.type, s.init ?? ZERO_OF[s.type], m, true, s.mutable);
      case 'assign':
        if (s.e.k === 'call') return this.call(s.e, s.name, m, false);
        return this.assign(s.name, this.fn.locals.get(s.name) ?? 'number', s.e, m, false, true);
      case 'store':
        return this.store(s, m);
      case 'expr':
        return s.e.k === 'call' ? this.call(s.e, null, m, false) : { fwd: [], adj: [] };
      case 'if':
        return this.ifStmt(s, m);
      case 'loop':
        return this.loop(s, m);
      default:
        return { fwd: [], adj: [] };
    }
  }

  /**
   * For `v = v ± c` with an integer literal c, where v serves as an array index somewhere (so
   * its values are integers, and stepping back is exact): the step, else null.
   */
  private inductionStep(v: string, e: Expr): number | null {
    if (e.k !== 'op' || (e.op !== '+' && e.op !== '-') || e.args[0]!.k !== 'var' || e.args[0]!.name !== v) return null;
    const c = e.args[1]!;
    if (c.k !== 'num' || !Number.isInteger(c.v)) return null;
    return this.indexVars.has(v) ? (e.op === '+' ? c.v : -c.v) : null;
  }

  /** Saves the old value of scalar v before it is overwritten, when a later adjoint reads it. */
  private saveScalar(v: string, m: Mode, fwd: Stmt[], adj: Stmt[]): void {
    if (!this.needsSave(v, m)) return;
    if (m.loops.length > 0) {
      this.usesTape.values = true;
      fwd.push(b.exprStmt(b.xcall('_push', b.v(v))));
      adj.push(b.assign(v, b.xcall('_pop')));
    } else {
      const t = this.temp(b.v(v), fwd, m, true, '_s');
      adj.push(b.assign(v, t));
    }
  }

  private assign(v: string, type: VarType, e: Expr, m: Mode, isDecl: boolean, mutable: boolean): { fwd: Stmt[]; adj: Stmt[] } {
    const fwd: Stmt[] = [];
    const restore: Stmt[] = [];
    const step = !isDecl ? this.inductionStep(v, e) : null;
    if (step !== null && m.loops.length > 0 && this.needsSave(v, m)) {
      // an index counter stepped by an integer: the adjoint sweep steps it back instead of taping it
      restore.push(b.assign(v, b.num(-step), '+='));
    } else if (this.fn.locals.get(v) !== 'boolean' && (!isDecl || m.loops.length > 0 || !this.inlineDecl(v, m))) this.saveScalar(v, m, fwd, restore);
    const once = m.loops.length === 0;
    const active = this.carriesAdjoint(v) && type === 'number';
    const singleWrite = (this.writes.get(v)?.length ?? 0) <= 1;
    // variables the transformation introduced without a declaration (`_ret`)
    if (!isDecl && !this.declCount.has(v) && !this.fn.params.some((p) => p.name === v)) this.hoistIn(this.top, v, type);
    const write = (val: Expr): Stmt[] => [isDecl ? this.define(v, type, val, m, mutable) : b.assign(v, val)];
    if (!active || !this.activeExpr(e)) {
      fwd.push(...write(primalExpr(e)));
      const adj = [...restore];
      if (active && !(isDecl && once && singleWrite)) {
        const seed = this.adjointOf(v, m);
        if (seed.k === 'var') adj.push(b.assign(seed.name, b.ZERO));
      }
      return { fwd, adj };
    }
    if (once) {
      const lin = this.linearize(e, false, fwd, m, true);
      fwd.push(...write(lin.val));
      return { fwd, adj: [...restore, ...this.adjointAssign(v, e, lin, !(isDecl && singleWrite), m)] };
    }
    fwd.push(...write(primalExpr(e)));
    const adj = [...restore];
    const lin = this.linearize(e, false, adj, m, false);
    adj.push(...this.adjointAssign(v, e, lin, true, m));
    return { fwd, adj };
  }

  private store(s: Extract<Stmt, { k: 'store' }>, m: Mode): { fwd: Stmt[]; adj: Stmt[] } {
    const fwd: Stmt[] = [];
    const adj: Stmt[] = [];
    const once = m.loops.length === 0;
    let index = primalExpr(s.i);
    const active = this.isActive(s.arr);
    // the index the adjoint sweep uses
    let adjIndex = index;
    const needIndex = active || this.needsSave(s.arr, m);
    if (needIndex) {
      if (once && !(cheapIndex(index) && this.stableExpr(index, m.pos, m))) {
        adjIndex = this.temp(index, fwd, m, true, '_i');
        index = adjIndex;
      } else if (!once) this.registerReads(index, m);
    }
    const check = active ? indexCheck(this.fn, s, index) : null;
    if (check) fwd.push(check);
    if (this.needsSave(s.arr, m)) {
      if (this.fn.params.some((p) => p.name === s.arr)) this.restoredArrays.add(s.arr);
      if (once) {
        const t = this.temp(b.idx(s.arr, index), fwd, m, true, '_s');
        adj.push(b.store(s.arr, adjIndex, t));
      } else {
        this.usesTape.values = true;
        fwd.push(b.exprStmt(b.xcall('_push', b.idx(s.arr, index))));
        adj.push(b.store(s.arr, adjIndex, b.xcall('_pop')));
      }
    }
    if (!active || !this.carriesAdjoint(s.arr) || !this.activeExpr(s.e)) {
      fwd.push(b.store(s.arr, index, primalExpr(s.e)));
      if (active) adj.push(b.store(this.adjointArray(s.arr, m), adjIndex, b.ZERO));
      return { fwd, adj };
    }
    const slot = b.idx(this.adjointArray(s.arr, m), adjIndex);
    const e = s.e;
    const accumulation = e.k === 'op' && (e.op === '+' || e.op === '-') && e.args[0]!.k === 'idx' && e.args[0]!.arr === s.arr && b.sameExpr(e.args[0]!.i, s.i) && !diffVars(e.args[1]!).has(s.arr);
    const target = accumulation ? (e as Extract<Expr, { k: 'op' }>).args[1]! : e;
    let lin: Lin;
    if (once) {
      lin = this.linearize(target, false, fwd, m, true);
      fwd.push(b.store(s.arr, index, accumulation ? b.op((e as Extract<Expr, { k: 'op' }>).op, b.idx(s.arr, index), lin.val) : lin.val));
    } else {
      fwd.push(b.store(s.arr, index, primalExpr(e)));
      lin = this.linearize(target, false, adj, m, false);
    }
    if (accumulation) {
      this.propagate(lin, (e as Extract<Expr, { k: 'op' }>).op === '+' ? slot : b.neg(slot), adj, m);
    } else {
      const saved = this.namer.fresh('_b');
      adj.push(b.decl(saved, 'number', slot, false), b.store(this.adjointArray(s.arr, m), adjIndex, b.ZERO));
      this.propagate(lin, b.v(saved), adj, m);
    }
    return { fwd, adj };
  }

  private alloc(name: string, type: VarType, init: Extract<Expr, { k: 'alloc' }>, m: Mode): { fwd: Stmt[]; adj: Stmt[] } {
    const fwd: Stmt[] = [];
    const adj: Stmt[] = [];
    const active = this.isActive(name);
    const len = primalExpr(init.len);
    if (m.loops.length > 0 && (active || this.readAgain(name, m) || this.usedByAdjoint.has(name))) {
      // a new array each iteration: the previous ones are kept for the adjoint sweep where it
      // reads their elements or lengths; otherwise the array is only replaced
      const keep = this.adjointReads(name);
      this.hoist(m, name, type);
      if (keep) {
        this.usesTape.refs = true;
        fwd.push(b.exprStmt(b.xcall('_pushRef', b.v(name))));
        adj.unshift(b.assign(name, b.xcall('_popRef')));
      }
      fwd.push(b.assign(name, init));
      if (!active) return { fwd, adj };
      this.hoist(m, bar(name), 'Float64Array');
      if (this.sameInEveryIteration(init.len, m)) {
        // one adjoint array for every iteration (the length is the same each time): cleared for
        // the iteration before, whose elements the iteration's own adjoint did not reset
        fwd.push(b.ifs(b.op('!==', b.len(bar(name)), b.len(name)), [b.assign(bar(name), { k: 'alloc', ctor: 'Float64Array', len: b.len(name) })]));
        adj.unshift(b.exprStmt(b.xcall(`${bar(name)}.fill`, b.ZERO)));
        return { fwd, adj };
      }
      this.usesTape.refs = true;
      fwd.splice(fwd.length - 1, 0, b.exprStmt(b.xcall('_pushRef', b.v(bar(name)))));
      adj.unshift(b.assign(bar(name), b.xcall('_popRef')));
      fwd.push(b.assign(bar(name), { k: 'alloc', ctor: 'Float64Array', len: b.len(name) }));
      return { fwd, adj };
    }
    fwd.push(this.define(name, type, { ...init, len }, m));
    if (active) fwd.push(this.define(bar(name), 'Float64Array', { k: 'alloc', ctor: 'Float64Array', len: b.len(name) }, m, false, name));
    return { fwd, adj };
  }

  /**
   * Whether a callee reads what its array parameter i held when called (a kernel re-running it
   * needs those contents back), not only values it wrote there first.
   */
  private readsIncoming(name: string, callee: FunctionIR, i: number): boolean {
    const use = this.incoming?.(name)?.[i];
    return use ? use.reads === null || use.reads.length > 0 : readsParamContents(callee, i);
  }

  /** `v = g(args)` or `g(args)`: the primal in the forward sweep, g's reverse kernel in the adjoint sweep (joint mode). */
  private call(e: Extract<Expr, { k: 'call' }>, v: string | null, m: Mode, isDecl: boolean, mutable = false): { fwd: Stmt[]; adj: Stmt[] } {
    const fwd: Stmt[] = [];
    const adj: Stmt[] = [];
    const once = m.loops.length === 0;
    const callee = this.callees.get(e.fn);
    const written = this.writeMap.get(e.fn) ?? new Set<number>();
    if (v && this.fn.locals.get(v) === 'number' && (!isDecl || !this.inlineDecl(v, m))) this.saveScalar(v, m, fwd, adj);
    const arrayArg = (a: Expr) => a.k === 'var' && isArrayType(this.fn.locals.get(a.name) ?? 'number');
    const anyActive = (v !== null && this.carriesAdjoint(v)) || e.args.some((a) => (arrayArg(a) ? this.isActive((a as { name: string }).name) : this.activeExpr(a)));
    // arrays the callee overwrites: the adjoint needs their contents from before the call
    const snapshots = new Map<string, Expr>();
    // …kept on the value tape in a loop, once for each time the adjoint puts them back: after the
    // kernel, and before it too when the callee reads their contents (true)
    const onTape = new Map<string, boolean>();
    // …only the slices the callee writes, where it writes at indices its arguments bound
    const slices = new Map<string, WrittenRegion[] | null>();
    const needsAdjoint = (v !== null && this.carriesAdjoint(v)) || e.args.some((a, i) => written.has(i) && arrayArg(a) && this.carriesAdjoint((a as { name: string }).name));
    const kernelRuns = anyActive && needsAdjoint && !!callee;
    // arrays passed both where the callee writes and where it only reads (`axpy(c, y, y)`): the
    // kernel re-runs the callee, which must read the contents from before the call there
    const writtenArgs = new Set(e.args.flatMap((a, i) => (written.has(i) && a.k === 'var' ? [a.name] : [])));
    const readAlso = new Set(e.args.flatMap((a, i) => (!written.has(i) && a.k === 'var' && writtenArgs.has(a.name) ? [a.name] : [])));
    e.args.forEach((a, i) => {
      if (!arrayArg(a)) return;
      const name = (a as { name: string }).name;
      // a copy of the array's own type: the kernel's parameter may be a number[] or Float32Array
      const type = (this.fn.locals.get(name) ?? 'Float64Array') as ArrayResultType;
      const writtenHere = written.has(i);
      // (an array the call also writes is not stable: the kernel must not read what the call left)
      if (!writtenHere && (!anyActive || !once || (this.stable(name, m.pos + 1, m) && !readAlso.has(name)))) return;
      if (!writtenHere) {
        // read-only argument overwritten later: the kernel needs today's contents
        const t = this.namer.fresh('_c');
        fwd.push(this.define(t, type, arrayCopy(type, b.v(name)), m, false, null));
        snapshots.set(name, b.v(t));
        return;
      }
      // the contents from before the call are needed by the kernel when the callee reads them, and
      // by the adjoint of earlier statements that read the array (a callee that only
      // writes an output array, like `rhs(y, k)`, leaves nothing to save)
      const save = (anyActive && (!callee || this.readsIncoming(e.fn, callee, i) || readAlso.has(name))) || this.needsSave(name, m);
      // the adjoint sweep changes the array (a kernel re-runs the callee, a snapshot is put back):
      // the caller's array must end with the primal's contents, as for a direct write
      if ((save || anyActive) && this.fn.params.some((p) => p.name === name)) this.restoredArrays.add(name);
      if (!save) return;
      if (once && !this.kernel) {
        const t = this.namer.fresh('_c');
        fwd.push(this.define(t, type, arrayCopy(type, b.v(name)), m, false, null));
        snapshots.set(name, b.v(t));
      } else {
        // no copy per iteration (nor per call of a kernel): the contents go on the value tape,
        // copied back before the kernel when it reads them, and popped after it for the adjoints
        // of earlier statements (an argument computed from the array, `setAll(y, y[0] * 2)`,
        // reads them before the kernel too)
        const readBefore = !callee || this.readsIncoming(e.fn, callee, i) || e.args.some((x) => x.k !== 'var' && b.varsOf(x).has(name));
        onTape.set(name, kernelRuns && (readBefore || readAlso.has(name)));
        snapshots.set(name, b.v(name));
        if (callee) slices.set(name, this.callWriteRegions(e, callee, name, written));
      }
    });
    // scalar arguments as the kernel will need them: named now (once) or recomputed later (loops)
    const argAdj: Stmt[] = [];
    const argLins = new Map<number, Lin>();
    if (anyActive && callee) {
      e.args.forEach((a, i) => {
        if (!arrayArg(a)) argLins.set(i, this.linearize(a, true, once ? fwd : argAdj, m, once));
      });
    }
    // The adjoint pops in argument order after the kernel, having copied them back without
    // popping before it (peeks) where the kernel needs them: the tape is last in, first out, so
    // the pushes go in the reverse order, and before the result's save above (the adjoint pops
    // that one first).
    const saved = [...onTape.keys()];
    if (saved.length > 0) {
      this.usesTape.values = true;
      fwd.unshift(...[...saved].reverse().flatMap((n) => this.pushWritten(n, slices.get(n))));
    }
    const callExpr = primalExpr(e);
    if (v) fwd.push(isDecl ? this.define(v, 'number', callExpr, m, mutable) : b.assign(v, callExpr));
    else fwd.push(b.exprStmt(callExpr));
    // `beforeKernel`: the kernel re-runs the callee from these contents; a callee that only
    // writes the array needs them back after it only
    const restoreWritten = (beforeKernel = false): Stmt[] => {
      const copies = [...snapshots]
        .filter(([name]) => !onTape.has(name) && e.args.some((a, i) => written.has(i) && a.k === 'var' && a.name === name))
        .map(([name, snap]) => b.exprStmt(this.copyInto(name, snap)));
      if (!beforeKernel) return [...copies, ...saved.flatMap((n) => this.popWritten(n, slices.get(n)))];
      if (!saved.some((n) => onTape.get(n))) return copies;
      // the tape's top holds the first argument's contents, then the next below it, …
      const q = this.namer.fresh('_q');
      return [...copies, b.decl(q, 'number', b.ext('_sp'), true), ...saved.flatMap((n) => this.peekWritten(n, slices.get(n), q))];
    };
    // the kernel's adjoint matters only when the result reaches the function's result or the
    // callee writes into an array that does; a zero-seeded kernel call adds nothing, or NaN (0 · ∞)
    if (!kernelRuns) {
      adj.push(...restoreWritten());
      return { fwd, adj };
    }
    adj.push(...restoreWritten(true), ...argAdj);
    // arguments as the kernel needs them
    const kernelArgs: Expr[] = [];
    const scalarLins: { lin: Lin; slot: number }[] = [];
    let slot = 0;
    e.args.forEach((a, i) => {
      const p = callee.params[i]!;
      if (arrayArg(a)) {
        const name = (a as { name: string }).name;
        this.usedByAdjoint.add(name);
        const snap = snapshots.get(name);
        // (contents on the tape are back in the array when the kernel runs: a copy for a read-only parameter of a call that also writes the array)
        const readOnlyCopy = !written.has(i) && onTape.has(name) && readAlso.has(name);
        kernelArgs.push(readOnlyCopy ? arrayCopy((this.fn.locals.get(name) ?? 'Float64Array') as ArrayResultType, b.v(name)) : snap && !written.has(i) ? snap : b.v(name));
        // the kernel reads an array's contents unless the callee only writes it
        // (outside loops too where the contents went on the tape: a slice restores only what the
        // call wrote, so later overwrites of the rest must be saved for the kernel)
        if ((!once || onTape.has(name)) && (!written.has(i) || this.readsIncoming(e.fn, callee, i))) this.registerReads(b.v(name), m);
        kernelArgs.push(this.isActive(name) ? b.v(this.adjointArray(name, m)) : this.adjointSink(name));
        return;
      }
      const lin = argLins.get(i)!;
      kernelArgs.push(lin.val);
      if (p.type === 'number') scalarLins.push({ lin, slot: slot++ });
    });
    if (callee.returns.kind === 'number') kernelArgs.push(v && this.carriesAdjoint(v) ? this.adjointOf(v, m) : b.ZERO);
    adj.push(b.exprStmt(b.xcall(this.kernelFor(e.fn, tangentMask(e.args, this.fn, this.act.active)), ...kernelArgs)));
    if (v && this.isActive(v)) {
      const seed = this.adjointOf(v, m);
      if (seed.k === 'var') adj.push(b.assign(seed.name, b.ZERO));
    }
    // the arrays as they were before the call, then the arguments' adjoints: their partials read
    // what the arguments were computed from (`scale(y, y[0] * y[0])` reads the y[0] of before)
    adj.push(...restoreWritten());
    for (const { lin, slot: k } of scalarLins) {
      if (!lin.active) continue;
      const c = this.namer.fresh('_b');
      adj.push(b.decl(c, 'number', b.ext(`${names.vjpKernelBar(e.fn)}[${k}]`), false));
      this.propagate(lin, b.v(c), adj, m);
    }
    return { fwd, adj };
  }

  private ifStmt(s: Extract<Stmt, { k: 'if' }>, m: Mode): { fwd: Stmt[]; adj: Stmt[] } {
    const inner = { region: m.region, loops: m.loops, topSeq: false };
    const t = this.seq(s.then, inner);
    const e = this.seq(s.else, inner);
    const c = primalExpr(s.c);
    if (isEmpty(t.adj) && isEmpty(e.adj)) return { fwd: [b.ifs(c, t.fwd, e.fwd)], adj: [] };
    if (this.reEvaluable(c, m)) {
      this.registerReads(c, m);
      return { fwd: [b.ifs(c, t.fwd, e.fwd)], adj: [b.ifs(c, t.adj, e.adj)] };
    }
    if (m.loops.length === 0) {
      const flag = this.namer.fresh('_branch');
      this.hoist(m, flag, 'boolean');
      return { fwd: [b.assign(flag, c), b.ifs(b.v(flag), t.fwd, e.fwd)], adj: [b.ifs(b.v(flag), t.adj, e.adj)] };
    }
    this.usesTape.values = true;
    return {
      fwd: [b.ifs(c, [...t.fwd, b.exprStmt(b.xcall('_push', b.ONE))], [...e.fwd, b.exprStmt(b.xcall('_push', b.ZERO))])],
      adj: [b.ifs(b.op('===', b.xcall('_pop'), b.ONE), t.adj, e.adj)],
    };
  }

  // ---- loops ---------------------------------------------------------------------------------

  private loop(s: Extract<Stmt, { k: 'loop' }>, m: Mode): { fwd: Stmt[]; adj: Stmt[] } {
    const ind = loopIndependence(s, { fn: this.fn, jf: this.jf, writeMap: this.writeMap, declOf: this.declOf, declCount: this.declCount, writes: this.writes });
    if (ind) {
      const activeAcc = ind.accumulators.filter((a) => this.isActive(a));
      const activeStores = ind.stores.filter((a) => this.isActive(a));
      if (activeAcc.length === 0 && activeStores.length === 0) return this.primalLoop(s, m, ind);
      if (activeAcc.length === 1 && activeStores.length === 0 && m.loops.length === 0 && this.fusionPays(s, m, ind.locals, activeAcc[0]!)) return this.fusedLoop(s, m, ind, activeAcc);
      // several sums fuse where every sum's adjoint is known before the loop (`return 0.5 * s + t`)
      const direct = (a: string) => m.region.adjoint.has(a) || this.knownSeed(s, a, m) !== null;
      if (activeAcc.length > 1 && activeStores.length === 0 && m.loops.length === 0 && activeAcc.every((a) => direct(a) && this.fusionPays(s, m, ind.locals, a))) return this.fusedLoop(s, m, ind, activeAcc);
      return this.recomputedLoop(s, m, ind);
    }
    return this.tapedLoop(s, m);
  }

  /**
   * Fusion keeps a per-unit sum for every outer active value the body reads, unless the sum's
   * adjoint is known before the loop (`knownSeed`) or already fixed (a sum inside a fused sum).
   * Inside another fused or recomputed loop a per-unit array would cost a pass over the array per
   * execution, so there only loops that read outer scalars are fused and the others recompute
   * their iterations. At the top of a function
   * it costs a pass per call, which pays when the loop visits the arrays anyway (reads them at
   * its counter) or does more work per iteration (nested loops, calls); a helper summing over a
   * few elements of a large array (`Math.sqrt(Σ (X[i*d+k] − X[j*d+k])²)`, a row's log-sum-exp)
   * recomputes its iterations instead of paying for the whole array on each call.
   */
  private fusionPays(s: Extract<Stmt, { k: 'loop' }>, m: Mode, locals: Set<string>, acc: string): boolean {
    const outerArrays = new Set([...this.readsIn(s.body)].filter((v) => !locals.has(v) && this.isActive(v) && isArrayType(this.fn.locals.get(v) ?? 'number')));
    if (outerArrays.size === 0) return true;
    // no per-unit arrays where the iterations add into the outer adjoints directly (fusedLoop)
    const direct = m.region.adjoint.has(acc) || (m.region.id === 'top' && this.knownSeed(s, acc, m) !== null);
    const after = this.endPos.get(s)! + 1;
    if (direct && [...outerArrays].every((u) => this.stable(u, after, m))) return true;
    if (m.region.id !== 'top') return false;
    let heavy = someExpr(s.body, (e) => e.k === 'call');
    visitStmts(s.body, (st) => { heavy ||= st.k === 'loop'; });
    if (heavy) return true;
    const counter = s.counter?.name;
    if (!counter) return false;
    const atCounter = (i: Expr): boolean => (i.k === 'var' && i.name === counter) || (i.k === 'op' && (i.op === '+' || i.op === '-') && atCounter(i.args[0]!) && i.args[1]?.k === 'num');
    return !someExpr(s.body, (e) => (e.k === 'idx' && outerArrays.has(e.arr) && !atCounter(e.i)) || (e.k === 'var' && outerArrays.has(e.name)));
  }

  /** Every variable read by expressions in the statements (values, indices, conditions). */
  private readsIn(stmts: Stmt[], out = new Set<string>()): Set<string> {
    for (const st of stmts) {
      const es: (Expr | null | undefined)[] = st.k === 'decl' ? [st.init] : st.k === 'assign' || st.k === 'expr' || st.k === 'return' ? [st.e] : st.k === 'store' ? [st.e, st.i] : st.k === 'if' ? [st.c] : st.k === 'loop' ? [st.test] : [];
      for (const e of es) if (e) b.varsOf(e, out);
      if (st.k === 'if') { this.readsIn(st.then, out); this.readsIn(st.else, out); }
      if (st.k === 'loop') { this.readsIn(st.init, out); this.readsIn(st.body, out); this.readsIn(st.update, out); }
    }
    return out;
  }

  /** A loop with nothing to differentiate: the primal only (outer values it overwrites are saved). */
  private primalLoop(s: Extract<Stmt, { k: 'loop' }>, m: Mode, ind: { accumulators: string[]; stores: string[] }): { fwd: Stmt[]; adj: Stmt[] } {
    const fwd: Stmt[] = [];
    const adj: Stmt[] = [];
    this.saveAround(s, ind, m, fwd, adj);
    fwd.push(this.plainLoop(s));
    return { fwd, adj };
  }

  /** Where a call writes into the array `name`: slices in the caller's terms, or null (anywhere). */
  private callWriteRegions(e: Extract<Expr, { k: 'call' }>, callee: FunctionIR, name: string, written: Set<number>): WrittenRegion[] | null {
    const regions: WrittenRegion[] = [];
    for (const [i, a] of e.args.entries()) {
      if (a.k !== 'var' || a.name !== name || !written.has(i)) continue;
      const inCallee = paramWriteRegions(callee, i, this.writeMap);
      const atCall = inCallee && regionsAtCall(inCallee, callee, e.args);
      if (!atCall) return null;
      regions.push(...atCall);
    }
    const merged = mergeRegions(regions);
    return this.coversArray(name, merged) ? null : merged;
  }

  /** Whether a region is the whole array (saved whole then: a slice's bounds would cost two more tape entries). */
  private coversArray(name: string, regions: WrittenRegion[]): boolean {
    const def = this.declOf.get(name);
    const allocated = this.declCount.get(name) === 1 && def?.init?.k === 'alloc' ? def.init.len : null;
    return regions.some((r) => !isStrided(r) && b.isZero(r.lo) && (b.sameExpr(r.hi, b.len(name)) || (allocated !== null && b.sameExpr(r.hi, allocated))));
  }

  /** Puts an array's contents on the value tape: the slices that will be overwritten, or all of it. */
  private pushWritten(name: string, regions: WrittenRegion[] | null | undefined): Stmt[] {
    this.usedByAdjoint.add(name);
    if (!regions) return [b.exprStmt(b.xcall('_pushArray', b.v(name)))];
    return regions.map((r) =>
      b.exprStmt(isStrided(r) ? b.xcall('_pushStrided', b.v(name), primalExpr(r.start), primalExpr(r.stride), primalExpr(r.count)) : b.xcall('_pushSlice', b.v(name), primalExpr(r.lo), primalExpr(r.hi))),
    );
  }

  /** Takes back what pushWritten put on the tape (each slice carries its bounds), last region first. */
  private popWritten(name: string, regions: WrittenRegion[] | null | undefined): Stmt[] {
    if (!regions) return [b.exprStmt(b.xcall('_popArray', b.v(name)))];
    return [...regions].reverse().map((r) => b.exprStmt(b.xcall(isStrided(r) ? '_popStrided' : '_popSlice', b.v(name))));
  }

  /** Copies back what pushWritten put on the tape, ending at position q, without popping it; q moves below it. */
  private peekWritten(name: string, regions: WrittenRegion[] | null | undefined, q: string): Stmt[] {
    if (!regions) return [b.assign(q, b.xcall('_peekArray', b.v(name), b.v(q)))];
    return [...regions].reverse().map((r) => b.assign(q, b.xcall(isStrided(r) ? '_peekStrided' : '_peekSlice', b.v(name), b.v(q))));
  }

  /** Accumulators and arrays an independent loop overwrites are saved once around the loop. */
  private saveAround(s: Extract<Stmt, { k: 'loop' }>, ind: { accumulators: string[]; stores: string[] }, m: Mode, fwd: Stmt[], adj: Stmt[]): void {
    // one restore per save; in a loop they pop a stack, so they run in the reverse order
    const restores: Stmt[] = [];
    this.saveEach(s, ind, m, fwd, restores);
    adj.push(...restores.reverse());
  }

  private saveEach(s: Extract<Stmt, { k: 'loop' }>, ind: { accumulators: string[]; stores: string[] }, m: Mode, fwd: Stmt[], adj: Stmt[]): void {
    for (const a of ind.accumulators) this.saveScalar(a, m, fwd, adj);
    for (const a of ind.stores) {
      if (!this.needsSave(a, m)) continue;
      if (this.fn.params.some((p) => p.name === a)) this.restoredArrays.add(a);
      if (m.loops.length === 0 && !this.kernel) {
        const t = this.namer.fresh('_c');
        fwd.push(this.define(t, 'Float64Array', b.xcall('Float64Array.from', b.v(a)), m, false, null));
        adj.push(b.exprStmt(this.copyInto(a, b.v(t))));
      } else {
        // on the value tape, not as a fresh copy per iteration (a loop over time steps would
        // allocate one array per step); saves and restores mirror each other, so the stack order holds
        // (only the slice the loop stores into, where its indices are bounded: one layer of a
        // state vector in a loop over layers)
        this.usesTape.values = true;
        const regions = this.loopWriteRegions(s, a);
        fwd.push(...this.pushWritten(a, regions));
        adj.push(...this.popWritten(a, regions));
      }
    }
  }

  /** Where a loop stores into the array `a`, evaluated before it runs; null where unbounded. */
  private loopWriteRegions(s: Extract<Stmt, { k: 'loop' }>, a: string): WrittenRegion[] | null {
    const changing = writtenIn([s]);
    const invariant = invariantWith((v) => !changing.has(v));
    const callWrites = (call: Extract<Expr, { k: 'call' }>) => call.args.some((x, j) => x.k === 'var' && x.name === a && (this.writeMap.get(call.fn)?.has(j) ?? true));
    const regions = storeRegions([s], a, invariant, callWrites);
    return regions && !this.coversArray(a, regions) ? regions : null;
  }

  /** The primal loop as written (forward sweep of loops whose adjoint recomputes). */
  private plainLoop(s: Extract<Stmt, { k: 'loop' }>): Stmt {
    const withNotes = s.body.flatMap((st) => {
      const note = provenance(this.fn, st);
      return [...(note ? [note] : []), ...primalStmts([st])];
    });
    return loopWithBody(s, withNotes);
  }

  /**
   * Whether e certainly holds an integer: integer literals, array lengths, their sums and
   * products, rounding functions, and variables written once with such a value.
   */
  private integral(e: Expr, depth = 0): boolean {
    switch (e.k) {
      case 'num': return Number.isInteger(e.v);
      case 'len': return true;
      case 'op':
        if (e.op === 'Math.floor' || e.op === 'Math.ceil' || e.op === 'Math.round' || e.op === 'Math.trunc') return true;
        return (e.op === '+' || e.op === '-' || e.op === '*' || e.op === 'neg') && e.args.every((a) => this.integral(a, depth));
      case 'var': {
        const def = this.declOf.get(e.name);
        return depth < 8 && !!def?.init && (this.writes.get(e.name)?.length ?? 0) <= 1 && this.declCount.get(e.name) === 1 && this.integral(def.init, depth + 1);
      }
      default: return false;
    }
  }

  /** Reverse iteration over a counting loop: bounds recomputed when they are stable, else a trip count. */
  private reverseCounting(s: Extract<Stmt, { k: 'loop' }>, m: Mode, fwdPre: Stmt[], body: Stmt[], adjBody: Stmt[], adjPre: Stmt[]): { fwdLoop: Stmt; adjLoop: Stmt } {
    // (body may be rewritten below to push without capacity checks)
    const counter = s.counter!;
    const i = counter.name;
    const test = s.test;
    const step = counter.step;
    const bounded = !this.jf.exits.has(s) && test && test.k === 'op' && test.args[0]!.k === 'var' && test.args[0]!.name === i && Math.abs(step) === 1;
    if (bounded && this.reEvaluable(counter.start, m) && this.reEvaluable(test.args[1]!, m)) {
      const limit = primalExpr(test.args[1]!);
      const start = primalExpr(counter.start);
      this.registerReads(limit, m);
      this.registerReads(start, m);
      let first: Expr | null = null;
      let cond: Expr | null = null;
      // the counter's last value: i runs through start, start ± 1, … so a fractional bound
      // (`i < n / 2` for odd n) rounds, and a fractional start shifts everything
      const whole = (e: Expr, round: 'ceil' | 'floor') => (this.integral(e) ? e : b.math(round, e));
      const startWhole = this.integral(start);
      // (from a start that is not a whole number: how many steps from it to the last value)
      let stepsToLast: Expr | null = null;
      if (step === 1 && (test.op === '<' || test.op === '<=')) {
        const span = startWhole ? limit : b.sub(limit, start);
        const last = test.op === '<' ? b.sub(whole(span, 'ceil'), b.ONE) : whole(span, 'floor');
        if (!startWhole) stepsToLast = last;
        first = startWhole ? last : b.add(start, last);
        cond = b.op('>=', b.v(i), start);
      } else if (step === -1 && (test.op === '>' || test.op === '>=')) {
        const span = startWhole ? limit : b.sub(start, limit);
        if (!startWhole) stepsToLast = test.op === '>' ? b.sub(whole(span, 'ceil'), b.ONE) : whole(span, 'floor');
        first = startWhole ? (test.op === '>' ? b.add(whole(span, 'floor'), b.ONE) : whole(span, 'ceil')) : b.sub(start, stepsToLast!);
        cond = b.op('<=', b.v(i), start);
      }
      if (first && cond) {
        // the trip count, for reserving tape space up front
        const trips = stepsToLast ? b.add(stepsToLast, b.ONE) : step === 1 ? b.add(b.sub(first, start), b.ONE) : b.add(b.sub(start, first), b.ONE);
        const reserved = this.reserveTape(body, trips, m);
        if (reserved) {
          fwdPre.push(...reserved.pre);
          body = reserved.body;
        }
        let fwdLoop: Stmt = { ...s, init: [b.decl(i, 'number', start)], test: primalExpr(test), update: [b.assign(i, b.num(step), '+=')], body };
        // from a start that is not a whole number, stepping the counter back down from its last
        // value rounds (1.3 + 4 − 1 − 1 − 1 − 1 is 1.2999999999999998 < 1.3: the first iteration's
        // adjoint was skipped); a whole-number count m rebuilds it as start ± m instead
        const m2 = stepsToLast ? this.namer.fresh('_m') : null;
        let adjLoop: Stmt = m2
          ? { k: 'loop', init: [b.decl(m2, 'number', b.sub(trips, b.ONE))], test: b.op('>=', b.v(m2), b.ZERO), update: [b.assign(m2, b.ONE, '-=')], body: [b.decl(i, 'number', b.add(start, b.mul(b.v(m2), b.num(step))), false), ...adjBody], doWhile: false }
          : { k: 'loop', init: [b.decl(i, 'number', first)], test: cond, update: [b.assign(i, b.num(-step), '+=')], body: adjBody, doWhile: false };
        if (reserved) {
          fwdLoop = { k: 'block', body: [fwdLoop, ...reserved.post] };
          adjLoop = this.localPops(adjLoop, reserved.tp, reserved.sp);
        }
        return { fwdLoop, adjLoop };
      }
    }
    // trip count (and start) saved: once in a local, in loops on the tape
    const n = this.namer.fresh('_n');
    this.hoist(m, n, 'number');
    const once = m.loops.length === 0;
    let start = primalExpr(counter.start);
    fwdPre.push(b.assign(n, b.ZERO));
    if (!(start.k === 'num')) {
      const st = this.namer.fresh('_start');
      this.hoist(m, st, 'number');
      fwdPre.push(b.assign(st, start));
      if (!once) {
        this.usesTape.values = true;
        adjPre.unshift(b.assign(st, b.xcall('_pop')));
      }
      start = b.v(st);
    }
    // a loop that may stop early (`break`) still runs at most as often as its bound allows:
    // enough to reserve its tape room up front
    const bound = this.tripBound(s);
    const reserved = bound ? this.reserveTape(body, bound, m) : null;
    if (reserved) {
      fwdPre.push(...reserved.pre);
      body = reserved.body;
    }
    const counted = loopWithBody(s, [...body, b.assign(n, b.ONE, '+=')]);
    const fwdLoop: Stmt = reserved ? { k: 'block', body: [counted, ...reserved.post] } : counted;
    const k = this.namer.fresh('_k');
    const reversed: Stmt = {
      k: 'loop',
      init: [b.decl(k, 'number', b.sub(b.v(n), b.ONE))],
      test: b.op('>=', b.v(k), b.ZERO),
      update: [b.assign(k, b.ONE, '-=')],
      body: [b.decl(i, 'number', b.add(start, b.mul(b.v(k), b.num(step))), false), ...adjBody],
      doWhile: false,
    };
    const adjLoop = reserved ? this.localPops(reversed, reserved.tp, reserved.sp) : reversed;
    if (!once) {
      this.usesTape.values = true;
      adjPre.unshift(b.assign(n, b.xcall('_pop')));
      const post = b.exprStmt(b.xcall('_push', b.v(n)));
      const pushStart = start.k === 'var' ? [b.exprStmt(b.xcall('_push', start))] : [];
      return { fwdLoop: { k: 'block', body: [fwdLoop, ...pushStart, post] }, adjLoop };
    }
    return { fwdLoop, adjLoop };
  }

  /**
   * At most how many times a counting loop with ±1 steps runs, from the first conjunct of its test
   * (`i < n && !_brk0` after a `break`): ceil(n − start), one more for `<=`. Null otherwise.
   */
  private tripBound(s: Extract<Stmt, { k: 'loop' }>): Expr | null {
    const c = s.counter;
    let t = s.test;
    while (t && t.k === 'op' && t.op === '&&') t = t.args[0]!;
    if (!c || !t || t.k !== 'op' || t.args.length !== 2 || t.args[0]!.k !== 'var' || t.args[0]!.name !== c.name) return null;
    const limit = primalExpr(t.args[1]!);
    const start = primalExpr(c.start);
    // evaluated once more before the loop: only what the loop does not change, and no calls
    const changing = writtenIn([s]);
    if ([limit, start].some((e) => someIn(e, (x) => x.k === 'call' || (x.k === 'var' && changing.has(x.name))))) return null;
    const span = c.step === 1 && (t.op === '<' || t.op === '<=') ? b.sub(limit, start) : c.step === -1 && (t.op === '>' || t.op === '>=') ? b.sub(start, limit) : null;
    if (!span) return null;
    const whole = this.integral(span) ? span : null;
    return t.op === '<=' || t.op === '>=' ? b.add(whole ?? b.math('floor', span), b.ONE) : (whole ?? b.math('ceil', span));
  }

  /**
   * A counting loop whose body pushes at most k values per iteration outside nested loops:
   * reserve k·trips tape slots before the loop, so its pushes need no capacity check.
   */
  private reserveTape(body: Stmt[], trips: Expr, m: Mode): { pre: Stmt[]; body: Stmt[]; post: Stmt[]; tp: string; sp: string } | null {
    const isPush = (st: Stmt) => st.k === 'expr' && st.e.k === 'xcall' && st.e.callee === '_push';
    let nested = false;
    const count = (stmts: Stmt[]): number => {
      let n = 0;
      for (const st of stmts) {
        if (isPush(st)) n++;
        else if (st.k === 'if') n += Math.max(count(st.then), count(st.else));
        else if (st.k === 'loop' || st.k === 'block') {
          const inner = st.k === 'loop' ? [...st.init, ...st.body, ...st.update] : st.body;
          // pushes in a nested loop (plain, or already reserved) make the count unknown
          if (someExpr(inner, (e) => e.k === 'xcall' && (e.callee === '_push' || e.callee === '_reserve'))) nested = true;
        }
      }
      return n;
    };
    const k = count(body);
    // a nested loop that reserved its own tape space, or a pushed array or slice, moves the stack pointer too
    if (someExpr(body, (e) => e.k === 'xcall' && e.callee !== '_push' && TAPE_PUSHES.has(e.callee))) nested = true;
    if (nested || k === 0) return null;
    // the tape and its stack pointer in locals while the loop runs (module variables are slower)
    const tp = this.namer.fresh('_tp');
    const sp = this.namer.fresh('_sp');
    this.hoist(m, tp, 'Float64Array', b.ext('_tape'));
    this.hoist(m, sp, 'number');
    const fast = (stmts: Stmt[]): Stmt[] =>
      stmts.map((st) => {
        if (isPush(st)) return b.store(tp, b.ext(`${sp}++`), ((st as Extract<Stmt, { k: 'expr' }>).e as Extract<Expr, { k: 'xcall' }>).args[0]!);
        if (st.k === 'if') return { ...st, then: fast(st.then), else: fast(st.else) };
        return st;
      });
    return {
      pre: [b.exprStmt(b.xcall('_reserve', b.mul(b.num(k), trips))), b.assign(tp, b.ext('_tape')), b.assign(sp, b.ext('_sp'))],
      body: fast(body),
      post: [b.assign('_sp', b.v(sp))],
      tp,
      sp,
    };
  }

  /**
   * The adjoint loop of a reserved loop pops from the local tape too, unless something in it uses
   * the module tape meanwhile: a kernel, or an iteration recomputed there that pushes (and pops) its
   * own values; the local pointer would then pop what they pushed.
   */
  private localPops(loop: Stmt, tp: string, sp: string): Stmt {
    const movesTape = (e: Expr) => e.k === 'xcall' && ((e.callee.startsWith('_') && e.callee.endsWith('Vjp')) || TAPE_PUSHES.has(e.callee));
    if (someExpr([loop], movesTape)) return loop;
    const body = mapStmtExprs([loop], (e) => (e.k === 'xcall' && e.callee === '_pop' ? b.idx(tp, b.ext(`--${sp}`)) : e));
    return { k: 'block', body: [b.assign(tp, b.ext('_tape')), b.assign(sp, b.ext('_sp')), ...body, b.assign('_sp', b.v(sp))] };
  }

  /**
   * `for (…) s += g(i)`: each iteration runs its own adjoint with s̄ = 1; the sweep scales by s̄.
   * With several sums (`accs`), each one's adjoint is known before the loop (knownSeed) or
   * inherited, and the iterations add straight into the outer adjoints.
   */
  private fusedLoop(s: Extract<Stmt, { k: 'loop' }>, m: Mode, ind: Independence, accs: string[]): { fwd: Stmt[]; adj: Stmt[] } {
    const fwd: Stmt[] = [];
    const adj: Stmt[] = [];
    const acc = accs[0]!;
    this.saveAround(s, ind, m, fwd, adj);
    const region: Region = { id: s, start: this.pos.get(s)!, end: this.endPos.get(s)!, adjoint: new Map(accs.map((a) => [a, b.ONE])), hoisted: [], hoistedNames: new Set(), interleaved: true };
    // per-unit sums of the adjoints of outer active values read in the body
    const outer = new Set<string>();
    const collectReads = (stmts: Stmt[]) => {
      for (const st of stmts) {
        const es: Expr[] = st.k === 'decl' ? (st.init ? [st.init] : []) : st.k === 'assign' || st.k === 'expr' ? [st.e] : st.k === 'store' ? [st.e] : [];
        for (const e of es) for (const v of diffVars(e)) if (this.isActive(v) && !ind.locals.has(v) && !accs.includes(v)) outer.add(v);
        if (st.k === 'if') { collectReads(st.then); collectReads(st.else); }
        if (st.k === 'loop') { collectReads(st.init); collectReads(st.body); collectReads(st.update); }
      }
    };
    collectReads(s.body);
    const scale: Stmt[] = [];
    const seed = this.adjointOf(acc, m);
    const inherited = accs.some((a) => m.region.adjoint.has(a));
    const knownOf = new Map(accs.flatMap((a) => { const k = m.region.adjoint.has(a) ? null : this.knownSeed(s, a, m); return k ? [[a, k] as const] : []; }));
    const known = knownOf.size > 0;
    if (inherited || known) {
      // The sum's adjoint is known before the loop runs, or holds for every iteration already (a
      // sum inside a fused sum): each iteration adds its share straight into the outer adjoints.
      // Not for a value written after the loop: the sweep resets its adjoint there, which would
      // drop what the loop added early, so that one keeps a per-unit sum.
      if (inherited) for (const [v, a] of m.region.adjoint) region.adjoint.set(v, a);
      for (const [a, given] of knownOf) {
        let k = given;
        if (!isAtom(k)) {
          const name = this.namer.fresh(`${bar(a)}Final`);
          fwd.push(b.decl(name, 'number', k, false));
          k = b.v(name);
        }
        region.adjoint.set(a, k);
      }
      const after = this.endPos.get(s)! + 1;
      for (const u of [...outer]) if (this.stable(u, after, m) && !this.rewrittenBeforeAdjoint(u, m)) outer.delete(u);
    }
    // what the per-unit sums are scaled by: their terms carry the seed already where it is direct
    const scaleBy = inherited || known ? b.ONE : seed;
    for (const u of outer) {
      let unit = `${bar(u)}_${acc}`;
      for (let k = 2; this.unitNames.has(unit); k++) unit = `${bar(u)}_${acc}_${k}`;
      this.unitNames.add(unit);
      region.adjoint.set(u, b.v(unit));
      const type = this.fn.locals.get(u)!;
      if (type === 'number') {
        fwd.push(this.define(unit, 'number', b.ZERO, m, true));
        const target = this.adjointOf(u, m);
        if (target.k === 'var') scale.push(...b.accumulate(target.name, b.mul(scaleBy, b.v(unit))));
      } else {
        fwd.push(this.define(unit, 'Float64Array', { k: 'alloc', ctor: 'Float64Array', len: b.len(u) }, m));
        const j = this.namer.fresh('_j');
        scale.push({
          k: 'loop',
          init: [b.decl(j, 'number', b.ZERO)],
          test: b.op('<', b.v(j), b.len(u)),
          update: [b.assign(j, b.ONE, '+=')],
          body: b.accumulateAt(this.adjointArray(u, m), b.v(j), b.mul(scaleBy, b.idx(unit, b.v(j)))),
          doWhile: false,
        });
      }
    }
    const body = this.seq(s.body, { region, loops: [], topSeq: true });
    const loop = loopWithBody(s, [...region.hoisted, ...body.fwd, ...(isEmpty(body.adj) ? [] : [...notePeakAfter(body.fwd), b.comment(known || !b.isOne(region.adjoint.get(acc)!) ? `adjoint of the iteration, ${accs.map(bar).join(' and ')} being known already` : `adjoint of the iteration, with ${bar(acc)} = 1`), ...body.adj])]);
    fwd.push(loop);
    if (scale.length > 0) {
      // a zero adjoint contributes nothing, also where a per-unit sum overflowed (0 · ∞ = NaN)
      const scaled = scaleBy.k === 'num' ? scale : [b.ifs(b.op('!==', scaleBy, b.ZERO), scale)];
      adj.push(b.comment(b.isOne(scaleBy) ? "the loop's adjoint" : `the loop's adjoint, scaled by ${bar(acc)}`), ...scaled);
    }
    return { fwd, adj };
  }

  /**
   * The adjoint a fused loop's accumulator will have after the loop, when it is already known
   * before the loop runs: the loop is in the function's top statement list, the result is the
   * sum itself (plus or minus other terms, times or divided by values that are final by then), and
   * no later statement reads or writes the sum. The iterations then add their adjoints straight
   * into the outer ones: a helper summing over a few elements of a large array
   * (`pairDist(X, i, j, d)`) costs those elements, where per-unit sums would cost a pass over the
   * whole array per call.
   */
  private knownSeed(s: Extract<Stmt, { k: 'loop' }>, acc: string, m: Mode): Expr | null {
    const result = this.jf.result;
    if (m.region.id !== 'top' || !m.topSeq || result.kind !== 'scalar' || !this.seed) return null;
    const at = this.jf.body.indexOf(s);
    if (at < 0) return null;
    const rest = this.jf.body.slice(at + 1).filter((st) => st.k !== 'comment');
    const ret = rest.pop();
    if (!ret || ret.k !== 'assign' || ret.name !== result.name || (ret.op ?? '=') !== '=') return null;
    if (this.readsIn(rest).has(acc) || writtenIn(rest).has(acc)) return null;
    // values in the result expression must hold their final values when the loop starts
    const final = (e: Expr) => !b.varsOf(e).has(acc) && [...b.varsOf(e)].every((v) => this.stable(v, this.pos.get(s)!, m));
    const linear = (e: Expr): Expr | null => {
      if (e.k === 'var' && e.name === acc) return this.seed;
      if (e.k !== 'op') return null;
      const [x, y] = e.args;
      if (e.op === 'neg' && x) { const g = linear(x); return g && b.neg(g); }
      if (!x || !y || e.args.length !== 2) return null;
      // a term added to the sum does not change its adjoint, whenever it is computed
      const free = (e: Expr) => !b.varsOf(e).has(acc);
      if ((e.op === '+' || e.op === '-') && free(y)) return linear(x);
      if (e.op === '+' && free(x)) return linear(y);
      if (e.op === '-' && free(x)) { const g = linear(y); return g && b.neg(g); }
      if (e.op === '*' && final(y)) { const g = linear(x); return g && b.mul(g, primalExpr(y)); }
      if (e.op === '*' && final(x)) { const g = linear(y); return g && b.mul(primalExpr(x), g); }
      if (e.op === '/' && final(y)) { const g = linear(x); return g && b.div(g, primalExpr(y)); }
      return null;
    };
    return linear(ret.e);
  }

  /**
   * Independent iterations with a non-unit adjoint (maps, several sums, loops nested in a fused
   * loop): each iteration's adjoint runs in the adjoint sweep after either a recomputation of
   * its forward part or the restore of a snapshot the forward sweep pushed (reverse/snapshot.ts).
   */
  private recomputedLoop(s: Extract<Stmt, { k: 'loop' }>, m: Mode, ind: Independence): { fwd: Stmt[]; adj: Stmt[] } {
    const fwd: Stmt[] = [];
    const adj: Stmt[] = [];
    this.saveAround(s, ind, m, fwd, adj);
    const snapshots = preferSnapshot(s.body, ind.privateArrays, m.region.id === 'top');
    const region: Region = {
      id: s,
      start: this.pos.get(s)!,
      end: this.endPos.get(s)!,
      // adjoints of outer values are where the enclosing region keeps them (per-unit sums in a fused loop)
      adjoint: new Map(m.region.adjoint),
      hoisted: [],
      hoistedNames: new Set(),
      interleaved: !snapshots,
    };
    const body = this.seq(s.body, { region, loops: [], topSeq: true });
    // the outer values an iteration's adjoint reads (registered for what the tape must save)
    const outerReads = (stmts: Stmt[]) => {
      const read = new Set<string>();
      visitStmts(stmts, (st) => {
        for (const e of ownExprs(st)) for (const v of b.varsOf(e)) if (this.fn.locals.has(v) && !ind.locals.has(v) && !ind.accumulators.includes(v)) read.add(v);
      });
      return { k: 'arr' as const, elems: [...read].map((v) => b.v(v)) };
    };
    const fwdPre: Stmt[] = [];
    const adjPre: Stmt[] = [];
    const snapshot = snapshots ? this.snapshot(s, m, region, body, ind, fwdPre) : null;
    if (snapshot) {
      this.registerReads(outerReads(snapshot.adjoint), m);
      const { fwdLoop, adjLoop } = this.reverseCounting(s, m, fwdPre, snapshot.forward, snapshot.adjoint, adjPre);
      fwd.push(...fwdPre, fwdLoop);
      adj.unshift(...adjPre, adjLoop);
      return { fwd, adj };
    }
    const recomputed = withoutOuterWrites(body.fwd, new Set(ind.accumulators), new Set(ind.stores));
    const iteration = [...region.hoisted, ...recomputed, ...notePeakAfter(recomputed), ...body.adj];
    // by recomputation, only those the recomputed statements and the adjoint read (a value the
    // body reads only for an outer write the recomputation drops, like `k` of `t[i] = y[i] + h * k[i]`, is not)
    this.registerReads(outerReads(iteration), m);
    const { fwdLoop, adjLoop } = this.reverseCounting(s, m, fwdPre, [], iteration, adjPre);
    const primal = this.plainLoop(s);
    // the forward sweep runs the loop as written, counting if the reverse needs a count
    const forwardLoop = fwdLoop.k === 'block' ? { ...fwdLoop, body: fwdLoop.body.map((st, k) => (k === 0 ? { ...primal, body: [...(primal as Extract<Stmt, { k: 'loop' }>).body, ...(st as Extract<Stmt, { k: 'loop' }>).body] } : st)) } : { ...primal, body: [...(primal as Extract<Stmt, { k: 'loop' }>).body, ...(fwdLoop as Extract<Stmt, { k: 'loop' }>).body] };
    fwd.push(...fwdPre, forwardLoop as Stmt);
    adj.unshift(...adjPre, adjLoop);
    return { fwd, adj };
  }

  /**
   * The iteration bodies of a snapshot loop: the forward part then pushes of the iteration's own
   * values that its adjoint reads; pops of them (in reverse order) then the adjoint. Null when
   * such a value cannot go on the value tape (a boolean, an array made in the iteration).
   */
  private snapshot(s: Extract<Stmt, { k: 'loop' }>, m: Mode, region: Region, body: { fwd: Stmt[]; adj: Stmt[] }, ind: Independence, fwdPre: Stmt[]): { forward: Stmt[]; adjoint: Stmt[] } | null {
    const expanded = this.expandScratch(s, m, body, ind);
    if (expanded) body = expanded.body;
    const declared = topDecls(body.fwd);
    const hoisted = topDecls(region.hoisted);
    const written = writtenIn(body.fwd);
    const pushes: Stmt[] = [];
    const pops: Stmt[] = [];
    const exposed = upwardExposed(body.adj);
    // cheap constants of the iteration (indices like `ik * d + id`) are recomputed, not pushed
    const cheap: Extract<Stmt, { k: 'decl' }>[] = [];
    const available = new Set([ind.counter]);
    for (const st of body.fwd) {
      if (st.k !== 'decl' || st.mutable || !st.init || st.type !== 'number' || recomputeCost([st]) > CHEAP_RECOMPUTE) continue;
      if (![...b.varsOf(st.init)].every((v) => available.has(v) || !written.has(v))) continue;
      available.add(st.name);
      cheap.push(st);
    }
    // the cheap constants the adjoint reads, and those they are computed from
    const needed = new Set(exposed);
    for (const st of [...cheap].reverse()) if (needed.has(st.name)) b.varsOf(st.init!, needed);
    const recomputed: Stmt[] = cheap.filter((st) => needed.has(st.name));
    for (const v of exposed) {
      if (recomputed.some((st) => st.k === 'decl' && st.name === v)) continue;
      if (expanded?.arrays.has(v)) continue;
      if (ind.privateArrays.includes(v)) {
        this.usedByAdjoint.add(v);
        pushes.push(b.exprStmt(b.xcall('_pushArray', b.v(v))));
        pops.unshift(b.exprStmt(b.xcall('_popArray', b.v(v))));
        continue;
      }
      const type = declared.get(v) ?? (written.has(v) ? hoisted.get(v) : undefined);
      if (type === undefined) continue;
      if (type !== 'number') return null;
      pushes.push(b.exprStmt(b.xcall('_push', b.v(v))));
      pops.unshift(declared.has(v) ? b.decl(v, 'number', b.xcall('_pop'), true) : b.assign(v, b.xcall('_pop')));
    }
    if (pushes.length > 0) this.usesTape.values = true;
    const mentioned = (stmts: Stmt[]) => {
      const names = new Set<string>();
      visitStmts(stmts, (s) => ownExprs(s).forEach((e) => b.varsOf(e, names)));
      for (const n of writtenIn(stmts)) names.add(n);
      return names;
    };
    // a variable of the iteration that the adjoint writes before it reads it (`li = _s0`, the
    // restore of an overwritten value) is not popped, but the adjoint's scope still declares it
    const inAdj = mentioned(body.adj);
    const adjDecls = new Set<string>();
    visitStmts([...pops, ...recomputed, ...body.adj], (st) => {
      if (st.k === 'decl') adjDecls.add(st.name);
    });
    for (const [v, type] of declared) {
      if (!inAdj.has(v) || adjDecls.has(v) || hoisted.has(v) || expanded?.arrays.has(v)) continue;
      if (type !== 'number') return null;
      pops.unshift(b.decl(v, 'number', b.ZERO, true));
    }
    const inFwd = mentioned(body.fwd);
    const offsets = expanded?.offsets ?? [];
    const forward = [...region.hoisted.filter((d) => d.k === 'decl' && inFwd.has(d.name)), ...offsets, ...body.fwd, ...pushes];
    const adjoint = [...region.hoisted, ...pops, ...offsets, ...recomputed, ...body.adj];
    if (expanded) fwdPre.push(...expanded.grow);
    return { forward, adjoint };
  }

  /**
   * Scratch arrays of a snapshot loop expanded by the iteration (array expansion): iteration i
   * uses elements [i·L, i·L + L) of one buffer of trips·L values instead of the array, so the
   * adjoint finds each iteration's values in place and nothing is copied to the tape and back
   * (what an expert does: keep x − μ_k for every k). Only for loops `for (let i = 0; i < n; i++)`
   * whose bound the body does not change, whose region runs each forward part just before its
   * adjoint (so the buffer is free again for the next execution), and arrays used only through
   * indexing.
   */
  private expandScratch(s: Extract<Stmt, { k: 'loop' }>, m: Mode, body: { fwd: Stmt[]; adj: Stmt[] }, ind: Independence): { body: { fwd: Stmt[]; adj: Stmt[] }; arrays: Set<string>; offsets: Stmt[]; grow: Stmt[] } | null {
    if (ind.privateArrays.length === 0 || m.loops.length > 0 || !m.region.interleaved) return null;
    const c = s.counter!;
    const t = s.test;
    if (c.step !== 1 || !b.isZero(c.start) || !t || t.k !== 'op' || (t.op !== '<' && t.op !== '<=') || t.args[0]!.k !== 'var' || t.args[0]!.name !== c.name) return null;
    const limit = primalExpr(t.args[1]!);
    const changed = writtenIn(s.body);
    if ([...b.varsOf(limit)].some((v) => changed.has(v))) return null;
    // a fractional bound still runs whole iterations (a typed array length must be an integer)
    const trips = t.op === '<' ? b.math('ceil', limit) : b.add(b.math('floor', limit), b.ONE);
    const arrays = new Set(ind.privateArrays.filter((a) => {
      const type = this.fn.locals.get(a);
      return (type === 'Float64Array' || type === 'number[]') && !someExpr([...body.fwd, ...body.adj], (e) => e.k === 'var' && e.name === a);
    }));
    if (arrays.size === 0) return null;
    const offsets: Stmt[] = [];
    const grow: Stmt[] = [];
    let fwd = body.fwd;
    let adj = body.adj;
    for (const a of arrays) {
      const all = this.namer.fresh(`_${a}All`);
      const off = this.namer.fresh(`_${a}Off`);
      this.hoistIn(this.top, all, 'Float64Array');
      const size = b.mul(trips, b.len(a));
      grow.push(b.ifs(b.op('<', b.len(all), size), [b.assign(all, { k: 'alloc', ctor: 'Float64Array', len: size })]));
      offsets.push(b.decl(off, 'number', b.mul(b.v(c.name), b.len(a)), false));
      fwd = expandArray(fwd, a, all, off);
      adj = expandArray(adj, a, all, off);
    }
    return { body: { fwd, adj }, arrays, offsets, grow };
  }

  /** Loops with loop-carried values: the body's forward sweep saves what its adjoint reads. */
  private tapedLoop(s: Extract<Stmt, { k: 'loop' }>, m: Mode): { fwd: Stmt[]; adj: Stmt[] } {
    const inner = { region: m.region, loops: [...m.loops, s], topSeq: false };
    const fwd: Stmt[] = [];
    let adj: Stmt[] = [];
    const canonical = !!s.counter;
    // a loop-local init (the counter of a counting loop stays in the loop head)
    const init = canonical ? { fwd: [], adj: [] } : this.seq(s.init, { region: m.region, loops: m.loops, topSeq: false });
    const update = canonical ? { fwd: [], adj: [] } : this.seq(s.update, inner);
    const body = this.seq(s.body, inner);
    const bodyFwd = [...body.fwd, ...update.fwd];
    const bodyAdj = [...update.adj, ...body.adj];
    fwd.push(...init.fwd);
    if (isEmpty(bodyAdj)) {
      fwd.push(canonical ? loopWithBody(s, bodyFwd) : { ...s, init: [], test: s.test && primalExpr(s.test), update: [], body: bodyFwd });
      return { fwd, adj: init.adj };
    }
    const adjPre: Stmt[] = [];
    if (canonical) {
      const { fwdLoop, adjLoop } = this.reverseCounting(s, m, fwd, bodyFwd, bodyAdj, adjPre);
      fwd.push(fwdLoop);
      adj = [...adjPre, adjLoop, ...init.adj];
      return { fwd, adj };
    }
    const n = this.namer.fresh('_n');
    this.hoist(m, n, 'number');
    fwd.push(b.assign(n, b.ZERO));
    fwd.push({ ...s, init: [], test: s.test && primalExpr(s.test), update: [], body: [...bodyFwd, b.assign(n, b.ONE, '+=')] });
    if (m.loops.length > 0) {
      this.usesTape.values = true;
      fwd.push(b.exprStmt(b.xcall('_push', b.v(n))));
      adjPre.push(b.assign(n, b.xcall('_pop')));
    }
    const k = this.namer.fresh('_k');
    const adjLoop: Stmt = { k: 'loop', init: [b.decl(k, 'number', b.ZERO)], test: b.op('<', b.v(k), b.v(n)), update: [b.assign(k, b.ONE, '+=')], body: bodyAdj, doWhile: false };
    adj = [...adjPre, adjLoop, ...init.adj];
    return { fwd, adj };
  }

  // ---- the whole function ----------------------------------------------------------------------

  /** Runs the transformation: a first pass finds what the adjoint reads, the second emits. */
  transform(): { fwd: Stmt[]; adj: Stmt[]; hoisted: Stmt[] } {
    const run = () => {
      this.namer = this.baseNamer.fork();
      this.declRegion.clear();
      this.unitNames.clear();
      const region: Region = { id: 'top', start: 0, end: Number.MAX_SAFE_INTEGER, adjoint: new Map(), hoisted: [], hoistedNames: new Set(), interleaved: true };
      this.top = region;
      for (const p of this.fn.params) region.hoistedNames.add(p.name);
      const r = this.seq(this.jf.body, { region, loops: [], topSeq: true });
      return { ...r, hoisted: region.hoisted };
    };
    this.collecting = true;
    run();
    this.collecting = false;
    this.restoredArrays.clear();
    this.usesTape.values = false;
    this.usesTape.refs = false;
    this.usesTape.copies = false;
    return run();
  }

  /** activity including the result variables */
  get activity(): Activity {
    return this.act;
  }

  get result(): JumpFree['result'] {
    return this.jf.result;
  }
}


// ---- public entry points ------------------------------------------------------------------------

/** What a callee does with each of its parameters (null: a number parameter), by callee name. */
type Incoming = (callee: string) => (ParamUse | null)[] | undefined;

interface Options {
  writes: WriteMap;
  callees: Map<string, FunctionIR>;
  /** which parameters' incoming contents callees read; without it, any read counts (readsParamContents) */
  incoming?: Incoming;
  /** which kernel a call uses (pipeline.ts: specialised to the arguments that carry adjoints) */
  kernelFor?: KernelFor;
}

/** Helpers that put values on the module tape (or make room there and move its pointer). */
const TAPE_PUSHES = new Set(['_push', '_pushArray', '_pushSlice', '_pushStrided', '_reserve']);

/**
 * `_notePeak()` after statements that push onto the value tape, where the adjoint of the same
 * iteration follows and pops it again: the tape is highest there, not at the end of the forward
 * sweep (a sum over Monte-Carlo paths, each taping its own time steps).
 */
function notePeakAfter(stmts: Stmt[]): Stmt[] {
  const pushes = someExpr(stmts, (e) => e.k === 'xcall' && TAPE_PUSHES.has(e.callee));
  return pushes ? [b.exprStmt(b.xcall('_notePeak'))] : [];
}

/**
 * An index the adjoint sweep can evaluate again rather than name: an atom, or a counter plus or
 * minus a constant (`x[i - 1]`; naming it inside a loop's iteration would put it on the tape).
 */
const cheapIndex = (e: Expr): boolean => isAtom(e) || (e.k === 'op' && (e.op === '+' || e.op === '-') && e.args.every((a) => a.k === 'var' || a.k === 'num'));

function build(fn: FunctionIR, act: Activity, namer: Namer, opts: Options, kernel: boolean, name = names.vjpKernel(fn.name)): TargetFunction & { usesTape: { values: boolean; refs: boolean; copies: boolean } } {
  const resultSeed = fn.returns.kind === 'number' ? b.v(kernel ? '_seed' : extraParam(fn, 'cotangent')) : null;
  const t = new ReverseTransformer(fn, act, namer, opts.writes, opts.callees, resultSeed, opts.kernelFor, kernel, opts.incoming);
  const { fwd, adj, hoisted } = t.transform();
  const result = t.result;
  act = t.activity;
  const body: Stmt[] = [];
  const activeParams = fn.params.filter((p) => act.active.has(p.name) && p.type !== 'boolean');
  // adjoints of the inputs
  for (const p of activeParams) {
    if (p.type === 'number') body.push(b.decl(bar(p.name), 'number', b.ZERO, true));
    else if (!kernel && !p.out) body.push(b.decl(bar(p.name), 'Float64Array', { k: 'alloc', ctor: 'Float64Array', len: b.len(p.name) }, false));
  }
  const cotangent = extraParam(fn, 'cotangent');
  const outParam = fn.params.find((p) => p.out);
  // a cotangent of the wrong length would read undefined (NaN) or drop elements: say so, as fJvp does for tangents
  const checkCotangent = (length: Expr) => b.exprStmt(b.xcall('_checkCotangent', b.v(cotangent), length));
  if (!kernel && outParam) body.push(checkCotangent(b.len(outParam.name)), b.decl(bar(outParam.name), 'Float64Array', b.xcall('Float64Array.from', b.v(cotangent)), false));
  body.push(...hoisted, ...fwd);
  // the value, before the adjoint sweep restores anything
  let value: Expr;
  const seedStmts: Stmt[] = [];
  const seed = kernel ? b.v('_seed') : b.v(cotangent);
  switch (result.kind) {
    case 'scalar':
      value = b.v(result.name);
      if (act.active.has(result.name)) seedStmts.push(b.assign(bar(result.name), seed));
      break;
    case 'tuple':
      value = fn.returns.kind === 'array' ? arrayOf(resultArrayType(fn), result.names.map((n) => b.v(n))) : { k: 'arr', elems: result.names.map((n) => b.v(n)) };
      if (!kernel) seedStmts.push(checkCotangent(b.num(result.names.length)));
      result.names.forEach((n, i) => { if (act.active.has(n)) seedStmts.push(b.assign(bar(n), b.idx(cotangent, b.num(i)))); });
      break;
    case 'array': {
      // with several returned arrays, `_which` says which one the forward sweep gave
      const { names, which } = result;
      const chosen = (pick: (name: string) => Expr): Expr => names.slice(0, -1).reduceRight<Expr>((rest, n, i) => ({ k: 'cond', c: b.op('===', b.v(which!), b.num(i)), a: pick(n), b: rest }), pick(names[names.length - 1]!));
      const v = '_value';
      body.push(b.decl(v, resultArrayType(fn), arrayCopy(resultArrayType(fn), chosen(b.v)), false));
      value = b.v(v);
      if (!kernel) seedStmts.push(checkCotangent(b.len(v)));
      names.forEach((name, i) => {
        if (!act.active.has(name)) return;
        const j = '_j';
        const seedLoop: Stmt = { k: 'loop', init: [b.decl(j, 'number', b.ZERO)], test: b.op('<', b.v(j), b.len(name)), update: [b.assign(j, b.ONE, '+=')], body: b.accumulateAt(bar(name), b.v(j), b.idx(cotangent, b.v(j))), doWhile: false };
        seedStmts.push(which ? b.ifs(b.op('===', b.v(which), b.num(i)), [seedLoop]) : seedLoop);
      });
      break;
    }
    default:
      value = outParam && !kernel ? arrayCopy(resultArrayType(fn), b.v(outParam.name)) : b.ZERO;
      if (outParam && !kernel) {
        body.push(b.decl('_value', resultArrayType(fn), value, false));
        value = b.v('_value');
      }
  }
  // parameter arrays the sweep restores get their final contents back afterwards; not in a
  // kernel, whose caller puts back the contents from before the call wherever it needs them
  // (restoreWritten), so a copy of the whole array per call would be wasted
  const finals: [string, string][] = kernel ? [] : [...t.restoredArrays].map((a) => [a, `_final_${a}`]);
  for (const [a, f] of finals) body.push(b.decl(f, 'Float64Array', b.xcall('Float64Array.from', b.v(a)), false));
  body.push(...seedStmts);
  if (t.usesTape.values) body.push(b.exprStmt(b.xcall('_notePeak')));
  // an entry point starts with empty tapes: a call that threw (a cotangent of the wrong length,
  // an index out of range) left its forward sweep's values on them
  const reset: Stmt[] = [];
  if (!kernel && t.usesTape.values) reset.push(b.assign('_sp', b.ZERO));
  if (!kernel && t.usesTape.refs) reset.push(b.exprStmt(b.xcall('_refs.splice', b.ZERO)));
  if (reset.length > 0) body.unshift(b.comment('empty tapes (a call that threw leaves its pushes behind)'), ...reset);
  if (!isEmpty(adj)) body.push(b.comment('adjoint sweep'), ...adj);
  for (const [a, f] of finals) {
    t.usesTape.copies = true;
    body.push(b.exprStmt(b.xcall('_copyInto', b.v(a), b.v(f))));
  }
  const r = returnTypeText(fn);
  if (kernel) {
    const scalars = fn.params.filter((p) => p.type === 'number');
    // a kernel specialised to some arguments is called only by callers that read the adjoints of
    // those (their inputs are active in it); the general kernel reports every number argument
    const reported = (p: { name: string }) => name === names.vjpKernel(fn.name) || act.active.has(p.name);
    // a zero seed needs no adjoint sweep; running it anyway can meet 0 · ∞ = NaN in a partial that
    // overflows (a cotangent that cancels to 0 at run time, `t3 - t3`). Only without array writes:
    // their adjoints arrive through the `_bar` arrays, not the seed.
    if (fn.returns.kind === 'number' && (opts.writes.get(fn.name)?.size ?? 0) === 0) {
      // (the slots are zeroed out of line, `_zeroSeed`: the kernel stays small enough to inline)
      const primal = b.xcall(names.primal(fn.name), ...fn.params.map((p) => b.v(p.name)));
      const zeroSeed = scalars.some(reported) ? b.xcall('_zeroSeed', b.v(names.vjpKernelBar(fn.name)), primal) : primal;
      body.unshift(b.ifs(b.op('===', b.v('_seed'), b.ZERO), [{ k: 'return', e: zeroSeed }]));
    }
    scalars.forEach((p, k) => {
      if (reported(p)) body.push({ k: 'store', arr: names.vjpKernelBar(fn.name), i: b.num(k), e: act.active.has(p.name) ? b.v(bar(p.name)) : b.ZERO, op: '=' });
    });
    if (fn.returns.kind === 'number') body.push({ k: 'return', e: value });
    const params: { name: string; type: string }[] = [];
    for (const p of fn.params) {
      params.push({ name: p.name, type: paramType(p) });
      if (isArrayType(p.type)) params.push({ name: bar(p.name), type: 'Float64Array' });
    }
    if (fn.returns.kind === 'number') params.push({ name: '_seed', type: 'number' });
    return {
      name,
      exported: true,
      doc: `Reverse-mode kernel of \`${fn.name}\` for derivative code that calls it: adds the adjoints of array arguments into their \`_bar\` arrays and leaves those of number arguments in \`${names.vjpKernelBar(fn.name)}\`.${(opts.writes.get(fn.name)?.size ?? 0) > 0 ? ' Arrays the function writes are left partly restored: the caller saves and restores what it needs.' : ''}`,
      params,
      returnType: fn.returns.kind === 'number' ? 'number' : 'void',
      body,
      usesTape: t.usesTape,
    };
  }
  const gradProps: [string, Expr][] = fn.params.filter((p) => p.active).map((p) => [apiName(p), act.active.has(p.name) ? b.v(bar(p.name)) : p.type === 'number' ? b.ZERO : { k: 'alloc', ctor: 'Float64Array', len: b.len(p.name) }]);
  body.push({ k: 'return', e: { k: 'obj', props: [['value', value], ['grad', { k: 'obj', props: gradProps }]] } });
  const cotType = fn.returns.kind === 'number' ? 'number' : fn.returns.kind === 'tuple' ? `readonly ${r}` : 'ArrayLike<number>';
  const gradType = gradTypeText(fn);
  return {
    name: names.vjp(fn.name),
    exported: true,
    doc: `Reverse mode (vector–Jacobian product) of \`${fn.name}\` (${fn.fileBase}:${fn.line}): the value and \`cotangentᵀ·J\` for each active input.`,
    params: [...userParams(fn), { name: extraParam(fn, 'cotangent'), type: cotType }],
    returnType: `{ value: ${r}; grad: ${gradType} }`,
    body,
    usesTape: t.usesTape,
  };
}

export function reversePublic(fn: FunctionIR, act: Activity, namer: Namer, opts: Options) {
  return build(fn, act, namer, opts, false);
}

/** The reverse kernel `_fVjp`, or with `name` one specialised to the active parameters of `act` (`_fVjpWrt_x`). */
export function reverseKernel(fn: FunctionIR, act: Activity, namer: Namer, opts: Options, name?: string) {
  return build(fn, act, namer, opts, true, name);
}
