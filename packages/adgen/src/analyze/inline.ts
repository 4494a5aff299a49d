/**
 * Inlining of calls that return an array (`const y = f(x)`).
 *
 * Derivative code calls a helper through kernels that take a number's adjoint or write into array
 * arguments; an array a helper returns has no such slot. So the call's place takes the helper's
 * body instead, renamed apart (`_f_r0` for f's local `r`), and derivative code treats those
 * statements as the caller's own: nothing is re-run, and every analysis sees the whole
 * computation. JavaScript's semantics are kept exactly:
 *  - an array argument is the caller's array itself (writes reach it, aliases stay aliases);
 *  - a number argument is evaluated once, before the body, into a local of its own unless it
 *    is a variable the helper does not reassign; left-out arguments take the parameter's
 *    default, read with the caller's names for earlier parameters;
 *  - a call that is another call's argument (`tanhv(dense(W, b, x))`) first gets a local of its
 *    own before the statement (liftNestedCalls), where it surely runs once;
 *  - `return` before the end becomes a flag (analyze/jumps.ts), and the array returned becomes
 *    the caller's variable: the helper's own local when it returns one, otherwise a copy of
 *    whichever local it returned (`_which`), or the elements of `return [a, b]`. A returned
 *    array declared in a block moves to the top of the body (hoistReturnedArrays).
 * What cannot be inlined gets AD1025: a returned parameter (the caller's array under a second
 * name), a returned array declared in a loop or sized by values computed in the body, a helper
 * in another file that calls functions of its own (they may not be importable here), a call in
 * a loop test or where it may not run. Recursion has AD1007.
 *
 * Calls of void helpers are inlined too where they are statements in a loop and the helper
 * writes an array argument at places its code does not bound, or in a loop it may leave early,
 * or calls such a helper (inlineVoidCall): there the caller would otherwise save the array (or
 * the bounded region) around every call, O(n) per call for what may be O(1) of work.
 */
import * as b from '../ir/builders.ts';
import type { Namer } from '../ir/namer.ts';
import { isArrayType, type Expr, type FunctionIR, type Loc, type Stmt, type VarType } from '../ir/nodes.ts';
import { forEachExpr, forEachStmtExpr, mapStmts, ownExprs, renameExpr, renameIn, visitStmts } from '../ir/walk.ts';
import { containsReturn, removeJumps, UnsupportedReturn } from './jumps.ts';

/** A helper as inlining needs it: its IR, and whether its file is the caller's. */
export interface InlineCallee {
  fn: FunctionIR;
  sameFile: boolean;
}

/** Why a call could not be inlined (AD1025), and where. */
export interface InlineProblem {
  callee: string;
  reason: string;
  loc: Loc | undefined;
}

/**
 * Whether a loop of the function stores into an array parameter and may leave early (`break`,
 * `return`): how much it writes depends on the data (insertion sort's `if (a[k] >= a[k - 1])
 * break`), though its region is bounded, so a caller saving the region per call does O(n) for
 * what may be O(1) of work.
 */
export function writesBeforeExit(fn: FunctionIR): boolean {
  const arrays = new Set(fn.params.filter((p) => isArrayType(p.type)).map((p) => p.name));
  let found = false;
  visitStmts(fn.body, (s) => {
    if (found || s.k !== 'loop') return;
    let stores = false;
    let exits = false;
    visitStmts(s.body, (x) => {
      stores ||= x.k === 'store' && arrays.has(x.arr);
      exits ||= x.k === 'break' || x.k === 'return';
    });
    found = stores && exits;
  });
  return found;
}

/** Whether the function calls a function that returns an array or tuple (`returnsArray`). */
export function hasArrayCalls(fn: FunctionIR, returnsArray: (callee: string) => boolean): boolean {
  let found = false;
  forEachStmtExpr(fn.body, (e) => {
    found ||= e.k === 'call' && returnsArray(e.fn);
  });
  return found;
}

/**
 * fn with every `const y = f(…)` of an array replaced by f's body. `calleeOf` gives the helper
 * (already inlined itself), or undefined where it cannot be had (recursion, its own errors: both
 * reported elsewhere), which leaves an empty array in the call's place (the file gets no output).
 * fn's locals gain the helper's renamed locals.
 */
