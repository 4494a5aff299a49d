/**
 * Joint mode calls a helper twice: its primal copy where the forward sweep needs the value, and
 * its reverse kernel (which runs the primal again) where the adjoint sweep has the seed. Where the
 * seed can already be computed at the primal call, one kernel call there gives both: the kernel
 * returns the helper's value.
 *
 *   const _t0 = _call(s[i], k, r);               const _t0 = _callVjp(s[i], k, r, cotangent);
 *   v = v + _t0;                                  const _b0 = _callVjpBar[0];
 *   _t0_bar = cotangent;                    →     v = v + _t0;
 *   _callVjp(s[i], k, r, _t0_bar);                _t0_bar = cotangent;
 *   _t0_bar = 0;                                  _t0_bar = 0;
 *   const _b0 = _callVjpBar[0];
 *
 * A fused sum over helper calls (`s += f(x[i])`) and a helper's kernel calling a helper whose seed
 * is its own seed times known values (`s * cnd(d1)`) take this shape; nested helpers then run
 * their primal once per level less. Conservative, within one statement list:
 *  - the kernel's arguments are the primal call's, and nothing between the two calls writes what
 *    they read (statements between are plain: declarations, assignments, stores, calls of other
 *    kernels, whose array arguments count as written);
 *  - the seed is a value the code computes between them from values that hold at the primal call
 *    (an assignment or a constant declared there is read through, when it is arithmetic);
 *  - the kernel's scratch values are read right after its call and move up with it;
 *  - nothing in the list handles a local tape pointer (the kernel would push at the wrong place).
 */
import { sameExpr, varsOf } from '../ir/builders.ts';
import { isArrayType, type Expr, type Stmt } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { names } from '../analyze/names.ts';
import { forEachExpr, mapStatementLists, mapStmts, someExpr, someIn, visitStmts } from '../ir/walk.ts';

export function reuseKernelValues(fn: TargetFunction): TargetFunction {
  // what a call may write: its array arguments (a number argument is a copy)
  const arrays = new Set(fn.params.filter((p) => !/^(number|boolean)$/.test(p.type)).map((p) => p.name));
  visitStmts(fn.body, (s) => {
    if (s.k === 'decl' && isArrayType(s.type)) arrays.add(s.name);
  });
  const rewrite = (stmts: Stmt[]): Stmt[] => (usesTapePointer(stmts) ? stmts : merge(stmts, arrays));
  return { ...fn, body: mapStatementLists(fn.body, rewrite) };
}

/** A local tape pointer (`_sp0`, `_tp0`) or the tape itself, anywhere in the statements. */
function usesTapePointer(stmts: Stmt[]): boolean {
  const tapeName = (n: string) => /^_(sp|tp)\d*$/.test(n) || n === '_tape';
  let found = someExpr(stmts, (e) => (e.k === 'var' && tapeName(e.name)) || (e.k === 'ext' && /\b_(sp|tp)\d*\b|_tape\b/.test(e.text)));
  const visit = (list: Stmt[]): void => {
    for (const s of list) {
      if ((s.k === 'decl' || s.k === 'assign') && tapeName(s.name)) found = true;
      if (s.k === 'if') (visit(s.then), visit(s.else));
      if (s.k === 'loop') (visit(s.init), visit(s.body), visit(s.update));
      if (s.k === 'block') visit(s.body);
    }
  };
  visit(stmts);
  return found;
}

type XCall = Extract<Expr, { k: 'xcall' }>;

/**
 * The user function a reverse kernel belongs to (`_fVjp`, `_fVjpWrt_x_y` → f). Compiler-made
 * functions (`__fLoop0Vjp`, the GPU lowering's loops, which return nothing) are not kernels.
 */
function kernelOwner(callee: string): string | null {
  const m = /^_([A-Za-z$][\w$]*?)Vjp(?:Wrt_\w+)?$/.exec(callee);
  return m ? m[1]! : null;
}

