/**
 * Normalisation of source IR before differentiation.
 *
 * - Ternaries in value positions become `if` statements writing a temporary, so that the arm
 *   that did not run contributes nothing to the derivative (SPEC §3, JAX's `where` NaN trap).
 * - Calls to user functions in value positions are hoisted into statements of their own
 *   (`_t0 = g(…)`), so each mode handles a call only as `v = g(…)` or as a statement.
 * - A call that leaves out trailing arguments gets the callee's default values (`g(x)` with
 *   `g(t, k = 2)` becomes `g(x, 2)`), because the derivative kernels take every argument.
 * - Operands that read arrays are read before a later operand's call that may write them.
 * - A call that writes into an array and always runs in a condition (an `if`, the condition of
 *   `?:`, the left of `&&`) or in the index of an assignment target is hoisted before it; in a
 *   loop test it moves into the loop as `_t0 = g(…); if (!test) break;`.
 * Otherwise conditions, loop tests and array indices are primal-only and stay as they are.
 */
import * as b from '../ir/builders.ts';
import type { Namer } from '../ir/namer.ts';
import { isArrayType, type Expr, type FunctionIR, type Loc, type Stmt } from '../ir/nodes.ts';
import { forEachExpr, hasContinue, mapExpr, mapStmtExprs, ownExprs, someExpr, someIn, visitStmts } from '../ir/walk.ts';
import type { WriteMap } from './activity.ts';
import { markGrowingStores } from './bounds.ts';

const SHORT_CIRCUIT = new Set(['&&', '||', '??']);

