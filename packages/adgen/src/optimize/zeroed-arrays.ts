/**
 * A target-IR pass that drops the zeroing of an adjoint array which the next use overwrites:
 *
 *   for (…ik…) {                                      for (…ik…) {
 *     for (let id = d − 1; id >= 0; id--)               for (let id = d − 1; id >= 0; id--)
 *       qx_bar[id] += 2 * s_bar * qx[id];       →         qx_bar[id] = 2 * s_bar * qx[id];
 *     … reads of qx_bar …                               … reads of qx_bar …
 *     for (let id = d − 1; id >= 0; id--) {             for (let id = d − 1; id >= 0; id--) {
 *       const b = qx_bar[id];                             const b = qx_bar[id];
 *       qx_bar[id] = 0;                                   …
 *       …                                               }
 *     }                                               }
 *   }
 *
 * Reverse mode zeroes the adjoint of an overwritten scratch element after using it, so that the
 * next iteration can add into it. When every use of the array is one such window — a loop A
 * whose iteration c first adds into element c, reads of the array, and a loop Z with the same
 * header whose iteration c ends by zeroing element c — the array is zero at every A, so the
 * addition is an assignment (`0 + e` is e, but for the sign of a zero) and a first load is 0;
 * once they are, nothing reads the zeros: Z's store is dead. Without that store Z no longer writes the array the loop
 * before it reads at other indices, and fusion (fusion.ts, which runs next) can merge the two,
 * as an expert's hand-written adjoint does.
 *
 * Conditions, all checked:
 *  - the array is an adjoint or tangent (the sign of a zero primal value can show), allocated
 *    zeroed by one declaration, never rebound, never handed out (owned.ts), never returned, and
 *    no raw text mentions it;
 *  - every other mention lies in one statement list, from A (first) to Z (last); A and Z may be
 *    one loop (fusion made them one) whose body mentions the array first as A's and last as Z's;
 *  - A and Z are counting loops with the same header (up to the counter's name) whose
 *    expressions read only variables that keep one value while the function runs (parameters
 *    and locals declared once outside loops, never assigned), so every window covers the same
 *    elements;
 *  - A and Z touch the array only at their counter; A's body mentions it first in a top-level
 *    `a[c] += e` (or `-=`, e not reading it) or `const t = a[c]` followed by a top-level store
 *    `a[c] = …` (each window overwrites its elements); Z's body mentions it last in a top-level
 *    `a[c] = 0`; neither body nor the statements between leave the window by break or continue;
 *  - the statements between A and Z do not write the array.
 */
import { neg, varsOf, ZERO } from '../ir/builders.ts';
import type { Expr, Stmt } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { mapStatementLists, mapStmts, renameExpr, renameIn, someExpr, visitStmts } from '../ir/walk.ts';
import { opaqueNames } from './fresh.ts';
import { ownedArrays } from './owned.ts';
import { isDerivativeName } from '../analyze/names.ts';

type Loop = Extract<Stmt, { k: 'loop' }>;

export function overwriteZeroedArrays(fn: TargetFunction): TargetFunction {
  const candidates = zeroedDerivativeArrays(fn);
  if (candidates.length === 0) return fn;
  // variables whose value may change while the function runs: assigned, declared more than once,
  // or declared in a loop (a new value each iteration: `const m = d - k`)
  const changing = new Set<string>();
  const declared = new Set<string>();
  const walk = (stmts: Stmt[], inLoop: boolean): void => {
    for (const s of stmts) {
      if (s.k === 'assign') changing.add(s.name);
      if (s.k === 'decl') {
        if (inLoop || declared.has(s.name)) changing.add(s.name);
        declared.add(s.name);
      }
      if (s.k === 'if') (walk(s.then, inLoop), walk(s.else, inLoop));
      else if (s.k === 'block') walk(s.body, inLoop);
      else if (s.k === 'loop') walk([...s.init, ...s.body, ...s.update], true);
    }
  };
  walk(fn.body, false);
  const assigned = changing;
  let body = fn.body;
  for (const arr of candidates) {
    const total = mentionCount(body, arr);
    let done = false;
    body = mapStatementLists(body, (list) => {
      if (done) return list;
      const rewritten = rewriteWindow(list, arr, total, assigned);
      if (rewritten) done = true;
      return rewritten ?? list;
    });
  }
  return { ...fn, body };
}

