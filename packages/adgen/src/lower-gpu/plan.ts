/**
 * Which loops of a `@gpu` function become gpu.js kernels, and what each one reads and writes.
 *
 * A loop is lowered when it is outermost (not nested in another loop: a kernel launch per
 * iteration of a CPU loop costs more than it saves), counts `for (let i = a; i < b; i++)`, and
 * its iterations are independent apart from
 *  - sums into outer number variables, `s += g(i)` (anywhere in the body, in branches and inner
 *    loops too), the loop's *accumulators*, and
 *  - maps into outer arrays, `out[i] = g(i)`, written once per iteration at the loop index.
 * Inside the body: number and boolean locals, `if`, inner counting loops whose iterations only
 * sum into variables declared outside them, and operations whose rule has a gpu.js spelling.
 * Every local keeps one value once it is read (its writes all come before its reads; writes in
 * an inner loop are sums), so the kernel's adjoint can recompute any value it needs instead of
 * taping it. Anything else is refused with the diagnostic (a warning) that says why.
 */
import * as b from '../ir/builders.ts';
import type { DiagCode } from '../diagnostics/codes.ts';
import type { Namer } from '../ir/namer.ts';
import { isArrayType, type Expr, type FunctionIR, type Loc, type Stmt } from '../ir/nodes.ts';
import { BOOLEAN_OPS, PREDICATES, ruleFor } from '../rules/index.ts';

export type LoopStmt = Extract<Stmt, { k: 'loop' }>;

/** A loop that runs as a kernel: iteration i of the loop is thread x = i − start. */
export interface LoopPlan {
  /** the loop statement of the function (the host program replaces it by identity) */
  loop: LoopStmt;
  /** its body, every local declared once (sibling declarations renamed apart) */
  body: Stmt[];
  /** local name in `body` → name in the function (for activity) */
  origin: Map<string, string>;
  counter: string;
  /** first index and exclusive end, evaluated on the host before the loop */
  start: Expr;
  end: Expr;
  /** outer number variables the loop sums into, in first-seen order */
  accumulators: string[];
  /** outer arrays written at the loop index, in body order */
  maps: string[];
  /** outer number / boolean variables the body reads */
  scalars: string[];
  /** outer arrays the body reads (elements or length) */
  arrays: string[];
  /** names declared inside the loop (the counter included) */
  locals: Set<string>;
}

export interface Refusal {
  code: DiagCode;
  /** arguments after the function name */
  args: string[];
}

export const isRefusal = (p: LoopPlan | Refusal): p is Refusal => 'code' in p;

/** The loops of a function that are not nested in another loop, in source order. */
export function outermostLoops(stmts: Stmt[]): LoopStmt[] {
  const out: LoopStmt[] = [];
  for (const s of stmts) {
    if (s.k === 'loop') out.push(s);
    else if (s.k === 'if') out.push(...outermostLoops(s.then), ...outermostLoops(s.else));
    else if (s.k === 'block') out.push(...outermostLoops(s.body));
  }
  return out;
}

const where = (fn: FunctionIR, loc: Loc | undefined) => (loc ? `the loop at ${fn.fileBase}:${loc.line}` : 'a loop inside it');

/** The element reads, length reads and variable reads of an expression. */
function readsOf(e: Expr, out = { vars: new Set<string>(), elems: new Set<string>(), lengths: new Set<string>() }) {
  switch (e.k) {
    case 'var': out.vars.add(e.name); break;
    case 'idx': out.elems.add(e.arr); readsOf(e.i, out); break;
    case 'len': out.lengths.add(e.arr); break;
    case 'op': case 'call': case 'xcall': for (const a of e.args) readsOf(a, out); break;
    case 'cond': readsOf(e.c, out); readsOf(e.a, out); readsOf(e.b, out); break;
    case 'stop': readsOf(e.e, out); break;
    case 'alloc': readsOf(e.len, out); break;
    case 'arr': for (const a of e.elems) readsOf(a, out); break;
    default: break;
  }
  return out;
}

/** `name = name ± e` with e free of name: the sum of the loop's (or an inner loop's) iterations. */
export function accumulation(s: Stmt): { name: string; sign: 1 | -1; term: Expr } | null {
  if (s.k !== 'assign' || (s.op ?? '=') !== '=') return null;
  const e = s.e;
  if (e.k !== 'op' || (e.op !== '+' && e.op !== '-') || e.args[0]!.k !== 'var' || e.args[0]!.name !== s.name) return null;
  if (b.varsOf(e.args[1]!).has(s.name)) return null;
  return { name: s.name, sign: e.op === '+' ? 1 : -1, term: e.args[1]! };
}

