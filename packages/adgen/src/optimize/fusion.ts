/**
 * A target-IR pass that fuses adjacent loops with the same header into one:
 *
 *   for (let id = 0; id < d; id++) xc[id] = x[id] − μ[id];        for (let id = 0; id < d; id++) {
 *   for (let id = 0; id < d; id++) qx[id] = q[id] * xc[id];   →     xc[id] = x[id] − μ[id];
 *                                                                    qx[id] = q[id] * xc[id];
 *                                                                  }
 *
 * Source loops written one after the other (and the adjoints of such loops, which come out in
 * the same shape) pay the loop overhead and the memory traffic of the intermediate array twice;
 * an expert fuses them by hand (ADBench's hand-written GMM does). Fusion runs the second loop's
 * iteration i right after the first loop's iteration i instead of after all of them, which keeps
 * the meaning when no iteration of one loop touches what a different iteration of the other
 * touches:
 *  - every element of an array that one loop stores into (or any array that may be the same) is
 *    accessed by both loops only at one index `c + e`, c the counter and e the same expression
 *    that neither loop changes, so iteration i of each loop meets only element c = i;
 *  - no scalar that lives across iterations is written by one loop and used by the other;
 *  - the header (initialiser, test, update) is the same and neither body changes what it reads;
 *  - neither body leaves the loop (break, continue, return), calls a function (it could read or
 *    write anything) or holds raw text with side effects (tape pushes `_tp0[_sp0++]`).
 * Names declared by one body must not occur in the other (the two bodies become one scope).
 */
import { varsOf } from '../ir/builders.ts';
import type { Expr, Stmt } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { forEachExpr, mapExpr, mapStmtExprs, mapStmts, someExpr, visitStmts, writtenIn } from '../ir/walk.ts';
import { mayAlias, ownedArrays } from './owned.ts';

type Loop = Extract<Stmt, { k: 'loop' }>;

export function fuseLoops(fn: TargetFunction): TargetFunction {
  const owned = ownedArrays(fn);
  const body = mapStmts(fn.body, (s) => {
    if (s.k === 'loop') return [{ ...s, body: fuseAdjacent(s.body, owned) }];
    if (s.k === 'if') return [{ ...s, then: fuseAdjacent(s.then, owned), else: fuseAdjacent(s.else, owned) }];
    if (s.k === 'block') return [{ ...s, body: fuseAdjacent(s.body, owned) }];
    return [s];
  });
  return { ...fn, body: fuseAdjacent(body, owned) };
}

/** Fuses runs of fusable loops in one statement list. */
function fuseAdjacent(stmts: Stmt[], owned: Set<string>): Stmt[] {
  const out: Stmt[] = [];
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i]!;
    const prev = lastLoop(out);
    const next = s.k === 'loop' && prev ? withCounterOf(prev.loop, s) : null;
    if (next && prev && fusable(prev.loop, next, owned)) {
      // comments between the loops (the second one's provenance) mark where its body starts
      const between = out.splice(prev.at + 1);
      out[prev.at] = { ...prev.loop, body: [...prev.loop.body, ...between, ...next.body] };
      continue;
    }
    out.push(s);
  }
  return out;
}

/** The last loop of the list when only comments follow it. */
function lastLoop(stmts: Stmt[]): { loop: Loop; at: number } | null {
  for (let at = stmts.length - 1; at >= 0; at--) {
    const s = stmts[at]!;
    if (s.k === 'loop') return { loop: s, at };
    if (s.k !== 'comment') return null;
  }
  return null;
}

/**
 * The second loop with its counter renamed to the first loop's (`for (let i1 …)` after
 * `for (let i …)`), when the first counter's name does not occur in it; null when it cannot be.
 */
function withCounterOf(first: Loop, second: Loop): Loop | null {
  const [a, c] = [first.init[0], second.init[0]];
  if (first.init.length !== 1 || second.init.length !== 1 || a?.k !== 'decl' || c?.k !== 'decl') return null;
  if (a.name === c.name) return second;
  const [from, to] = [c.name, a.name];
  let clash = false;
  visitStmts([second], (s) => {
    if ((s.k === 'decl' || s.k === 'assign') && (s.name === to || (s.name === from && s !== c && !second.update.includes(s)))) clash = true;
  });
  if (clash || someExpr([second], (e) => (e.k === 'var' && e.name === to) || ((e.k === 'idx' || e.k === 'len') && (e.arr === to || e.arr === from)))) return null;
  const renamed = mapStmtExprs([second], (e) => (e.k === 'var' && e.name === from ? { k: 'var', name: to } : e))[0] as Loop;
  const rename = (s: Stmt): Stmt => ((s.k === 'decl' || s.k === 'assign') && s.name === from ? { ...s, name: to } : s);
  return { ...renamed, init: renamed.init.map(rename), update: renamed.update.map(rename) };
}

