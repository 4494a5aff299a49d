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

/** Atoms can be repeated in generated code without recomputation. */
export const isAtom = (e: Expr): boolean => e.k === 'num' || e.k === 'var' || e.k === 'ext' || e.k === 'len' || (e.k === 'idx' && isAtom(e.i));

const usesCache = new Map<string, { x: boolean[]; y: boolean }>();

/** Which operand values and whether the result a rule's derivative reads. */
export function usesOf(rule: Rule, arity: number): { x: boolean[]; y: boolean } {
  const key = `${rule.partials.length}:${arity}:${rule.gpu}:${rule.domain.join()}:${String(rule.vjp)}`;
  const cached = usesCache.get(key);
  if (cached) return cached;
  const x = Array.from({ length: arity }, (_, i) => b.v(`$x${i}`));
  const y = b.v('$y');
  const exprs = [...rule.vjp({ x, y, ybar: b.v('$s') }), rule.jvp({ x, y, dx: x.map((_, i) => b.v(`$d${i}`)) })];
  const seen = new Set<string>();
  for (const e of exprs) varsOf(e, seen);
  const uses = { x: x.map((_, i) => seen.has(`$x${i}`)), y: seen.has('$y') };
  usesCache.set(key, uses);
  return uses;
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
