/**
 * Forward mode (tangent propagation, JVP): IR → IR where every active statement is preceded by
 * the statement computing its tangent (`x_dot`), reading only `RULES[op].jvp`.
 *
 * Input: a normalised FunctionIR and its activity. Output: a TargetFunction — either the public
 * `fJvp(…, tangent)` returning `{ value, tangent }`, or the kernel `_fJvp(p, p_dot, …)` other
 * derivative code calls. Invariants: control flow is the primal's (break, continue and early
 * return stay as they are); a tangent is computed before its variable is overwritten, from the
 * old values; subexpressions a rule reads twice are named `_tN` once.
 * Refuses nothing: everything it is given has passed the front end.
 */
import * as b from '../ir/builders.ts';
import type { Namer } from '../ir/namer.ts';
import { apiName, isArrayType, type ArrayResultType, type Expr, type FunctionIR, type Param, type Stmt } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { names } from '../analyze/names.ts';
import { ruleFor } from '../rules/index.ts';
import { callIn, diffVars, tangentMask, type Activity, type KernelFor } from '../analyze/activity.ts';
import { someExpr, visitStmts, writtenIn } from '../ir/walk.ts';
import { primalExpr, isAtom, provenance, usesOf, returnTypeText, userParams, extraParam, paramType, isBooleanExpr, resultArrayType, tangentArrayType, arrayCopy, arrayOf, tangentArgTypeText, indexCheck } from '../analyze/shared.ts';

const dot = names.tangentOf;

interface Ctx {
  fn: FunctionIR;
  active: Set<string>;
  namer: Namer;
  kernelFor: KernelFor;
  /** zero tangents of inactive array parameters, allocated once (zeroTangent) */
  zeros: Map<string, string>;
  /** what a `return` turns into */
  onReturn: (value: Expr | null, tangent: Expr | null, arrays?: { value: Expr[]; tangent: Expr[] }) => Stmt[];
}

/** Tangent of an expression; named temporaries for values a rule reads go into `pre`. */
function tangent(e: Expr, ctx: Ctx, pre: Stmt[]): { val: Expr; dot: Expr } {
  switch (e.k) {
    case 'var':
      return { val: e, dot: ctx.active.has(e.name) ? b.v(dot(e.name)) : b.ZERO };
    case 'idx':
      return { val: primalExpr(e), dot: ctx.active.has(e.arr) ? b.idx(dot(e.arr), primalExpr(e.i)) : b.ZERO };
    case 'op': {
      const rule = ruleFor(e.op);
      const parts = e.args.map((a) => tangent(a, ctx, pre));
      const val: Expr = { k: 'op', op: e.op, args: parts.map((p) => p.val) };
      if (!rule || rule.zero || parts.every((p) => b.isZero(p.dot))) return { val: primalExpr(val), dot: b.ZERO };
      // name the operands and the result the rule reads, so they are computed once
      const uses = usesOf(rule, e.args.length, parts.map((p) => !b.isZero(p.dot)));
      const x = parts.map((p, i) => (uses.x[i] && !isAtom(p.val) ? temp(p.val, ctx, pre) : p.val));
      let y: Expr = { k: 'op', op: e.op, args: x };
      if (uses.y) y = temp(y, ctx, pre);
      // a guarded partial (`ẋ === 0 ? 0 : ẋ / (2 * y)`) reads its tangent twice
      const dx = parts.map((p) => (rule.singular?.(x) && !isAtom(p.dot) && !b.isZero(p.dot) ? temp(p.dot, ctx, pre) : p.dot));
      return { val: y, dot: rule.jvp({ x, dx, y }) };
    }
    default:
      // numbers, lengths, stopGradient(…), Math constants: constants to the differentiator
      return { val: primalExpr(e), dot: b.ZERO };
  }
}

function temp(value: Expr, ctx: Ctx, pre: Stmt[]): Expr {
  const name = ctx.namer.fresh('_t');
  pre.push(b.decl(name, 'number', primalExpr(value), false));
  return b.v(name);
}

