/**
 * Written regions: the index ranges a piece of code may store into an array at, as expressions
 * that can be evaluated before it runs (Tapenade's array-region analysis, in its simplest form).
 *
 * Reverse mode saves what a statement overwrites. In a loop, a call like `layer(w, c * n, n, buf)`
 * that fills one slice `buf[off + j]` of a shared buffer would otherwise save the whole buffer on
 * every call: O(C²·n) for an O(C·n) primal. With the region it saves the slice.
 *
 * An index qualifies when it is affine in the counters of enclosing canonical loops,
 * `off + i * w + j`, with coefficients and offset that do not change while the code runs
 * (parameters it never assigns, constants computed from them, array lengths). Each counter runs
 * over [start, last] with invariant bounds; the region is the bounding interval of the index,
 * computed with min/max where the sign of a coefficient is not known. Anything else (an index
 * read from an array, a counter with data-dependent bounds, a write through another call) has no
 * region, and the caller saves the whole array as before.
 */
import type { Expr, FunctionIR, Stmt } from '../ir/nodes.ts';
import * as b from '../ir/builders.ts';
import { mapExpr, mapStmtExprs, mapStmts, someIn, visitStmts } from '../ir/walk.ts';
import type { WriteMap } from './activity.ts';

/** Indices lo ≤ k < hi (not clamped to the array: the run-time helper clamps). */
export interface Region {
  lo: Expr;
  hi: Expr;
}

/**
 * Indices start + m · stride for 0 ≤ m < count (those inside the array): a column
 * `A[i * n + j]` over i, whose bounding interval would hold about n times as many elements.
 */
export interface Strided {
  start: Expr;
  stride: Expr;
  count: Expr;
}

/** Where code stores into an array: intervals, and strided runs of elements. */
export type WriteRegion = Region | Strided;

export const isStrided = (r: WriteRegion): r is Strided => 'stride' in r;

/** An affine index: offset + Σ coefficient · counter, every coefficient invariant. */
interface Affine {
  offset: Expr;
  terms: Map<string, Expr>;
}

/**
 * Bounds on the values a counter takes while its loop runs: low ≤ (or <) i ≤ (or <) high. The
 * bound of the loop test stays strict (`i < n / 2` ends below n / 2, not at n / 2 − 1: bounds
 * need not be whole numbers).
 */
export interface CounterRange {
  low: Expr;
  lowStrict: boolean;
  high: Expr;
  highStrict: boolean;
  /** the counter's first value, and whether it counts down */
  first: Expr;
  down: boolean;
}

type Invariant = (e: Expr) => boolean;

/** The ranges of the counters of enclosing loops (null: a variable the loop steps otherwise). */
export type CounterRanges = Map<string, CounterRange | null>;

/**
 * Expressions that keep their value while code runs: no element reads, calls or conditionals,
 * and only variables `fixed` says the code does not assign.
 */
export const invariantWith = (fixed: (name: string) => boolean): Invariant => (e) =>
  !someIn(e, (x) => x.k === 'idx' || x.k === 'call' || x.k === 'xcall' || x.k === 'cond' || (x.k === 'var' && !fixed(x.name)));

/**
 * The regions of `arr` that the statements may store into, or null when some store (or a call
 * that writes `arr`) has an index this analysis cannot bound. `invariant` says which expressions
 * keep their value while the statements run; `callWrites` whether a call writes `arr`.
 */
export function storeRegions(stmts: Stmt[], arr: string, invariant: Invariant, callWrites: (call: Extract<Expr, { k: 'call' }>) => boolean): WriteRegion[] | null {
  const regions: WriteRegion[] = [];
  let unknown = false;
  const walk = (list: Stmt[], counters: Map<string, CounterRange | null>): void => {
    for (const s of list) {
      if (unknown) return;
      if (s.k !== 'loop' && writesThroughCall(s, arr, callWrites)) {
        unknown = true;
        return;
      }
      switch (s.k) {
        case 'store':
          if (s.arr === arr) {
            const r = stridedOf(s.i, counters, invariant) ?? regionOf(s.i, counters, invariant);
            if (r) regions.push(r);
            else unknown = true;
          }
          break;
        case 'if':
          walk(s.then, counters);
          walk(s.else, counters);
          break;
        case 'block':
          walk(s.body, counters);
          break;
        case 'loop': {
          if (s.test && someIn(s.test, (e) => e.k === 'call' && callWrites(e))) {
            unknown = true;
            return;
          }
          // stores in the head count too: `for (y[o] = 0; …; y[o] *= 2, j++)`
          walk(s.init, counters);
          const inner = new Map(counters);
          // a counter of this loop, or a variable the loop steps some other way (its values unknown)
          if (s.counter) inner.set(s.counter.name, counterRange(s, invariant));
          for (const x of [...s.init, ...s.update]) if (x.k === 'decl' || x.k === 'assign') if (x.name !== s.counter?.name) inner.set(x.name, null);
          walk(s.body, inner);
          walk(s.update, inner);
          break;
        }
        default:
          break;
      }
    }
  };
  walk(stmts, new Map());
  return unknown ? null : mergeRegions(regions);
}