/** Owned Float64Arrays declared once with a zeroed allocation, never rebound or returned. */
function zeroedOwnedArrays(fn: TargetFunction): string[] {
  const owned = ownedArrays(fn);
  const opaque = opaqueNames(fn.body);
  const decls = new Map<string, number>();
  const excluded = new Set<string>(opaque);
  visitStmts(fn.body, (s) => {
    if (s.k === 'decl') {
      const zeroed = s.init?.k === 'alloc' && !s.init.holes && !s.init.values;
      decls.set(s.name, (decls.get(s.name) ?? 0) + (zeroed ? 1 : 2));
    } else if (s.k === 'assign') excluded.add(s.name);
    else if (s.k === 'return' && s.e) for (const name of varsOf(s.e)) excluded.add(name);
  });
  return [...owned].filter((a) => decls.get(a) === 1 && !excluded.has(a));
}

/** Adjoint and tangent arrays: `0 + e` is e but for the sign of a zero, which only a primal value shows. */
function zeroedDerivativeArrays(fn: TargetFunction): string[] {
  return zeroedOwnedArrays(fn).filter(isDerivativeName);
}

/** How many statements and expressions name the array (its length aside: that never changes). */
function mentionCount(stmts: Stmt[], arr: string): number {
  let n = 0;
  visitStmts(stmts, (s) => {
    if ((s.k === 'store' && s.arr === arr) || ((s.k === 'decl' || s.k === 'assign') && s.name === arr)) n++;
  });
  someExpr(stmts, (e) => {
    if ((e.k === 'idx' && e.arr === arr) || (e.k === 'var' && e.name === arr)) n++;
    return false;
  });
  return n;
}

const mentions = (s: Stmt, arr: string): boolean => mentionCount([s], arr) > 0;

/** The list with the window's addition made an assignment and its zeroing dropped; null when it does not qualify. */
function rewriteWindow(list: Stmt[], arr: string, total: number, assigned: Set<string>): Stmt[] | null {
  const at = list.flatMap((s, i) => (mentions(s, arr) && !(s.k === 'decl' && s.name === arr) ? [i] : []));
  if (at.length === 0) return null;
  const [first, last] = [at[0]!, at[at.length - 1]!];
  const declHere = list.some((s) => s.k === 'decl' && s.name === arr) ? 1 : 0;
  if (mentionCount(list, arr) - declHere !== total - 1) return null;
  const [a, z] = [list[first]!, list[last]!];
  if (a.k !== 'loop' || z.k !== 'loop') return null;
  const ca = countingHeader(a, assigned);
  const cz = countingHeader(z, assigned);
  if (ca === null || cz === null || ca.key !== cz.key) return null;
  const between = list.slice(first + 1, last);
  if (leavesScope(between) || leavesScope(a.body) || leavesScope(z.body)) return null;
  if (someStore(between, arr) || !onlyAtCounter(a.body, arr, ca.counter) || !onlyAtCounter(z.body, arr, cz.counter)) return null;
  // A: the first mention is a top-level `arr[c] += e` (now `arr[c] = e`) or `const t = arr[c]` (now 0)
  const ai = a.body.findIndex((s) => mentions(s, arr));
  const use = a.body[ai];
  let replaced: Stmt;
  if (use?.k === 'store' && (use.op === '+=' || use.op === '-=') && mentionCount([{ k: 'expr', e: use.e }], arr) === 0) {
    replaced = { ...use, op: '=', e: use.op === '-=' ? neg(use.e) : use.e };
  } else if (use?.k === 'decl' && use.init?.k === 'idx' && use.init.arr === arr) {
    // the load reads 0; a later top-level store must overwrite the element in every window, or
    // one window's value would still be there for the next (where the zeroing had cleared it)
    const overwritten = a.body.some((s, i) => i > ai && (first !== last || i < zeroAt(z, arr)) && s.k === 'store' && s.arr === arr && (s.op ?? '=') === '=');
    if (!overwritten) return null;
    replaced = { ...use, init: ZERO };
  } else return null;
  // Z: the last mention is a top-level `arr[c] = 0`
  const zi = zeroAt(z, arr);
  const zero = z.body[zi];
  if (zero?.k !== 'store' || (zero.op ?? '=') !== '=' || zero.e.k !== 'num' || zero.e.v !== 0) return null;
  if (first === last && ai >= zi) return null;
  const out = [...list];
  out[first] = { ...a, body: a.body.map((s, i) => (i === ai ? replaced : s)) };
  const zNow = out[last] as Loop;
  out[last] = { ...zNow, body: zNow.body.filter((_, i) => i !== zi) };
  return out;
}

