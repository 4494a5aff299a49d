/**
 * Activity analysis (flow-insensitive, like Tapenade's first approximation): a variable or array
 * is *varied* when it depends on an active input and *useful* when the result depends on it;
 * only variables that are both (plus the active inputs themselves) get derivative code.
 * `stopGradient(…)`, indices, lengths, comparisons and piecewise-constant functions (floor, sign…)
 * carry no derivative, so they make nothing varied.
 */
import { varsOf } from '../ir/builders.ts';
import { isArrayType, type Expr, type FunctionIR, type Stmt } from '../ir/nodes.ts';
import { BOOLEAN_OPS, ruleFor } from '../rules/index.ts';
import { someExpr, visitStmts } from '../ir/walk.ts';

/** Which parameters (by position) each user function writes into. */
export type WriteMap = Map<string, Set<number>>;

export interface Activity {
  /** variables and arrays that carry a derivative */
  active: Set<string>;
  /** variables and arrays the result depends on (an active input outside it gets a zero adjoint) */
  useful?: Set<string>;
}

/** Variables through which an expression's value can carry a derivative. */
export function diffVars(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.k) {
    case 'var': out.add(e.name); break;
    case 'idx': out.add(e.arr); break; // the index carries no derivative
    case 'op':
      if (BOOLEAN_OPS.has(e.op) || ruleFor(e.op)?.zero) break;
      for (const a of e.args) diffVars(a, out);
      break;
    case 'call': for (const a of e.args) diffVars(a, out); break;
    case 'cond': diffVars(e.a, out); diffVars(e.b, out); break;
    case 'arr': for (const a of e.elems) diffVars(a, out); break;
    default: break; // num, bool, len, stop, alloc, ext
  }
  return out;
}

/** Every write in the function as (target, value dependencies). */
function flows(fn: FunctionIR, writes: WriteMap): { target: string; deps: Set<string> }[] {
  const out: { target: string; deps: Set<string> }[] = [];
  const visit = (stmts: Stmt[]) => {
    for (const s of stmts) {
      switch (s.k) {
        case 'decl': if (s.init) out.push({ target: s.name, deps: diffVars(s.init) }); break;
        case 'assign': out.push({ target: s.name, deps: diffVars(s.e) }); break;
        case 'store': out.push({ target: s.arr, deps: diffVars(s.e) }); break;
        default: break;
      }
      // a call writes into the arrays it is handed, whether or not its value is used
      const call = callIn(s);
      if (call) {
        const written = writes.get(call.fn) ?? new Set();
        const deps = diffVars(call);
        call.args.forEach((a, i) => {
          if (written.has(i) && a.k === 'var') out.push({ target: a.name, deps });
        });
      }
      switch (s.k) {
        case 'if': visit(s.then); visit(s.else); break;
        case 'loop': visit(s.init); visit(s.body); visit(s.update); break;
        case 'return':
          if (s.e) out.push({ target: '_return', deps: diffVars(s.e) });
          break;
        default: break;
      }
    }
  };
  visit(fn.body);
  return out;
}

export function analyzeActivity(fn: FunctionIR, activeInputs: Set<string>, writes: WriteMap): Activity {
  const fl = flows(fn, writes);
  const varied = new Set(activeInputs);
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of fl) {
      if (!varied.has(f.target) && [...f.deps].some((d) => varied.has(d))) {
        varied.add(f.target);
        changed = true;
      }
    }
  }
  const useful = new Set<string>(['_return', ...fn.params.filter((p) => p.out).map((p) => p.name)]);
  // a written array parameter is an output of the function too (its final contents are observable)
  for (const p of fn.params) if (p.type !== 'number' && p.type !== 'boolean' && (writes.get(fn.name)?.has(fn.params.indexOf(p)) ?? false)) useful.add(p.name);
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of fl) {
      if (useful.has(f.target)) {
        for (const d of f.deps) {
          if (!useful.has(d)) {
            useful.add(d);
            changed = true;
          }
        }
      }
    }
  }
  const active = new Set<string>();
  for (const name of varied) if (useful.has(name) && name !== '_return') active.add(name);
  for (const name of activeInputs) active.add(name);
  return { active, useful };
}

/** Positions of the parameters a function writes into (directly or through calls anywhere). */
export function writtenParams(fn: FunctionIR, writes: WriteMap): Set<number> {
  const written = new Set<string>();
  visitStmts(fn.body, (s) => {
    if (s.k === 'store') written.add(s.arr);
  });
  someExpr(fn.body, (e) => {
    if (e.k === 'call') {
      const w = writes.get(e.fn) ?? new Set();
      e.args.forEach((a, i) => { if (w.has(i) && a.k === 'var') written.add(a.name); });
    }
    return false;
  });
  return new Set(fn.params.map((p, i) => (written.has(p.name) ? i : -1)).filter((i) => i >= 0));
}

/**
 * Whether a function reads the contents of its array parameter at position i: an element read,
 * a compound store (`a[j] += e`), or the array passed on to a call (taken as a read). A function
 * that only writes the array (an output like `k` of `rhs(y, k)`) does not depend on what it held.
 */
export function readsParamContents(fn: FunctionIR, i: number): boolean {
  const name = fn.params[i]?.name;
  if (name === undefined) return true;
  let reads = false;
  visitStmts(fn.body, (s) => {
    if (s.k === 'store' && s.arr === name && s.op !== undefined && s.op !== '=') reads = true;
  });
  return reads || someExpr(fn.body, (e) => (e.k === 'idx' && e.arr === name) || (e.k === 'call' && e.args.some((a) => a.k === 'var' && a.name === name)));
}

/** The call a statement makes: `g(…);`, `const v = g(…)` or `v = g(…)` (normalised code has no other). */
export function callIn(s: Stmt): Extract<Expr, { k: 'call' }> | null {
  const e = s.k === 'expr' || s.k === 'assign' ? s.e : s.k === 'decl' ? s.init : null;
  return e?.k === 'call' ? e : null;
}

export { varsOf };

/**
 * Which arguments of a call carry a tangent (or an adjoint): an active array, or a number that depends on an
 * active variable. A kernel specialised to these parameters does no work for the others, and never multiplies the zero tangent of
 * a constant argument by an infinite partial (`h(x, 0)` with `t * Math.sqrt(s)` inside: 0 · ∞).
 */
export function tangentMask(args: Expr[], fn: FunctionIR, active: Set<string>): boolean[] {
  return args.map((a) => {
    if (a.k === 'var' && isArrayType(fn.locals.get(a.name) ?? 'number')) return active.has(a.name);
    return [...diffVars(a)].some((v) => active.has(v));
  });
}

/**
 * The kernel to call for a callee, given which arguments carry a tangent or adjoint (by
 * position; see `tangentMask`): a kernel specialised to those parameters where one was generated.
 */
export type KernelFor = (callee: string, mask: boolean[]) => string;
