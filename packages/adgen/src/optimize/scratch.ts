/**
 * Scratch arrays of kernels: a fixed-size local array of a kernel (the primal copy `_f`, `_fJvp…`,
 * `_fVjp…`) comes from one module-level array, zeroed on entry, instead of a fresh allocation
 * per call:
 *
 *   const Xo = new Float64Array(3);   →   const Xo = _scratch_project_Xo.fill(0);
 *
 * Kernels are called per element of hot loops (a camera projection per observation in bundle
 * adjustment), where allocating a typed array costs more than the arithmetic: a helper with two
 * 3-vectors had a gradient at 6× its primal, 2.7× with these arrays reused.
 *
 * An array the source declares in a branch, which reverse mode declares empty at the top and
 * allocates where the branch runs (`let w = new Float64Array(0); … if (c) { w = new
 * Float64Array(2); …`), is pooled the same way.
 *
 * A copy kept for the adjoint sweep (`const _c0 = Float64Array.from(y)`, an argument the code
 * overwrites after the call) goes into module-level storage the same way, replaced only when the
 * length changes.
 *
 * Safe because nothing outlives a call: adgen refuses recursion, so a kernel is never active
 * twice; a kernel returns a number or nothing; and the array is used only through its elements,
 * its length, and as an argument of calls (kernels and tape helpers copy values, `_pushRef` —
 * which keeps the array itself — excluded). An array allocated in a loop, with a length known
 * only at run time, or used any other way keeps its allocation.
 */
import type { Expr, Stmt, VarType } from '../ir/nodes.ts';
import type { TargetFunction, TargetGlobal } from '../ir/target.ts';
import * as b from '../ir/builders.ts';
import { mapStmts, visitStmts } from '../ir/walk.ts';
import { compilerName, opaqueNames } from './fresh.ts';

/** Calls that keep a reference to an array argument (the allocation tape of loops). */
const KEEPS_REFERENCE = new Set(['_pushRef']);

/**
 * Rewrites the kernel's fixed-size local arrays to reuse module-level ones, named
 * `_scratch_f_x` (f the kernel, x the local) unless `declared` (the file's module-level names, to
 * which they are added) has that name.
 */
export function reuseScratchArrays(fn: TargetFunction, declared: Map<string, number>): { fn: TargetFunction; globals: TargetGlobal[] } {
  if (fn.returnType !== 'void' && fn.returnType !== 'number' && fn.returnType !== null) return { fn, globals: [] };
  const sizes = fixedSizeLocals(fn.body);
  const copies = copiesOutsideLoops(fn.body);
  for (const name of escaping(fn.body)) {
    sizes.delete(name);
    copies.delete(name);
  }
  const branchLocal = branchAllocations(fn.body, sizes);
  for (const name of escaping(fn.body)) branchLocal.delete(name);
  if (sizes.size === 0 && copies.size === 0 && branchLocal.size === 0) return { fn, globals: [] };
  const globals: TargetGlobal[] = [];
  const pooled = new Map<string, Expr>();
  const globalFor = (local: string): string => {
    const base = `_scratch${compilerName(fn.name, '')}${compilerName(local, '')}`;
    let name = base;
    for (let k = 1; declared.has(name); k++) name = `${base}${k}`;
    declared.set(name, 1);
    return name;
  };
  for (const [local, { size, type }] of sizes) {
    const name = globalFor(local);
    pooled.set(local, b.xcall(`${name}.fill`, b.ZERO));
    globals.push({ name, exported: false, type, init: { k: 'alloc', ctor: type, len: b.num(size) }, mutable: false });
  }
  // a copy of an array whose length is known only at run time: in storage that is replaced when
  // the length changes (`_scratchCopy`)
  for (const [local, source] of copies) {
    const name = globalFor(local);
    pooled.set(local, b.xcall('_scratchCopy', b.v(name), source));
    globals.push({ name, exported: false, type: 'Float64Array[]', init: { k: 'arr', elems: [{ k: 'alloc', ctor: 'Float64Array', len: b.ZERO }] }, mutable: false });
  }
  // an array declared empty and allocated in a branch: the empty placeholder is one shared
  // zero-length array (nothing can be written into it), the allocation a module-level one
  const empty = new Map<ScratchType, string>();
  const emptyOf = (type: ScratchType): string => {
    let name = empty.get(type);
    if (!name) {
      name = globalFor(`empty${type === 'Float32Array' ? '32' : ''}`);
      empty.set(type, name);
      globals.push({ name, exported: false, type, init: { k: 'alloc', ctor: type, len: b.ZERO }, mutable: false });
    }
    return name;
  };
  const allocated = new Map<string, Expr>();
  for (const [local, { size, type }] of branchLocal) {
    const name = globalFor(local);
    allocated.set(local, b.xcall(`${name}.fill`, b.ZERO));
    pooled.set(local, b.v(emptyOf(type)));
    globals.push({ name, exported: false, type, init: { k: 'alloc', ctor: type, len: b.num(size) }, mutable: false });
  }
  const body = mapStmts(fn.body, (s) => {
    if (s.k === 'decl' && pooled.has(s.name)) return [{ ...s, init: pooled.get(s.name)! }];
    if (s.k === 'assign' && allocated.has(s.name)) return [{ ...s, e: allocated.get(s.name)! }];
    return [s];
  });
  return { fn: { ...fn, body }, globals };
}