/** `name = e`, printed as `name += rest` when e is `name + rest`. */
function assignSmart(name: string, e: Expr): Stmt {
  if (e.k === 'op' && (e.op === '+' || e.op === '-') && e.args[0]!.k === 'var' && e.args[0]!.name === name) {
    return b.assign(name, e.args[1]!, e.op === '+' ? '+=' : '-=');
  }
  return b.assign(name, e);
}

function storeSmart(arr: string, i: Expr, e: Expr): Stmt {
  if (e.k === 'op' && (e.op === '+' || e.op === '-') && e.args[0]!.k === 'idx' && e.args[0]!.arr === arr && b.sameExpr(e.args[0]!.i, i)) {
    return b.store(arr, i, e.args[1]!, e.op === '+' ? '+=' : '-=');
  }
  return b.store(arr, i, e);
}

/** The calls forward-mode code of `fn` makes through kernels, with their tangent masks. */
export function kernelCalls(fn: FunctionIR, act: Activity): { callee: string; mask: boolean[] }[] {
  const out: { callee: string; mask: boolean[] }[] = [];
  visitStmts(fn.body, (s) => {
    const call = callIn(s);
    if (!call) return;
    const mask = tangentMask(call.args, fn, act.active);
    if (mask.some((m) => m)) out.push({ callee: call.fn, mask });
  });
  return out;
}

/** Whether a call hands over an array that carries a tangent (the callee may write into it). */
function passesActiveArray(e: Extract<Expr, { k: 'call' }>, ctx: Ctx): boolean {
  return e.args.some((a) => a.k === 'var' && ctx.active.has(a.name) && isArrayType(ctx.fn.locals.get(a.name) ?? 'number'));
}

/**
 * The zero tangent of an inactive array argument. A parameter's is allocated once, at the top of
 * the function (its length does not change), not at every call in a loop; the kernel only reads
 * it (an array the callee writes with active values is active here).
 */
function zeroTangent(name: string, ctx: Ctx): Expr {
  const alloc: Expr = { k: 'alloc', ctor: 'Float64Array', len: b.len(name) };
  if (!ctx.fn.params.some((p) => p.name === name)) return alloc;
  let zeros = ctx.zeros.get(name);
  if (!zeros) ctx.zeros.set(name, (zeros = ctx.namer.fresh(`_${name.replace(/^_+/, '')}Zeros`)));
  return b.v(zeros);
}

/** Declarations of the zero tangents zeroTangent handed out. */
const zeroDecls = (ctx: Ctx): Stmt[] => [...ctx.zeros].map(([name, zeros]) => b.decl(zeros, 'Float64Array', { k: 'alloc', ctor: 'Float64Array', len: b.len(name) }, false));

/** Forward-mode call `g(args)`: the kernel computes value and tangent together. */
function callTangent(e: Extract<Expr, { k: 'call' }>, ctx: Ctx, pre: Stmt[]): { val: Expr; dotExpr: Expr } | null {
  const anyActive = e.args.some((a) => (a.k === 'var' && ctx.active.has(a.name)) || !b.isZero(tangent(a, ctx, []).dot));
  if (!anyActive) return null;
  const args: Expr[] = [];
  for (const a of e.args) {
    const isArr = a.k === 'var' && isArrayType(ctx.fn.locals.get(a.name) ?? 'number');
    args.push(primalExpr(a));
    if (isArr) {
      const name = (a as { name: string }).name;
      args.push(ctx.active.has(name) ? b.v(dot(name)) : zeroTangent(name, ctx));
    } else if (!isBooleanExpr(a, ctx.fn)) {
      const t = tangent(a, ctx, pre);
      args.push(t.dot);
    }
  }
  const kernel = ctx.kernelFor(e.fn, tangentMask(e.args, ctx.fn, ctx.active));
  return { val: b.xcall(kernel, ...args), dotExpr: b.ext(`${names.jvpKernelDot(e.fn)}[0]`) };
}

