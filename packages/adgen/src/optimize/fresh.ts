/** Fresh names for the optimisation passes: not a parameter or any name the function declares. */
import type { Stmt } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { forEachStmtExpr, visitStmts } from '../ir/walk.ts';

/**
 * Variables that raw text (`ext` expressions such as `_tp0[_sp0++]`) mentions, and the objects
 * whose methods a helper call names (`out_bar.fill(0)`): the text may change them where the IR
 * does not show it, so the passes leave them alone. Property names (`tangent.x`) are not variables.
 */
export function opaqueNames(body: Stmt[]): Set<string> {
  const out = new Set<string>();
  forEachStmtExpr(body, (e) => {
    // quoted text (`'icf'`, a name passed as a string) mentions no variable
    if (e.k === 'ext') for (const m of e.text.replace(/'[^']*'/g, '').matchAll(/(?<![.\w$])[A-Za-z_$][\w$]*/g)) out.add(m[0]);
    if (e.k === 'xcall' && e.callee.includes('.')) out.add(e.callee.slice(0, e.callee.indexOf('.')));
  });
  return out;
}

/** `_xAt` for x, `_tp0At` for _tp0: one leading underscore marks a compiler name. */
export function compilerName(of: string, suffix: string): string {
  let start = 0;
  while (of[start] === '_') start++;
  return `_${of.slice(start)}${suffix}`;
}

export function freshNames(fn: TargetFunction): (base: string) => string {
  const taken = new Set<string>(fn.params.map((p) => p.name));
  visitStmts(fn.body, (s) => {
    if (s.k === 'decl' || s.k === 'assign') taken.add(s.name);
  });
  return (base: string): string => {
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}${k}`;
    taken.add(name);
    return name;
  };
}