export function inlineArrayCalls(
  fn: FunctionIR,
  namer: Namer,
  calleeOf: (name: string) => InlineCallee | undefined,
  writesUnbounded: (name: string) => boolean = () => false,
): { fn: FunctionIR; problems: InlineProblem[] } {
  const problems: InlineProblem[] = [];
  const arrayType = (name: string): VarType | null => {
    const returns = calleeOf(name)?.fn.returns;
    return returns?.kind === 'array' ? returns.type : returns?.kind === 'tuple' ? 'number[]' : null;
  };
  const lifted = liftNestedCalls(fn, namer, arrayType);
  const repeated = callsInLoops(lifted);
  /** a call of an unbounded writer in a loop, inlined, and so are such calls its body makes (a wrapper's) */
  const inlineWriter = (s: Extract<Stmt, { k: 'expr' }> & { e: Extract<Expr, { k: 'call' }> }, depth: number): Stmt[] => {
    const callee = calleeOf(s.e.fn);
    // (where it cannot be inlined, the call stays: the caller saves the whole array around it)
    if (!callee || callee.fn.returns.kind !== 'void' || (!callee.sameFile && callee.fn.callees.length > 0)) return [s];
    if (s.e.args.some((a, i) => isArrayType(callee.fn.params[i]?.type ?? 'number') && a.k !== 'var')) return [s];
    const inlined = inlineVoidCall(fn, namer, s, callee.fn);
    if (depth >= 8) return inlined;
    return mapStmts(inlined, (x) => (x.k === 'expr' && x.e.k === 'call' && writesUnbounded(x.e.fn) ? inlineWriter(x as typeof s, depth + 1) : [x]));
  };
  const body = mapStmts(lifted, (s) => {
    if (s.k === 'expr' && s.e.k === 'call' && repeated.has(s) && writesUnbounded(s.e.fn)) return inlineWriter(s as Extract<Stmt, { k: 'expr' }> & { e: Extract<Expr, { k: 'call' }> }, 0);
    if (s.k !== 'decl' || !isArrayType(s.type) || s.init?.k !== 'call') return [s];
    const callee = calleeOf(s.init.fn);
    const problem = (reason: string | null): Stmt[] => {
      if (reason) problems.push({ callee: s.init!.k === 'call' ? s.init.fn : '', reason, loc: s.loc });
      // an empty array keeps later passes working on the function, whose file gets no output
      return [{ ...s, init: { k: 'alloc', ctor: ctorOf(s.type), len: b.ZERO } }];
    };
    if (!callee) return problem(null);
    if (!callee.sameFile && callee.fn.callees.length > 0) return problem(`'${callee.fn.name}' is in another file and calls functions of its own; define it in this file, or write its result into an '@out' array`);
    try {
      return inlineCall(fn, namer, s as Extract<Stmt, { k: 'decl' }> & { init: Extract<Expr, { k: 'call' }> }, callee.fn);
    } catch (err) {
      if (err instanceof NotInScope) return problem(`'${callee.fn.name}' returns '${err.array}', ${err.why}; declare the array it returns before any return, sized by its parameters`);
      if (err instanceof ReturnsArgument) return problem(`'${callee.fn.name}' may return its parameter '${err.param}', the caller's own array, which would then have a second name; return a copy ('${err.param}.slice()')`);
      if (err instanceof UnsupportedReturn) return problem(`'${callee.fn.name}' ${err.message}`);
      throw err;
    }
  });
  // what is left: such a call in a loop test, or where it may not run
  visitStmts(body, (s) => {
    const own = s.k === 'decl' && s.init?.k === 'call' ? s.init.args : ownExprs(s);
    for (const e of own) forEachExpr(e, (x) => { if (x.k === 'call' && arrayType(x.fn)) problems.push({ callee: x.fn, reason: 'its array is used in a loop test or where it may not run (an arm of ?:, the right of && or ||); store it in a local first', loc: 'loc' in s ? s.loc : undefined }); });
  });
  const result: FunctionIR = { ...fn, body };
  // the callees are now those the inlined bodies call, and the others
  const called = new Set<string>();
  forEachStmtExpr(body, (e) => { if (e.k === 'call') called.add(e.fn); });
  result.callees = [...called];
  return { fn: result, problems };
}

