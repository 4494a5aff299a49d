/**
 * A target-IR pass that reads an array element once where the generated code reads it several
 * times with nothing in between that could change it:
 *  - out of a loop, when its index does not change in the loop and nothing the loop stores into
 *    can be the same array (`xcentered[i]` in an adjoint loop over j);
 *  - within a run of straight-line statements, when no statement between two reads stores into
 *    a possibly aliasing array (`qb[j]` read by the two adjoint updates of one product).
 * V8 cannot do either by itself across a store into another typed array, because it does not
 * know the two arrays are different; adgen knows for the arrays it allocates (optimize/owned.ts).
 */
import { sameExpr, varsOf } from '../ir/builders.ts';
import type { Expr, Stmt } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { forEachExpr, mapStmtExprs, someExpr, visitStmts, writtenIn } from '../ir/walk.ts';
import { compilerName, freshNames, opaqueNames } from './fresh.ts';
import { mayAlias, ownedArrays } from './owned.ts';

type Idx = Extract<Expr, { k: 'idx' }>;

export interface LoadContext {
  owned: Set<string>;
  fresh: (base: string) => string;
  /** names raw text (`ext`) mentions: it may change them where the IR does not show it */
  opaque: Set<string>;
}

export function reuseLoads(fn: TargetFunction): TargetFunction {
  const ctx: LoadContext = { owned: ownedArrays(fn), fresh: freshNames(fn), opaque: opaqueNames(fn.body) };
  return { ...fn, body: rewrite(fn.body, ctx) };
}

function rewrite(stmts: Stmt[], ctx: LoadContext): Stmt[] {
  const out: Stmt[] = [];
  for (const s of stmts) {
    if (s.k === 'if') out.push({ ...s, then: rewrite(s.then, ctx), else: rewrite(s.else, ctx) });
    else if (s.k === 'block') out.push({ ...s, body: rewrite(s.body, ctx) });
    else if (s.k === 'loop') out.push(...hoistInvariantLoads({ ...s, body: rewrite(s.body, ctx) }, ctx));
    else out.push(s);
  }
  return shareLoads(out, ctx);
}

/** An index the pass can move: arithmetic on variables, no element reads, no side effects. */
export const simpleIndex = (i: Expr): boolean => !someExpr([{ k: 'expr', e: i }], (e) => e.k === 'idx' || e.k === 'ext' || e.k === 'call' || e.k === 'xcall');

/** Arrays the statements may write: stores, and arrays handed to calls (kernels write into them). */
function arraysWritten(stmts: Stmt[]): { stored: Set<string>; unknown: boolean } {
  const stored = new Set<string>();
  let unknown = false;
  visitStmts(stmts, (s) => {
    if (s.k === 'store') stored.add(s.arr);
  });
  someExpr(stmts, (e) => {
    if (e.k === 'call' || e.k === 'xcall') {
      for (const a of e.args) {
        if (a.k === 'var') stored.add(a.name);
        // an array reached some other way (a property, an expression) could be anything
        else if (a.k !== 'num' && a.k !== 'idx' && a.k !== 'len' && a.k !== 'op') unknown = true;
      }
    }
    return false;
  });
  return { stored, unknown };
}

/** What one statement may change, for `unchangedBy` (statements are never mutated: cached). */
interface Effects {
  written: Set<string>;
  stored: Set<string>;
  unknown: boolean;
}
const effectsCache = new WeakMap<Stmt, Effects>();

function effectsOf(s: Stmt): Effects {
  let e = effectsCache.get(s);
  if (!e) {
    e = { written: writtenIn([s]), ...arraysWritten([s]) };
    effectsCache.set(s, e);
  }
  return e;
}

/** Whether none of the statements may change the value of `load` (checked one statement at a time). */
export function unchangedBy(load: Idx, stmts: Stmt[], ctx: LoadContext): boolean {
  if (ctx.opaque.has(load.arr) || [...varsOf(load.i)].some((v) => ctx.opaque.has(v))) return false;
  const indexVars = [...varsOf(load.i)];
  return stmts.every((s) => {
    const { written, stored, unknown } = effectsOf(s);
    if (written.has(load.arr) || indexVars.some((v) => written.has(v))) return false;
    if (unknown && !ctx.owned.has(load.arr)) return false;
    return [...stored].every((b) => !mayAlias(load.arr, b, ctx.owned));
  });
}

