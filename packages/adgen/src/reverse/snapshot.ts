/**
 * Snapshots of loop iterations, the alternative to recomputing them.
 *
 * A loop whose iterations are independent (reverse/index.ts, `independence`) can give each
 * iteration's adjoint the state it needs in two ways:
 *  - recompute: the forward sweep runs the primal loop; the adjoint sweep re-runs each
 *    iteration's forward part just before its adjoint. No tape, but every value is computed twice
 *    — costly when the body holds inner loops or transcendental functions (ADBench's GMM
 *    recomputes Q_k(x − μ_k), a triangular product, in every component's adjoint).
 *  - snapshot: the forward sweep runs each iteration's forward part once and pushes what the
 *    adjoint reads of the iteration's own state (its scalars and its scratch arrays); the adjoint
 *    sweep pops it back. This is what an expert writes by hand (keep x − μ_k for every k).
 *
 * `preferSnapshot` chooses with a rough cost model on the source body; `snapshotSet` finds, in
 * the generated iteration, exactly which values the adjoint reads before writing them.
 */
import * as b from '../ir/builders.ts';
import type { Expr, Stmt, VarType } from '../ir/nodes.ts';
import { mapStmtExprs, mapStmts } from '../ir/walk.ts';

/** Math functions that cost about as much as several arithmetic operations. */
const CHEAP_MATH = new Set(['Math.abs', 'Math.min', 'Math.max', 'Math.floor', 'Math.ceil', 'Math.round', 'Math.trunc', 'Math.sign', 'Math.fround']);
/** Unknown trip counts of inner loops count as this many iterations. */
const INNER_TRIPS = 8;

function exprCost(e: Expr): number {
  switch (e.k) {
    case 'idx': return 1 + exprCost(e.i);
    case 'op': return (e.op.startsWith('Math.') && !CHEAP_MATH.has(e.op) ? 8 : 1) + e.args.reduce((s, a) => s + exprCost(a), 0);
    // a user function, or in generated code a kernel or helper (`_h(…)`)
    case 'call': case 'xcall': return 30 + e.args.reduce((s, a) => s + exprCost(a), 0);
    case 'cond': return exprCost(e.c) + Math.max(exprCost(e.a), exprCost(e.b));
    case 'stop': return exprCost(e.e);
    case 'alloc': return 30;
    default: return 0;
  }
}

/** Rough cost of running statements once (arithmetic 1, transcendental functions 8, calls 30). */
export function recomputeCost(stmts: Stmt[]): number {
  let cost = 0;
  for (const s of stmts) {
    switch (s.k) {
      case 'decl': cost += 1 + (s.init ? exprCost(s.init) : 0); break;
      case 'assign': case 'expr': cost += 1 + exprCost(s.e); break;
      case 'store': cost += 1 + exprCost(s.e) + exprCost(s.i); break;
      case 'return': cost += s.e ? exprCost(s.e) : 0; break;
      case 'if': cost += exprCost(s.c) + Math.max(recomputeCost(s.then), recomputeCost(s.else)); break;
      case 'loop': cost += recomputeCost(s.init) + INNER_TRIPS * ((s.test ? exprCost(s.test) : 0) + recomputeCost(s.body) + recomputeCost(s.update)); break;
      case 'block': cost += recomputeCost(s.body); break;
      default: break;
    }
  }
  return cost;
}

/**
 * An upper estimate of the values one iteration's snapshot holds: the scalars the body declares,
 * one per transcendental function outside inner loops (its value or partial), and the scratch
 * arrays (counted as INNER_TRIPS values each).
 */
export function snapshotEstimate(body: Stmt[], privateArrays: string[]): number {
  let values = INNER_TRIPS * privateArrays.length;
  const countMath = (e: Expr): number => (e.k === 'op' ? (e.op.startsWith('Math.') && !CHEAP_MATH.has(e.op) ? 1 : 0) + e.args.reduce((s, a) => s + countMath(a), 0) : 0);
  const walk = (stmts: Stmt[]) => {
    for (const s of stmts) {
      if (s.k === 'decl') values += 1 + (s.init ? countMath(s.init) : 0);
      else if (s.k === 'assign' || s.k === 'expr') values += countMath(s.e);
      else if (s.k === 'store') values += countMath(s.e);
      else if (s.k === 'if') {
        walk(s.then);
        walk(s.else);
      }
    }
  };
  walk(body);
  return values;
}

/** Snapshots pay when recomputing costs more than pushing and popping the snapshot. */
export function preferSnapshot(body: Stmt[], privateArrays: string[], topLevel: boolean): boolean {
  // at the top of the function the snapshots of all iterations are on the tape at once
  const weight = topLevel ? 2 : 1;
  return weight * snapshotEstimate(body, privateArrays) < recomputeCost(body);
}

/** Every variable read by the statement's expressions, nested statements included. */
function readsOf(s: Stmt, out: Set<string>): void {
  const exprs: (Expr | null)[] = [];
  switch (s.k) {
    case 'decl': exprs.push(s.init); break;
    case 'assign': exprs.push(s.e); if (s.op && s.op !== '=') out.add(s.name); break;
    // a store reads its array (the other elements stay)
    case 'store': exprs.push(s.e, s.i); out.add(s.arr); break;
    case 'expr': case 'return': exprs.push(s.e); break;
    case 'if': exprs.push(s.c); for (const t of [...s.then, ...s.else]) readsOf(t, out); break;
    case 'loop': exprs.push(s.test); for (const t of [...s.init, ...s.update, ...s.body]) readsOf(t, out); break;
    case 'block': for (const t of s.body) readsOf(t, out); break;
    default: break;
  }
  for (const e of exprs) if (e) b.varsOf(e, out);
}

/**
 * Variables the statements read before they certainly write them (straight-line writes at the
 * top level and in blocks count as certain; writes in branches and loops do not).
 */
export function upwardExposed(stmts: Stmt[], defined = new Set<string>(), out = new Set<string>()): Set<string> {
  for (const s of stmts) {
    if (s.k === 'block') {
      upwardExposed(s.body, defined, out);
      continue;
    }
    const reads = new Set<string>();
    readsOf(s, reads);
    for (const v of reads) if (!defined.has(v)) out.add(v);
    if (s.k === 'decl' || (s.k === 'assign' && (!s.op || s.op === '='))) defined.add(s.name);
  }
  return out;
}

/** Declarations at the top level of the statements, by name. */
export function topDecls(stmts: Stmt[]): Map<string, VarType> {
  const out = new Map<string, VarType>();
  for (const s of stmts) if (s.k === 'decl') out.set(s.name, s.type);
  return out;
}

/**
 * The forward part of an iteration without the writes the forward sweep already made (sums into
 * outer accumulators, stores into outer arrays): the recomputation run in the adjoint sweep.
 */
export function withoutOuterWrites(stmts: Stmt[], accumulators: Set<string>, stores: Set<string>): Stmt[] {
  return mapStmts(stmts, (s) => ((s.k === 'assign' && accumulators.has(s.name)) || (s.k === 'store' && stores.has(s.arr)) ? [] : [s]));
}

/** Accesses `a[e]` (reads and stores) become `all[off + e]`. */
export function expandArray(stmts: Stmt[], a: string, all: string, off: string): Stmt[] {
  const at = (e: Expr): Expr => b.add(b.v(off), e);
  const reads = mapStmtExprs(stmts, (e) => (e.k === 'idx' && e.arr === a ? { k: 'idx', arr: all, i: at(e.i) } : e));
  return mapStmts(reads, (s) => [s.k === 'store' && s.arr === a ? { ...s, arr: all, i: at(s.i) } : s]);
}