/**
 * The body with calls of array-returning helpers that are arguments of other calls
 * (`tanhv(dense(W, b, x))`) moved into locals of their own (`_arg0`) before the statement, in
 * the order JavaScript evaluates them. Not out of loop tests (they run again), nor out of an arm
 * of `?:` or the right of `&&` / `||` (they may not run).
 */
function liftNestedCalls(fn: FunctionIR, namer: Namer, arrayType: (callee: string) => VarType | null): Stmt[] {
  return mapStmts(fn.body, (s): Stmt[] => {
    const pre: Stmt[] = [];
    const lift = (e: Expr, guarded: boolean): Expr => {
      switch (e.k) {
        case 'call': {
          const args = e.args.map((a) => {
            const inner = lift(a, guarded);
            const type = inner.k === 'call' && !guarded ? arrayType(inner.fn) : null;
            if (!type) return inner;
            const name = namer.fresh('_arg');
            fn.locals.set(name, type);
            pre.push({ k: 'decl', name, type, init: inner, mutable: false, ...('loc' in s && s.loc ? { loc: s.loc } : {}) });
            return b.v(name);
          });
          return { ...e, args };
        }
        case 'op': {
          const shortCircuit = e.op === '&&' || e.op === '||' || e.op === '??';
          return { ...e, args: e.args.map((a, k) => lift(a, guarded || (shortCircuit && k > 0))) };
        }
        case 'cond': return { ...e, c: lift(e.c, guarded), a: lift(e.a, true), b: lift(e.b, true) };
        case 'idx': return { ...e, i: lift(e.i, guarded) };
        case 'stop': return { ...e, e: lift(e.e, guarded) };
        default: return e;
      }
    };
    let out: Stmt;
    switch (s.k) {
      case 'decl': out = { ...s, init: s.init && lift(s.init, false) }; break;
      case 'assign': case 'expr': out = { ...s, e: lift(s.e, false) }; break;
      case 'store': out = { ...s, e: lift(s.e, false) }; break;
      case 'return': out = { ...s, e: s.e && lift(s.e, false) }; break;
      // (an if's condition runs once, before either arm)
      case 'if': out = { ...s, c: lift(s.c, false) }; break;
      default: return [s];
    }
    return [...pre, out];
  });
}

/** The call statements (`f(a, i);`) inside loops. */
function callsInLoops(body: Stmt[]): Set<Stmt> {
  const found = new Set<Stmt>();
  const walk = (stmts: Stmt[], inLoop: boolean): void => {
    for (const x of stmts) {
      if (x.k === 'expr' && x.e.k === 'call' && inLoop) found.add(x);
      else if (x.k === 'if') (walk(x.then, inLoop), walk(x.else, inLoop));
      else if (x.k === 'loop') (walk(x.init, true), walk(x.body, true), walk(x.update, true));
      else if (x.k === 'block') walk(x.body, inLoop);
    }
  };
  walk(body, false);
  return found;
}

class ReturnsArgument extends Error {
  constructor(readonly param: string) {
    super(param);
  }
}

/** A returned array that cannot be in scope where the call ends, and why. */
class NotInScope extends Error {
  constructor(readonly array: string, readonly why: string) {
    super(array);
  }
}

const ctorOf = (t: VarType): 'Float64Array' | 'Float32Array' | 'Array' => (t === 'number[]' ? 'Array' : (t as 'Float64Array' | 'Float32Array'));

/** The statements `callee(args)` stands for, as the caller's: its parameters bound and its locals renamed apart. */
interface BoundCall {
  /** declarations of the number arguments that need a local of their own */
  out: Stmt[];
  /** the helper's body, renamed */
  body: Stmt[];
  rename: Map<string, string>;
  /** what holds its value from the start of the body on: unassigned number arguments, array arguments */
  atEntry: Set<string>;
  /** gives a statement without a location the call's */
  at: (x: Stmt) => Stmt;
}

