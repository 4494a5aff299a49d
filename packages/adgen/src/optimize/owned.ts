/**
 * Arrays no other name can reach. A Float64Array the generated function allocates and never
 * hands out while it runs (it appears as a value only in `return`) cannot alias any other array
 * variable, so loads from it and stores to it can be reordered against other arrays' accesses.
 */
import type { Expr } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { forEachExpr, visitStmts } from '../ir/walk.ts';

export function ownedArrays(fn: TargetFunction): Set<string> {
  const allocated = new Set<string>();
  const other = new Set<string>(fn.params.map((p) => p.name));
  visitStmts(fn.body, (s) => {
    if (s.k !== 'decl' && s.k !== 'assign') return;
    const init = s.k === 'decl' ? s.init : s.e;
    if (init?.k === 'alloc' && init.ctor === 'Float64Array' && (s.k === 'assign' || s.type === 'Float64Array')) allocated.add(s.name);
    else other.add(s.name);
  });
  // an array that appears as a value (passed, pushed, copied) may be reached by another name
  const escapes = new Set<string>();
  const noteVars = (e: Expr) => {
    forEachExpr(e, (x) => {
      if (x.k === 'var') escapes.add(x.name);
    });
  };
  visitStmts(fn.body, (s) => {
    switch (s.k) {
      case 'decl': if (s.init) noteVars(s.init); break;
      case 'assign': noteVars(s.e); break;
      case 'store': noteVars(s.e); noteVars(s.i); break;
      case 'expr': noteVars(s.e); break;
      case 'if': noteVars(s.c); break;
      case 'loop': if (s.test) noteVars(s.test); break;
      default: break; // `return { grad: { x: x_bar } }` hands the array to the caller when done
    }
  });
  return new Set([...allocated].filter((a) => !other.has(a) && !escapes.has(a)));
}

/** Whether two array variables may name the same array. */
export function mayAlias(a: string, b: string, owned: Set<string>): boolean {
  return a === b || (!owned.has(a) && !owned.has(b));
}