/** A counting loop `for (let i = a; i < b; i++)` (or `<=`): its counter, first index and exclusive end. */
export function countingBounds(s: LoopStmt): { counter: string; start: Expr; end: Expr } | null {
  const c = s.counter;
  const t = s.test;
  if (!c || c.step !== 1 || s.doWhile || !t || t.k !== 'op' || (t.op !== '<' && t.op !== '<=')) return null;
  if (t.args[0]!.k !== 'var' || t.args[0]!.name !== c.name) return null;
  const limit = t.args[1]!;
  // the host runs ceil(end − start) iterations: `i <= limit` runs floor(limit − start) + 1 of them
  // (limit + 1 would run one more when limit − start is not whole, `i <= n / 2`)
  return { counter: c.name, start: c.start, end: t.op === '<' ? limit : b.add(c.start, b.add(b.math('floor', b.sub(limit, c.start)), b.ONE)) };
}

// ---- renaming sibling declarations apart ------------------------------------------------------

function renameExpr(e: Expr, map: Map<string, string>): Expr {
  switch (e.k) {
    case 'var': return map.has(e.name) ? { ...e, name: map.get(e.name)! } : e;
    case 'idx': return { ...e, i: renameExpr(e.i, map) };
    case 'op': case 'call': case 'xcall': return { ...e, args: e.args.map((a) => renameExpr(a, map)) };
    case 'cond': return { ...e, c: renameExpr(e.c, map), a: renameExpr(e.a, map), b: renameExpr(e.b, map) };
    case 'stop': return { ...e, e: renameExpr(e.e, map) };
    case 'alloc': return { ...e, len: renameExpr(e.len, map) };
    case 'arr': return { ...e, elems: e.elems.map((a) => renameExpr(a, map)) };
    default: return e;
  }
}

/**
 * The front end gives sibling declarations of the same name and type one IR name; the kernel's
 * adjoint wants one declaration per name, so each later declaration gets a fresh name in its scope.
 */
function renameApart(stmts: Stmt[], namer: Namer, declared: Set<string>, origin: Map<string, string>, outer: Map<string, string>): Stmt[] {
  const map = new Map(outer);
  /** the name a declaration gets, and the renaming it brings into scope */
  const declare = (name: string, scope: Map<string, string>): string => {
    if (!declared.has(name)) {
      declared.add(name);
      scope.delete(name);
      return name;
    }
    const base = origin.get(name) ?? name;
    const renamed = namer.fresh(`_${base.replace(/^_+/, '')}_`);
    declared.add(renamed);
    origin.set(renamed, base);
    scope.set(name, renamed);
    return renamed;
  };
  const out: Stmt[] = [];
  for (const s of stmts) {
    switch (s.k) {
      case 'decl': {
        const init = s.init && renameExpr(s.init, map);
        out.push({ ...s, name: declare(s.name, map), init });
        break;
      }
      case 'assign': out.push({ ...s, name: map.get(s.name) ?? s.name, e: renameExpr(s.e, map) }); break;
      case 'store': out.push({ ...s, i: renameExpr(s.i, map), e: renameExpr(s.e, map) }); break;
      case 'expr': out.push({ ...s, e: renameExpr(s.e, map) }); break;
      case 'if':
        out.push({ ...s, c: renameExpr(s.c, map), then: renameApart(s.then, namer, declared, origin, map), else: renameApart(s.else, namer, declared, origin, map) });
        break;
      case 'loop': {
        // the header's declarations are scoped to the loop
        const inner = new Map(map);
        const init = s.init.map((d) => (d.k === 'decl' ? { ...d, init: d.init && renameExpr(d.init, map), name: declare(d.name, inner) } : d));
        const counter = s.counter && { ...s.counter, name: inner.get(s.counter.name) ?? s.counter.name, start: renameExpr(s.counter.start, map) };
        out.push({
          ...s,
          init,
          test: s.test && renameExpr(s.test, inner),
          update: renameApart(s.update, namer, declared, origin, inner),
          body: renameApart(s.body, namer, declared, origin, inner),
          ...(counter ? { counter } : {}),
        });
        break;
      }
      case 'block': out.push({ ...s, body: renameApart(s.body, namer, declared, origin, map) }); break;
      case 'return': out.push({ ...s, e: s.e && renameExpr(s.e, map) }); break;
      default: out.push(s);
    }
  }
  return out;
}

