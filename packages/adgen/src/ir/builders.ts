/**
 * IR builders, imported as `b`. Arithmetic builders fold symbolic zeros and ones so derivative
 * rules can stay naive (`b.mul(ZERO, e)` is ZERO, `b.mul(ONE, e)` is e), as JAX's `Zero` type
 * and clad's zero-tangent folding do.
 */
import type { Expr, Stmt, Loc, VarType, AssignOp } from './nodes.ts';

export const num = (v: number): Expr => ({ k: 'num', v });
export const ZERO: Expr = num(0);
export const ONE: Expr = num(1);
export const v = (name: string): Expr => ({ k: 'var', name });
export const idx = (arr: string, i: Expr): Expr => ({ k: 'idx', arr, i });
export const len = (arr: string): Expr => ({ k: 'len', arr });
export const ext = (text: string): Expr => ({ k: 'ext', text });
export const op = (o: string, ...args: Expr[]): Expr => ({ k: 'op', op: o, args });
export const call = (fn: string, ...args: Expr[]): Expr => ({ k: 'call', fn, args });
export const xcall = (callee: string, ...args: Expr[]): Expr => ({ k: 'xcall', callee, args });
export const math = (fn: string, ...args: Expr[]): Expr => op(`Math.${fn}`, ...args);

export const isNum = (e: Expr, value?: number): boolean =>
  e.k === 'num' && (value === undefined || Object.is(e.v, value) || e.v === value);
export const isZero = (e: Expr): boolean => e.k === 'num' && e.v === 0;
export const isOne = (e: Expr): boolean => e.k === 'num' && e.v === 1;

export function add(a: Expr, c: Expr): Expr {
  if (isZero(a)) return c;
  if (isZero(c)) return a;
  if (a.k === 'num' && c.k === 'num') return num(a.v + c.v);
  if (c.k === 'op' && c.op === 'neg') return sub(a, c.args[0]!);
  if (sameExpr(a, c)) return mul(num(2), a);
  // p·q + q·p (the product rule on x·x) → 2·p·q
  if (a.k === 'op' && a.op === '*' && c.k === 'op' && c.op === '*' && sameExpr(a.args[0]!, c.args[1]!) && sameExpr(a.args[1]!, c.args[0]!)) return mul(num(2), a);
  // (x − c1) + c2 → x + (c2 − c1)
  if (c.k === 'num' && a.k === 'op' && (a.op === '-' || a.op === '+') && a.args[1]!.k === 'num') {
    const k = a.op === '-' ? c.v - a.args[1]!.v : c.v + a.args[1]!.v;
    return k === 0 ? a.args[0]! : k > 0 ? op('+', a.args[0]!, num(k)) : op('-', a.args[0]!, num(-k));
  }
  return op('+', a, c);
}

export function sub(a: Expr, c: Expr): Expr {
  if (isZero(c)) return a;
  if (isZero(a)) return neg(c);
  if (a.k === 'num' && c.k === 'num') return num(a.v - c.v);
  if (c.k === 'op' && c.op === 'neg') return add(a, c.args[0]!);
  return op('-', a, c);
}

export function neg(a: Expr): Expr {
  if (a.k === 'num') return num(-a.v);
  if (a.k === 'op' && a.op === 'neg') return a.args[0]!;
  return op('neg', a);
}

export function mul(a: Expr, c: Expr): Expr {
  if (isZero(a) || isZero(c)) return ZERO;
  if (isOne(a)) return c;
  if (isOne(c)) return a;
  if (a.k === 'num' && a.v === -1) return neg(c);
  if (c.k === 'num' && c.v === -1) return neg(a);
  if (a.k === 'num' && c.k === 'num') return num(a.v * c.v);
  if (a.k === 'op' && a.op === 'neg') return neg(mul(a.args[0]!, c));
  if (c.k === 'op' && c.op === 'neg') return neg(mul(a, c.args[0]!));
  // a · (b · c) → (a · b) · c: derivative products read left to right (the printer keeps the
  // parentheses of a product on the right, which primal expressions need to round as the source)
  if (c.k === 'op' && c.op === '*') return op('*', mul(a, c.args[0]!), c.args[1]!);
  return op('*', a, c);
}

export function div(a: Expr, c: Expr): Expr {
  if (isZero(a)) return ZERO;
  if (isOne(c)) return a;
  if (a.k === 'op' && a.op === 'neg') return neg(div(a.args[0]!, c));
  return op('/', a, c);
}

/** Sum of terms, folding zeros. */
export const sum = (terms: Expr[]): Expr => terms.reduce((acc, t) => add(acc, t), ZERO);

// ---- statements ----------------------------------------------------------------------------

export const decl = (name: string, type: VarType, init: Expr | null, mutable = true, loc?: Loc): Stmt => ({
  k: 'decl', name, type, init, mutable, ...(loc ? { loc } : {}),
});
export const assign = (name: string, e: Expr, assignOp: AssignOp = '=', loc?: Loc): Stmt => ({
  k: 'assign', name, e, op: assignOp, ...(loc ? { loc } : {}),
});
export const store = (arr: string, i: Expr, e: Expr, assignOp: AssignOp = '=', loc?: Loc): Stmt => ({
  k: 'store', arr, i, e, op: assignOp, ...(loc ? { loc } : {}),
});
export const comment = (text: string): Stmt => ({ k: 'comment', text });
export const exprStmt = (e: Expr): Stmt => ({ k: 'expr', e });
export const ifs = (c: Expr, then: Stmt[], els: Stmt[] = []): Stmt => ({ k: 'if', c, then, else: els });

/**
 * `target += e`, written so the printer shows `x_bar += e` (or `-=` for a negated term);
 * nothing when e is a symbolic zero.
 */
export function accumulate(name: string, e: Expr): Stmt[] {
  if (isZero(e)) return [];
  if (e.k === 'op' && e.op === 'neg') return [assign(name, e.args[0]!, '-=')];
  return [assign(name, e, '+=')];
}

export function accumulateAt(arr: string, i: Expr, e: Expr): Stmt[] {
  if (isZero(e)) return [];
  if (e.k === 'op' && e.op === 'neg') return [store(arr, i, e.args[0]!, '-=')];
  return [store(arr, i, e, '+=')];
}

/** Variables an expression reads (scalars and arrays), in first-seen order. */
export function varsOf(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.k) {
    case 'var': out.add(e.name); break;
    case 'idx': out.add(e.arr); varsOf(e.i, out); break;
    case 'len': out.add(e.arr); break;
    case 'op': case 'call': case 'xcall': for (const a of e.args) varsOf(a, out); break;
    case 'cond': varsOf(e.c, out); varsOf(e.a, out); varsOf(e.b, out); break;
    case 'stop': varsOf(e.e, out); break;
    case 'alloc': varsOf(e.len, out); break;
    case 'obj': for (const [, p] of e.props) varsOf(p, out); break;
    case 'arr': for (const a of e.elems) varsOf(a, out); break;
    case 'as': varsOf(e.e, out); break;
    // the lambda's own parameters count too: conservative for every user of this function
    case 'lambda': varsOf(e.body, out); break;
    default: break;
  }
  return out;
}

/** Structural equality of expressions (used to share subexpressions). */
export function sameExpr(a: Expr, c: Expr): boolean {
  return JSON.stringify(a) === JSON.stringify(c);
}