function statements(stmts: Stmt[], ctx: Ctx): Stmt[] {
  const out: Stmt[] = [];
  for (const s of stmts) out.push(...statement(s, ctx));
  return out;
}

function statement(s: Stmt, ctx: Ctx): Stmt[] {
  const out: Stmt[] = [];
  const note = provenance(ctx.fn, s);
  if (note) out.push(note);
  switch (s.k) {
    case 'decl': {
      if (s.init?.k === 'alloc') {
        out.push(b.decl(s.name, s.type, primalExpr(s.init), false));
        if (ctx.active.has(s.name)) out.push(b.decl(dot(s.name), 'Float64Array', { k: 'alloc', ctor: 'Float64Array', len: primalExpr(s.init.len) }, false));
        return out;
      }
      if (s.init?.k === 'call') {
        // the forward kernel for a result that carries a derivative, or for a call that may write
        // into an array that does (its tangent must follow the write)
        const pre: Stmt[] = [];
        const c = ctx.active.has(s.name) || passesActiveArray(s.init, ctx) ? callTangent(s.init, ctx, pre) : null;
        if (c) {
          out.push(...pre, b.decl(s.name, s.type, c.val, s.mutable));
          if (ctx.active.has(s.name)) out.push(b.decl(dot(s.name), 'number', c.dotExpr, true));
          return out;
        }
        out.push(b.decl(s.name, s.type, primalExpr(s.init), s.mutable));
        if (ctx.active.has(s.name)) out.push(b.decl(dot(s.name), 'number', b.ZERO, true));
        return out;
      }
      if (!ctx.active.has(s.name) || !s.init) {
        out.push({ ...s, init: s.init && primalExpr(s.init) });
        if (ctx.active.has(s.name)) out.push(b.decl(dot(s.name), 'number', b.ZERO, true));
        return out;
      }
      const pre: Stmt[] = [];
      const t = tangent(s.init, ctx, pre);
      // the tangent can be mutable even when the value is const (a loop may reassign it)
      out.push(...pre, b.decl(s.name, s.type, t.val, s.mutable), b.decl(dot(s.name), 'number', t.dot, true));
      return out;
    }
    case 'assign': {
      if (s.e.k === 'call') {
        const pre: Stmt[] = [];
        const c = ctx.active.has(s.name) || passesActiveArray(s.e, ctx) ? callTangent(s.e, ctx, pre) : null;
        out.push(...pre, b.assign(s.name, c ? c.val : primalExpr(s.e)));
        if (ctx.active.has(s.name)) out.push(b.assign(dot(s.name), c ? c.dotExpr : b.ZERO));
        return out;
      }
      if (!ctx.active.has(s.name)) {
        out.push(assignSmart(s.name, primalExpr(s.e)));
        return out;
      }
      const pre: Stmt[] = [];
      const t = tangent(s.e, ctx, pre);
      // tangent first: it reads the old value of the variable
      out.push(...pre, assignSmart(dot(s.name), t.dot), assignSmart(s.name, t.val));
      return out;
    }
    case 'store': {
      if (!ctx.active.has(s.arr)) {
        out.push(storeSmart(s.arr, primalExpr(s.i), primalExpr(s.e)));
        return out;
      }
      const pre: Stmt[] = [];
      const t = tangent(s.e, ctx, pre);
      const i = primalExpr(s.i);
      const check = indexCheck(ctx.fn, s, i);
      out.push(...(check ? [check] : []), ...pre, storeSmart(dot(s.arr), i, t.dot), storeSmart(s.arr, i, t.val));
      return out;
    }
    case 'expr': {
      if (s.e.k === 'call') {
        const pre: Stmt[] = [];
        const c = callTangent(s.e, ctx, pre);
        out.push(...pre, b.exprStmt(c ? c.val : primalExpr(s.e)));
      }
      return out;
    }
    case 'if':
      out.push({ k: 'if', c: primalExpr(s.c), then: statements(s.then, ctx), else: statements(s.else, ctx) });
      return out;
    case 'loop':
      out.push({
        k: 'loop',
        init: statements(s.init, ctx).filter((x) => x.k !== 'comment'),
        test: s.test && primalExpr(s.test),
        update: statements(s.update, ctx).filter((x) => x.k !== 'comment'),
        body: statements(s.body, ctx),
        doWhile: s.doWhile,
      });
      return out;
    case 'break':
    case 'continue':
      out.push({ k: s.k });
      return out;
    case 'return': {
      if (!s.e) {
        out.push(...ctx.onReturn(null, null));
        return out;
      }
      if (s.e.k === 'arr') {
        const pre: Stmt[] = [];
        const parts = s.e.elems.map((x) => tangent(x, ctx, pre));
        out.push(...pre, ...ctx.onReturn(null, null, { value: parts.map((p) => p.val), tangent: parts.map((p) => p.dot) }));
        return out;
      }
      if (s.e.k === 'var' && isArrayType(ctx.fn.locals.get(s.e.name) ?? 'number')) {
        const name = s.e.name;
        out.push(...ctx.onReturn(b.v(name), ctx.active.has(name) ? b.v(dot(name)) : { k: 'alloc', ctor: 'Float64Array', len: b.len(name) }));
        return out;
      }
      const pre: Stmt[] = [];
      const t = tangent(s.e, ctx, pre);
      out.push(...pre, ...ctx.onReturn(t.val, t.dot));
      return out;
    }
    default:
      return out;
  }
}

