/**
 * Removes break, continue and early return before reverse mode, so that the adjoint sweep sees
 * only structured `if` and loops (the classic flag transformation); inlining (inline.ts) uses it
 * too, for a helper's returns. A jump sets a flag
 * (`_brk0`, `_cont0`, `_done`); the rest of the block runs under `if (!flag)` and the loop test
 * checks `!_brk0`. A `return e` becomes `_ret = e` (`_ret0`, `_ret1` … for tuples); returning one
 * of several arrays sets `_which` to its position among them.
 */
import * as b from '../ir/builders.ts';
import type { Namer } from '../ir/namer.ts';
import { visitStmts } from '../ir/walk.ts';
import { isArrayType, type Expr, type FunctionIR, type Loc, type Stmt } from '../ir/nodes.ts';

export interface JumpFree {
  body: Stmt[];
  /** how the result is held after the forward sweep */
  result:
    | { kind: 'scalar'; name: string }
    | { kind: 'tuple'; names: string[] }
    /** `names` holds every array a `return` gives; with more than one, `which` holds the index
     * of the one returned (a number the seed and the value read after the forward sweep) */
    | { kind: 'array'; names: string[]; which: string | null }
    | { kind: 'none' };
  /** loops whose test was extended with flags (their trip count is data-dependent) */
  exits: Set<Stmt>;
}

/** Two `return`s that give results of different kinds; `loc` is the second one. */
export class UnsupportedReturn extends Error {
  constructor(message: string, readonly loc?: Loc) {
    super(message);
  }
}