/**
 * Arrays reverse mode declares empty at the top (`let w = new Float64Array(0)`) because the source
 * declares them in a branch, allocated by one assignment outside loops with a length known here
 * (`w = new Float64Array(2)`, `w_bar = new Float64Array(w.length)`).
 */
function branchAllocations(body: Stmt[], fixed: Map<string, { size: number; type: ScratchType }>): Map<string, { size: number; type: ScratchType }> {
  const declared = new Map<string, Extract<Stmt, { k: 'decl' }>[]>();
  const assigns = new Map<string, { s: Extract<Stmt, { k: 'assign' }>; inLoop: boolean }[]>();
  const walk = (stmts: Stmt[], inLoop: boolean): void => {
    for (const s of stmts) {
      if (s.k === 'decl') declared.set(s.name, [...(declared.get(s.name) ?? []), s]);
      if (s.k === 'assign') assigns.set(s.name, [...(assigns.get(s.name) ?? []), { s, inLoop }]);
      if (s.k === 'if') {
        walk(s.then, inLoop);
        walk(s.else, inLoop);
      } else if (s.k === 'block') walk(s.body, inLoop);
      else if (s.k === 'loop') walk([...s.init, ...s.body, ...s.update], true);
    }
  };
  walk(body, false);
  const found = new Map<string, { size: number; type: ScratchType }>();
  const sizeOf = (e: Expr) => knownSize(e, (a) => found.get(a) ?? fixed.get(a));
  // in order, so `w_bar`'s length can name `w`'s
  for (const s of body) {
    if (s.k !== 'decl' || declared.get(s.name)?.length !== 1 || s.init?.k !== 'alloc' || s.init.ctor === 'Array' || !isTyped(s.type) || !b.isZero(s.init.len)) continue;
    const writes = assigns.get(s.name) ?? [];
    const only = writes.length === 1 ? writes[0]! : null;
    if (!only || only.inLoop || only.s.e.k !== 'alloc' || only.s.e.ctor !== s.init.ctor) continue;
    const size = sizeOf(only.s.e.len);
    if (size !== null) found.set(s.name, { size, type: s.init.ctor });
  }
  return found;
}

/**
 * The declarations the statements make outside every loop (in branches and blocks too) of
 * variables declared once and never assigned again: a loop's allocations are one per iteration,
 * each possibly kept.
 */