/**
 * Where a function may write its array parameter `i`, in terms of its own parameters (null when
 * unknown). Constants the body computes once from parameters (`const bo = wo + 4 * h`) are
 * inlined, so the caller can evaluate the bounds from its arguments.
 */
export function paramWriteRegions(fn: FunctionIR, i: number, writeMap: WriteMap): WriteRegion[] | null {
  const name = fn.params[i]?.name;
  if (name === undefined) return null;
  const writes = new Map<string, number>();
  visitStmts(fn.body, (s) => {
    if (s.k === 'decl' || s.k === 'assign') writes.set(s.name, (writes.get(s.name) ?? 0) + 1);
  });
  const params = new Set(fn.params.map((p) => p.name));
  // top-level constants computed from invariants only, inlined where they are used
  const constants = new Map<string, Expr>();
  const inline = (e: Expr): Expr => mapExpr(e, (x) => (x.k === 'var' && constants.has(x.name) ? constants.get(x.name)! : x));
  const invariant = invariantWith((v) => params.has(v) && !writes.has(v));
  for (const s of fn.body) {
    if (s.k === 'decl' && !s.mutable && s.type === 'number' && s.init && writes.get(s.name) === 1) {
      const init = inline(s.init);
      if (invariant(init)) constants.set(s.name, init);
    }
  }
  // (a counter's start is kept beside its loop's head too)
  const body =
    constants.size === 0
      ? fn.body
      : mapStmts(mapStmtExprs(fn.body, (x) => (x.k === 'var' && constants.has(x.name) ? constants.get(x.name)! : x)), (s) =>
          s.k === 'loop' && s.counter ? [{ ...s, counter: { ...s.counter, start: inline(s.counter.start) } }] : [s],
        );
  const callWrites = (call: Extract<Expr, { k: 'call' }>) =>
    call.args.some((a, j) => a.k === 'var' && a.name === name && (writeMap.get(call.fn)?.has(j) ?? true));
  return storeRegions(body, name, invariant, callWrites);
}

/** The regions of a callee's parameter at a call: its parameters replaced by the arguments. */
export function regionsAtCall<R extends WriteRegion>(regions: R[], fn: FunctionIR, args: Expr[]): R[] | null {
  const byParam = new Map<string, Expr>();
  fn.params.forEach((p, j) => {
    const a = args[j];
    if (a) byParam.set(p.name, a);
  });
  let ok = true;
  const at = (e: Expr): Expr =>
    mapExpr(e, (x) => {
      if (x.k === 'var') {
        const a = byParam.get(x.name);
        // an argument that calls something would be evaluated once more for the bounds
        if (!a || someIn(a, (y) => y.k === 'call')) ok = false;
        return a ?? x;
      }
      if (x.k === 'len') {
        const a = byParam.get(x.arr);
        if (a?.k !== 'var') ok = false;
        return a?.k === 'var' ? b.len(a.name) : x;
      }
      return x;
    });
  const out = regions.map((r) => (isStrided(r) ? { start: fold(at(r.start)), stride: fold(at(r.stride)), count: fold(at(r.count)) } : { lo: fold(at(r.lo)), hi: fold(at(r.hi)) }) as R);
  return ok ? out : null;
}

/** Sums and products rebuilt by the builders, which fold constants (`0 + 1` is `1`). */
function fold(e: Expr): Expr {
  return mapExpr(e, (x) => {
    if (x.k !== 'op' || x.args.length !== 2) return x;
    const [p, q] = x.args as [Expr, Expr];
    return x.op === '+' ? b.add(p, q) : x.op === '-' ? b.sub(p, q) : x.op === '*' ? b.mul(p, q) : x;
  });
}

/** Whether a statement hands `arr` to a call that writes it. */
function writesThroughCall(s: Stmt, arr: string, callWrites: (call: Extract<Expr, { k: 'call' }>) => boolean): boolean {
  const exprs = s.k === 'decl' ? (s.init ? [s.init] : []) : s.k === 'assign' || s.k === 'expr' ? [s.e] : s.k === 'store' ? [s.i, s.e] : s.k === 'if' ? [s.c] : s.k === 'return' ? (s.e ? [s.e] : []) : [];
  return exprs.some((e) => someIn(e, (x) => x.k === 'call' && x.args.some((a) => a.k === 'var' && a.name === arr) && callWrites(x)));
}