function bindCall(caller: FunctionIR, namer: Namer, args: Expr[], loc: Loc | undefined, callee: FunctionIR): BoundCall {
  const out: Stmt[] = [];
  const at = (x: Stmt): Stmt => (('loc' in x && x.loc) || !loc ? x : ({ ...x, loc } as Stmt));
  // the helper's names → the caller's: arrays to the arguments, the rest to fresh locals
  const rename = new Map<string, string>();
  const assigned = new Set<string>();
  visitStmts(callee.body, (x) => { if (x.k === 'assign') assigned.add(x.name); });
  /** what holds its value from the start of the body on: unassigned number arguments, array arguments */
  const atEntry = new Set<string>();
  callee.params.forEach((p, i) => {
    // (a default reads earlier parameters, already mapped to the caller's names)
    const arg = args[i] ?? (p.init ? renameExpr(p.init, rename) : b.ZERO);
    if (isArrayType(p.type)) {
      if (arg.k !== 'var') throw new Error(`inline: array argument ${i} of ${callee.name} is not a variable`);
      rename.set(p.name, arg.name);
      atEntry.add(arg.name);
      return;
    }
    // a variable the helper does not reassign stands for itself (nothing in the body can change it)
    if (arg.k === 'var' && !assigned.has(p.name)) {
      rename.set(p.name, arg.name);
      atEntry.add(arg.name);
      return;
    }
    const local = namer.fresh(`_${callee.name}_${p.name.replace(/^_+/, '')}`);
    rename.set(p.name, local);
    caller.locals.set(local, p.type);
    if (!assigned.has(p.name)) atEntry.add(local);
    out.push(at(b.decl(local, p.type, arg, assigned.has(p.name))));
  });
  const params = new Set(callee.params.map((p) => p.name));
  for (const [name, type] of callee.locals) {
    if (params.has(name)) continue;
    const local = namer.fresh(`_${callee.name}_${name.replace(/^_+/, '')}`);
    rename.set(name, local);
    caller.locals.set(local, type);
  }
  return { out, body: renameIn(callee.body, rename), rename, atEntry, at };
}

/**
 * A call of a helper that writes an array argument where the caller cannot bound (`while (k > 0
 * && a[k] < a[k - 1]) a[k] = …`), in a loop: inlined, the helper's stores get the caller's tape
 * like its own, one element each, where the call would need the whole array saved each time
 * (O(n) per call, O(n²) for insertion sort on sorted data, whose primal is O(n)).
 */
function inlineVoidCall(caller: FunctionIR, namer: Namer, s: Extract<Stmt, { k: 'expr' }> & { e: Extract<Expr, { k: 'call' }> }, callee: FunctionIR): Stmt[] {
  const { out, body, at } = bindCall(caller, namer, s.e.args, s.loc, callee);
  const last = body[body.length - 1];
  let returnsEarly = false;
  visitStmts(body, (x) => { returnsEarly ||= x.k === 'return' && x !== last; });
  const jumpFree = returnsEarly ? removeJumps({ ...callee, body, locals: caller.locals }, namer).body : last?.k === 'return' ? body.slice(0, -1) : body;
  return [...out, ...jumpFree].map(at);
}

