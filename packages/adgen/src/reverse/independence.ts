/**
 * Which loops have independent iterations (reverse mode fuses, recomputes or snapshots those
 * instead of taping them): every write outside an iteration is a sum into an outer scalar or a
 * store into an outer array that nothing else in the body reads, and scratch arrays declared
 * outside are private when each iteration rewrites them completely before reading them.
 */
import * as b from '../ir/builders.ts';
import type { Expr, FunctionIR, Stmt } from '../ir/nodes.ts';
import { callIn, type WriteMap } from '../analyze/activity.ts';
import type { JumpFree } from '../analyze/jumps.ts';

type Loop = Extract<Stmt, { k: 'loop' }>;

/** What the analysis reads of the function being transformed. */
export interface LoopContext {
  readonly fn: FunctionIR;
  readonly jf: JumpFree;
  readonly writeMap: WriteMap;
  /** the declaration of each variable declared once */
  readonly declOf: ReadonlyMap<string, Extract<Stmt, { k: 'decl' }>>;
  readonly declCount: ReadonlyMap<string, number>;
  /** the positions at which each variable is written */
  readonly writes: ReadonlyMap<string, number[]>;
}

/** What the iterations of an independent loop write outside themselves, and what is theirs. */
export interface Independence {
  /** outer scalars the iterations only sum into */
  accumulators: string[];
  /** outer arrays the iterations store into (each element by one iteration) */
  stores: string[];
  /** the counter, the body's declarations and the private scratch arrays */
  locals: Set<string>;
  /** scratch arrays declared outside the loop that every iteration rewrites before reading */
  privateArrays: string[];
  counter: string;
}

/** Classifies the writes of a loop body: independent iterations or not. */
export function loopIndependence(s: Loop, ctx: LoopContext): Independence | null {
  if (!s.counter || ctx.jf.exits.has(s)) return null;
  const locals = new Set<string>([s.counter.name]);
  const accumulators = new Set<string>();
  const stores = new Set<string>();
  let ok = true;
  const accumulationOf = (st: Stmt): string | null => {
    if (st.k !== 'assign') return null;
    const e = st.e;
    if (e.k === 'op' && (e.op === '+' || e.op === '-') && e.args[0]!.k === 'var' && e.args[0]!.name === st.name && !b.varsOf(e.args[1]!).has(st.name)) return st.name;
    return null;
  };
  const collect = (stmts: Stmt[]) => {
    for (const st of stmts) {
      if (st.k === 'decl') locals.add(st.name);
      else if (st.k === 'if') { collect(st.then); collect(st.else); }
      else if (st.k === 'loop') { collect(st.init); collect(st.body); collect(st.update); }
    }
  };
  collect(s.body);
  // scratch arrays declared outside but fully rewritten before use in every iteration
  const privateArrays = findPrivateArrays(s, locals, ctx);
  for (const a of privateArrays) locals.add(a);
  const check = (stmts: Stmt[]) => {
    for (const st of stmts) {
      // a call that writes into an outer array (`s += bump(o, t)` too, not only `bump(o, t);`)
      // may carry a value to the next iteration
      const call = callIn(st);
      if (call) {
        const w = ctx.writeMap.get(call.fn) ?? new Set();
        call.args.forEach((a, i) => { if (w.has(i) && a.k === 'var' && !locals.has(a.name)) ok = false; });
      }
      switch (st.k) {
        case 'assign':
          if (locals.has(st.name)) break;
          if (accumulationOf(st) && ctx.fn.locals.get(st.name) === 'number') accumulators.add(st.name);
          else ok = false;
          break;
        case 'store':
          if (!locals.has(st.arr)) stores.add(st.arr);
          break;
        case 'if': check(st.then); check(st.else); break;
        case 'loop': check(st.init); check(st.body); check(st.update); break;
        default: break;
      }
    }
  };
  check(s.body);
  if (!ok) return null;
  // accumulators and written arrays are not read anywhere else in the body
  const readElsewhere = (stmts: Stmt[]): boolean =>
    stmts.some((st) => {
      const exprs: Expr[] = [];
      switch (st.k) {
        case 'decl': if (st.init) exprs.push(st.init); break;
        case 'assign': exprs.push(accumulationOf(st) && accumulators.has(st.name) ? (st.e as Extract<Expr, { k: 'op' }>).args[1]! : st.e); break;
        case 'store': exprs.push(st.e, st.i); break;
        case 'expr': exprs.push(st.e); break;
        case 'if': return b.varsOf(st.c).size > 0 && [...b.varsOf(st.c)].some((v) => accumulators.has(v) || stores.has(v)) || readElsewhere(st.then) || readElsewhere(st.else);
        case 'loop': return (st.test ? [...b.varsOf(st.test)].some((v) => accumulators.has(v) || stores.has(v)) : false) || readElsewhere(st.init) || readElsewhere(st.body) || readElsewhere(st.update);
        default: break;
      }
      return exprs.some((x) => {
        const vs = b.varsOf(x);
        if ([...accumulators].some((a) => vs.has(a))) return true;
        // a written array may appear only through .length
        return [...stores].some((a) => readsElements(x, a));
      });
    });
  if (readElsewhere(s.body)) return null;
  return { accumulators: [...accumulators], stores: [...stores], locals, privateArrays, counter: s.counter.name };
}

/**
 * Local arrays that loop `s` uses as per-iteration scratch: declared outside the loop, used
 * nowhere else, and in every iteration completely overwritten by a counting loop
 * `for (let j = 0; j < n; j++) a[j] = …` (n the allocated length) before anything reads them.
 * Such an array carries nothing from one iteration to the next, so it does not make the
 * iterations dependent (the classic privatisation test, kept syntactic so that it is sound).
 */