/** The first and last value of a canonical counter whose bounds are invariant, or null. */
export function counterRange(s: Extract<Stmt, { k: 'loop' }>, invariant: Invariant): CounterRange | null {
  const c = s.counter!;
  const t = s.test;
  if (!t || t.k !== 'op' || t.args.length !== 2 || t.args[0]!.k !== 'var' || t.args[0]!.name !== c.name) return null;
  const bound = t.args[1]!;
  if (!invariant(c.start) || !invariant(bound)) return null;
  if (c.step > 0 && (t.op === '<' || t.op === '<=')) return { low: c.start, lowStrict: false, high: bound, highStrict: t.op === '<', first: c.start, down: false };
  if (c.step < 0 && (t.op === '>' || t.op === '>=')) return { low: bound, lowStrict: t.op === '>', high: c.start, highStrict: false, first: c.start, down: true };
  return null;
}

/**
 * A store index with one counter whose coefficient is not a literal ±1 (`A[i * n + j]` over i):
 * the elements it visits, counted from the counter's first value (a counter stepping by more than
 * one visits fewer; the extra ones are saved and put back unchanged). Null otherwise.
 */
function stridedOf(index: Expr, counters: CounterRanges, invariant: Invariant): Strided | null {
  const a = affine(index, counters, invariant);
  if (!a || a.terms.size !== 1) return null;
  const [name, coef] = [...a.terms][0]!;
  const range = counters.get(name);
  if (!range || (coef.k === 'num' && Math.abs(coef.v) <= 1)) return null;
  const span = range.down ? b.sub(range.first, range.low) : b.sub(range.high, range.first);
  const strict = range.down ? range.lowStrict : range.highStrict;
  return {
    start: b.add(a.offset, b.mul(coef, range.first)),
    stride: range.down ? b.neg(coef) : coef,
    count: strict ? b.math('ceil', span) : b.add(b.math('floor', span), b.ONE),
  };
}

/**
 * The bounding interval of an index over the counters' ranges, or null. `lo` may sit below the
 * least index and `hi` above the greatest: `_pushSlice` rounds them outwards, so an index strictly
 * below a bound that is not a whole number is still inside.
 */
export function regionOf(index: Expr, counters: CounterRanges, invariant: Invariant): Region | null {
  const a = affine(index, counters, invariant);
  if (!a) return null;
  let lo = a.offset;
  let hi = a.offset;
  // the greatest index is below hi (some term strictly below its bound), or at most hi (then + 1)
  let strict = false;
  for (const [name, coef] of a.terms) {
    const range = counters.get(name);
    if (!range) return null;
    const atLow = b.mul(coef, range.low);
    const atHigh = b.mul(coef, range.high);
    const sign = coef.k === 'num' ? Math.sign(coef.v) : 0;
    if (sign > 0) {
      lo = b.add(lo, atLow);
      hi = b.add(hi, atHigh);
      strict ||= range.highStrict;
    } else if (sign < 0) {
      lo = b.add(lo, atHigh);
      hi = b.add(hi, atLow);
      strict ||= range.lowStrict;
    } else {
      // (inclusive: a strict end only makes the interval wider than needed)
      lo = b.add(lo, b.math('min', atLow, atHigh));
      hi = b.add(hi, b.math('max', atLow, atHigh));
    }
  }
  return { lo, hi: strict ? hi : b.add(hi, b.ONE) };
}

/** `index` as offset + Σ coefficient · counter, or null when it is not affine in the counters. */
function affine(e: Expr, counters: Map<string, CounterRange | null>, invariant: Invariant): Affine | null {
  const mentionsCounter = someIn(e, (x) => x.k === 'var' && counters.has(x.name));
  if (!mentionsCounter) return invariant(e) ? { offset: e, terms: new Map() } : null;
  if (e.k === 'var') return { offset: b.ZERO, terms: new Map([[e.name, b.ONE]]) };
  if (e.k !== 'op') return null;
  const [x, y] = e.args;
  if (e.op === 'neg' && x) return scale(affine(x, counters, invariant), b.num(-1));
  if ((e.op === '+' || e.op === '-') && x && y) {
    const p = affine(x, counters, invariant);
    const q = scale(affine(y, counters, invariant), b.num(e.op === '+' ? 1 : -1));
    if (!p || !q) return null;
    const terms = new Map(p.terms);
    for (const [n, c] of q.terms) terms.set(n, terms.has(n) ? b.add(terms.get(n)!, c) : c);
    return { offset: b.add(p.offset, q.offset), terms };
  }
  if (e.op === '*' && x && y) {
    const xConst = !someIn(x, (z) => z.k === 'var' && counters.has(z.name));
    const factor = xConst ? x : y;
    if (!invariant(factor)) return null;
    return scale(affine(xConst ? y : x, counters, invariant), factor);
  }
  return null;
}