function merge(input: Stmt[], arrays: ReadonlySet<string>): Stmt[] {
  const stmts = [...input];
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i]!;
    if (s.k !== 'decl' || s.mutable || s.type !== 'number' || s.init?.k !== 'xcall') continue;
    const primal = s.init;
    for (let j = i + 1; j < stmts.length; j++) {
      const k = stmts[j]!;
      if (k.k !== 'expr' || k.e.k !== 'xcall') continue;
      const owner = kernelOwner(k.e.callee);
      if (!owner || names.primal(owner) !== primal.callee) continue;
      const args = k.e.args.slice(0, -1);
      if (args.length !== primal.args.length || !args.every((a, n) => sameExpr(a, primal.args[n]!))) continue;
      const merged = tryMerge(stmts, i, j, s.name, primal, k.e, owner, arrays);
      if (merged) stmts.splice(0, stmts.length, ...merged);
      break;
    }
  }
  return stmts;
}

/** The statements with the kernel call at j moved to the primal call at i, or null. */
function tryMerge(stmts: Stmt[], i: number, j: number, value: string, primal: XCall, kernel: XCall, owner: string, arrays: ReadonlySet<string>): Stmt[] | null {
  const between = stmts.slice(i + 1, j);
  const slot = names.vjpKernelBar(owner);
  const readsSlot = (x: Stmt) => ownExprsOf(x).some((e) => someIn(e, (y) => y.k === 'ext' && y.text.startsWith(`${slot}[`)));
  const callsKernel = (x: Stmt) => ownExprsOf(x).some((e) => someIn(e, (y) => y.k === 'xcall' && kernelOwner(y.callee) === owner));
  // only plain statements between; what they write, arrays passed to calls included
  const written = new Set<string>([value]);
  let kernelBetween = false;
  for (const x of between) {
    if (x.k === 'comment') continue;
    if (x.k === 'decl' || x.k === 'assign') written.add(x.name);
    else if (x.k === 'store') written.add(x.arr);
    else if (x.k !== 'expr') return null;
    for (const e of ownExprsOf(x)) forEachExpr(e, (y) => { if (y.k === 'xcall') for (const a of y.args) if (a.k === 'var' && arrays.has(a.name)) written.add(a.name); });
    // scratch values read before another call of the kernel belong to a call before i, which
    // the moved call would overwrite; after one, to that call, which runs after the moved one
    if (readsSlot(x) && !kernelBetween) return null;
    kernelBetween ||= callsKernel(x);
  }
  for (const a of primal.args) if ([...varsOf(a)].some((v) => written.has(v)) || !pure(a)) return null;
  // the seed's value at the kernel call, as an expression of what holds at the primal call
  const hoisted = new Set<Stmt>();
  const seed = valueAt(stmts, i, j, kernel.args[kernel.args.length - 1]!, value, 0, hoisted);
  if (!seed) return null;
  // the kernel's scratch reads after it, up to the next call, move up with it
  const reads: Stmt[] = [];
  let end = j + 1;
  for (; end < stmts.length; end++) {
    const x = stmts[end]!;
    if (x.k === 'if' || x.k === 'loop' || x.k === 'block' || ownExprsOf(x).some((e) => someIn(e, (y) => y.k === 'xcall' || y.k === 'call'))) break;
    if (x.k === 'decl' && !x.mutable && x.init?.k === 'ext' && x.init.text.startsWith(`${slot}[`)) reads.push(x);
  }
  const rest = stmts.slice(j + 1, end).filter((x) => !reads.includes(x));
  return [
    ...stmts.slice(0, i),
    // constants the seed needs, computed from what holds at the call (in their order)
    ...between.filter((x) => hoisted.has(x)),
    { ...stmts[i]!, init: { ...kernel, args: [...primal.args, seed] } } as Stmt,
    ...reads,
    ...between.filter((x) => !hoisted.has(x)),
    ...rest,
    ...stmts.slice(end),
  ];
}

function ownExprsOf(s: Stmt): Expr[] {
  switch (s.k) {
    case 'decl': return s.init ? [s.init] : [];
    case 'assign': case 'expr': return [s.e];
    case 'store': return [s.i, s.e];
    default: return [];
  }
}

/** Arithmetic on variables, numbers and element reads: safe to evaluate earlier. */
function pure(e: Expr): boolean {
  let ok = true;
  forEachExpr(e, (x) => {
    if (x.k === 'op') ok &&= ['+', '-', '*', '/', 'neg'].includes(x.op);
    else ok &&= x.k === 'var' || x.k === 'num' || x.k === 'idx' || x.k === 'len';
  });
  return ok;
}