/** Where the loop's body mentions the array last (-1 when nowhere). */
function zeroAt(z: Loop, arr: string): number {
  let zi = z.body.length - 1;
  while (zi >= 0 && !mentions(z.body[zi]!, arr)) zi--;
  return zi;
}

/**
 * A counting loop `for (let c = e; test; c op= …)` whose body leaves c alone and whose header reads
 * no variable that may change (`assigned`): its key is the header with the counter renamed.
 */
function countingHeader(loop: Loop, assigned: Set<string>): { counter: string; key: string } | null {
  const init = loop.init[0];
  if (loop.doWhile || !loop.test || loop.init.length !== 1 || init?.k !== 'decl' || !init.init) return null;
  const counter = init.name;
  if (!loop.update.every((u) => u.k === 'assign' && u.name === counter)) return null;
  let moved = false;
  visitStmts(loop.body, (s) => {
    if ((s.k === 'decl' || s.k === 'assign') && s.name === counter) moved = true;
  });
  if (moved) return null;
  const exprs: Expr[] = [loop.test, init.init, ...loop.update.map((u) => (u.k === 'assign' ? u.e : loop.test!))];
  const opaque = someExpr(exprs.map((e) => ({ k: 'expr', e }) as Stmt), (e) => e.k === 'idx' || e.k === 'call' || e.k === 'xcall' || e.k === 'ext');
  if (opaque || exprs.some((e) => [...varsOf(e)].some((name) => name !== counter && assigned.has(name)))) return null;
  const rename = new Map([[counter, '#c']]);
  const key = JSON.stringify({
    init: renameExpr(init.init, rename),
    test: renameExpr(loop.test, rename),
    update: renameIn(loop.update, rename).map((u) => (u.k === 'assign' ? [u.op ?? '=', u.e] : null)),
  });
  return { counter, key };
}

/** A break or continue that leaves the list's own scope (one inside a nested loop stays in it). */
function leavesScope(stmts: Stmt[]): boolean {
  return stmts.some((s) => {
    if (s.k === 'break' || s.k === 'continue') return true;
    if (s.k === 'if') return leavesScope(s.then) || leavesScope(s.else);
    if (s.k === 'block') return leavesScope(s.body);
    return false;
  });
}

function someStore(stmts: Stmt[], arr: string): boolean {
  let found = false;
  visitStmts(stmts, (s) => {
    if ((s.k === 'store' && s.arr === arr) || ((s.k === 'decl' || s.k === 'assign') && s.name === arr)) found = true;
  });
  return found;
}

/** Every load and store of the array in the body is at index `counter`. */
function onlyAtCounter(body: Stmt[], arr: string, counter: string): boolean {
  const atCounter = (i: Expr) => i.k === 'var' && i.name === counter;
  let ok = true;
  visitStmts(body, (s) => {
    if (s.k === 'store' && s.arr === arr && !atCounter(s.i)) ok = false;
  });
  return ok && !someExpr(body, (e) => (e.k === 'idx' && e.arr === arr && !atCounter(e.i)) || (e.k === 'var' && e.name === arr));
}

/**
 * Stores into an array nothing reads: once store forwarding (forwarding.ts) has handed a stored
 * value straight to its reader, an adjoint scratch array may be written and never loaded. Its
 * stores go (their expressions are pure), and dead-variables.ts then drops the array.
 */
export function dropWriteOnlyArrays(fn: TargetFunction): TargetFunction {
  const candidates = new Set(zeroedOwnedArrays(fn));
  someExpr(fn.body, (e) => {
    if ((e.k === 'idx' || e.k === 'len') && candidates.has(e.arr)) candidates.delete(e.arr);
    if (e.k === 'var') candidates.delete(e.name);
    return false;
  });
  if (candidates.size === 0) return fn;
  const effects = (e: Expr) => someExpr([{ k: 'expr', e }], (x) => x.k === 'call' || x.k === 'xcall' || x.k === 'ext');
  const body = mapStmts(fn.body, (s) => (s.k === 'store' && candidates.has(s.arr) && !effects(s.e) && !effects(s.i) ? [] : [s]));
  return { ...fn, body };
}