export function normalizeFunction(fn: FunctionIR, namer: Namer, callees: ReadonlyMap<string, FunctionIR> = new Map(), writes: WriteMap = new Map()): FunctionIR {
  fn = withDefaultArguments(fn, callees);
  const writesArrays = (name: string) => (writes.get(name)?.size ?? 0) > 0;
  const hoist = (e: Expr, pre: Stmt[], loc: Loc | undefined): Expr => {
    switch (e.k) {
      case 'cond': {
        const t = namer.fresh('_t');
        fn.locals.set(t, 'number');
        const thenPre: Stmt[] = [];
        const elsePre: Stmt[] = [];
        const a = hoist(e.a, thenPre, loc);
        const c = hoist(e.b, elsePre, loc);
        pre.push(b.decl(t, 'number', b.ZERO, true, loc));
        pre.push({ k: 'if', c: callsOutOfCondition(e.c, pre, loc), then: [...thenPre, b.assign(t, a, '=', loc)], else: [...elsePre, b.assign(t, c, '=', loc)], ...(loc ? { loc } : {}) });
        return b.v(t);
      }
      case 'call': {
        const args = inOrder(e.args, pre, loc);
        const t = namer.fresh('_t');
        fn.locals.set(t, 'number');
        pre.push(b.decl(t, 'number', { k: 'call', fn: e.fn, args }, false, loc));
        return b.v(t);
      }
      case 'op':
        return { ...e, args: inOrder(e.args, pre, loc) };
      case 'arr':
        return { ...e, elems: inOrder(e.elems, pre, loc) };
      default:
        // stopGradient(…), indices, lengths, atoms: primal-only, nothing to hoist
        return e;
    }
  };

  /**
   * Operands in JavaScript's left-to-right order: an operand that reads an array is read into a
   * temporary before a later operand's call, hoisted above it, can write into that array
   * (`a[0] + setFirst(a, x)` reads the old a[0]).
   */
  const inOrder = (args: Expr[], pre: Stmt[], loc: Loc | undefined): Expr[] =>
    args.map((a, i) => {
      const later = args.slice(i + 1).some((x) => someExpr([{ k: 'expr', e: x }], (y) => y.k === 'call' && writesArrays(y.fn)));
      const readsArray = someExpr([{ k: 'expr', e: a }], (y) => y.k === 'idx' || y.k === 'len');
      if (!later || !readsArray) return hoist(a, pre, loc);
      const t = namer.fresh('_t');
      fn.locals.set(t, 'number');
      pre.push(b.decl(t, 'number', hoist(a, pre, loc), false, loc));
      return b.v(t);
    });

  /** A call that is the whole right-hand side stays where it is; its arguments are hoisted. */
  const hoistTop = (e: Expr, pre: Stmt[], loc: Loc | undefined): Expr =>
    e.k === 'call' ? { ...e, args: inOrder(e.args, pre, loc) } : hoist(e, pre, loc);

  /**
   * A call in a condition that writes into an array runs once, before the `if`: reverse mode
   * evaluates a condition again in the adjoint sweep, which would repeat the call's writes.
   * Calls under `&&`, `||` or `?:` may not run at all, so they stay.
   */
  const callsOutOfCondition = (c: Expr, pre: Stmt[], loc: Loc | undefined): Expr => {
    if (c.k === 'call' && writesArrays(c.fn)) return hoist(c, pre, loc);
    if (c.k === 'op' && !SHORT_CIRCUIT.has(c.op)) return { ...c, args: c.args.map((a) => callsOutOfCondition(a, pre, loc)) };
    // the left operand of `&&` always runs, and so does the condition of `?:`; the rest may not
    if (c.k === 'op') return { ...c, args: c.args.map((a, i) => (i === 0 ? callsOutOfCondition(a, pre, loc) : a)) };
    if (c.k === 'cond') return { ...c, c: callsOutOfCondition(c.c, pre, loc) };
    return c;
  };
  const writesIn = (e: Expr | null): boolean => e !== null && someExpr([{ k: 'expr', e }], (y) => y.k === 'call' && writesArrays(y.fn));

  /**
   * A loop test that calls a function writing into an array: the call gets a statement of its
   * own at the top of each iteration, and the test becomes `if (!test) break` after it
   * (`while (step(v) > 0.1) body` → `while (true) { _t0 = step(v); if (!(_t0 > 0.1)) break; body }`).
   * A `for` update still runs before it; a do…while checks at the end of its body, unless the
   * body has a `continue` (which would skip the check: AD1019 reports that loop instead).
   */
  const loopWithCallsOutOfTest = (s: Extract<Stmt, { k: 'loop' }>): Stmt => {
    const body = visit(s.body);
    if (!writesIn(s.test) || (s.doWhile && hasContinue(s.body))) return { ...s, init: visit(s.init), body, update: visit(s.update) };
    const pre: Stmt[] = [];
    const test = callsOutOfCondition(s.test!, pre, s.loc);
    const exit: Stmt = { k: 'if', c: b.op('!', test), then: [{ k: 'break', ...(s.loc ? { loc: s.loc } : {}) }], else: [], ...(s.loc ? { loc: s.loc } : {}) };
    const { counter: _counter, ...rest } = s;
    return { ...rest, init: visit(s.init), test: null, update: visit(s.update), body: s.doWhile ? [...body, ...pre, exit] : [...pre, exit, ...body] };
  };

  const visit = (stmts: Stmt[]): Stmt[] => {
    const out: Stmt[] = [];
    for (const s of stmts) {
      const pre: Stmt[] = [];
      switch (s.k) {
        case 'decl':
          out.push({ ...s, init: s.init && s.init.k !== 'alloc' ? hoistTop(s.init, pre, s.loc) : s.init });
          break;
        case 'assign':
          out.push({ ...s, e: hoistTop(s.e, pre, s.loc) });
          break;
        case 'store': {
          let i = callsOutOfCondition(s.i, pre, s.loc);
          // `a[f(a[1])] = e`: an index that reads the array it stores into is named first, since
          // derivative code that evaluates it again after the store (to put the old element
          // back, to read its adjoint) would find another index when the store changed a[1]
          if (someIn(i, (x) => x.k === 'idx' && x.arr === s.arr)) {
            const k = namer.fresh('_k');
            fn.locals.set(k, 'number');
            pre.push(b.decl(k, 'number', i, false, s.loc));
            i = b.v(k);
          }
          out.push({ ...s, i, e: hoist(s.e, pre, s.loc) });
          break;
        }
        case 'return':
          out.push({ ...s, e: s.e ? hoist(s.e, pre, s.loc) : null });
          break;
        case 'expr':
          out.push({ ...s, e: hoistTop(s.e, pre, s.loc) });
          break;
        case 'if':
          out.push({ ...s, c: callsOutOfCondition(s.c, pre, s.loc), then: visit(s.then), else: visit(s.else) });
          break;
        case 'loop':
          out.push(loopWithCallsOutOfTest(s));
          break;
        default:
          out.push(s);
      }
      // pre-statements go before the statement they came from
      if (pre.length > 0) out.splice(out.length - 1, 0, ...pre);
    }
    return out;
  };

  return markGrowingStores(withLiteralConstants({ ...fn, body: visit(fn.body) }));
}