/** The statements with every name declared once (gpu.js's JavaScript backend declares each in function scope). */
export function declareOnce(stmts: Stmt[], namer: Namer): Stmt[] {
  return renameApart(stmts, namer, new Set(), new Map(), new Map());
}

// ---- the plan ----------------------------------------------------------------------------------

interface Site {
  pos: number;
  /** inner loops of the body around the site, outermost first */
  loops: LoopStmt[];
}

/** Plans one outermost loop, or says why it stays on the CPU. */
export function planLoop(loop: LoopStmt, fn: FunctionIR, namer: Namer): LoopPlan | Refusal {
  const bounds = countingBounds(loop);
  if (!bounds) return { code: 'AD4001', args: ['it'] };
  const origin = new Map<string, string>();
  const declared = new Set<string>([bounds.counter]);
  const body = renameApart(loop.body, namer, declared, origin, new Map());
  const locals = declared;
  const isLocal = (v: string) => locals.has(v);

  const accumulators: string[] = [];
  const maps: string[] = [];
  const scalars: string[] = [];
  const arrays: string[] = [];
  const note = (list: string[], v: string) => { if (!list.includes(v)) list.push(v); };
  const writes = new Map<string, (Site & { acc: boolean })[]>();
  const reads = new Map<string, Site[]>();
  const elementReads = new Set<string>();
  const lengthReads = new Set<string>();
  let refusal: Refusal | null = null;
  const refuse = (code: DiagCode, ...args: string[]) => { refusal ??= { code, args }; };
  let pos = 0;

  const readExpr = (e: Expr, site: Site, except?: string) => {
    const r = readsOf(e);
    for (const v of r.vars) if (v !== except) reads.set(v, [...(reads.get(v) ?? []), site]);
    for (const a of r.elems) elementReads.add(a);
    for (const a of r.lengths) lengthReads.add(a);
    checkOps(e);
  };
  const checkOps = (e: Expr): void => {
    switch (e.k) {
      case 'call': refuse('AD4004', e.fn); break;
      case 'alloc': refuse('AD4007', `it allocates an array ('new ${e.ctor}') in every iteration`); break;
      case 'op': {
        const rule = ruleFor(e.op);
        if ((!BOOLEAN_OPS.has(e.op) && e.op !== 'pos' && !rule?.gpu) || PREDICATES.has(e.op)) refuse('AD4005', e.op, '');
        break;
      }
      default: break;
    }
    if (e.k === 'op' || e.k === 'call' || e.k === 'xcall') e.args.forEach(checkOps);
    else if (e.k === 'idx') checkOps(e.i);
    else if (e.k === 'cond') { checkOps(e.c); checkOps(e.a); checkOps(e.b); }
    else if (e.k === 'stop') checkOps(e.e);
  };
  const write = (v: string, site: Site, acc: boolean) => writes.set(v, [...(writes.get(v) ?? []), { ...site, acc }]);

  const visit = (stmts: Stmt[], loops: LoopStmt[], top: boolean) => {
    for (const s of stmts) {
      const site: Site = { pos: pos++, loops };
      switch (s.k) {
        case 'decl':
          if (isArrayType(s.type)) refuse('AD4007', `it declares the array '${s.name}'`);
          if (s.init) readExpr(s.init, site);
          write(s.name, site, false);
          break;
        case 'assign': {
          const acc = accumulation(s);
          readExpr(acc ? acc.term : s.e, site, acc ? s.name : undefined);
          if (isLocal(s.name)) write(s.name, site, !!acc);
          else if (acc && fn.locals.get(s.name) === 'number') note(accumulators, s.name);
          else refuse('AD4002', `'${s.name}'`);
          break;
        }
        case 'store':
          readExpr(s.i, site);
          readExpr(s.e, site);
          if (isLocal(s.arr)) break;
          if (s.i.k !== 'var' || s.i.name !== bounds.counter) refuse('AD4003', `${s.arr}[…]`, 'at an index other than the loop index (an indirect or data-dependent write)');
          else if (!top) refuse('AD4003', `${s.arr}[${bounds.counter}]`, loops.length > 0 ? 'inside an inner loop' : `inside an if (write it once, in the loop body itself: ${s.arr}[${bounds.counter}] = c ? a : b)`);
          else if ((s.op ?? '=') !== '=' || maps.includes(s.arr)) refuse('AD4003', `${s.arr}[${bounds.counter}]`, 'more than once');
          else maps.push(s.arr);
          break;
        case 'expr':
          if (s.e.k === 'call') refuse('AD4004', s.e.fn);
          readExpr(s.e, site);
          break;
        case 'if':
          readExpr(s.c, site);
          visit(s.then, loops, false);
          visit(s.else, loops, false);
          break;
        case 'loop': {
          const inner = countingBounds(s);
          if (!inner && !s.counter) {
            refuse('AD4001', where(fn, s.loc));
            break;
          }
          const counter = s.counter!.name;
          readExpr(s.counter!.start, site);
          if (s.test) readExpr(s.test, site, counter);
          const within = [...loops, s];
          visit(s.body, within, false);
          // writes inside the inner loop to names declared outside it must be sums
          const declaredInside = new Set<string>([counter]);
          collectDecls(s.body, declaredInside);
          sumsOnly(s.body, declaredInside, (v) => refuse('AD4002', `'${v}' (assigned in the inner loop at ${fn.fileBase}:${s.loc?.line ?? '?'})`));
          break;
        }
        case 'break': case 'continue': case 'return':
          refuse('AD4006', s.k === 'return' ? 'return' : s.k);
          break;
        default: break;
      }
    }
  };
  visit(body, [], true);
  if (refusal) return refusal;

  // outer values: scalars and arrays read, never an accumulator or a mapped array
  for (const v of reads.keys()) {
    if (isLocal(v)) continue;
    if (accumulators.includes(v)) return { code: 'AD4002', args: [`'${v}'`] };
    const t = fn.locals.get(v);
    if (t && isArrayType(t)) note(arrays, v);
    else note(scalars, v);
  }
  for (const a of [...elementReads, ...lengthReads]) if (!isLocal(a)) note(arrays, a);
  // a kernel's output cannot be read back by the kernel: the value belongs in a local
  for (const a of maps) if (elementReads.has(a)) return { code: 'AD4003', args: [`${a}[${bounds.counter}]`, `and reads '${a}' back (keep the value in a local: const v = …; ${a}[${bounds.counter}] = v, then use v)`] };
  // the bounds are evaluated once, before the loop
  for (const e of [bounds.start, bounds.end]) {
    const r = readsOf(e);
    if ([...r.vars].some((v) => accumulators.includes(v)) || [...r.elems].some((a) => maps.includes(a))) return { code: 'AD4002', args: ['the loop bound'] };
  }
  // every local keeps one value once it is read
  for (const [v, ws] of writes) {
    const decl = ws[0]!;
    const rs = reads.get(v) ?? [];
    for (const w of ws) {
      const nested = w.loops.length > decl.loops.length;
      if (nested && !w.acc) return { code: 'AD4007', args: [`'${v}' is assigned in an inner loop without being a sum 'v += …'; the kernel's adjoint cannot recompute it`] };
      for (const r of rs) {
        const sameInnerLoop = w.loops.slice(decl.loops.length).some((l) => r.loops.includes(l));
        if (r.pos < w.pos || (nested && sameInnerLoop)) {
          return { code: 'AD4007', args: [`'${v}' is assigned after it is read; the kernel's adjoint recomputes values and needs each local to keep one value once read (use a new 'const' for each value)`] };
        }
      }
    }
  }
  return { loop, body, origin, counter: bounds.counter, start: bounds.start, end: bounds.end, accumulators, maps, scalars: orderLike(fn, scalars), arrays: orderLike(fn, arrays), locals };
}

/** Parameters first, in declaration order, then outer locals in first-read order. */
function orderLike(fn: FunctionIR, names: string[]): string[] {
  const params = fn.params.map((p) => p.name).filter((p) => names.includes(p));
  return [...params, ...names.filter((n) => !params.includes(n))];
}

function collectDecls(stmts: Stmt[], out: Set<string>): void {
  for (const s of stmts) {
    if (s.k === 'decl') out.add(s.name);
    else if (s.k === 'if') { collectDecls(s.then, out); collectDecls(s.else, out); }
    else if (s.k === 'loop') { collectDecls(s.init, out); collectDecls(s.body, out); }
  }
}

/** Reports every assignment in stmts to a name outside `inside` that is not a sum. */
function sumsOnly(stmts: Stmt[], inside: Set<string>, bad: (v: string) => void): void {
  for (const s of stmts) {
    if (s.k === 'assign' && !inside.has(s.name) && !accumulation(s)) bad(s.name);
    else if (s.k === 'if') { sumsOnly(s.then, inside, bad); sumsOnly(s.else, inside, bad); }
    else if (s.k === 'loop') sumsOnly(s.body, inside, bad);
  }
}
