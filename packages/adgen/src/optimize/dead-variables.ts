/**
 * Dead variables: a local whose value nothing reads (the tangent of an input the result does not
 * depend on, an adjoint reset that no later statement reads, a copy saved for an adjoint that
 * never runs) loses its declaration and its assignments, so generated files also pass a user's
 * `noUnusedLocals`. A value is read when an expression outside the variable's own assignments
 * uses it, or when a live variable's assignment does (found backwards from those reads, to a
 * fixpoint). Variables are told apart by declaration, not by name: generated code re-declares
 * `j` or `_c0` in sibling and nested blocks. Assignments with effects (a kernel call, a tape pop)
 * stay, as statements of their own when nothing reads the variable. Parameters nothing reads get a leading underscore, which
 * `noUnusedParameters` accepts; callers pass arguments by position.
 */
import type { Expr, Stmt } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import * as b from '../ir/builders.ts';
import { mapStmts, someIn, visitStmts } from '../ir/walk.ts';
import { opaqueNames } from './fresh.ts';

/** Calls of the generated code that only compute a value. */
const PURE_CALLS = new Set(['Float64Array.from', 'Float32Array.from', 'Array.from']);

/** Whether evaluating e can change something: a call, or raw text that steps a counter. */
function hasEffects(e: Expr): boolean {
  return someIn(e, (x) => x.k === 'call' || (x.k === 'xcall' && !PURE_CALLS.has(x.callee)) || (x.k === 'ext' && (x.text.includes('++') || x.text.includes('--'))));
}

/** Every name e reads, raw text (`tangent.x ?? 0`) included. */
function namesIn(e: Expr): Set<string> {
  return new Set([...b.varsOf(e), ...opaqueNames([{ k: 'expr', e }])]);
}

/** A copy of the statements in which no statement object appears twice (expressions stay shared). */
function unshared(stmts: Stmt[]): Stmt[] {
  return stmts.map((s): Stmt => {
    switch (s.k) {
      case 'if': return { ...s, then: unshared(s.then), else: unshared(s.else) };
      case 'loop': return { ...s, init: unshared(s.init), update: unshared(s.update), body: unshared(s.body) };
      case 'block': return { ...s, body: unshared(s.body) };
      default: return { ...s };
    }
  });
}

/** A variable: its declaration, or its name for parameters and module-level names. */
type Binding = Stmt | string;

/**
 * Walks the statements in order with block scoping (an `if` arm, a loop, a loop body, a block),
 * resolving each name to its binding. `visit` gets each statement's assigned binding (if any)
 * and the bindings of what its own expressions read (not those of nested statements).
 */
function walkScoped(body: Stmt[], visit: (s: Stmt, target: Binding | null, reads: Binding[]) => void): void {
  const scopes: Map<string, Stmt>[] = [new Map()];
  const resolve = (name: string): Binding => {
    for (let k = scopes.length - 1; k >= 0; k--) {
      const d = scopes[k]!.get(name);
      if (d) return d;
    }
    return name;
  };
  const reads = (es: (Expr | null | undefined)[]): Binding[] => es.flatMap((e) => (e ? [...namesIn(e)].map(resolve) : []));
  const block = (stmts: Stmt[]): void => {
    scopes.push(new Map());
    stmts.forEach(statement);
    scopes.pop();
  };
  const statement = (s: Stmt): void => {
    switch (s.k) {
      case 'decl': {
        const r = reads([s.init]);
        scopes[scopes.length - 1]!.set(s.name, s);
        visit(s, s, r);
        return;
      }
      case 'assign': visit(s, resolve(s.name), reads([s.e])); return;
      case 'store': visit(s, null, [...reads([s.i, s.e]), resolve(s.arr)]); return;
      case 'expr': case 'return': visit(s, null, reads([s.e])); return;
      case 'if':
        // an `if` with nothing in either arm goes (below): its condition reads nothing
        if (s.then.length > 0 || s.else.length > 0 || hasEffects(s.c)) visit(s, null, reads([s.c]));
        block(s.then);
        block(s.else);
        return;
      case 'loop':
        scopes.push(new Map());
        s.init.forEach(statement);
        visit(s, null, reads([s.test]));
        block(s.body);
        s.update.forEach(statement);
        scopes.pop();
        return;
      case 'block': block(s.body); return;
      default: return;
    }
  };
  block(body);
}

/**
 * `for (let i = a; i < b; i++) {}` whose body the other passes emptied (a dropped zeroing, stores
 * nothing reads): it only counts, so it goes. Only a counter declared in its head and stepped by
 * a constant, and a test without effects: such a loop ends (a `while` with an empty body may not).
 */
