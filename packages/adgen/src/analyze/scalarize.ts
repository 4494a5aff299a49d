/**
 * Small local arrays read and written only at constant indices become scalars (scalar
 * replacement of aggregates). Tuples are such arrays: `const [c, s] = polar(r, t)` and a helper's
 * `return [a * b, b]`, once inlined (inline.ts), are a `new Array(2)` and its two elements, made
 * at every call. As scalars (`_r_0`, `_r_1`) they cost no allocation, and their derivative code
 * is scalar code too: no adjoint or tangent arrays per call, nothing for the tape to hold by
 * reference.
 *
 * An array qualifies when it is a local `number[]` or `Float64Array` (a Float32Array rounds what
 * it stores) allocated with a constant length of at most MAX_LENGTH, declared once, and every use
 * is an element read or store at a constant index inside it, or its `.length`. Its elements start
 * at 0 where the array is declared, as the allocation's zeros did (at NaN for the holes of a
 * `new Array(n)`, at a constant table's values).
 */
import * as b from '../ir/builders.ts';
import type { Namer } from '../ir/namer.ts';
import type { Expr, FunctionIR, Stmt } from '../ir/nodes.ts';
import { forEachExpr, mapExpr, mapStmtExprs, mapStmts, ownExprs, visitStmts } from '../ir/walk.ts';

const MAX_LENGTH = 8;

export function scalarizeSmallArrays(fn: FunctionIR, namer: Namer): FunctionIR {
  const candidates = new Map<string, number>();
  const declared = new Map<string, number>();
  visitStmts(fn.body, (s) => {
    if (s.k !== 'decl') return;
    declared.set(s.name, (declared.get(s.name) ?? 0) + 1);
    const len = s.init?.k === 'alloc' && s.init.ctor !== 'Float32Array' && s.init.len.k === 'num' ? s.init.len.v : -1;
    if ((s.type === 'number[]' || s.type === 'Float64Array') && Number.isInteger(len) && len >= 1 && len <= MAX_LENGTH) candidates.set(s.name, len);
  });
  for (const [name, n] of declared) if (n > 1) candidates.delete(name);
  if (candidates.size === 0) return fn;
  // every use at a constant index inside the array, or its length
  const constantIndex = (arr: string, i: Expr) => i.k === 'num' && Number.isInteger(i.v) && i.v >= 0 && i.v < (candidates.get(arr) ?? 0);
  const disqualify = (e: Expr): void => {
    forEachExpr(e, (x) => {
      if (x.k === 'var') candidates.delete(x.name);
      else if (x.k === 'idx' && !constantIndex(x.arr, x.i)) candidates.delete(x.arr);
    });
  };
  visitStmts(fn.body, (s) => {
    if (s.k === 'store' && !constantIndex(s.arr, s.i)) candidates.delete(s.arr);
    if (s.k === 'assign') candidates.delete(s.name);
    if (s.k === 'loop' && s.counter) disqualify(s.counter.start);
    if (s.k === 'decl' && s.init?.k !== 'alloc') disqualify(s.init ?? b.ZERO);
    else for (const e of ownExprs(s)) disqualify(e);
  });
  for (const p of fn.params) candidates.delete(p.name);
  if (candidates.size === 0) return fn;

  const element = new Map<string, string[]>();
  for (const [name, n] of candidates) {
    element.set(name, Array.from({ length: n }, (_, k) => namer.fresh(`_${name.replace(/^_+/, '')}_${k}`)));
  }
  const locals = new Map(fn.locals);
  for (const [name, scalars] of element) {
    locals.delete(name);
    for (const s of scalars) locals.set(s, 'number');
  }
  const replace = (e: Expr): Expr =>
    mapExpr(e, (x) => {
      if (x.k === 'idx' && x.i.k === 'num' && element.has(x.arr)) return b.v(element.get(x.arr)![x.i.v]!);
      if (x.k === 'len' && element.has(x.arr)) return b.num(element.get(x.arr)!.length);
      return x;
    });
  const body = mapStmts(mapStmtExprs(fn.body, replace), (s): Stmt[] => {
    if (s.k === 'decl' && element.has(s.name)) {
      const loc = s.loc ? { loc: s.loc } : {};
      const init = s.init?.k === 'alloc' ? s.init : null;
      const start = (k: number) => (init?.values ? b.num(init.values[k]!) : init?.holes ? b.num(NaN) : b.ZERO);
      return element.get(s.name)!.map((v, k) => ({ ...b.decl(v, 'number', start(k), true), ...loc }) as Stmt);
    }
    // (a counting loop keeps its start beside its head too: `for (let i = t[0]; …)`)
    if (s.k === 'loop' && s.counter) return [{ ...s, counter: { ...s.counter, start: replace(s.counter.start) } }];
    if (s.k === 'store' && element.has(s.arr) && s.i.k === 'num') {
      const v = element.get(s.arr)![s.i.v]!;
      return [{ k: 'assign', name: v, e: s.op && s.op !== '=' ? b.op(s.op.slice(0, -1), b.v(v), s.e) : s.e, ...(s.loc ? { loc: s.loc } : {}) }];
    }
    return [s];
  });
  return { ...fn, locals, body };
}
