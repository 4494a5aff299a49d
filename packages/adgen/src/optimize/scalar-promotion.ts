/**
 * A target-IR pass that keeps an array element a loop updates at one fixed index in a local:
 *
 *   for (let j = …) { xb[i] += w[j] * q[j]; }   →   let _xbI = xb[i];
 *                                                    for (let j = …) { _xbI += w[j] * q[j]; }
 *                                                    xb[i] = _xbI;
 *
 * Adjoint sweeps are full of such sums (the adjoint of a read `x[i]` inside a loop over j), and
 * V8 loads and stores the element on every iteration because it cannot prove that no other
 * typed array aliases it. The pass only touches Float64Arrays the generated function allocates
 * itself and never hands out while running (they appear as a value only in `return`), so no
 * other name can reach the element; inside the loop every access to the array must use the same
 * index, whose variables the loop does not write.
 */
import { sameExpr } from '../ir/builders.ts';
import type { Expr, Stmt } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { mapStmtExprs, mapStmts, someExpr, visitStmts, writtenIn } from '../ir/walk.ts';
import { compilerName, freshNames } from './fresh.ts';
import { ownedArrays } from './owned.ts';

type Loop = Extract<Stmt, { k: 'loop' }>;

export function promoteLoopSums(fn: TargetFunction): TargetFunction {
  const owned = ownedArrays(fn);
  if (owned.size === 0) return fn;
  const fresh = freshNames(fn);
  return { ...fn, body: rewrite(fn.body, owned, fresh) };
}

function rewrite(stmts: Stmt[], owned: Set<string>, fresh: (base: string) => string): Stmt[] {
  const out: Stmt[] = [];
  for (const s of stmts) {
    if (s.k === 'if') out.push({ ...s, then: rewrite(s.then, owned, fresh), else: rewrite(s.else, owned, fresh) });
    else if (s.k === 'block') out.push({ ...s, body: rewrite(s.body, owned, fresh) });
    else if (s.k === 'loop') {
      // inner loops first: an element they promote is then accessed once per outer iteration
      let loop: Loop = { ...s, body: rewrite(s.body, owned, fresh) };
      const before: Stmt[] = [];
      const after: Stmt[] = [];
      for (const [arr, index] of promotable(loop, owned)) {
        const local = fresh(compilerName(arr, 'At'));
        before.push({ k: 'decl', name: local, type: 'number', init: { k: 'idx', arr, i: index }, mutable: true });
        after.push({ k: 'store', arr, i: index, e: { k: 'var', name: local } });
        loop = replaceElement(loop, arr, local);
      }
      out.push(...before, loop, ...after);
    } else out.push(s);
  }
  return out;
}

/** Owned arrays the loop stores into, each always at the same loop-invariant index. */
function promotable(loop: Loop, owned: Set<string>): Map<string, Expr> {
  const parts = [...loop.init, ...loop.update, ...loop.body];
  // a return inside would skip the store after the loop
  let returns = false;
  visitStmts(parts, (s) => {
    if (s.k === 'return') returns = true;
  });
  if (returns) return new Map();
  const stored = new Set<string>();
  const rebound = new Set<string>();
  visitStmts(parts, (s) => {
    if (s.k === 'store' && owned.has(s.arr)) stored.add(s.arr);
    // an array (re)declared or assigned in the loop is a different array in each iteration
    if (s.k === 'decl' || s.k === 'assign') rebound.add(s.name);
  });
  for (const a of rebound) stored.delete(a);
  const written = writtenIn(parts);
  const found = new Map<string, Expr>();
  for (const arr of stored) {
    let index: Expr | null = null;
    let same = true;
    const see = (i: Expr) => {
      if (index === null) index = i;
      else if (!sameExpr(index, i)) same = false;
    };
    const all = [...parts, ...(loop.test ? [{ k: 'expr', e: loop.test } as Stmt] : [])];
    visitStmts(all, (s) => {
      if (s.k === 'store' && s.arr === arr) see(s.i);
    });
    someExpr(all, (e) => {
      if (e.k === 'idx' && e.arr === arr) see(e.i);
      return false;
    });
    if (!same || index === null) continue;
    const i: Expr = index;
    const invariant = !someExpr([{ k: 'expr', e: i }], (e) => (e.k === 'var' && written.has(e.name)) || (e.k === 'idx' && written.has(e.arr)) || e.k === 'ext' || e.k === 'call' || e.k === 'xcall');
    if (invariant) found.set(arr, i);
  }
  return found;
}

/** The loop with every `arr[i]` read and store turned into the local. */
function replaceElement(loop: Loop, arr: string, local: string): Loop {
  const reads = mapStmtExprs([loop], (e) => (e.k === 'idx' && e.arr === arr ? { k: 'var', name: local } : e));
  const [replaced] = mapStmts(reads, (s) => [s.k === 'store' && s.arr === arr ? { k: 'assign', name: local, e: s.e, ...(s.op ? { op: s.op } : {}), ...(s.loc ? { loc: s.loc } : {}) } : s]);
  return replaced as Loop;
}
