/** Small helpers shared by the forward and reverse transformers. */
import * as b from '../ir/builders.ts';
import { varsOf } from '../ir/builders.ts';
import type { Expr, FunctionIR, Stmt, VarType } from '../ir/nodes.ts';
import type { Rule } from '../rules/index.ts';
import { names } from './names.ts';

/** Primal (value) form of a source expression: calls go to the primal copy, stopGradient vanishes. */
export function primalExpr(e: Expr): Expr {
  switch (e.k) {
    case 'call': return b.xcall(names.primal(e.fn), ...e.args.map(primalExpr));
    case 'stop': return primalExpr(e.e);
    case 'op': return { ...e, args: e.args.map(primalExpr) };
    case 'idx': return { ...e, i: primalExpr(e.i) };
    case 'cond': return { ...e, c: primalExpr(e.c), a: primalExpr(e.a), b: primalExpr(e.b) };
    case 'alloc': return { ...e, len: primalExpr(e.len) };
    case 'arr': return { ...e, elems: e.elems.map(primalExpr) };
    default: return e;
  }
}

/** Primal form of statements: what the user wrote, with calls to primal copies. */
export function primalStmts(stmts: Stmt[]): Stmt[] {
  return stmts.map((s): Stmt => {
    switch (s.k) {
      case 'decl': return { ...s, init: s.init && primalExpr(s.init) };
      case 'assign': return { ...s, e: primalExpr(s.e) };
      case 'store': return { ...s, i: primalExpr(s.i), e: primalExpr(s.e) };
      case 'expr': return { ...s, e: primalExpr(s.e) };
      case 'if': return { ...s, c: primalExpr(s.c), then: primalStmts(s.then), else: primalStmts(s.else) };
      case 'loop': return { ...s, init: primalStmts(s.init), test: s.test && primalExpr(s.test), update: primalStmts(s.update), body: primalStmts(s.body) };
      case 'return': return { ...s, e: s.e && primalExpr(s.e) };
      default: return s;
    }
  });
}

/** A loop's head (init, test, update) in primal form, with a new body. */
export function loopWithBody(s: Extract<Stmt, { k: 'loop' }>, body: Stmt[]): Stmt {
  return { ...s, init: primalStmts(s.init), test: s.test && primalExpr(s.test), update: primalStmts(s.update), body };
}

/** Atoms can be repeated in generated code without recomputation. */
export const isAtom = (e: Expr): boolean => e.k === 'num' || e.k === 'var' || e.k === 'ext' || e.k === 'len' || (e.k === 'idx' && isAtom(e.i));

const usesCache = new Map<Rule, Map<number, { x: boolean[]; y: boolean }[]>>();

/**
 * For each operand's partial derivative, which operand values and whether the result it reads.
 * A value is worth naming only when the partial of an *active* operand reads it.
 */
export function partialUses(rule: Rule, arity: number): { x: boolean[]; y: boolean }[] {
  let byArity = usesCache.get(rule);
  if (!byArity) usesCache.set(rule, (byArity = new Map()));
  const cached = byArity.get(arity);
  if (cached) return cached;
  const x = Array.from({ length: arity }, (_, i) => b.v(`$x${i}`));
  const parts = rule.vjp({ x, y: b.v('$y'), ybar: b.v('$s') });
  const uses = parts.map((e) => {
    const seen = varsOf(e);
    return { x: x.map((_, i) => seen.has(`$x${i}`)), y: seen.has('$y') };
  });
  byArity.set(arity, uses);
  return uses;
}

/** Which operand values and whether the result the derivative reads, given which operands are active. */
export function usesOf(rule: Rule, arity: number, activeArgs: boolean[] = Array.from({ length: arity }, () => true)): { x: boolean[]; y: boolean } {
  const parts = partialUses(rule, arity);
  return {
    x: Array.from({ length: arity }, (_, j) => parts.some((u, k) => activeArgs[k] && u.x[j])),
    y: parts.some((u, k) => activeArgs[k] && u.y),
  };
}

/** `// model.ts:12  s += r * r` before the code of a source statement. */
export function provenance(fn: FunctionIR, s: Stmt, prefix = ''): Stmt | null {
  if (!('loc' in s) || !s.loc) return null;
  if (s.k === 'if' || s.k === 'loop') return b.comment(`${prefix}${fn.fileBase}:${s.loc.line}`);
  return b.comment(`${prefix}${fn.fileBase}:${s.loc.line}  ${s.loc.text}`);
}

export function tsType(t: VarType): string {
  return t;
}

/** The TypeScript type of f's result R (SPEC §2). */
export function returnTypeText(fn: FunctionIR): string {
  switch (fn.returns.kind) {
    case 'number': return 'number';
    case 'tuple': return `[${Array.from({ length: fn.returns.length }, () => 'number').join(', ')}]`;
    default: return 'Float64Array';
  }
}