function findPrivateArrays(s: Loop, bodyLocals: Set<string>, ctx: LoopContext): string[] {
  const stored = new Set<string>();
  const collectStores = (stmts: Stmt[]) => {
    for (const st of stmts) {
      if (st.k === 'store') stored.add(st.arr);
      if (st.k === 'if') { collectStores(st.then); collectStores(st.else); }
      if (st.k === 'loop') { collectStores(st.init); collectStores(st.body); collectStores(st.update); }
    }
  };
  collectStores(s.body);
  const found: string[] = [];
  for (const a of stored) {
    if (bodyLocals.has(a)) continue;
    const def = ctx.declOf.get(a);
    if (!def || def.init?.k !== 'alloc' || ctx.declCount.get(a) !== 1 || ctx.fn.params.some((p) => p.name === a)) continue;
    const len = def.init.len;
    if (![...b.varsOf(len)].every((v) => (ctx.writes.get(v)?.length ?? 0) <= 1)) continue;
    if (usedOutside(a, s, def, ctx)) continue;
    if (coverBeforeRead(s.body, a, len, false, ctx) === null) continue;
    found.push(a);
  }
  return found;
}

/** Whether array a appears anywhere but its declaration and loop s. */
function usedOutside(a: string, s: Stmt, def: Stmt, ctx: LoopContext): boolean {
  // the returned array is used by the caller
  if (ctx.jf.result.kind === 'array' && ctx.jf.result.names.includes(a)) return true;
  const mentions = (st: Stmt): boolean => {
    if (st === s || st === def) return false;
    switch (st.k) {
      case 'decl': return !!st.init && b.varsOf(st.init).has(a);
      case 'assign': return b.varsOf(st.e).has(a);
      case 'store': return st.arr === a || b.varsOf(st.e).has(a) || b.varsOf(st.i).has(a);
      case 'expr': case 'return': return !!st.e && b.varsOf(st.e).has(a);
      case 'if': return b.varsOf(st.c).has(a) || st.then.some(mentions) || st.else.some(mentions);
      case 'loop': return (!!st.test && b.varsOf(st.test).has(a)) || [...st.init, ...st.body, ...st.update].some(mentions);
      default: return false;
    }
  };
  return ctx.jf.body.some(mentions);
}

/**
 * Walks statements in order: null when some read of a may see a value from an earlier
 * iteration, else whether a is completely overwritten at the end.
 */
function coverBeforeRead(stmts: Stmt[], a: string, len: Expr, covered: boolean, ctx: LoopContext): boolean | null {
  const reads = (st: Stmt): boolean => {
    const inExpr = (e: Expr | null | undefined) => !!e && readsElements(e, a);
    switch (st.k) {
      case 'decl': return inExpr(st.init);
      case 'assign': return inExpr(st.e);
      case 'store': return inExpr(st.e) || inExpr(st.i);
      case 'expr': case 'return': return inExpr(st.e);
      case 'if': return inExpr(st.c) || st.then.some(reads) || st.else.some(reads);
      case 'loop': return inExpr(st.test) || [...st.init, ...st.body, ...st.update].some(reads);
      default: return false;
    }
  };
  for (const st of stmts) {
    if (!covered && isCoveringLoop(st, a, len, reads, ctx)) {
      covered = true;
      continue;
    }
    if (covered || !reads(st)) continue;
    // a read before the array is covered: only fine inside a nested loop that covers it first in each of its iterations
    if (st.k === 'loop' && !(st.test && readsElements(st.test, a)) && !st.init.some(reads) && !st.update.some(reads)) {
      if (coverBeforeRead(st.body, a, len, false, ctx) === null) return null;
      continue;
    }
    if (st.k === 'if' && !readsElements(st.c, a)) {
      if (coverBeforeRead(st.then, a, len, false, ctx) === null || coverBeforeRead(st.else, a, len, false, ctx) === null) return null;
      continue;
    }
    return null;
  }
  return covered;
}

/** `for (let j = 0; j < n; j++) { … a[j] = e … }` with n the allocated length and no read of a. */
function isCoveringLoop(st: Stmt, a: string, len: Expr, reads: (st: Stmt) => boolean, ctx: LoopContext): boolean {
  if (st.k !== 'loop' || !st.counter || ctx.jf.exits.has(st) || !st.test || st.counter.step !== 1 || !b.isZero(st.counter.start)) return false;
  const t = st.test;
  if (t.k !== 'op' || t.op !== '<' || t.args[0]!.k !== 'var' || t.args[0]!.name !== st.counter.name) return false;
  const bound = t.args[1]!;
  if (!b.sameExpr(bound, len) && !(bound.k === 'len' && bound.arr === a)) return false;
  const j = st.counter.name;
  const writesAll = st.body.some((x) => x.k === 'store' && x.arr === a && x.i.k === 'var' && x.i.name === j);
  return writesAll && !st.body.some(reads);
}

/** Whether e reads elements of array a (a.length does not count). */
function readsElements(e: Expr, a: string): boolean {
  switch (e.k) {
    case 'idx': return e.arr === a || readsElements(e.i, a);
    case 'var': return e.name === a;
    case 'op': case 'call': case 'xcall': return e.args.some((x) => readsElements(x, a));
    case 'cond': return readsElements(e.c, a) || readsElements(e.a, a) || readsElements(e.b, a);
    case 'stop': return readsElements(e.e, a);
    case 'alloc': return readsElements(e.len, a);
    case 'arr': return e.elems.some((x) => readsElements(x, a));
    default: return false;
  }
}
