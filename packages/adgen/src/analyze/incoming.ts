/**
 * Incoming contents: where a function reads the values an array parameter held when it was
 * called, as opposed to values it wrote there itself first. The stage arrays of a Runge–Kutta
 * step (`rhs(y, k1)` fills k1, then `mid(y, h, k1, tmp)` reads it) and a buffer filled before
 * it is read are outputs, whatever the function later reads back from them. Reverse mode saves
 * an argument around a call, and puts it back before the callee's kernel re-runs it, only where
 * the callee reads what it held (or the caller's adjoint does).
 *
 * Flow-sensitive over the statements in order. Writes that every run makes before a read cover
 * regions of the array (analyze/regions.ts): `a[e] = …` in a statement sequence covers [e, e + 1)
 * for the statements after it in that sequence; a counting loop `for (let i = s; i < h; i++)`
 * whose body stores `a[i + c] = …` at its top level, and has no break, continue or return,
 * covers [s + c, h + c) when s + c is a whole number (`i <= h`: h + 1 only for a whole h); a
 * call covers what its callee covers of that parameter. A covered region mentioning a variable
 * is dropped where the variable changes, and one read from an array or a call covers nothing (a
 * store could move it unseen). A read (an element, a compound store, a call whose callee reads
 * the parameter) is of written contents when its region over the enclosing loops' counters lies
 * inside a covered one, compared as linear forms; anything else reads incoming contents, at its
 * region or anywhere. What a function exports to its callers is in its parameters' terms: no
 * region mentioning a variable it assigns (a moved offset), and no covers at all when a `return`
 * may end it early (R43, R44 in notes/compiler-bugs.md).
 */
import type { Expr, FunctionIR, Stmt } from '../ir/nodes.ts';
import { isArrayType } from '../ir/nodes.ts';
import * as b from '../ir/builders.ts';
import { forEachExpr, visitStmts, writtenIn } from '../ir/walk.ts';
import { atMost, counterRange, invariantWith, regionOf, regionsAtCall, type CounterRanges, type Region } from './regions.ts';

/** What a function does with each array parameter, by position (null for number parameters). */
export interface ParamUse {
  /** regions whose incoming contents it may read (in its own parameters' terms); null: anywhere */
  reads: Region[] | null;
  /** regions every run writes before returning normally */
  covers: Region[];
}

export type Summaries = (callee: string) => { fn: FunctionIR; uses: (ParamUse | null)[] } | undefined;

/** The use each array parameter of fn gets; callees are looked up through `summaries`. */
export function paramUses(fn: FunctionIR, summaries: Summaries): (ParamUse | null)[] {
  const params = new Map(fn.params.flatMap((p, i) => (isArrayType(p.type) ? [[p.name, i] as const] : [])));
  const reads = new Map<string, Region[] | null>([...params.keys()].map((n) => [n, []]));
  const readAt = (arr: string, r: Region | null) => {
    const known = reads.get(arr);
    if (known === undefined || known === null) return;
    if (r === null) reads.set(arr, null);
    else known.push(r);
  };
  const covered = walk(fn.body, new Map(), { counters: new Map(), changing: new Set(), arrays: params, summaries, readAt });
  // callers read the regions in terms of their arguments: a parameter the body assigns (`o += 1`
  // before `a[o] = …`) no longer holds the argument there
  const assigned = writtenIn(fn.body);
  const inArgumentTerms = (r: Region) => !mentionsAny(r, assigned);
  // what a call always writes: nothing promised where a `return` may end it before the writes
  let returnsEarly = false;
  visitStmts(fn.body, (x) => {
    if (x.k === 'return' && x !== fn.body[fn.body.length - 1]) returnsEarly = true;
  });
  return fn.params.map((p) => {
    if (!params.has(p.name)) return null;
    const read = reads.get(p.name)!;
    return { reads: read === null || !read.every(inArgumentTerms) ? null : read, covers: returnsEarly ? [] : (covered.get(p.name) ?? []).filter(inArgumentTerms) };
  });
}

type Covered = Map<string, Region[]>;

interface Scope {
  /** counters of the enclosing loops */
  counters: CounterRanges;
  /** variables the enclosing loops assign (not invariant in an index's coefficients) */
  changing: Set<string>;
  arrays: Map<string, number>;
  summaries: Summaries;
  readAt: (arr: string, r: Region | null) => void;
}