/**
 * `const k = 2` (the only declaration of k): its uses become the literal, so rules fold
 * (`x ** k` → `2·x`, no `k === 0` guard, which tsc would also reject for k of type 2).
 */
function withLiteralConstants(fn: FunctionIR): FunctionIR {
  const decls = new Map<string, number>();
  const literal = new Map<string, Expr>();
  visitStmts(fn.body, (s) => {
    if (s.k !== 'decl') return;
    decls.set(s.name, (decls.get(s.name) ?? 0) + 1);
    if (!s.mutable && s.type === 'number' && s.init?.k === 'num') literal.set(s.name, s.init);
  });
  const written = new Set<string>();
  visitStmts(fn.body, (s) => {
    if (s.k === 'assign') written.add(s.name);
  });
  for (const name of [...literal.keys()]) if (decls.get(name) !== 1 || written.has(name) || fn.params.some((p) => p.name === name)) literal.delete(name);
  if (literal.size === 0) return fn;
  return { ...fn, body: mapStmtExprs(fn.body, (e) => (e.k === 'var' && literal.has(e.name) ? literal.get(e.name)! : e)) };
}

/** Appends the default values of parameters a call leaves out (a default may read earlier parameters). */
function withDefaultArguments(fn: FunctionIR, callees: ReadonlyMap<string, FunctionIR>): FunctionIR {
  const complete = (e: Expr): Expr => {
    if (e.k !== 'call') return e;
    const callee = callees.get(e.fn);
    if (!callee || e.args.length >= callee.params.length) return e;
    const args = [...e.args];
    for (const p of callee.params.slice(args.length)) {
      const bound = new Map(callee.params.slice(0, args.length).map((q, i) => [q.name, args[i]!]));
      // a default that reads anything but earlier parameters is not the caller's to evaluate
      if (!p.init || [...b.varsOf(p.init)].some((v) => !bound.has(v))) break;
      // (an array parameter's argument is a variable: `v.length`, `v[0]` read the caller's array)
      const arrayOf = (a: string) => { const arg = bound.get(a); return arg?.k === 'var' ? arg.name : a; };
      args.push(mapExpr(p.init, (x) => (x.k === 'var' && bound.has(x.name) ? bound.get(x.name)! : x.k === 'len' || x.k === 'idx' ? { ...x, arr: arrayOf(x.arr) } : x)));
    }
    return { ...e, args };
  };
  return { ...fn, body: mapStmtExprs(fn.body, complete) };
}

/**
 * Calls to functions that write into an array, where normalisation cannot give them a statement
 * of their own without changing when they run: the right operand of `&&` / `||` / `??`, and an
 * arm of `?:` inside an `if` condition (reverse mode evaluates conditions again in the adjoint
 * sweep, which must not repeat the write). Each comes back with the statement it is in.
 */
