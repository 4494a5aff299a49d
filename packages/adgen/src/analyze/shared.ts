/** Small helpers shared by the forward and reverse transformers. */
import * as path from 'node:path';
import * as b from '../ir/builders.ts';
import { varsOf } from '../ir/builders.ts';
import { apiName, type ArrayResultType, type Expr, type FunctionIR, type Param, type Stmt, type VarType } from '../ir/nodes.ts';
import { BOOLEAN_OPS, ruleFor, type Rule } from '../rules/index.ts';
import { mapExpr, mapStmtExprs } from '../ir/walk.ts';
import { names } from './names.ts';

/** One node in primal form: a call goes to the primal copy, stopGradient vanishes. */
function primalNode(e: Expr): Expr {
  if (e.k === 'call') return b.xcall(names.primal(e.fn), ...e.args);
  if (e.k === 'stop') return e.e;
  return e;
}

/** Primal (value) form of a source expression. */
export const primalExpr = (e: Expr): Expr => mapExpr(e, primalNode);

/** Primal form of statements: what the user wrote, with calls to primal copies. */
export const primalStmts = (stmts: Stmt[]): Stmt[] => mapStmtExprs(stmts, primalNode);

/** A loop's head (init, test, update) in primal form, with a new body. */
export function loopWithBody(s: Extract<Stmt, { k: 'loop' }>, body: Stmt[]): Stmt {
  return { ...s, init: primalStmts(s.init), test: s.test && primalExpr(s.test), update: primalStmts(s.update), body };
}

/** An expression linearised for its adjoint: each node's value (an atom or a named temporary). */
export interface Lin {
  e: Expr;
  val: Expr;
  args: Lin[];
  active: boolean;
  /** for `a[i]`: the index expression the adjoint uses */
  index?: Expr;
}

/**
 * The adjoint contributions of an operation's operands, x̄ᵢ += ∂ᵢ·ȳ from its rule, with the
 * contributions of operands that are the same leaf (`r * r`, `a[i] * a[i]`) added into one.
 * Used by reverse mode and by the GPU kernels' adjoints.
 */
export function operandAdjoints(op: string, args: Lin[], y: Expr, seed: Expr): Expr[] {
  const parts = ruleFor(op)!.vjp({ x: args.map((a) => a.val), y, ybar: seed });
  const sameLeaf = (a: (typeof args)[number], c: (typeof args)[number]) =>
    a.e.k === 'var' ? c.e.k === 'var' && c.e.name === a.e.name : a.e.k === 'idx' && c.e.k === 'idx' && b.sameExpr(a.e, c.e) && !!a.index && !!c.index && b.sameExpr(a.index, c.index);
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if ((a.e.k !== 'var' && a.e.k !== 'idx') || !a.active) continue;
    for (let j = k + 1; j < args.length; j++) {
      if (sameLeaf(a, args[j]!)) {
        parts[k] = b.add(parts[k] ?? b.ZERO, parts[j] ?? b.ZERO);
        parts[j] = b.ZERO;
      }
    }
  }
  return args.map((_, k) => parts[k] ?? b.ZERO);
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
  // (a statement of a helper inlined from another file names that file)
  const base = s.loc.file === fn.file ? fn.fileBase : path.basename(s.loc.file);
  if (s.k === 'if' || s.k === 'loop') return b.comment(`${prefix}${base}:${s.loc.line}`);
  return b.comment(`${prefix}${base}:${s.loc.line}  ${s.loc.text}`);
}

/**
 * `_checkIndex(i, a.length, 'model.ts:12 a')` before a store into a `number[]` that may write
 * past its end (analyze/bounds.ts): the derivative arrays cannot grow with it. Null otherwise.
 */
export function indexCheck(fn: FunctionIR, s: Extract<Stmt, { k: 'store' }>, index: Expr): Stmt | null {
  if (!s.boundsCheck) return null;
  const where = `${fn.fileBase}:${s.loc?.line ?? fn.line} ${s.arr}`;
  return b.exprStmt(b.xcall('_checkIndex', index, b.len(s.arr), b.ext(`'${where.replace(/['\\]/g, '')}'`)));
}

/** The user's parameters as generated signatures declare them (with their default values). */
export function userParams(fn: FunctionIR): { name: string; type: string; init?: Expr }[] {
  return fn.params.map((p) => ({ name: p.name, type: paramType(p), ...(p.init ? { init: p.init } : {}) }));
}

/** A parameter's type in generated signatures (`readonly number[]` stays readonly). */
export function paramType(p: Param): string {
  return p.readonly ? `readonly ${tsType(p.type)}` : tsType(p.type);
}

/**
 * The name of the extra parameter of `fJvp` (`tangent`) or `fVjp` (`cotangent`); `_tangent` when
 * the function has a variable of that name itself (callers pass it by position).
 */
export function extraParam(fn: FunctionIR, name: 'tangent' | 'cotangent'): string {
  return fn.locals.has(name) ? `_${name}` : name;
}

export function tsType(t: VarType): string {
  return t;
}

/** The TypeScript type of f's result R (SPEC §2). */
export function returnTypeText(fn: FunctionIR): string {
  switch (fn.returns.kind) {
    case 'number': return 'number';
    case 'tuple': return `[${Array.from({ length: fn.returns.length }, () => 'number').join(', ')}]`;
    default: return resultArrayType(fn);
  }
}

/** The type of `grad` in fGrad and fVjp: a key per active input, named as the API names it. */
export function gradTypeText(fn: FunctionIR): string {
  return `{ ${fn.params.filter((p) => p.active).map((p) => `${apiName(p)}: ${p.type === 'number' ? 'number' : 'Float64Array'}`).join('; ')} }`;
}

/** The type of fJvp's `tangent` argument: an optional entry per active input. */
export function tangentArgTypeText(fn: FunctionIR): string {
  return `{ ${fn.params.filter((p) => p.active).map((p) => `${apiName(p)}?: ${p.type === 'number' ? 'number' : 'ArrayLike<number>'}`).join('; ')} }`;
}

/**
 * The type the API gives an array result R in, the type the primal gives it in: the declared
 * return type, or the `@out` array's type (a `number[]` function's value is a `number[]`).
 */
export function resultArrayType(fn: FunctionIR): ArrayResultType {
  if (fn.returns.kind === 'array') return fn.returns.type;
  const out = fn.params.find((p) => p.out)?.type;
  return out === 'number[]' || out === 'Float32Array' ? out : 'Float64Array';
}

/** The type of an array tangent: the value's, but never single precision (tangents are computed in double). */
export function tangentArrayType(fn: FunctionIR): ArrayResultType {
  const t = resultArrayType(fn);
  return t === 'Float32Array' ? 'Float64Array' : t;
}

/** A fresh array of type t holding the elements of e. */
export function arrayCopy(t: ArrayResultType, e: Expr): Expr {
  return b.xcall(t === 'number[]' ? 'Array.from' : `${t}.from`, e);
}

/** A fresh array of type t holding the given elements. */
export function arrayOf(t: ArrayResultType, elems: Expr[]): Expr {
  return t === 'number[]' ? { k: 'arr', elems } : b.xcall(`${t}.of`, ...elems);
}

/** Whether e is a boolean: a literal, a comparison or logical operator, a boolean variable of fn. */
export function isBooleanExpr(e: Expr, fn: FunctionIR): boolean {
  if (e.k === 'bool') return true;
  if (e.k === 'op') return BOOLEAN_OPS.has(e.op);
  return e.k === 'var' && fn.locals.get(e.name) === 'boolean';
}