export function removeJumps(fn: FunctionIR, namer: Namer): JumpFree {
  const exits = new Set<Stmt>();
  let result: JumpFree['result'] = { kind: 'none' };
  let doneFlag: string | null = null;
  const flag = (prefix: string) => {
    const name = namer.fresh(prefix);
    fn.locals.set(name, 'boolean');
    return name;
  };
  const lastTop = fn.body[fn.body.length - 1];
  const arrays = returnedArrays(fn);
  const which = arrays.length > 1 ? namer.fresh('_which') : null;
  if (which) fn.locals.set(which, 'number');

  const resultOf = (e: Expr, loc: Loc | undefined): Stmt[] => {
    if (e.k === 'arr') {
      if (result.kind === 'none') {
        const names = e.elems.map(() => namer.fresh('_ret'));
        for (const n of names) fn.locals.set(n, 'number');
        result = { kind: 'tuple', names };
      }
      if (result.kind !== 'tuple' || result.names.length !== e.elems.length) throw new UnsupportedReturn('returns values of different shapes', loc);
      const names = result.names;
      return e.elems.map((x, i) => b.assign(names[i]!, x));
    }
    if (e.k === 'var' && isArrayType(fn.locals.get(e.name) ?? 'number')) {
      if (result.kind === 'none') result = { kind: 'array', names: arrays, which };
      if (result.kind !== 'array') throw new UnsupportedReturn('returns values of different shapes', loc);
      return which ? [b.assign(which, b.num(arrays.indexOf(e.name)))] : [];
    }
    if (result.kind === 'none') {
      const name = '_ret';
      fn.locals.set(name, 'number');
      result = { kind: 'scalar', name };
    }
    if (result.kind !== 'scalar') throw new UnsupportedReturn('returns values of different shapes', loc);
    return [b.assign(result.name, e)];
  };

  interface LoopFlags { brk: string | null; cont: string | null }

  /** Transforms a statement list; `jumps` tells whether it may have set a flag of this level. */
  const seq = (stmts: Stmt[], loop: LoopFlags | null, top: boolean): { out: Stmt[]; jumps: boolean } => {
    const out: Stmt[] = [];
    let jumps = false;
    for (let k = 0; k < stmts.length; k++) {
      const s = stmts[k]!;
      const r = stmt(s, loop, top && s === lastTop);
      out.push(...r.out);
      if (r.jumps) {
        jumps = true;
        const rest = seq(stmts.slice(k + 1), loop, top);
        if (rest.out.length > 0) out.push(b.ifs(b.op('!', guard(loop)), rest.out));
        break;
      }
    }
    return { out, jumps };
  };

  const guard = (loop: LoopFlags | null): Expr => {
    const flags = [doneFlag, loop?.brk ?? null, loop?.cont ?? null].filter((f): f is string => f !== null);
    return flags.map((f) => b.v(f)).reduce((a, c) => b.op('||', a, c));
  };

  const stmt = (s: Stmt, loop: LoopFlags | null, isLast: boolean): { out: Stmt[]; jumps: boolean } => {
    switch (s.k) {
      case 'return': {
        const assigns = s.e ? resultOf(s.e, s.loc).map((a) => ({ ...a, ...(s.loc ? { loc: s.loc } : {}) })) : [];
        if (isLast) return { out: assigns, jumps: false };
        doneFlag ??= flag('_done');
        return { out: [...assigns, b.assign(doneFlag, { k: 'bool', v: true })], jumps: true };
      }
      case 'break':
      case 'continue': {
        if (!loop) return { out: [], jumps: false };
        const name = s.k === 'break' ? (loop.brk ??= flag('_brk')) : (loop.cont ??= flag('_cont'));
        return { out: [b.assign(name, { k: 'bool', v: true })], jumps: true };
      }
      case 'if': {
        const t = seq(s.then, loop, false);
        const e = seq(s.else, loop, false);
        return { out: [{ ...s, then: t.out, else: e.out }], jumps: t.jumps || e.jumps };
      }
      case 'loop': {
        const flags: LoopFlags = { brk: null, cont: null };
        const body = seq(s.body, flags, false);
        const setsDone = containsReturn(s.body);
        let test = s.test;
        const stop = [flags.brk, setsDone ? doneFlag : null].filter((f): f is string => f !== null);
        for (const f of stop) test = test ? b.op('&&', test, b.op('!', b.v(f))) : b.op('!', b.v(f));
        let bodyOut = body.out;
        if (flags.cont) bodyOut = [b.assign(flags.cont, { k: 'bool', v: false }), ...bodyOut];
        let update = s.update;
        if (stop.length > 0 && update.length > 0 && !s.counter) {
          // JS runs the update after `continue` but not after `break` or `return`
          bodyOut = [...bodyOut, b.ifs(b.op('!', stop.map((f) => b.v(f)).reduce((a, c) => b.op('||', a, c))), update)];
          update = [];
        }
        const loopOut: Stmt = { ...s, test, body: bodyOut, update };
        if (stop.length > 0) exits.add(loopOut);
        const decls = [flags.brk, flags.cont].filter((f): f is string => f !== null).map((f) => b.decl(f, 'boolean', { k: 'bool', v: false }));
        return { out: [...decls, loopOut], jumps: setsDone };
      }
      default:
        return { out: [s], jumps: false };
    }
  };

  const r = seq(fn.body, null, true);
  const body = doneFlag ? [b.decl(doneFlag, 'boolean', { k: 'bool', v: false }), ...r.out] : r.out;
  return { body, result, exits };
}

/** Whether a `return` is among the statements, at any depth. */
export function containsReturn(stmts: Stmt[]): boolean {
  return stmts.some((s) => s.k === 'return' || (s.k === 'if' && (containsReturn(s.then) || containsReturn(s.else))) || (s.k === 'loop' && containsReturn(s.body)));
}

/** The array variables `return` statements give, in source order, each once. */
function returnedArrays(fn: FunctionIR): string[] {
  const names = new Set<string>();
  visitStmts(fn.body, (s) => {
    if (s.k === 'return' && s.e?.k === 'var' && isArrayType(fn.locals.get(s.e.name) ?? 'number')) names.add(s.e.name);
  });
  return [...names];
}