function singleDeclarationsOutsideLoops(body: Stmt[]): Extract<Stmt, { k: 'decl' }>[] {
  const declared = new Map<string, number>();
  const assigned = new Set<string>();
  visitStmts(body, (s) => {
    if (s.k === 'decl') declared.set(s.name, (declared.get(s.name) ?? 0) + 1);
    if (s.k === 'assign') assigned.add(s.name);
  });
  const out: Extract<Stmt, { k: 'decl' }>[] = [];
  const walk = (stmts: Stmt[]): void => {
    for (const s of stmts) {
      if (s.k === 'decl' && declared.get(s.name) === 1 && !assigned.has(s.name)) out.push(s);
      if (s.k === 'if') {
        walk(s.then);
        walk(s.else);
      } else if (s.k === 'block') walk(s.body);
    }
  };
  walk(body);
  return out;
}

/** `const c = Float64Array.from(a)` among them. */
function copiesOutsideLoops(body: Stmt[]): Map<string, Expr> {
  const found = new Map<string, Expr>();
  for (const s of singleDeclarationsOutsideLoops(body)) {
    if (s.type === 'Float64Array' && s.init?.k === 'xcall' && s.init.callee === 'Float64Array.from' && s.init.args.length === 1) found.set(s.name, s.init.args[0]!);
  }
  return found;
}

type ScratchType = 'Float64Array' | 'Float32Array';

/** Typed arrays among them with a length known here (a literal, or the length of another such array). */
function fixedSizeLocals(body: Stmt[]): Map<string, { size: number; type: ScratchType }> {
  const found = new Map<string, { size: number; type: ScratchType }>();
  const sizeOf = (e: Expr) => knownSize(e, (a) => found.get(a));
  for (const s of singleDeclarationsOutsideLoops(body)) {
    if (s.init?.k !== 'alloc' || s.init.ctor === 'Array' || !isTyped(s.type)) continue;
    const size = sizeOf(s.init.len);
    if (size !== null) found.set(s.name, { size, type: s.init.ctor });
  }
  return found;
}

/** An allocation length known here: a whole literal, or the length of an array whose size is known. */
function knownSize(e: Expr, sizeOfArray: (arr: string) => { size: number } | undefined): number | null {
  if (e.k === 'num') return Number.isInteger(e.v) && e.v >= 0 ? e.v : null;
  if (e.k === 'len') return sizeOfArray(e.arr)?.size ?? null;
  return null;
}

const isTyped = (t: VarType): boolean => t === 'Float64Array' || t === 'Float32Array';

/** Arrays used other than through elements, length and call arguments (a returned or aliased array). */
function escaping(body: Stmt[]): Set<string> {
  const out = opaqueNames(body);
  const visit = (e: Expr, asArgument: boolean): void => {
    switch (e.k) {
      case 'var':
        if (!asArgument) out.add(e.name);
        return;
      case 'call':
        for (const a of e.args) visit(a, true);
        return;
      case 'xcall':
        for (const a of e.args) visit(a, !KEEPS_REFERENCE.has(e.callee));
        return;
      case 'idx': visit(e.i, false); return;
      case 'op': for (const a of e.args) visit(a, false); return;
      case 'cond': visit(e.c, false); visit(e.a, false); visit(e.b, false); return;
      case 'stop': case 'as': visit(e.e, false); return;
      case 'alloc': visit(e.len, false); return;
      case 'obj': for (const [, v] of e.props) visit(v, false); return;
      case 'arr': for (const x of e.elems) visit(x, false); return;
      case 'lambda': visit(e.body, false); return;
      default: return;
    }
  };
  visitStmts(body, (s) => {
    switch (s.k) {
      case 'decl': if (s.init) visit(s.init, false); break;
      case 'assign': case 'expr': case 'return': if (s.e) visit(s.e, false); break;
      case 'store': visit(s.i, false); visit(s.e, false); break;
      case 'if': visit(s.c, false); break;
      case 'loop': if (s.test) visit(s.test, false); break;
      default: break;
    }
  });
  return out;
}