/** Parameters of a forward kernel: each numeric parameter followed by its tangent. */
export function kernelParams(params: Param[]): { name: string; type: string }[] {
  const out: { name: string; type: string }[] = [];
  for (const p of params) {
    out.push({ name: p.name, type: paramType(p) });
    if (p.type !== 'boolean') out.push({ name: dot(p.name), type: p.type === 'number' ? 'number' : 'Float64Array' });
  }
  return out;
}

/** The public `fJvp(…params, tangent)`. */
export function forwardPublic(fn: FunctionIR, act: Activity, namer: Namer, kernelFor: KernelFor = names.jvpKernel): TargetFunction {
  const activeParams = fn.params.filter((p) => p.active);
  const outParam = fn.params.find((p) => p.out);
  const prologue: Stmt[] = [];
  // The caller's tangents themselves where nothing can change them: the function writes none of
  // its array parameters (no store, no call they are passed to). A tangent object may also be
  // one of the inputs (`fJvp(x, w, { x: w })`), so a write into any parameter rules it out.
  const written = writtenIn(fn.body);
  const tangentsUntouched = fn.params.every((q) => !isArrayType(q.type) || (!written.has(q.name) && !someExpr(fn.body, (e) => e.k === 'call' && e.args.some((a) => a.k === 'var' && a.name === q.name))));
  for (const p of activeParams) {
    const given = b.ext(`${extraParam(fn, 'tangent')}.${apiName(p)}`);
    if (p.type === 'number') prologue.push(b.decl(dot(p.name), 'number', { k: 'op', op: '??', args: [given, b.ZERO] }, true));
    else {
      const args = [given, b.len(p.name), b.ext(`'${apiName(p)}'`), ...(tangentsUntouched ? [{ k: 'bool' as const, v: true }] : [])];
      prologue.push(b.decl(dot(p.name), 'Float64Array', b.xcall('_tangentArray', ...args), false));
    }
  }
  // arrays written by the function (and the @out array) carry tangents too, and so does a
  // parameter outside @wrt that the function reassigns with an active value (`y = y * x`)
  for (const p of fn.params) {
    if (p.active || !act.active.has(p.name)) continue;
    if (isArrayType(p.type)) prologue.push(b.decl(dot(p.name), 'Float64Array', { k: 'alloc', ctor: 'Float64Array', len: b.len(p.name) }, false));
    else if (p.type === 'number') prologue.push(b.decl(dot(p.name), 'number', b.ZERO, true));
  }
  const ctx: Ctx = {
    fn,
    active: act.active,
    namer,
    kernelFor,
    zeros: new Map(),
    onReturn: (value, tan, arrays) => {
      if (arrays) {
        // `return [a, b]`: a tuple, or a fresh array of the declared type when the result is an array
        const pack = (elems: Expr[], t: ArrayResultType): Expr => (fn.returns.kind === 'array' ? arrayOf(t, elems) : { k: 'arr', elems });
        return [{ k: 'return', e: { k: 'obj', props: [['value', pack(arrays.value, resultArrayType(fn))], ['tangent', pack(arrays.tangent, tangentArrayType(fn))]] } }];
      }
      if (outParam) {
        const tt = tangentArrayType(fn);
        const tangent: Expr = act.active.has(outParam.name) ? b.v(dot(outParam.name)) : { k: 'alloc', ctor: 'Float64Array', len: b.len(outParam.name) };
        const t = tt === 'Float64Array' ? tangent : arrayCopy(tt, tangent);
        return [{ k: 'return', e: { k: 'obj', props: [['value', arrayCopy(resultArrayType(fn), b.v(outParam.name))], ['tangent', t]] } }];
      }
      if (fn.returns.kind === 'array') {
        return [{ k: 'return', e: { k: 'obj', props: [['value', arrayCopy(resultArrayType(fn), value!)], ['tangent', arrayCopy(tangentArrayType(fn), tan!)]] } }];
      }
      return [{ k: 'return', e: { k: 'obj', props: [['value', value!], ['tangent', tan!]] } }];
    },
  };
  const main = statements(fn.body, ctx);
  const body = [...prologue, ...zeroDecls(ctx), ...main];
  if (fn.returns.kind === 'void') body.push(...ctx.onReturn(null, null));
  const tangentType = tangentArgTypeText(fn);
  const r = returnTypeText(fn);
  return {
    name: names.jvp(fn.name),
    exported: true,
    doc: `Forward mode (Jacobian–vector product) of \`${fn.name}\` (${fn.fileBase}:${fn.line}): the value and its directional derivative along \`tangent\`; a missing tangent is zero.`,
    params: [...userParams(fn), { name: extraParam(fn, 'tangent'), type: tangentType }],
    returnType: `{ value: ${r}; tangent: ${fn.returns.kind === 'number' || fn.returns.kind === 'tuple' ? r : tangentArrayType(fn)} }`,
    body,
  };
}

