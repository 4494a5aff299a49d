/**
 * Module-level constant tables (`const LANCZOS = [76.18, -86.5, …]`) read by a generated
 * function: one copy per generated file, at module level, which the function's declaration
 * names instead of building the table at every call:
 *
 *   const LANCZOS = [76.18, -86.5, …];   →   const LANCZOS = _LANCZOSTable;
 *
 * A table declared in the function's body would cost its length at every call (an interpolation
 * helper reading two entries of a 2000-entry table, called per element of a loop) and in the
 * size of the generated file. Safe because adgen accepts a table only where nothing writes it or
 * passes it on (analyze/lower `moduleTable`), and derivative code writes no array the primal
 * does not write.
 */
import type { TargetFunction, TargetGlobal } from '../ir/target.ts';
import type { Stmt } from '../ir/nodes.ts';
import { mapStmts } from '../ir/walk.ts';
import { compilerName } from './fresh.ts';

/**
 * Rewrites the function's table declarations to name module-level copies, one per table, shared
 * by the functions of a file through `tables` (table text → global name); `declared` holds the
 * file's module-level names, to which new ones are added.
 */
export function shareTables(fn: TargetFunction, tables: Map<string, string>, declared: Map<string, number>): { fn: TargetFunction; globals: TargetGlobal[] } {
  const globals: TargetGlobal[] = [];
  const body = mapStmts(fn.body, (s): Stmt[] => {
    if (s.k !== 'decl' || s.init?.k !== 'alloc' || !s.init.values) return [s];
    // (-0 keeps its sign: String(-0) is '0')
    const key = `${s.init.ctor}:${s.init.values.map((v) => (Object.is(v, -0) ? '-0' : String(v))).join(',')}`;
    let name = tables.get(key);
    if (!name) {
      const base = compilerName(s.name, 'Table');
      name = base;
      for (let k = 1; declared.has(name); k++) name = `${base}${k}`;
      declared.set(name, 1);
      tables.set(key, name);
      globals.push({ name, exported: false, type: s.type, init: s.init, mutable: false });
    }
    return [{ ...s, init: { k: 'ext', text: name } }];
  });
  return { fn: { ...fn, body }, globals };
}
