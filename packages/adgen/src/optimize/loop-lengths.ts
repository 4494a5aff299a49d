/**
 * A target-IR pass that reads loop-invariant array lengths once, before the loop:
 *
 *   for (let i = 0; i < x.length; i++) …   →   const _xLength = x.length;
 *                                              for (let i = 0; i < _xLength; i++) …
 *
 * V8 (Node 20) does not hoist a typed array's `length` out of a loop by itself (the load guards
 * against detached and resizable buffers), and on a memory-bound loop the re-read costs as much
 * as a third of the loop's time. The length is hoisted when the loop never rebinds the array
 * and, for `number[]`, never stores into it or hands it to a call (either could grow it); typed
 * arrays have a fixed length. Hoisting happens at the outermost loop where this holds, and every
 * `arr.length` inside that loop reads the hoisted value.
 */
import type { Expr, Stmt } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { forEachExpr, forEachStmtExpr, mapStmtExprs, someExpr, visitStmts } from '../ir/walk.ts';
import { compilerName, freshNames } from './fresh.ts';

const FIXED_LENGTH = new Set(['Float64Array', 'Float32Array']);

export function hoistLoopLengths(fn: TargetFunction): TargetFunction {
  const types = new Map<string, string>(fn.params.map((p) => [p.name, p.type]));
  visitStmts(fn.body, (s) => {
    if (s.k === 'decl') types.set(s.name, s.type);
  });
  const names = freshNames(fn);
  const fresh = (arr: string) => names(compilerName(arr, 'Length'));
  return { ...fn, body: rewrite(fn.body, types, fresh) };
}

function rewrite(stmts: Stmt[], types: Map<string, string>, fresh: (arr: string) => string): Stmt[] {
  const out: Stmt[] = [];
  for (const s of stmts) {
    if (s.k === 'if') out.push({ ...s, then: rewrite(s.then, types, fresh), else: rewrite(s.else, types, fresh) });
    else if (s.k === 'block') out.push({ ...s, body: rewrite(s.body, types, fresh) });
    else if (s.k === 'loop') {
      const whole: Stmt[] = [...s.init, ...s.update, ...s.body, ...(s.test ? [{ k: 'expr', e: s.test } as Stmt] : [])];
      const read = new Set<string>();
      const collect = (e: Expr) => {
        if (e.k === 'len') read.add(e.arr);
      };
      // lengths read once, in the initialiser, stay where they are
      forEachStmtExpr([...s.update, ...s.body], collect);
      if (s.test) forEachExpr(s.test, collect);
      const hoisted = new Map<string, string>();
      for (const arr of read) {
        if (!invariantLength(arr, whole, types.get(arr))) continue;
        const name = fresh(arr);
        hoisted.set(arr, name);
        out.push({ k: 'decl', name, type: 'number', init: { k: 'len', arr }, mutable: false });
      }
      const replace = (e: Expr): Expr => (e.k === 'len' && hoisted.has(e.arr) ? { k: 'var', name: hoisted.get(e.arr)! } : e);
      const loop = hoisted.size === 0 ? s : (mapStmtExprs([s], replace)[0] as typeof s);
      out.push({ ...loop, body: rewrite(loop.body, types, fresh) });
    } else out.push(s);
  }
  return out;
}

/** Whether `arr.length` cannot change while the statements run. */
function invariantLength(arr: string, stmts: Stmt[], type: string | undefined): boolean {
  let rebound = false;
  let grows = false;
  const fixed = type !== undefined && FIXED_LENGTH.has(type);
  const mentions = (e: Expr) => someExpr([{ k: 'expr', e }], (x) => x.k === 'var' && x.name === arr);
  visitStmts(stmts, (s) => {
    if ((s.k === 'decl' || s.k === 'assign') && s.name === arr) rebound = true;
    if (s.k === 'store' && s.arr === arr) grows = true;
  });
  if (!fixed && someExpr(stmts, (e) => (e.k === 'call' || e.k === 'xcall') && e.args.some(mentions))) grows = true;
  return !rebound && (fixed || !grows);
}