function inlineCall(caller: FunctionIR, namer: Namer, s: Extract<Stmt, { k: 'decl' }> & { init: Extract<Expr, { k: 'call' }> }, callee: FunctionIR): Stmt[] {
  const { out, body, rename, atEntry, at } = bindCall(caller, namer, s.init.args, s.loc, callee);
  const sourceName = (n: string) => [...rename].find(([, v]) => v === n)?.[0] ?? n;
  let renamed = hoistReturnedArrays(liftLiteralReturns(body, caller, namer, s.type), caller, atEntry, sourceName);
  // returns before the end become flags; the last statement's return is dropped
  const last = renamed[renamed.length - 1];
  let returnsEarly = false;
  visitStmts(renamed, (x) => { returnsEarly ||= x.k === 'return' && x !== last; });
  // what the helper returns: arrays (one of them by `which`), or elements (`return [a, b]`)
  let names: string[] = [];
  let elems: Expr[] | null = null;
  let which: string | null = null;
  if (returnsEarly) {
    const jf = removeJumps({ ...callee, body: renamed, locals: caller.locals }, namer);
    // the variables the returns set are declared here (reverse mode declares every local at its top, forward mode does not)
    const results = jf.result.kind === 'array' && jf.result.which ? [jf.result.which] : jf.result.kind === 'tuple' ? jf.result.names : [];
    renamed = [...results.map((n) => at(b.decl(n, 'number', b.ZERO, true))), ...jf.body];
    if (jf.result.kind === 'array') ({ names, which } = jf.result);
    else if (jf.result.kind === 'tuple') elems = jf.result.names.map((n) => b.v(n));
    else throw new UnsupportedReturn('returns values of different shapes', s.loc);
  } else {
    renamed = renamed.slice(0, -1);
    if (last?.k === 'return' && last.e?.k === 'var') names = [last.e.name];
    else if (last?.k === 'return' && last.e?.k === 'arr') elems = last.e.elems;
    else throw new UnsupportedReturn('returns values of different shapes', s.loc);
  }
  // JavaScript returns the argument's array itself: a second name for it, outside the language
  const alias = names.find((n) => atEntry.has(n));
  if (alias) throw new ReturnsArgument(callee.params.find((p) => rename.get(p.name) === alias)?.name ?? alias);
  // one array returned, a local of the helper: it becomes the caller's variable
  const only = names.length === 1 ? names[0]! : null;
  if (only) {
    const type = caller.locals.get(only) ?? s.type;
    caller.locals.delete(only);
    caller.locals.set(s.name, type);
    return [...out, ...renameIn(renamed, new Map([[only, s.name]]))];
  }
  out.push(...renamed);
  if (elems) {
    out.push({ ...s, init: { k: 'alloc', ctor: ctorOf(s.type), len: b.num(elems.length) } });
    elems.forEach((e, i) => out.push(at({ k: 'store', arr: s.name, i: b.num(i), e })));
    return out;
  }
  // a copy of whichever array was returned
  const chosen = (pick: (name: string) => Expr): Expr =>
    names.slice(0, -1).reduceRight<Expr>((rest, n, i) => ({ k: 'cond', c: b.op('===', b.v(which!), b.num(i)), a: pick(n), b: rest }), pick(names[names.length - 1]!));
  out.push({ ...s, init: { k: 'alloc', ctor: ctorOf(s.type), len: chosen((n) => b.len(n)) } });
  const j = namer.fresh('_j');
  caller.locals.set(j, 'number');
  out.push(at({
    k: 'loop',
    init: [b.decl(j, 'number', b.ZERO, true)],
    test: b.op('<', b.v(j), b.len(s.name)),
    update: [b.assign(j, b.add(b.v(j), b.ONE))],
    body: [at({ k: 'store', arr: s.name, i: b.v(j), e: chosen((n) => b.idx(n, b.v(j))) })],
    doWhile: false,
    counter: { name: j, start: b.ZERO, step: 1 },
  }));
  return out;
}

/**
 * `return [a * t, b]` beside `return r` (an array variable): each literal becomes an array of its
 * own, declared at the top (a constant length, so it allocates the same zeros there) and filled
 * where it is returned, so that every return names an array and removeJumps picks one (`_which`).
 */
function liftLiteralReturns(body: Stmt[], caller: FunctionIR, namer: Namer, type: VarType): Stmt[] {
  let literals = 0;
  let arrays = 0;
  visitStmts(body, (x) => {
    if (x.k === 'return' && x.e?.k === 'arr') literals++;
    if (x.k === 'return' && x.e?.k === 'var' && isArrayType(caller.locals.get(x.e.name) ?? 'number')) arrays++;
  });
  if (literals === 0 || arrays === 0) return body;
  const declared: Stmt[] = [];
  const lifted = mapStmts(body, (x) => {
    if (x.k !== 'return' || x.e?.k !== 'arr') return [x];
    const name = namer.fresh('_lit');
    caller.locals.set(name, type);
    declared.push({ k: 'decl', name, type, init: { k: 'alloc', ctor: ctorOf(type), len: b.num(x.e.elems.length) }, mutable: false, ...(x.loc ? { loc: x.loc } : {}) });
    const stores = x.e.elems.map((e, i): Stmt => ({ k: 'store', arr: name, i: b.num(i), e, ...(x.loc ? { loc: x.loc } : {}) }));
    return [...stores, { ...x, e: b.v(name) }];
  });
  return [...declared, ...lifted];
}