/** Walks a statement sequence; returns what it covers at its end (per array). */
function walk(stmts: Stmt[], coveredIn: Covered, scope: Scope): Covered {
  const { counters, arrays, summaries, readAt } = scope;
  const covered: Covered = new Map([...coveredIn].map(([a, rs]) => [a, [...rs]]));
  const invariant = invariantWith((v) => !scope.changing.has(v));
  // reads of the arrays in an expression, checked against what is covered now
  const readsIn = (e: Expr) =>
    forEachExpr(e, (x) => {
      if (x.k === 'idx' && arrays.has(x.arr)) checkRead(x.arr, regionOf(x.i, counters, invariant), x.i);
      if (x.k === 'call') {
        const callee = summaries(x.fn);
        x.args.forEach((a, j) => {
          if (a.k !== 'var' || !arrays.has(a.name)) return;
          const use = callee?.uses[j];
          if (!callee || !use) return checkRead(a.name, null, null);
          if (use.reads === null) return checkRead(a.name, null, null);
          const at = regionsAtCall(use.reads, callee.fn, x.args);
          if (at === null) return checkRead(a.name, null, null);
          for (const r of at) checkRead(a.name, r, null);
        });
      }
    });
  const checkRead = (arr: string, r: Region | null, index: Expr | null) => {
    const regions = covered.get(arr) ?? [];
    const inside = regions.some((w) => (r !== null && contains(w, r)) || (index !== null && b.sameExpr(w.lo, index) && b.sameExpr(w.hi, b.add(index, b.ONE))));
    if (!inside) readAt(arr, r);
  };
  // (not a region read from an array, `a[idx[k]]`: a store into idx would move it unseen)
  const cover = (arr: string, r: Region) => {
    if (!readsElementOrCalls(r.lo) && !readsElementOrCalls(r.hi)) covered.set(arr, joined([...(covered.get(arr) ?? []), r]));
  };
  const forget = (names: Set<string>) => {
    for (const [a, rs] of covered) covered.set(a, rs.filter((r) => !mentionsAny(r, names)));
  };
  for (const s of stmts) {
    switch (s.k) {
      case 'decl':
      case 'assign':
        if (s.k === 'decl' ? s.init : s.e) readsIn((s.k === 'decl' ? s.init : s.e)!);
        coverByCall(s.k === 'decl' ? s.init : s.e, arrays, summaries, cover);
        forget(new Set([s.name]));
        break;
      case 'expr':
        readsIn(s.e);
        coverByCall(s.e, arrays, summaries, cover);
        break;
      case 'return':
        if (s.e) readsIn(s.e);
        break;
      case 'store':
        readsIn(s.i);
        readsIn(s.e);
        if (arrays.has(s.arr)) {
          if (s.op !== undefined && s.op !== '=') checkRead(s.arr, regionOf(s.i, counters, invariant), s.i);
          cover(s.arr, { lo: s.i, hi: b.add(s.i, b.ONE) });
        }
        break;
      case 'if':
        readsIn(s.c);
        walk(s.then, covered, scope);
        walk(s.else, covered, scope);
        forget(writtenIn([s]));
        break;
      case 'block':
        for (const [a, rs] of walk(s.body, covered, scope)) covered.set(a, rs);
        break;
      case 'loop': {
        const changing = new Set([...scope.changing, ...writtenIn([s])]);
        forget(changing);
        walk(s.init, covered, scope);
        const counters = new Map(scope.counters);
        if (s.counter) counters.set(s.counter.name, counterRange(s, invariantWith((v) => !changing.has(v))));
        for (const x of [...s.init, ...s.update]) if ((x.k === 'decl' || x.k === 'assign') && x.name !== s.counter?.name) counters.set(x.name, null);
        const inner = { ...scope, counters, changing };
        // the test, body and update see what was covered before the loop (and, in the body, what
        // the iteration wrote before the read)
        if (s.test) walk([{ k: 'expr', e: s.test }], covered, inner);
        walk(s.body, covered, inner);
        walk(s.update, covered, inner);
        for (const [arr, r] of loopCovers(s, arrays)) cover(arr, r);
        break;
      }
      default:
        break;
    }
  }
  return covered;
}