const withoutLoc = (_key: string, value: unknown) => (_key === 'loc' ? undefined : value);
const same = (a: unknown, c: unknown) => JSON.stringify(a, withoutLoc) === JSON.stringify(c, withoutLoc);

function fusable(a: Loop, c: Loop, owned: Set<string>): boolean {
  if (a.doWhile || c.doWhile || !same(a.init, c.init) || !same(a.test, c.test) || !same(a.update, c.update)) return false;
  const counter = a.init.length === 1 && a.init[0]!.k === 'decl' ? a.init[0]!.name : null;
  if (counter === null || !a.test) return false;
  if (!a.update.every((u) => u.k === 'assign' && u.name === counter)) return false;
  const bodies = [...a.body, ...c.body];
  if (!simpleBody(a.body) || !simpleBody(c.body)) return false;
  const written = writtenIn(bodies);
  // the header: the counter moves only in the update, and the test reads nothing the bodies change
  if (written.has(counter)) return false;
  const header = [...varsOf(a.test), ...a.init.flatMap((s) => (s.k === 'decl' && s.init ? [...varsOf(s.init)] : []))];
  if (header.some((name) => name !== counter && written.has(name))) return false;
  // a test with a call would run once per iteration instead of twice
  if (someExpr([{ k: 'expr', e: a.test }], (e) => e.k === 'idx' || e.k === 'call' || e.k === 'xcall' || e.k === 'ext' || (e.k === 'len' && written.has(e.arr)))) return false;
  if (!separateScopes(a.body, c.body) || !separateScopes(c.body, a.body)) return false;
  const first = accessesOf(a.body, counter, written);
  const second = accessesOf(c.body, counter, written);
  return noCrossIterationConflict(first, second, owned) && noCrossIterationConflict(second, first, owned);
}

/** No exits, calls or raw text with side effects. */
function simpleBody(body: Stmt[]): boolean {
  let ok = true;
  const visit = (stmts: Stmt[], inLoop: boolean) => {
    for (const s of stmts) {
      if (s.k === 'return' || ((s.k === 'break' || s.k === 'continue') && !inLoop)) ok = false;
      if (s.k === 'if') {
        visit(s.then, inLoop);
        visit(s.else, inLoop);
      } else if (s.k === 'block') visit(s.body, inLoop);
      else if (s.k === 'loop') visit([...s.init, ...s.update, ...s.body], true);
    }
  };
  visit(body, false);
  return ok && !someExpr(body, (e) => e.k === 'call' || e.k === 'xcall' || (e.k === 'ext' && !plainName(e.text)));
}

/** `Math.PI`, `Infinity`: raw text that only reads a global. */
function plainName(text: string): boolean {
  return text.split('.').every((part) => part.length > 0 && [...part].every((ch, i) => ch === '_' || ch === '$' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (i > 0 && ch >= '0' && ch <= '9')));
}

/** Names `declaring` declares do not occur in `other`. */
function separateScopes(declaring: Stmt[], other: Stmt[]): boolean {
  const declared = new Set<string>();
  visitStmts(declaring, (s) => {
    if (s.k === 'decl') declared.add(s.name);
  });
  if (declared.size === 0) return true;
  let clash = false;
  visitStmts(other, (s) => {
    if ((s.k === 'decl' || s.k === 'assign') && declared.has(s.name)) clash = true;
    if (s.k === 'store' && declared.has(s.arr)) clash = true;
  });
  return !clash && !someExpr(other, (e) => (e.k === 'var' && declared.has(e.name)) || ((e.k === 'idx' || e.k === 'len') && declared.has(e.arr)));
}