/**
 * The body with the declaration of each returned array moved to its top: the array must be in
 * scope where the call ends. Moving `const r = new Float64Array(len)` is exact where it runs at
 * most once (not in a loop) and len reads only what holds from the start (`atEntry`, numbers,
 * lengths) or constants computed from those (`const n = x.length`, moved up with it), so it
 * allocates the same zeros; otherwise NotInScope, with the reason.
 */
function hoistReturnedArrays(body: Stmt[], caller: FunctionIR, atEntry: Set<string>, sourceName: (n: string) => string): Stmt[] {
  const returned = new Set<string>();
  visitStmts(body, (x) => { if (x.k === 'return' && x.e?.k === 'var' && isArrayType(caller.locals.get(x.e.name) ?? 'number')) returned.add(x.e.name); });
  // (what follows a statement that may return goes under `if (!_done)` in removeJumps)
  let jump = body.findIndex((x, i) => i < body.length - 1 && containsReturn([x]));
  if (jump < 0) jump = body.length;
  const top = new Set(body.slice(0, jump).flatMap((x) => (x.k === 'decl' ? [x.name] : [])));
  const nested = [...returned].filter((r) => !atEntry.has(r) && !top.has(r));
  if (nested.length === 0) return body;
  // every declaration, whether a loop repeats it, and what is assigned again
  const decls = new Map<string, { stmt: Extract<Stmt, { k: 'decl' }>; inLoop: boolean }[]>();
  const assigned = new Set<string>();
  const collect = (stmts: Stmt[], inLoop: boolean): void => {
    for (const x of stmts) {
      if (x.k === 'decl') decls.set(x.name, [...(decls.get(x.name) ?? []), { stmt: x, inLoop }]);
      if (x.k === 'assign') assigned.add(x.name);
      if (x.k === 'if') (collect(x.then, inLoop), collect(x.else, inLoop));
      if (x.k === 'loop') (collect(x.init, true), collect(x.body, true), collect(x.update, true));
      if (x.k === 'block') collect(x.body, inLoop);
    }
  };
  collect(body, false);
  const moved: Stmt[] = [];
  /** moves name's declaration (and those it needs) to the top, or says why it cannot */
  const hoist = (name: string, array: string): void => {
    if (atEntry.has(name) || moved.some((m) => m.k === 'decl' && m.name === name)) return;
    const found = decls.get(name) ?? [];
    if (found.length !== 1) throw new NotInScope(sourceName(array), `which needs '${sourceName(name)}', declared in more than one place`);
    const { stmt, inLoop } = found[0]!;
    if (inLoop) throw new NotInScope(sourceName(array), name === array ? 'which it declares inside a loop (a new array each iteration)' : `sized by '${sourceName(name)}', computed in a loop`);
    const scalar = !isArrayType(stmt.type);
    const value = scalar ? stmt.init : stmt.init?.k === 'alloc' ? stmt.init.len : null;
    const computed = `declared after an earlier return or inside a block, and sized by values computed in its body${name === array ? '' : ` ('${sourceName(name)}')`}`;
    if (!value || (scalar && assigned.has(name))) throw new NotInScope(sourceName(array), computed);
    forEachExpr(value, (x) => {
      if (x.k === 'var' && !isArrayType(caller.locals.get(x.name) ?? 'number')) hoist(x.name, array);
      else if (x.k === 'len') hoist(x.arr, array);
      else if (x.k !== 'num' && x.k !== 'op') throw new NotInScope(sourceName(array), computed);
    });
    moved.push(stmt);
  };
  for (const r of nested) hoist(r, r);
  const take = (stmts: Stmt[]): Stmt[] =>
    stmts.flatMap((x): Stmt[] => {
      if (moved.includes(x)) return [];
      if (x.k === 'if') return [{ ...x, then: take(x.then), else: take(x.else) }];
      if (x.k === 'loop') return [{ ...x, init: take(x.init), update: take(x.update), body: take(x.body) }];
      if (x.k === 'block') return [{ ...x, body: take(x.body) }];
      return [x];
    });
  return [...moved, ...take(body)];
}