/**
 * The kernel `_fJvp(p, p_dot, …)` that derivative code of callers invokes; with `name`, a copy
 * specialised to the parameters active in `act` (the others' tangents are taken and ignored).
 */
export function forwardKernel(fn: FunctionIR, act: Activity, namer: Namer, kernelFor: KernelFor = names.jvpKernel, name = names.jvpKernel(fn.name)): TargetFunction {
  const ctx: Ctx = {
    fn,
    active: act.active,
    namer,
    kernelFor,
    zeros: new Map(),
    onReturn: (value, tan) => {
      if (fn.returns.kind !== 'number') return [{ k: 'return', e: null }];
      // a slot in a Float64Array: a module-level `let` number is boxed anew on every store
      return [{ k: 'store', arr: names.jvpKernelDot(fn.name), i: b.ZERO, e: tan!, op: '=' }, { k: 'return', e: value! }];
    },
  };
  const specialised = name !== names.jvpKernel(fn.name);
  const main = statements(fn.body, ctx);
  return {
    name,
    exported: true,
    doc: `Forward-mode kernel of \`${fn.name}\` for derivative code that calls it${specialised ? `, for tangents of ${fn.params.filter((p) => act.active.has(p.name)).map((p) => `\`${p.name}\``).join(', ')} only` : ''}.`,
    params: kernelParams(fn.params),
    returnType: fn.returns.kind === 'number' ? 'number' : 'void',
    body: [...zeroDecls(ctx), ...main],
  };
}