/**
 * `e` as evaluated just before statement `at` (i < at ≤ j), written with values that hold at
 * statement i: a variable assigned or declared after i is replaced by what was assigned (once,
 * at the top level, arithmetic), recursively; a constant declared after i from values that hold
 * at i (`const _t6 = Math.exp(-r * t)`) is moved before the call instead (added to `hoisted`).
 * Null when neither can be done.
 */
function valueAt(stmts: Stmt[], i: number, at: number, e: Expr, value: string, depth: number, hoisted: Set<Stmt>): Expr | null {
  if (depth > 8 || !pure(e)) return null;
  let failed = false;
  const subst = (x: Expr): Expr => {
    if (failed) return x;
    if (x.k === 'idx') {
      // an element read: the array must not be written after i
      if (writesArray(stmts.slice(i + 1, at), x.arr)) failed = true;
      return { ...x, i: subst(x.i) };
    }
    if (x.k === 'op') return { ...x, args: x.args.map(subst) };
    if (x.k !== 'var') return x;
    if (x.name === value) {
      failed = true;
      return x;
    }
    // the last write to it before `at`
    for (let p = at - 1; p > i; p--) {
      const w = stmts[p]!;
      if ((w.k === 'decl' || w.k === 'assign') && w.name === x.name) {
        const init = w.k === 'decl' ? w.init : w.op && w.op !== '=' ? null : w.e;
        const r = init ? valueAt(stmts, i, p, init, value, depth + 1, hoisted) : null;
        if (r) return r;
        if (w.k === 'decl' && !w.mutable && init && hoistable(stmts, i, p, init, value, depth + 1, hoisted)) {
          hoisted.add(w);
          return x;
        }
        failed = true;
        return x;
      }
      if (writesNested(w, x.name)) {
        failed = true;
        return x;
      }
    }
    return x;
  };
  const out = subst(e);
  return failed ? null : out;
}

/**
 * Whether a constant's initialiser (declared at p) can be computed at statement i instead: `Math`
 * functions of values that hold from i to p, or of constants that can move too.
 */
function hoistable(stmts: Stmt[], i: number, p: number, init: Expr, value: string, depth: number, hoisted: Set<Stmt>): boolean {
  if (depth > 8) return false;
  let ok = true;
  forEachExpr(init, (x) => {
    if (!ok) return;
    if (x.k === 'call' || x.k === 'xcall' || x.k === 'alloc' || x.k === 'lambda' || x.k === 'obj' || x.k === 'arr') ok = false;
    else if (x.k === 'ext') ok = /^Math\.\w+$/.test(x.text);
    else if (x.k === 'idx' || x.k === 'len') ok = !writesArray(stmts.slice(i + 1, p), x.arr);
    else if (x.k === 'var') {
      if (x.name === value) {
        ok = false;
        return;
      }
      for (let q = p - 1; q > i; q--) {
        const w = stmts[q]!;
        if ((w.k === 'decl' || w.k === 'assign') && w.name === x.name) {
          ok = w.k === 'decl' && !w.mutable && !!w.init && hoistable(stmts, i, q, w.init, value, depth + 1, hoisted);
          if (ok) hoisted.add(w);
          return;
        }
        if (writesNested(w, x.name)) {
          ok = false;
          return;
        }
      }
    }
  });
  return ok;
}

function writesArray(stmts: Stmt[], arr: string): boolean {
  let w = false;
  for (const s of stmts) {
    if (s.k === 'store' && s.arr === arr) w = true;
    for (const e of ownExprsOf(s)) forEachExpr(e, (y) => { if (y.k === 'xcall' && y.args.some((a) => a.k === 'var' && a.name === arr)) w = true; });
    if (s.k === 'if' || s.k === 'loop' || s.k === 'block') w = true;
  }
  return w;
}

/** Whether a compound statement writes the variable somewhere inside. */
function writesNested(s: Stmt, name: string): boolean {
  if (s.k !== 'if' && s.k !== 'loop' && s.k !== 'block') return false;
  let w = false;
  mapStmts([s], (x) => {
    if ((x.k === 'decl' || x.k === 'assign') && x.name === name) w = true;
    return [x];
  });
  return w;
}
