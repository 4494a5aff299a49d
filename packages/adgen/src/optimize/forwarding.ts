/**
 * A target-IR pass over straight-line statements that keeps a stored value in a local when the
 * code reads the element back, and drops a store that a later store to the same element
 * overwrites before anything reads it:
 *
 *   xb[id] += q[id] * b3;                 const _xbAt = xb[id] + q[id] * b3;
 *   const b2 = xb[id];              →     const b2 = _xbAt;
 *   xb[id] = 0;                           xb[id] = 0;
 *
 * Fused loops (optimize/fusion.ts) produce this shape: one body stores an element and the next
 * reads it. V8 keeps neither the value nor the store pattern across a store into another typed
 * array, because it cannot prove the arrays differ; adgen knows for the arrays it allocates
 * (optimize/owned.ts). Values are forwarded only through Float64Arrays and number[]s, which hold
 * a stored double exactly (a Float32Array rounds it).
 */
import { sameExpr, varsOf } from '../ir/builders.ts';
import type { Expr, Stmt } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { mapStatementLists, someExpr, visitStmts, writtenIn } from '../ir/walk.ts';
import { compilerName, freshNames, opaqueNames } from './fresh.ts';
import { loadsOf, replaceLoad, simpleIndex, unchangedBy, type LoadContext } from './loads.ts';
import { mayAlias, ownedArrays } from './owned.ts';

type Store = Extract<Stmt, { k: 'store' }>;

interface Ctx extends LoadContext {
  /** arrays that hold a stored number exactly */
  exact: Set<string>;
}

export function forwardStores(fn: TargetFunction): TargetFunction {
  const exact = new Set<string>(fn.params.filter((p) => p.type === 'Float64Array' || p.type === 'number[]').map((p) => p.name));
  visitStmts(fn.body, (s) => {
    if (s.k === 'decl' && (s.type === 'Float64Array' || s.type === 'number[]')) exact.add(s.name);
  });
  // a name declared with two different types in different scopes is left alone
  visitStmts(fn.body, (s) => {
    if (s.k === 'decl' && s.type !== 'Float64Array' && s.type !== 'number[]') exact.delete(s.name);
  });
  const ctx: Ctx = { owned: ownedArrays(fn), fresh: freshNames(fn), opaque: opaqueNames(fn.body), exact };
  const rewrite = (stmts: Stmt[]) => dropDeadStores(forward(stmts, ctx), ctx);
  return { ...fn, body: mapStatementLists(fn.body, rewrite) };
}

const compound = (s: Stmt) => s.k === 'if' || s.k === 'loop' || s.k === 'block';

function movable(s: Store, ctx: Ctx): boolean {
  return ctx.exact.has(s.arr) && !ctx.opaque.has(s.arr) && simpleIndex(s.i) && [...varsOf(s.i)].every((v) => !ctx.opaque.has(v));
}

/** Reads of an element the statement before just stored use the stored value. */
function forward(stmts: Stmt[], ctx: Ctx): Stmt[] {
  let out = stmts;
  for (let i = 0; i < out.length; i++) {
    const s = out[i]!;
    if (s.k !== 'store' || !movable(s, ctx)) continue;
    const load: Extract<Expr, { k: 'idx' }> = { k: 'idx', arr: s.arr, i: s.i };
    // `a[i] = t; …; a[i] += e` becomes `a[i] = t + e` (the first store is then dead); a stored
    // expression is not given a name only for that
    const addsHere = (t: Stmt) => (s.op ?? '=') === '=' && s.e.k === 'var' && addsInto(t, load);
    let last = i;
    // statements up to j - 1 leave the element as stored: one that reads it sees the stored value
    for (let j = i + 1; j < out.length; j++) {
      const t = out[j]!;
      if (!compound(t) && (loadsOf(t).some((l) => sameExpr(l, load)) || addsHere(t))) last = j;
      if (!unchangedBy(load, [t], ctx)) break;
    }
    if (last === i) continue;
    const op = s.op ?? '=';
    const value: Expr = op === '=' ? s.e : { k: 'op', op: op[0]!, args: [load, s.e] };
    const reads = out.slice(i + 1, last + 1).map((t) => (addsHere(t) ? explicitStore(t as Store, load) : t));
    let stored: Stmt[];
    let name: string;
    if (op === '=' && s.e.k === 'var' && !writtenIn(reads).has(s.e.name)) {
      name = s.e.name;
      stored = [s];
    } else {
      name = ctx.fresh(compilerName(s.arr, 'At'));
      stored = [{ k: 'decl', name, type: 'number', init: value, mutable: false }, { ...s, op: '=', e: { k: 'var', name } }];
    }
    out = [...out.slice(0, i), ...stored, ...replaceLoad(reads, load, name), ...out.slice(last + 1)];
    i += stored.length - 1;
  }
  return out;
}

/** `load[i] op= e` with op not `=`. */
function addsInto(t: Stmt, load: Extract<Expr, { k: 'idx' }>): boolean {
  return t.k === 'store' && t.arr === load.arr && sameExpr(t.i, load.i) && (t.op ?? '=') !== '=';
}

function explicitStore(t: Store, load: Expr): Store {
  return { ...t, op: '=', e: { k: 'op', op: t.op![0]!, args: [load, t.e] } };
}

/** A store is dead when a later store to the same element comes before any read of the array. */
function dropDeadStores(stmts: Stmt[], ctx: Ctx): Stmt[] {
  return stmts.filter((s, i) => !(s.k === 'store' && movable(s, ctx) && overwritten(s, stmts.slice(i + 1), ctx)));
}

/** What a statement's expressions may read of arrays: `any` for calls and raw text (cached). */
const arrayReads = new WeakMap<Stmt, { any: boolean; arrays: Set<string> }>();

function arrayReadsOf(t: Stmt): { any: boolean; arrays: Set<string> } {
  let r = arrayReads.get(t);
  if (!r) {
    const found = { any: false, arrays: new Set<string>() };
    someExpr([t], (e) => {
      if (e.k === 'call' || e.k === 'xcall' || e.k === 'ext') found.any = true;
      else if (e.k === 'idx' || e.k === 'len') found.arrays.add(e.arr);
      return false;
    });
    arrayReads.set(t, (r = found));
  }
  return r;
}

function overwritten(s: Store, after: Stmt[], ctx: Ctx): boolean {
  const indexVars = varsOf(s.i);
  for (const t of after) {
    if (t.k === 'comment') continue;
    if (compound(t) || t.k === 'return' || t.k === 'break' || t.k === 'continue') return false;
    // anything that could read the array: calls, raw text, a load of any element that may be it
    const reads = arrayReadsOf(t);
    if (reads.any || [...reads.arrays].some((a) => mayAlias(a, s.arr, ctx.owned))) return false;
    if (t.k === 'store' && t.arr === s.arr && sameExpr(t.i, s.i) && (t.op ?? '=') === '=') return true;
    if ((t.k === 'decl' || t.k === 'assign') && (indexVars.has(t.name) || t.name === s.arr)) return false;
  }
  return false;
}
