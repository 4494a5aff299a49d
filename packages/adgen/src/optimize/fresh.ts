/** Fresh names for the optimisation passes: not a parameter or any name the function declares. */
import type { TargetFunction } from '../ir/target.ts';
import { visitStmts } from '../ir/walk.ts';

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