export function conditionalWritingCalls(fn: FunctionIR, writes: WriteMap): { callee: string; loc: Loc | undefined }[] {
  const found: { callee: string; loc: Loc | undefined }[] = [];
  const writesArrays = (name: string) => (writes.get(name)?.size ?? 0) > 0;
  const visit = (e: Expr, conditional: boolean, inCondition: boolean, loc: Loc | undefined): void => {
    if (e.k === 'call' && conditional && writesArrays(e.fn)) found.push({ callee: e.fn, loc });
    switch (e.k) {
      case 'op':
        e.args.forEach((a, i) => visit(a, conditional || (i > 0 && SHORT_CIRCUIT.has(e.op)), inCondition, loc));
        break;
      case 'call': case 'xcall': e.args.forEach((a) => visit(a, conditional, inCondition, loc)); break;
      case 'cond':
        visit(e.c, conditional, inCondition, loc);
        visit(e.a, conditional || inCondition, inCondition, loc);
        visit(e.b, conditional || inCondition, inCondition, loc);
        break;
      case 'stop': visit(e.e, conditional, inCondition, loc); break;
      case 'arr': e.elems.forEach((a) => visit(a, conditional, inCondition, loc)); break;
      default: break;
    }
  };
  const stmts = (list: Stmt[]): void => {
    for (const s of list) {
      switch (s.k) {
        case 'decl': if (s.init) visit(s.init, false, false, s.loc); break;
        case 'assign': case 'expr': visit(s.e, false, false, s.loc); break;
        case 'store': visit(s.e, false, false, s.loc); visit(s.i, false, false, s.loc); break;
        case 'return': if (s.e) visit(s.e, false, false, s.loc); break;
        case 'if': visit(s.c, false, true, s.loc); stmts(s.then); stmts(s.else); break;
        case 'loop':
          // a for initialiser runs once, but as part of the loop: no statement of its own there
          for (const init of s.init) {
            if (init.k === 'decl' && init.init) visit(init.init, true, true, s.loc);
            else if (init.k === 'assign' || init.k === 'expr') visit(init.e, true, true, s.loc);
          }
          // a do…while whose body may `continue` keeps its test (normalizeFunction)
          if (s.test) visit(s.test, s.doWhile && hasContinue(s.body), true, s.loc);
          stmts(s.body);
          stmts(s.update);
          break;
        default: break;
      }
    }
  };
  stmts(fn.body);
  return found;
}

/**
 * Calls that pass one array both to a parameter the callee writes and to another parameter:
 * `shift(v, v)`. The callee's derivative code assumes its arrays are distinct (as Fortran and
 * Tapenade do), so the adjoint would read values the call already overwrote.
 */
export function aliasedWritingCalls(fn: FunctionIR, writes: WriteMap, callees: ReadonlyMap<string, FunctionIR>): { callee: string; array: string; loc: Loc | undefined }[] {
  const found: { callee: string; array: string; loc: Loc | undefined }[] = [];
  const visit = (stmts: Stmt[]): void => {
    for (const s of stmts) {
      const loc = 'loc' in s ? s.loc : undefined;
      for (const own of ownExprs(s)) forEachExpr(own, (e) => {
        if (e.k !== 'call') return;
        const written = writes.get(e.fn) ?? new Set<number>();
        e.args.forEach((a, i) => {
          if (!written.has(i) || a.k !== 'var' || !isArrayType(fn.locals.get(a.name) ?? 'number')) return;
          const callee = callees.get(e.fn);
          const same = e.args.flatMap((other, j) => (j !== i && other.k === 'var' && other.name === a.name ? [j] : []));
          if (same.length > 0 && !(callee && same.every((j) => elementwise(callee, callee.params[i]!.name, callee.params[j]!.name)))) {
            if (!found.some((f) => f.loc === loc && f.array === a.name)) found.push({ callee: e.fn, array: a.name, loc });
          }
        });
      });
      if (s.k === 'if') { visit(s.then); visit(s.else); }
      if (s.k === 'loop') { visit(s.init); visit(s.body); visit(s.update); }
    }
  };
  visit(fn.body);
  return found;
}

/**
 * Whether `callee` touches arrays y and x only in one statement `y[i] = e` of a counting loop over
 * i, reading both at index i alone (`axpy`: `y[i] = y[i] + a * x[i]`): each element is then read
 * before it is written and by no other iteration, so passing one array for both is safe.
 */