function scale(a: Affine | null, factor: Expr): Affine | null {
  if (!a) return null;
  const terms = new Map<string, Expr>();
  for (const [n, c] of a.terms) terms.set(n, b.mul(c, factor));
  return { offset: b.mul(a.offset, factor), terms };
}

/** Linear form Σ coefficient · atom + constant of an expression (atoms: variables, lengths), or null. */
function linear(e: Expr): Map<string, number> | null {
  switch (e.k) {
    case 'num': return new Map([['', e.v]]);
    case 'var': return new Map([[`v:${e.name}`, 1]]);
    case 'len': return new Map([[`len:${e.arr}`, 1]]);
    case 'op': {
      const [x, y] = e.args;
      if (e.op === 'neg' && x) return scaled(linear(x), -1);
      if ((e.op === '+' || e.op === '-') && x && y) {
        const p = linear(x);
        const q = scaled(linear(y), e.op === '+' ? 1 : -1);
        if (!p || !q) return null;
        for (const [k, v] of q) p.set(k, (p.get(k) ?? 0) + v);
        return p;
      }
      if (e.op === '*' && x && y) {
        if (x.k === 'num') return scaled(linear(y), x.v);
        if (y.k === 'num') return scaled(linear(x), y.v);
      }
      return null;
    }
    default:
      return null;
  }
}

function scaled(f: Map<string, number> | null, k: number): Map<string, number> | null {
  if (!f) return null;
  return new Map([...f].map(([a, v]) => [a, v * k]));
}

/** Whether x ≤ y for every value of the variables: y − x is a non-negative constant. */
export function atMost(x: Expr, y: Expr): boolean {
  const d = linear(b.sub(y, x));
  if (!d) return false;
  for (const [k, v] of d) if (k !== '' && v !== 0) return false;
  return (d.get('') ?? 0) >= 0;
}

/** y − x when it is a constant, else null. */
function constantDifference(x: Expr, y: Expr): number | null {
  const d = linear(b.sub(y, x));
  if (!d) return null;
  for (const [k, v] of d) if (k !== '' && v !== 0) return null;
  return d.get('') ?? 0;
}

/**
 * The regions without repeats, constant ranges that overlap or touch as one (`y[0] = …;
 * y[1] = …` is one slice [0, 2), saved with one pair of bounds), and ranges whose ends differ by
 * constants (`a[3 * i]`, `a[3 * i + 1]`, `a[3 * i + 2]` over one loop) as their hull: a region
 * may hold more than is written (its contents are put back as they were), so the hull is one
 * slice a few elements longer instead of several.
 */
export function mergeRegions(regions: WriteRegion[]): WriteRegion[] {
  const constant: [number, number][] = [];
  const rest: Region[] = [];
  const strided: Strided[] = [];
  for (const r of regions) {
    if (isStrided(r)) {
      if (!strided.some((q) => b.sameExpr(q.start, r.start) && b.sameExpr(q.stride, r.stride) && b.sameExpr(q.count, r.count))) strided.push(r);
      continue;
    }
    if (r.lo.k === 'num' && r.hi.k === 'num') {
      constant.push([r.lo.v, r.hi.v]);
      continue;
    }
    const near = rest.findIndex((q) => constantDifference(q.lo, r.lo) !== null && constantDifference(q.hi, r.hi) !== null);
    if (near < 0) {
      rest.push(r);
      continue;
    }
    const q = rest[near]!;
    rest[near] = { lo: constantDifference(q.lo, r.lo)! < 0 ? r.lo : q.lo, hi: constantDifference(q.hi, r.hi)! > 0 ? r.hi : q.hi };
  }
  const merged: [number, number][] = [];
  for (const [lo, hi] of constant.filter(([lo, hi]) => lo < hi).sort((x, y) => x[0] - y[0])) {
    const last = merged[merged.length - 1];
    if (last && lo <= last[1]) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return [...merged.map(([lo, hi]) => ({ lo: b.num(lo), hi: b.num(hi) })), ...rest, ...strided];
}