/** Element reads in the expressions of one statement (not in nested statements). */
export function loadsOf(s: Stmt): Idx[] {
  const exprs: (Expr | null)[] = s.k === 'decl' ? [s.init] : s.k === 'assign' || s.k === 'expr' || s.k === 'return' ? [s.e] : s.k === 'store' ? [s.e, s.i] : s.k === 'if' ? [s.c] : s.k === 'loop' ? [s.test] : [];
  const out: Idx[] = [];
  for (const e of exprs) {
    if (!e) continue;
    forEachExpr(e, (x) => {
      if (x.k === 'idx' && simpleIndex(x.i)) out.push(x);
    });
  }
  return out;
}

export function replaceLoad(stmts: Stmt[], load: Idx, name: string): Stmt[] {
  return mapStmtExprs(stmts, (e) => (e.k === 'idx' && e.arr === load.arr && sameExpr(e.i, load.i) ? { k: 'var', name } : e));
}

/** Loads in the loop's own statements (and test) that every iteration would repeat. */
function hoistInvariantLoads(loop: Extract<Stmt, { k: 'loop' }>, ctx: LoadContext): Stmt[] {
  // the test runs every iteration too, and may call a function that writes an array
  const parts: Stmt[] = [...loop.init, ...loop.update, ...loop.body, ...(loop.test ? [{ k: 'expr', e: loop.test } as Stmt] : [])];
  const candidates: Idx[] = [];
  for (const s of [...loop.body, { k: 'expr', e: loop.test ?? { k: 'num', v: 0 } } as Stmt]) {
    for (const l of loadsOf(s)) if (!candidates.some((c) => sameExpr(c, l))) candidates.push(l);
  }
  const before: Stmt[] = [];
  let body = loop.body;
  let test = loop.test;
  for (const load of candidates) {
    if (!unchangedBy(load, parts, ctx)) continue;
    const name = ctx.fresh(compilerName(load.arr, 'At'));
    before.push({ k: 'decl', name, type: 'number', init: load, mutable: false });
    body = replaceLoad(body, load, name);
    if (test) test = (replaceLoad([{ k: 'expr', e: test }], load, name)[0] as Extract<Stmt, { k: 'expr' }>).e;
  }
  return [...before, { ...loop, body, test }];
}

/** Within straight-line statements: a load repeated by later statements is read once. */
function shareLoads(stmts: Stmt[], ctx: LoadContext): Stmt[] {
  let out = stmts;
  const loads = new WeakMap<Stmt, Idx[]>();
  const loadsIn = (s: Stmt): Idx[] => {
    let l = loads.get(s);
    if (!l) loads.set(s, (l = s.k === 'if' || s.k === 'loop' || s.k === 'block' ? [] : loadsOf(s)));
    return l;
  };
  for (let i = 0; i < out.length; i++) {
    const s = out[i]!;
    if (s.k === 'if' || s.k === 'loop' || s.k === 'block' || s.k === 'comment') continue;
    for (const load of loadsIn(s)) {
      // how far the value stays the same: a statement reading it still sees it (its reads come
      // before its writes); the first statement that may change it ends the run
      let last = i;
      for (let j = i; j < out.length; j++) {
        if (j > i && loadsIn(out[j]!).some((l) => sameExpr(l, load))) last = j;
        if (!unchangedBy(load, [out[j]!], ctx)) break;
      }
      if (last === i) continue;
      const name = ctx.fresh(compilerName(load.arr, 'At'));
      out = [...out.slice(0, i), { k: 'decl', name, type: 'number', init: load, mutable: false }, ...replaceLoad(out.slice(i, last + 1), load, name), ...out.slice(last + 1)];
      // statement i (now at i + 1) is looked at again for its other loads
      break;
    }
  }
  return out;
}