function elementwise(callee: FunctionIR, y: string, x: string): boolean {
  let stores = 0;
  let safe = true;
  const touches = (e: Expr): boolean => someExpr([{ k: 'expr', e }], (v) => (v.k === 'idx' && (v.arr === x || v.arr === y)) || (v.k === 'var' && (v.name === x || v.name === y)));
  const onlyAt = (e: Expr, i: string): boolean => !someExpr([{ k: 'expr', e }], (v) => (v.k === 'idx' && (v.arr === x || v.arr === y) && !(v.i.k === 'var' && v.i.name === i)) || (v.k === 'var' && (v.name === x || v.name === y)));
  // (the store's loop must be the only one around it: a loop around that writes every element
  // again, y = sin(sin(y)) when x and y are one array)
  const visit = (stmts: Stmt[], counter: string | null, depth: number): void => {
    for (const s of stmts) {
      if (s.k === 'store' && (s.arr === x || s.arr === y)) {
        stores++;
        if (s.arr !== y || counter === null || depth !== 1 || !(s.i.k === 'var' && s.i.name === counter) || !onlyAt(s.e, counter)) safe = false;
        continue;
      }
      if (s.k === 'loop') {
        if ((s.test && touches(s.test)) || s.init.some((t) => t.k === 'store' || (t.k !== 'comment' && someExpr([t], touches)))) safe = false;
        visit(s.body, s.counter?.name ?? null, depth + 1);
        continue;
      }
      if (s.k === 'if') {
        if (touches(s.c)) safe = false;
        visit(s.then, counter, depth);
        visit(s.else, counter, depth);
        continue;
      }
      if (someExpr([s], touches)) safe = false;
    }
  };
  visit(callee.body, null, 0);
  return safe && stores === 1;
}


/**
 * Where a function first touches its `@out` array by reading it (an in-place update such as
 * `x[i] = Math.tanh(x[i])`, or `out[0] += a`), when that array is not among the active inputs:
 * its incoming values then count as constants, which deserves a word (AD1022). Reads of elements
 * the function wrote in earlier iterations are not incoming values: forward substitution
 * (`for (j < i) s -= L[i*n+j] * x[j]; x[i] = s / L[i*n+i]`) and back substitution
 * (`for (j = i + 1; j < n; j++) … x[j]` in a loop counting down from n − 1).
 */
export function readsOutBeforeWriting(fn: FunctionIR): Loc | null {
  const out = fn.params.find((p) => p.out && !p.active);
  if (!out) return null;
  // counters of inner loops that only visit elements written by earlier iterations of an outer loop
  const written = new Set<string>();
  // the least value a counter has where a condition holds (`if (i > 0)`: 1), in the branch it guards
  let least = new Map<string, number>();
  const outer: Extract<Stmt, { k: 'loop' }>[] = [];
  // `out[i - c]` under `if (i >= c)` (with i counting up from 0 and storing out[i] each iteration):
  // an element an earlier iteration wrote
  const earlierElement = (i: Expr): boolean => {
    if (i.k !== 'op' || i.op !== '-' || i.args[0]!.k !== 'var' || i.args[1]!.k !== 'num') return false;
    const name = i.args[0]!.name;
    const c = i.args[1]!.v;
    const loop = outer.find((o) => o.counter?.name === name);
    if (!loop || !loop.counter || loop.counter.step !== 1 || loop.counter.start.k !== 'num' || c < 1) return false;
    const storesAtCounter = loop.body.some((st) => st.k === 'store' && st.arr === out.name && (st.op ?? '=') === '=' && isVar(st.i, name));
    return storesAtCounter && !hasContinue(loop.body) && (least.get(name) ?? -Infinity) >= loop.counter.start.v + c;
  };
  const readsOut = (e: Expr | null | undefined): boolean => {
    if (!e) return false;
    switch (e.k) {
      case 'idx':
        return (e.arr === out.name && !(e.i.k === 'var' && written.has(e.i.name)) && !earlierElement(e.i)) || readsOut(e.i);
      case 'cond': {
        // `i > 0 ? out[i - 1] : 0`
        let inBranch = false;
        guarded(e.c, () => { inBranch = readsOut(e.a); });
        return readsOut(e.c) || inBranch || readsOut(e.b);
      }
      case 'op': case 'call': return e.args.some(readsOut);
      case 'stop': return readsOut(e.e);
      case 'alloc': return readsOut(e.len);
      default: return false;
    }
  };
  const guarded = (c: Expr, body: () => void): void => {
    const saved = least;
    least = new Map(least);
    for (const [name, v] of lowerBounds(c)) least.set(name, Math.max(least.get(name) ?? -Infinity, v));
    body();
    least = saved;
  };
  let verdict: Loc | null | undefined;
  const visit = (stmts: Stmt[]): void => {
    for (const s of stmts) {
      if (verdict !== undefined) return;
      const loc = 'loc' in s ? s.loc : undefined;
      switch (s.k) {
        case 'store':
          if (readsOut(s.e) || readsOut(s.i)) verdict = loc ?? null;
          else if (s.arr === out.name) verdict = null;
          break;
        case 'decl': if (readsOut(s.init)) verdict = loc ?? null; break;
        case 'assign': case 'expr': case 'return':
          if (readsOut(s.e)) verdict = loc ?? null;
          else if (s.k === 'expr' && s.e && someExpr([{ k: 'expr', e: s.e }], (x) => x.k === 'call' && x.args.some((a) => a.k === 'var' && a.name === out.name))) verdict = null;
          break;
        case 'if':
          if (readsOut(s.c)) verdict = loc ?? null;
          else {
            guarded(s.c, () => visit(s.then));
            visit(s.else);
          }
          break;
        case 'loop': {
          visit(s.init);
          if (verdict === undefined && readsOut(s.test)) verdict = loc ?? null;
          const earlier = s.counter && outer.some((o) => visitsEarlierIterations(s, o, out.name));
          if (earlier) written.add(s.counter!.name);
          outer.push(s);
          visit(s.body);
          outer.pop();
          if (earlier) written.delete(s.counter!.name);
          break;
        }
        default: break;
      }
    }
  };
  visit(fn.body);
  return verdict ?? null;
}