interface Accesses {
  /** scalars that live across iterations: read, and written */
  read: Set<string>;
  written: Set<string>;
  /** array elements: the index, or null when it is not `counter + invariant` */
  elements: { arr: string; at: string | null; store: boolean }[];
}

/**
 * What one body touches. Locals it declares do not live across iterations; an index is resolved
 * through the constants declared before it (`const _i2 = ik * d + id; means[_i2]`).
 */
function accessesOf(body: Stmt[], counter: string, written: Set<string>): Accesses {
  const local = new Set<string>();
  visitStmts(body, (s) => {
    if (s.k === 'decl') local.add(s.name);
  });
  // constants declared once, at the top of the body (a name declared twice could be shadowed)
  const declarations = new Map<string, number>();
  visitStmts(body, (s) => {
    if (s.k === 'decl') declarations.set(s.name, (declarations.get(s.name) ?? 0) + 1);
  });
  const constants = new Map<string, Expr>();
  for (const s of body) if (s.k === 'decl' && !s.mutable && s.init && declarations.get(s.name) === 1) constants.set(s.name, resolve(s.init, constants));
  const acc: Accesses = { read: new Set(), written: new Set(), elements: [] };
  const element = (arr: string, i: Expr, store: boolean) => {
    const at = resolve(i, constants);
    acc.elements.push({ arr, at: sameIteration(at, counter, written) ? JSON.stringify(at) : null, store });
  };
  const reads = (e: Expr) => {
    forEachExpr(e, (x) => {
      // an array variable counts as read too: the other body might rebind it
      if ((x.k === 'var' || x.k === 'idx' || x.k === 'len') && !local.has(x.k === 'var' ? x.name : x.arr)) acc.read.add(x.k === 'var' ? x.name : x.arr);
      if (x.k === 'idx') element(x.arr, x.i, false);
      // plain raw text (simpleBody allows no other) reads the variable it names
      if (x.k === 'ext') acc.read.add(x.text.split('.')[0]!);
      // a number[] grows when stored past its end: a length read conflicts with any store
      if (x.k === 'len') acc.elements.push({ arr: x.arr, at: null, store: false });
    });
  };
  visitStmts(body, (s) => {
    switch (s.k) {
      case 'decl': if (s.init) reads(s.init); break;
      case 'assign':
        reads(s.e);
        if (!local.has(s.name)) acc.written.add(s.name);
        if ((s.op ?? '=') !== '=') acc.read.add(s.name);
        break;
      case 'store':
        reads(s.e);
        reads(s.i);
        element(s.arr, s.i, true);
        if (!local.has(s.arr)) acc.read.add(s.arr);
        if ((s.op ?? '=') !== '=') element(s.arr, s.i, false);
        break;
      case 'expr': reads(s.e); break;
      case 'if': reads(s.c); break;
      case 'loop': if (s.test) reads(s.test); break;
      default: break;
    }
  });
  return acc;
}

function resolve(e: Expr, constants: Map<string, Expr>): Expr {
  return mapExpr(e, (x) => (x.k === 'var' && constants.has(x.name) ? constants.get(x.name)! : x));
}

/** `counter`, `counter + e`, `e + counter` or `counter − e`, e an expression neither body changes. */
function sameIteration(i: Expr, counter: string, written: Set<string>): boolean {
  const invariant = (e: Expr) => !someExpr([{ k: 'expr', e }], (x) => x.k === 'idx' || x.k === 'ext') && [...varsOf(e)].every((name) => name !== counter && !written.has(name));
  if (i.k === 'var') return i.name === counter;
  if (i.k !== 'op' || (i.op !== '+' && i.op !== '-')) return false;
  const [l, r] = i.args as [Expr, Expr];
  if (sameIteration(l, counter, written) && invariant(r)) return true;
  return i.op === '+' && invariant(l) && sameIteration(r, counter, written);
}

/** Whether what `from` writes is touched by `other` only in the same iteration. */
function noCrossIterationConflict(from: Accesses, other: Accesses, owned: Set<string>): boolean {
  for (const name of from.written) if (other.read.has(name) || other.written.has(name)) return false;
  for (const w of from.elements) {
    if (!w.store) continue;
    for (const o of other.elements) {
      if (!mayAlias(w.arr, o.arr, owned)) continue;
      if (w.at === null || o.at === null || w.at !== o.at || w.arr !== o.arr) return false;
    }
  }
  return true;
}