function emptyCountingLoop(s: Stmt): boolean {
  if (s.k !== 'loop' || s.doWhile || !s.test || hasEffects(s.test) || s.body.some((x) => x.k !== 'comment')) return false;
  const c = s.init.length === 1 && s.init[0]!.k === 'decl' ? s.init[0]! : null;
  if (!c || c.k !== 'decl' || !c.init || hasEffects(c.init)) return false;
  const constantStep = (e: Expr) => e.k === 'num' && Number.isFinite(e.v) && e.v !== 0;
  const step = (u: Stmt) =>
    u.k === 'assign' && u.name === c.name &&
    ((u.op === '+=' || u.op === '-=') ? constantStep(u.e) : (u.op ?? '=') === '=' && u.e.k === 'op' && (u.e.op === '+' || u.e.op === '-') && u.e.args[0]!.k === 'var' && u.e.args[0]!.name === c.name && constantStep(u.e.args[1]!));
  return s.update.length === 1 && step(s.update[0]!);
}

export function removeDeadVariables(fn: TargetFunction): TargetFunction {
  // bindings are declaration objects: a statement the reverse sweep shares with the forward one
  // (a recomputed `const _t1 = i * n`) must be two bindings, each live or dead on its own
  fn = { ...fn, body: unshared(fn.body) };
  // removing a dead assignment can empty an `if` whose condition was the last reader of a value
  // (`if (c < z[n - 1]) _cont0 = true`): again until nothing goes
  for (let size = countStatements(fn.body); ; ) {
    fn = removeOnce(fn);
    const after = countStatements(fn.body);
    if (after === size) return fn;
    size = after;
  }
}

function countStatements(body: Stmt[]): number {
  let n = 0;
  visitStmts(body, () => n++);
  return n;
}

function removeOnce(fn: TargetFunction): TargetFunction {
  // default values of parameters may read earlier parameters
  const live = new Set<Binding>(fn.params.flatMap((p) => (p.init ? [...namesIn(p.init)] : [])));
  /** what each local's own assignments read */
  const feeds = new Map<Binding, Binding[]>();
  /** the local each declaration or assignment writes */
  const writes = new Map<Stmt, Binding>();
  // a number parameter is a local the caller cannot see: `x_dot = 0` nothing reads goes too
  const scalarParams = new Set(fn.params.filter((p) => p.type === 'number' || p.type === 'boolean').map((p) => p.name));
  walkScoped(fn.body, (s, target, reads) => {
    // an array parameter or module-level name that is assigned stays (`_fJvpDot` is an output)
    if (target === null || (typeof target === 'string' && !scalarParams.has(target))) {
      if (typeof target === 'string') live.add(target);
      for (const r of reads) live.add(r);
      return;
    }
    writes.set(s, target);
    const e = s.k === 'decl' ? s.init : s.k === 'assign' ? s.e : null;
    // a call runs whether or not its value is read: what it reads is live, its variable need not be
    if (e && hasEffects(e)) for (const r of reads) live.add(r);
    else feeds.set(target, [...(feeds.get(target) ?? []), ...reads]);
  });
  const work = [...live];
  while (work.length > 0) {
    for (const v of feeds.get(work.pop()!) ?? []) {
      if (!live.has(v)) {
        live.add(v);
        work.push(v);
      }
    }
  }
  const isDead = (s: Stmt): boolean => {
    const target = writes.get(s);
    return target !== undefined && !live.has(target);
  };
  // children first: an `if` left with two empty arms and a condition without effects goes too
  const emptyIf = (s: Stmt) => s.k === 'if' && s.then.length === 0 && s.else.length === 0 && !hasEffects(s.c);
  const pruned = mapStmts(fn.body, (s): Stmt[] => {
    if (emptyIf(s) || emptyCountingLoop(s)) return [];
    if (!isDead(s)) return [s];
    // `const _t0 = _gJvp(…)` nobody reads: the call stays, as a statement
    const e = s.k === 'decl' ? s.init : s.k === 'assign' ? s.e : null;
    return e && hasEffects(e) ? [{ k: 'expr', e }] : [];
  });
  const taken = new Set<string>(fn.params.map((p) => p.name));
  visitStmts(pruned, (s) => {
    if (s.k === 'decl' || s.k === 'assign') taken.add(s.name);
  });
  for (const v of live) if (typeof v === 'string') taken.add(v);
  const renamed = fn.params.map((p) => {
    // `this:` of a gpu.js kernel is a type annotation, not a parameter
    if (live.has(p.name) || taken.has(`_${p.name}`) || p.name.startsWith('_') || p.name === 'this') return p;
    taken.add(`_${p.name}`);
    return { ...p, name: `_${p.name}` };
  });
  return { ...fn, params: renamed, body: pruned };
}