/**
 * Whether the counting loop `inner` (inside `outer`) only visits indices that `outer`'s earlier
 * iterations stored into `arr`: `outer` stores `arr[i]` at its counter in every iteration, and
 * counts up from a with `inner` running from a (or later) to below i, or counts down from b − 1
 * with `inner` running from i + 1 to below b.
 */
function visitsEarlierIterations(inner: Extract<Stmt, { k: 'loop' }>, outer: Extract<Stmt, { k: 'loop' }>, arr: string): boolean {
  const i = outer.counter;
  const j = inner.counter;
  if (!i || !j || j.step !== 1 || !inner.test || inner.test.k !== 'op' || inner.test.op !== '<' || !isVar(inner.test.args[0]!, j.name)) return false;
  const storesAtCounter = outer.body.some((s) => s.k === 'store' && s.arr === arr && (s.op ?? '=') === '=' && isVar(s.i, i.name));
  if (!storesAtCounter || hasContinue(outer.body)) return false;
  const bound = inner.test.args[1]!;
  if (i.step === 1) {
    const fromStart = b.sameExpr(j.start, i.start) || (j.start.k === 'num' && i.start.k === 'num' && j.start.v >= i.start.v);
    return fromStart && isVar(bound, i.name);
  }
  if (i.step === -1) {
    const next = j.start.k === 'op' && j.start.op === '+' && isVar(j.start.args[0]!, i.name) && j.start.args[1]?.k === 'num' && j.start.args[1].v === 1;
    const last = i.start.k === 'op' && i.start.op === '-' && b.sameExpr(i.start.args[0]!, bound) && i.start.args[1]?.k === 'num' && i.start.args[1].v === 1;
    return next && last;
  }
  return false;
}

const isVar = (e: Expr, name: string): boolean => e.k === 'var' && e.name === name;

/** Integer lower bounds a condition puts on variables: `i > 0` gives i ≥ 1, `i >= 2 && …` i ≥ 2. */
function lowerBounds(c: Expr): [string, number][] {
  if (c.k !== 'op') return [];
  if (c.op === '&&') return c.args.flatMap(lowerBounds);
  const [a, z] = c.args;
  if (!a || !z) return [];
  if (a.k === 'var' && z.k === 'num' && Number.isInteger(z.v)) {
    if (c.op === '>') return [[a.name, z.v + 1]];
    if (c.op === '>=') return [[a.name, z.v]];
  }
  if (z.k === 'var' && a.k === 'num' && Number.isInteger(a.v)) {
    if (c.op === '<') return [[z.name, a.v + 1]];
    if (c.op === '<=') return [[z.name, a.v]];
  }
  return [];
}

