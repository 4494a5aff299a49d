/**
 * Writes that may land past the end of a `number[]`.
 *
 * A plain array grows when written past its end (`const a = [0, 0]; a[i + 1] = v`), but the
 * tangent and adjoint arrays of generated code have the length the array had when it was created:
 * the derivative would silently read `undefined` (NaN) or drop contributions. adgen cannot bound
 * most indices at compile time, so generated code checks them at run time (`_checkIndex`, a
 * RangeError that names the source line) — except where the index is plainly inside the array:
 *  - a literal index below the literal length the array was created with, and
 *  - the counter of an enclosing loop `for (let i = s; i < bound; i += step)` with a literal
 *    s ≥ 0 and step > 0, where bound is `a.length` or the (never reassigned) length expression
 *    `a` was created with.
 * Typed arrays never grow (a write past the end is dropped, by the primal and its derivative
 * arrays alike), so only `number[]` stores are marked.
 */
import * as b from '../ir/builders.ts';
import type { Expr, FunctionIR, Stmt } from '../ir/nodes.ts';
import { visitStmts, writtenIn } from '../ir/walk.ts';

type Loop = Extract<Stmt, { k: 'loop' }>;

/** The function with `boundsCheck` set on each `number[]` store whose index may be outside the array. */
export function markGrowingStores(fn: FunctionIR): FunctionIR {
  const plainArrays = new Set([...fn.locals].filter(([, t]) => t === 'number[]').map(([n]) => n));
  if (plainArrays.size === 0) return fn;
  // the length each array was created with, when one declaration creates it
  const created = new Map<string, Expr | null>();
  visitStmts(fn.body, (s) => {
    if (s.k !== 'decl' || !plainArrays.has(s.name)) return;
    created.set(s.name, created.has(s.name) || s.init?.k !== 'alloc' ? null : s.init.len);
  });
  const written = writtenIn(fn.body);
  for (const p of fn.params) if (p.init) written.add(p.name);
  const fixed = (e: Expr) => [...b.varsOf(e)].every((v) => !written.has(v));

  const inside = (arr: string, i: Expr, loops: Loop[]): boolean => {
    const len = created.get(arr);
    if (i.k === 'num') return Number.isInteger(i.v) && i.v >= 0 && len?.k === 'num' && i.v < len.v;
    if (i.k !== 'var') return false;
    const loop = [...loops].reverse().find((l) => l.counter?.name === i.name);
    const c = loop?.counter;
    if (!loop || !c || c.step <= 0 || c.start.k !== 'num' || c.start.v < 0) return false;
    const t = loop.test;
    if (!t || t.k !== 'op' || t.op !== '<' || t.args[0]!.k !== 'var' || t.args[0]!.name !== i.name) return false;
    const bound = t.args[1]!;
    if (bound.k === 'len' && bound.arr === arr) return true;
    return len != null && fixed(len) && b.sameExpr(bound, len);
  };

  const mark = (stmts: Stmt[], loops: Loop[]): Stmt[] =>
    stmts.map((s): Stmt => {
      switch (s.k) {
        case 'store':
          return plainArrays.has(s.arr) && !inside(s.arr, s.i, loops) ? { ...s, boundsCheck: true } : s;
        case 'if':
          return { ...s, then: mark(s.then, loops), else: mark(s.else, loops) };
        case 'loop': {
          const inner = [...loops, s];
          return { ...s, init: mark(s.init, loops), update: mark(s.update, inner), body: mark(s.body, inner) };
        }
        case 'block':
          return { ...s, body: mark(s.body, loops) };
        default:
          return s;
      }
    });
  return { ...fn, body: mark(fn.body, []) };
}