/** What a call statement's callee covers of the arrays passed to it. */
function coverByCall(e: Expr | null, arrays: Map<string, number>, summaries: Summaries, cover: (arr: string, r: Region) => void): void {
  if (e?.k !== 'call') return;
  const callee = summaries(e.fn);
  if (!callee) return;
  e.args.forEach((a, j) => {
    const use = callee.uses[j];
    if (a.k !== 'var' || !arrays.has(a.name) || !use) return;
    for (const r of regionsAtCall(use.covers, callee.fn, e.args) ?? []) cover(a.name, r);
  });
}

/** `for (let i = s; i < h; i++) { …; a[i + c] = …; … }` with no jumps: [s + c, h + c) of a. */
function loopCovers(s: Extract<Stmt, { k: 'loop' }>, arrays: Map<string, number>): [string, Region][] {
  const c = s.counter;
  const t = s.test;
  if (!c || c.step !== 1 || s.doWhile || !t || t.k !== 'op' || (t.op !== '<' && t.op !== '<=') || t.args[0]?.k !== 'var' || t.args[0].name !== c.name) return [];
  let jumps = false;
  visitStmts(s.body, (x) => {
    if (x.k === 'break' || x.k === 'continue' || x.k === 'return') jumps = true;
  });
  if (jumps) return [];
  const changing = writtenIn([s]);
  const bound = t.args[1]!;
  if (mentionsAny({ lo: c.start, hi: bound }, changing)) return [];
  const out: [string, Region][] = [];
  for (const st of s.body) {
    if (st.k !== 'store' || !arrays.has(st.arr) || (st.op !== undefined && st.op !== '=')) continue;
    const off = offsetFrom(st.i, c.name);
    if (off === null || someVar(off, changing)) continue;
    const lo = b.add(c.start, off);
    if (!integral(lo)) continue;
    // `i <= h` writes up to floor(h): h + 1 only for a whole h, else [s, h) (a part of it)
    out.push([st.arr, { lo, hi: b.add(t.op === '<=' && integral(bound) ? b.add(bound, b.ONE) : bound, off) }]);
  }
  return out;
}

/** c when e is `i`, `i + c` or `c + i` (c free of i), else null. */
function offsetFrom(e: Expr, i: string): Expr | null {
  if (e.k === 'var' && e.name === i) return b.ZERO;
  if (e.k !== 'op' || e.op !== '+' || e.args.length !== 2) return null;
  const [x, y] = e.args as [Expr, Expr];
  if (x.k === 'var' && x.name === i && !someVar(y, new Set([i]))) return y;
  if (y.k === 'var' && y.name === i && !someVar(x, new Set([i]))) return x;
  return null;
}

/** Whole numbers for certain: integer literals, lengths, and their sums, differences and products. */
function integral(e: Expr): boolean {
  if (e.k === 'num') return Number.isInteger(e.v);
  if (e.k === 'len') return true;
  if (e.k === 'op' && (e.op === '+' || e.op === '-' || e.op === '*') && e.args.length === 2) return e.args.every(integral);
  if (e.k === 'op' && e.op === 'neg') return integral(e.args[0]!);
  return false;
}

function someVar(e: Expr, names: Set<string>): boolean {
  let found = false;
  forEachExpr(e, (x) => {
    if ((x.k === 'var' && names.has(x.name)) || x.k === 'call' || x.k === 'idx') found = true;
  });
  return found;
}

const mentionsAny = (r: Region, names: Set<string>): boolean => someVar(r.lo, names) || someVar(r.hi, names);

const readsElementOrCalls = (e: Expr): boolean => someVar(e, new Set());

/**
 * Covered regions with touching ones joined: [a, b) and [b, c) as [a, c) (`k[0] = …; k[1] = …`
 * covers [0, 2)). Where one of them is empty the join lies inside the other, so it never covers
 * an element no write reached.
 */
function joined(regions: Region[]): Region[] {
  const out = [...regions];
  for (let merged = true; merged; ) {
    merged = false;
    for (let p = 0; p < out.length && !merged; p++) {
      for (let q = 0; q < out.length && !merged; q++) {
        if (p === q || !(atMost(out[p]!.hi, out[q]!.lo) && atMost(out[q]!.lo, out[p]!.hi))) continue;
        const join = { lo: out[p]!.lo, hi: out[q]!.hi };
        out.splice(Math.max(p, q), 1);
        out.splice(Math.min(p, q), 1, join);
        merged = true;
      }
    }
  }
  return out;
}

/** Whether the region r lies inside w. */
const contains = (w: Region, r: Region): boolean => atMost(w.lo, r.lo) && atMost(r.hi, w.hi);
