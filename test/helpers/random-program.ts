/**
 * fast-check generator of random programs in adgen's differentiable language (SPEC §1), for
 * test/random-programs.test.ts.
 *
 * A program is plain data (`FileAst`) so that fast-check can shrink it: statements and
 * expressions refer to variables by number (`{ k: 'var', i: 5 }`), and the renderer resolves a
 * number against the variables in scope at that point (modulo their count). Removing a
 * declaration while shrinking therefore never produces an invalid program, only another one.
 *
 * Inputs stay in the domain of every Math function by construction: logarithms and square roots
 * take `1 + e ** 2` or `2 + Math.sin(e)`, `exp` takes `Math.sin(e)`, divisions divide by
 * `1.5 + Math.cos(e)`, and so on. Array indices are `i`, `(i + c) % n`, `n - 1 - i` or `c % n`
 * for a loop index i over the common array length n, so every access is in bounds.
 */
import fc from 'fast-check';

export type Cmp = '<' | '>' | '<=' | '>=';

export type Index = { k: 'loop'; form: 'i' | 'shift' | 'rev'; c: number } | { k: 'const'; c: number };

export type Expr =
  | { k: 'var'; i: number }
  | { k: 'num'; v: number }
  | { k: 'mconst'; c: 'PI' | 'E' }
  | { k: 'read'; a: number; ix: Index }
  | { k: 'int'; i: number }
  | { k: 'un'; f: Unary; a: Expr }
  | { k: 'bin'; op: Binary; a: Expr; b: Expr }
  | { k: 'cond'; c: Cond; a: Expr; b: Expr }
  | { k: 'call'; h: number; a: Expr; b: Expr }
  | { k: 'acall'; h: number; arr: number; a: Expr };

export type Cond =
  { k: 'cmp'; op: Cmp; l: Expr; r: Expr } | { k: 'and' | 'or'; a: Cond; b: Cond } | { k: 'not'; a: Cond };

export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=';

export type Stmt =
  | { k: 'let'; konst: boolean; e: Expr }
  | { k: 'assign'; v: number; op: AssignOp; e: Expr }
  | { k: 'newarr' }
  | { k: 'awrite'; a: number; ix: Index; op: '=' | '+=' | '-=' | '*='; e: Expr }
  | { k: 'if'; c: Cond; then: Stmt[]; else: Stmt[] }
  | {
      k: 'loop';
      variant: 'for' | 'while' | 'do';
      bound: 'L' | 'K' | '3';
      guard: null | { c: Cond; brk: boolean; atEnd: boolean };
      body: Stmt[];
    }
  | { k: 'ret'; c: Cond; e: Expr }
  | { k: 'callout'; h: number; src: number; dst: number; e: Expr }
  /**
   * A loop with a scratch array it rewrites completely at the start of every iteration, then
   * uses, then sums into a new accumulator (the shape of ADBench's GMM): exercises privatisation,
   * snapshots and scratch-array expansion in reverse mode.
   */
  | { k: 'scratch'; bound: 'L' | 'K' | '3'; fill: Expr; body: Stmt[]; acc: Expr; second: Expr | null };

export interface FnAst {
  /** index into TEMPLATES (signature and return shape) */
  t: number;
  /** `export function f(…)` or `export const f = (…) => {…}` (SPEC §1 stretch goal) */
  arrow: boolean;
  /** a `@check` tag: array length (all arrays alike) and/or a positive range for `a` */
  check: { size: number | null; positive: boolean } | null;
  body: Stmt[];
  ret: Expr;
  ret2: Expr;
}

export interface HelperAst {
  kind: 'scalar' | 'array' | 'out';
  tagged: boolean;
  /** `function h(…) {…}`, `const h = (…) => {…}` or `const h = function (…) {…}` */
  style: 'function' | 'arrow' | 'expression';
  body: Stmt[];
  ret: Expr;
  /**
   * An array helper that also updates `z[0]` from its result (read-modify-write, like a helper
   * that keeps a running state in the caller's array): calls to it in expressions then carry
   * values between statements and loop iterations through the array.
   */
  writes: boolean;
}

export interface FileAst {
  helpers: HelperAst[];
  fns: FnAst[];
  /** put the helpers into a second file, lib.ts, that program.ts imports */
  split: boolean;
}

export const UNARY = [
  'sin',
  'cos',
  'tanh',
  'atan',
  'asinh',
  'exp',
  'log',
  'sqrt',
  'log1p',
  'log2',
  'log10',
  'asin',
  'acos',
  'atanh',
  'acosh',
  'cbrt',
  'sinh',
  'cosh',
  'tan',
  'expm1',
  'abs',
  'sq',
  'cube',
  'neg',
  'floor',
  'round',
  'sign',
  'trunc',
  'ceil',
  'pos',
] as const;
export type Unary = (typeof UNARY)[number];

export const BINARY = [
  '+',
  '-',
  '*',
  '+',
  '-',
  '*',
  'div',
  'div2',
  'max',
  'min',
  'hypot',
  'atan2',
  'pow',
  'mod',
] as const;
export type Binary = (typeof BINARY)[number];

/** How Math functions are kept in their domain: `#` is the (parenthesised) argument. */
const UNARY_FORMS: Record<Unary, string> = {
  sin: 'Math.sin(#)',
  cos: 'Math.cos(#)',
  tanh: 'Math.tanh(#)',
  atan: 'Math.atan(#)',
  asinh: 'Math.asinh(#)',
  exp: 'Math.exp(Math.sin(#))',
  log: 'Math.log(1 + # ** 2)',
  sqrt: 'Math.sqrt(2 + Math.sin(#))',
  log1p: 'Math.log1p(# ** 2)',
  log2: 'Math.log2(1.5 + Math.cos(#))',
  log10: 'Math.log10(2 + # ** 2)',
  asin: 'Math.asin(0.9 * Math.tanh(#))',
  acos: 'Math.acos(0.9 * Math.sin(#))',
  atanh: 'Math.atanh(0.9 * Math.tanh(#))',
  acosh: 'Math.acosh(1.5 + # ** 2)',
  cbrt: 'Math.cbrt(2 + Math.cos(#))',
  sinh: 'Math.sinh(Math.sin(#))',
  cosh: 'Math.cosh(Math.tanh(#))',
  tan: 'Math.tan(Math.sin(#))',
  expm1: 'Math.expm1(Math.cos(#))',
  abs: 'Math.abs(#)',
  sq: '# ** 2',
  cube: 'Math.pow(#, 3)',
  neg: '-#',
  floor: 'Math.floor(#)',
  round: 'Math.round(#)',
  sign: 'Math.sign(#)',
  trunc: 'Math.trunc(#)',
  ceil: 'Math.ceil(#)',
  pos: '+#',
};

const BINARY_FORMS: Record<Binary, string> = {
  '+': '# + @',
  '-': '# - @',
  '*': '# * @',
  div: '# / (1.5 + Math.cos(@))',
  div2: '# / (1 + @ ** 2)',
  max: 'Math.max(#, @)',
  min: 'Math.min(#, @)',
  hypot: 'Math.hypot(#, @, 0.5)',
  atan2: 'Math.atan2(#, 1.5 + Math.cos(@))',
  pow: 'Math.pow(1.5 + Math.sin(#), @)',
  mod: '# % 1.7',
};

/** Signatures: names of the scalar / array / int parameters and the return shape. */
export interface Template {
  params: string;
  scalars: string[];
  arrays: { name: string; f64: boolean; writable: boolean }[];
  /** the common array length, as an expression */
  L: string;
  /** an inactive integer parameter (excluded by @wrt) used as a trip count */
  K: string | null;
  ret: 'number' | 'vector' | 'tuple' | 'void';
  tags: string[];
}

export const TEMPLATES: Template[] = [
  {
    params: 'a: number, b: number, c: number',
    scalars: ['a', 'b', 'c'],
    arrays: [],
    L: '4',
    K: null,
    ret: 'number',
    tags: [],
  },
  {
    params: 'a: number, x: Float64Array',
    scalars: ['a'],
    arrays: [{ name: 'x', f64: true, writable: false }],
    L: 'x.length',
    K: null,
    ret: 'number',
    tags: [],
  },
  {
    params: 'a: number, x: Float64Array, y: number[]',
    scalars: ['a'],
    arrays: [
      { name: 'x', f64: true, writable: false },
      { name: 'y', f64: false, writable: false },
    ],
    L: 'x.length',
    K: null,
    ret: 'number',
    tags: [],
  },
  {
    params: 'a: number, b: number, x: Float64Array, k: number',
    scalars: ['a', 'b'],
    arrays: [{ name: 'x', f64: true, writable: false }],
    L: 'x.length',
    K: 'k',
    ret: 'number',
    tags: ['@wrt a, b, x'],
  },
  {
    params: 'a: number, x: Float64Array',
    scalars: ['a'],
    arrays: [{ name: 'x', f64: true, writable: false }],
    L: 'x.length',
    K: null,
    ret: 'vector',
    tags: [],
  },
  {
    params: 'a: number, b: number',
    scalars: ['a', 'b'],
    arrays: [],
    L: '4',
    K: null,
    ret: 'tuple',
    tags: [],
  },
  {
    params: 'a: number, x: Float64Array, out: Float64Array',
    scalars: ['a'],
    arrays: [{ name: 'x', f64: true, writable: false }],
    L: 'x.length',
    K: null,
    ret: 'void',
    tags: ['@out out'],
  },
  {
    params: 'a: number, x: Float32Array',
    scalars: ['a'],
    arrays: [{ name: 'x', f64: false, writable: false }],
    L: 'x.length',
    K: null,
    ret: 'number',
    tags: [],
  },
];

// ---------------------------------------------------------------------------------------------
// Arbitraries

const indexArb: fc.Arbitrary<Index> = fc.oneof(
  fc.record({
    k: fc.constant('loop' as const),
    form: fc.constantFrom('i' as const, 'shift' as const, 'rev' as const),
    c: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ k: fc.constant('const' as const), c: fc.nat(6) }),
);

const leafArb: fc.Arbitrary<Expr> = fc.oneof(
  fc.record({ k: fc.constant('var' as const), i: fc.nat(9) }),
  fc.record({
    k: fc.constant('num' as const),
    v: fc.constantFrom(0.5, 2, 1.5, 3, 0.25, -0.75, 1),
  }),
  fc.record({ k: fc.constant('read' as const), a: fc.nat(9), ix: indexArb }),
  fc.record({ k: fc.constant('var' as const), i: fc.nat(9) }),
  fc.record({ k: fc.constant('read' as const), a: fc.nat(9), ix: indexArb }),
  fc.record({ k: fc.constant('int' as const), i: fc.nat(9) }),
  fc.record({
    k: fc.constant('mconst' as const),
    c: fc.constantFrom('PI' as const, 'E' as const),
  }),
);

const cmpArb = fc.constantFrom<Cmp>('<', '>', '<=', '>=');

/** How deep expressions and statements nest (the defaults keep compile time per file low). */
export interface Depth {
  expr: number;
  stmt: number;
  /** most statements in a function body */
  body: number;
}
export const DEFAULT_DEPTH: Depth = { expr: 3, stmt: 2, body: 6 };

function makeArbs(depth: Depth) {
  const arbs = fc.letrec<{ expr: Expr; cond: Cond; stmt: Stmt; block: Stmt[] }>((tie) => ({
    expr: fc.oneof(
      {
        depthIdentifier: 'expr',
        maxDepth: depth.expr,
        depthSize: 'small',
        withCrossShrink: true,
      },
      leafArb,
      fc.record({
        k: fc.constant('un' as const),
        f: fc.constantFrom(...UNARY),
        a: tie('expr'),
      }),
      fc.record({
        k: fc.constant('bin' as const),
        op: fc.constantFrom(...BINARY),
        a: tie('expr'),
        b: tie('expr'),
      }),
      fc.record({
        k: fc.constant('bin' as const),
        op: fc.constantFrom(...BINARY),
        a: tie('expr'),
        b: tie('expr'),
      }),
      fc.record({
        k: fc.constant('cond' as const),
        c: tie('cond'),
        a: tie('expr'),
        b: tie('expr'),
      }),
      fc.record({
        k: fc.constant('call' as const),
        h: fc.nat(3),
        a: tie('expr'),
        b: tie('expr'),
      }),
      fc.record({
        k: fc.constant('acall' as const),
        h: fc.nat(3),
        arr: fc.nat(9),
        a: tie('expr'),
      }),
    ),
    cond: fc.oneof(
      { depthIdentifier: 'cond', maxDepth: 1, withCrossShrink: true },
      fc.record({
        k: fc.constant('cmp' as const),
        op: cmpArb,
        l: tie('expr'),
        r: tie('expr'),
      }),
      fc.record({
        k: fc.constantFrom('and' as const, 'or' as const),
        a: tie('cond'),
        b: tie('cond'),
      }),
      fc.record({ k: fc.constant('not' as const), a: tie('cond') }),
    ),
    stmt: fc.oneof(
      {
        depthIdentifier: 'stmt',
        maxDepth: depth.stmt,
        depthSize: 'small',
        withCrossShrink: true,
      },
      fc.record({
        k: fc.constant('let' as const),
        konst: fc.boolean(),
        e: tie('expr'),
      }),
      fc.record({
        k: fc.constant('assign' as const),
        v: fc.nat(9),
        op: fc.constantFrom<AssignOp>('=', '+=', '-=', '*=', '/='),
        e: tie('expr'),
      }),
      fc.record({ k: fc.constant('newarr' as const) }),
      fc.record({
        k: fc.constant('awrite' as const),
        a: fc.nat(9),
        ix: indexArb,
        op: fc.constantFrom('=' as const, '+=' as const, '-=' as const, '*=' as const),
        e: tie('expr'),
      }),
      fc.record({
        k: fc.constant('if' as const),
        c: tie('cond'),
        then: tie('block'),
        else: tie('block'),
      }),
      fc.record({
        k: fc.constant('loop' as const),
        variant: fc.constantFrom('for' as const, 'for' as const, 'while' as const, 'do' as const),
        bound: fc.constantFrom('L' as const, 'L' as const, 'K' as const, '3' as const),
        guard: fc.option(
          fc.record({
            c: tie('cond'),
            brk: fc.boolean(),
            atEnd: fc.boolean(),
          }),
          { freq: 3 },
        ),
        body: tie('block'),
      }),
      fc.record({
        k: fc.constant('loop' as const),
        variant: fc.constant('for' as const),
        bound: fc.constant('L' as const),
        guard: fc.constant(null),
        body: tie('block'),
      }),
      fc.record({
        k: fc.constant('ret' as const),
        c: tie('cond'),
        e: tie('expr'),
      }),
      fc.record({
        k: fc.constant('scratch' as const),
        bound: fc.constantFrom('L' as const, 'K' as const, '3' as const),
        fill: tie('expr'),
        body: tie('block'),
        acc: tie('expr'),
        // a second sum: the loop is then not fused but snapshot or recomputed
        second: fc.option(tie('expr')),
      }),
      fc.record({
        k: fc.constant('callout' as const),
        h: fc.nat(3),
        src: fc.nat(9),
        dst: fc.nat(9),
        e: tie('expr'),
      }),
    ),
    block: fc.array(tie('stmt'), { maxLength: 4, depthIdentifier: 'stmt' }),
  }));

  const fn: fc.Arbitrary<FnAst> = fc.record({
    t: fc.nat(TEMPLATES.length - 1),
    arrow: fc.boolean(),
    check: fc.option(
      fc.record({
        size: fc.option(fc.integer({ min: 1, max: 9 }), { freq: 2 }),
        positive: fc.boolean(),
      }),
      { freq: 3 },
    ),
    body: fc.array(arbs.stmt, { maxLength: depth.body }),
    ret: arbs.expr,
    ret2: arbs.expr,
  });

  const helper: fc.Arbitrary<HelperAst> = fc.record({
    kind: fc.constantFrom('scalar' as const, 'array' as const, 'out' as const),
    tagged: fc.boolean(),
    style: fc.constantFrom('function' as const, 'function' as const, 'arrow' as const, 'expression' as const),
    body: fc.array(arbs.stmt, { maxLength: Math.ceil(depth.body / 2) }),
    ret: arbs.expr,
    writes: fc.boolean(),
  });
  return { ...arbs, fn, helper };
}

/** A file: a few helpers and up to `maxFns` differentiable functions. */
export function fileArb(maxFns: number, depth: Depth = DEFAULT_DEPTH): fc.Arbitrary<FileAst> {
  const arbs = makeArbs(depth);
  return fc.record({
    helpers: fc.array(arbs.helper, { maxLength: 4 }),
    fns: fc.array(arbs.fn, { minLength: 1, maxLength: maxFns, size: 'max' }),
    split: fc.boolean(),
  });
}

// ---------------------------------------------------------------------------------------------
// Rendering

interface ScalarVar {
  name: string;
  mutable: boolean;
}
interface ArrayVar {
  name: string;
  f64: boolean;
  writable: boolean;
}
interface Loop {
  idx: string;
  bound: 'L' | 'K' | '3';
}

/** Helpers of the file by kind, as callable names. */
interface HelperNames {
  scalar: string[];
  array: string[];
  out: string[];
  /** array helpers that also write into their array (see HelperAst.writes) */
  writing: string[];
}

/** The rendering state of one function: what is in scope, and name counters. */
class Ctx {
  scalars: ScalarVar[] = [];
  arrays: ArrayVar[] = [];
  ints: string[] = [];
  loops: Loop[] = [];
  /** > 0 while rendering a condition or an arm of `?:`: code that may not run on every path */
  choice = 0;
  /** whether the code rendered so far calls a helper that writes into its array */
  callsWriting = false;
  private counters = new Map<string, number>();

  constructor(
    readonly L: string,
    readonly K: string | null,
    readonly ret: Template['ret'],
    readonly helpers: HelperNames,
    /** result array of a vector function, or the @out array */
    readonly result: string | null,
  ) {}

  fresh(base: string): string {
    const n = this.counters.get(base) ?? 0;
    this.counters.set(base, n + 1);
    return `${base}${n}`;
  }

  /**
   * Runs `f` in a nested block scope. Names the block declares are free again after it, so
   * sibling blocks declare the same names (`const t3` in two loops), as people write code.
   */
  block<T>(f: () => T): T {
    const saved = [this.scalars.length, this.arrays.length, this.ints.length, this.loops.length] as const;
    const counters = new Map(this.counters);
    try {
      return f();
    } finally {
      this.scalars.length = saved[0];
      this.arrays.length = saved[1];
      this.ints.length = saved[2];
      this.loops.length = saved[3];
      this.counters = counters;
    }
  }

  boundText(b: Loop['bound']): string {
    return b === 'L' ? this.L : b === 'K' ? (this.K ?? '3') : '3';
  }
}

const pick = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);

function renderIndex(ix: Index, ctx: Ctx): string {
  const L = ctx.L;
  const wrap = (e: string): string => `(${e}) % ${L}`;
  if (ix.k === 'loop') {
    // the innermost loop over the array length gives in-bounds `i`, otherwise wrap modulo n
    const overL = [...ctx.loops].reverse().find((l) => l.bound === 'L');
    if (overL) {
      if (ix.form === 'i') return overL.idx;
      if (ix.form === 'rev') return `${L} - 1 - ${overL.idx}`;
      return wrap(`${overL.idx} + ${ix.c}`);
    }
    const any = ctx.loops[ctx.loops.length - 1];
    if (any) return wrap(`${any.idx} + ${ix.c}`);
  }
  return wrap(String(ix.c));
}

function renderExpr(e: Expr, ctx: Ctx): string {
  switch (e.k) {
    case 'var':
      return pick(ctx.scalars, e.i)?.name ?? '1';
    case 'num':
      return e.v < 0 ? `(${e.v})` : String(e.v);
    case 'mconst':
      return `Math.${e.c}`;
    case 'int':
      return pick(ctx.ints, e.i) ?? '2';
    case 'read': {
      const arr = pick(ctx.arrays, e.a);
      return arr ? `${arr.name}[${renderIndex(e.ix, ctx)}]` : (pick(ctx.scalars, e.a)?.name ?? '0.5');
    }
    case 'un':
      return `(${UNARY_FORMS[e.f].replace('#', `(${renderExpr(e.a, ctx)})`)})`;
    case 'bin': {
      const a = renderExpr(e.a, ctx);
      const b = renderExpr(e.b, ctx);
      return `(${BINARY_FORMS[e.op].replace('#', `(${a})`).replace('@', `(${b})`)})`;
    }
    case 'cond': {
      const c = renderCond(e.c, ctx);
      ctx.choice++;
      try {
        return `(${c} ? ${renderExpr(e.a, ctx)} : ${renderExpr(e.b, ctx)})`;
      } finally {
        ctx.choice--;
      }
    }
    case 'call': {
      const h = pick(ctx.helpers.scalar, e.h);
      const a = renderExpr(e.a, ctx);
      const b = renderExpr(e.b, ctx);
      return h ? `${h}(${a}, ${b})` : `(${a} + ${b})`;
    }
    case 'acall': {
      const h = pick(ctx.helpers.array, e.h);
      const arr = pick(
        ctx.arrays.filter((x) => x.f64),
        e.arr,
      );
      const a = renderExpr(e.a, ctx);
      // a helper that writes into its array runs on every path: not in a condition or a choice
      // (adgen rejects that with AD1019)
      if (h && ctx.choice > 0 && ctx.helpers.writing.includes(h)) return a;
      if (h && arr && ctx.helpers.writing.includes(h)) ctx.callsWriting = true;
      return h && arr ? `${h}(${arr.name}, ${a})` : a;
    }
  }
}

function renderCond(c: Cond, ctx: Ctx): string {
  ctx.choice++;
  try {
    return renderCondIn(c, ctx);
  } finally {
    ctx.choice--;
  }
}

function renderCondIn(c: Cond, ctx: Ctx): string {
  if (c.k === 'cmp') {
    // `a < (b > c ? …)` can parse as type arguments in TypeScript, so `<` is written flipped
    const l = renderExpr(c.l, ctx);
    const r = renderExpr(c.r, ctx);
    return c.op === '<' ? `(${r} > ${l})` : c.op === '<=' ? `(${r} >= ${l})` : `(${l} ${c.op} ${r})`;
  }
  if (c.k === 'not') return `!${renderCond(c.a, ctx)}`;
  return `(${renderCond(c.a, ctx)} ${c.k === 'and' ? '&&' : '||'} ${renderCond(c.b, ctx)})`;
}

/** The `return` statement of the function being rendered, with value expression `e`. */
function renderReturn(e: Expr, ctx: Ctx): string {
  switch (ctx.ret) {
    case 'number':
      return `return ${renderExpr(e, ctx)};`;
    case 'tuple':
      return `return [${renderExpr(e, ctx)}, ${ctx.scalars[0]?.name ?? '0'}];`;
    case 'vector':
      return `return ${ctx.result};`;
    case 'void':
      return 'return;';
  }
}

function renderStmts(stmts: readonly Stmt[], ctx: Ctx, indent: string): string[] {
  return stmts.flatMap((s) => renderStmt(s, ctx, indent));
}

function renderStmt(s: Stmt, ctx: Ctx, ind: string): string[] {
  switch (s.k) {
    case 'let': {
      const e = renderExpr(s.e, ctx);
      const name = ctx.fresh('t');
      ctx.scalars.push({ name, mutable: !s.konst });
      return [`${ind}${s.konst ? 'const' : 'let'} ${name} = ${e};`];
    }
    case 'assign': {
      const target = pick(
        ctx.scalars.filter((v) => v.mutable),
        s.v,
      );
      if (!target) return [];
      const e = renderExpr(s.e, ctx);
      const t = target.name;
      switch (s.op) {
        case '=':
        case '+=':
        case '-=':
          return [`${ind}${t} ${s.op} ${e};`];
        case '*=':
          return [`${ind}${t} *= Math.cos(${e});`];
        case '/=':
          return [`${ind}${t} /= 1.5 + Math.sin(${e});`];
      }
      return [];
    }
    case 'newarr': {
      const name = ctx.fresh('w');
      ctx.arrays.push({ name, f64: true, writable: true });
      return [`${ind}const ${name} = new Float64Array(${ctx.L});`];
    }
    case 'awrite': {
      const arr = pick(
        ctx.arrays.filter((a) => a.writable),
        s.a,
      );
      if (!arr) return [];
      const target = `${arr.name}[${renderIndex(s.ix, ctx)}]`;
      const e = renderExpr(s.e, ctx);
      return [s.op === '*=' ? `${ind}${target} *= Math.cos(${e});` : `${ind}${target} ${s.op} ${e};`];
    }
    case 'if': {
      const c = renderCond(s.c, ctx);
      const then = ctx.block(() => renderStmts(s.then, ctx, ind + '  '));
      const els = ctx.block(() => renderStmts(s.else, ctx, ind + '  '));
      if (els.length === 0) return [`${ind}if (${c}) {`, ...then, `${ind}}`];
      return [`${ind}if (${c}) {`, ...then, `${ind}} else {`, ...els, `${ind}}`];
    }
    case 'loop':
      return renderLoop(s, ctx, ind);
    case 'scratch':
      return renderScratch(s, ctx, ind);
    case 'ret':
      return [`${ind}if (${renderCond(s.c, ctx)}) {`, `${ind}  ${renderReturn(s.e, ctx)}`, `${ind}}`];
    case 'callout': {
      const h = pick(ctx.helpers.out, s.h);
      const src = pick(
        ctx.arrays.filter((a) => a.f64),
        s.src,
      );
      const dst = pick(
        ctx.arrays.filter((a) => a.f64 && a.writable),
        s.dst,
      );
      if (!h || !src || !dst || src.name === dst.name) return [];
      return [`${ind}${h}(${src.name}, ${renderExpr(s.e, ctx)}, ${dst.name});`];
    }
  }
}

function renderLoop(s: Extract<Stmt, { k: 'loop' }>, ctx: Ctx, ind: string): string[] {
  const idx = ctx.fresh('i');
  const bound = ctx.boundText(s.bound);
  const inner = ind + '  ';
  return ctx.block(() => {
    ctx.loops.push({ idx, bound: s.bound });
    ctx.ints.push(idx);
    // in while / do-while loops the increment comes last, where `continue` would skip it
    const whileLike = s.variant !== 'for';
    let guard: string[] = [];
    if (s.guard) {
      const jump = s.guard.brk || whileLike ? 'break' : 'continue';
      guard = [`${inner}if (${renderCond(s.guard.c, ctx)}) ${jump};`];
    }
    const body = ctx.block(() => renderStmts(s.body, ctx, inner));
    const content = s.guard?.atEnd ? [...body, ...guard] : [...guard, ...body];
    if (s.variant === 'for')
      return [`${ind}for (let ${idx} = 0; ${idx} < ${bound}; ${idx}++) {`, ...content, `${ind}}`];
    const incr = `${inner}${idx}++;`;
    if (s.variant === 'while')
      return [`${ind}let ${idx} = 0;`, `${ind}while (${idx} < ${bound}) {`, ...content, incr, `${ind}}`];
    return [`${ind}let ${idx} = 0;`, `${ind}do {`, ...content, incr, `${ind}} while (${idx} < ${bound});`];
  });
}

function renderScratch(s: Extract<Stmt, { k: 'scratch' }>, ctx: Ctx, ind: string): string[] {
  const scratch = ctx.fresh('w');
  const acc = ctx.fresh('t');
  const idx = ctx.fresh('i');
  const fillIdx = ctx.fresh('i');
  const inner = ind + '  ';
  const acc2 = s.second ? ctx.fresh('t') : null;
  const lines = [`${ind}const ${scratch} = new Float64Array(${ctx.L});`, `${ind}let ${acc} = 0;`, ...(acc2 ? [`${ind}let ${acc2} = 0;`] : [])];
  lines.push(
    ...ctx.block(() => {
      ctx.loops.push({ idx, bound: s.bound });
      ctx.ints.push(idx);
      // the fill loop runs over the array length, so its index is the in-bounds `i` of reads
      const fill = ctx.block(() => {
        ctx.loops.push({ idx: fillIdx, bound: 'L' });
        ctx.ints.push(fillIdx);
        return renderExpr(s.fill, ctx);
      });
      // the scratch array is in scope only inside the loop, so it stays private to it
      ctx.arrays.push({ name: scratch, f64: true, writable: true });
      const body = ctx.block(() => renderStmts(s.body, ctx, inner));
      return [
        `${ind}for (let ${idx} = 0; ${idx} < ${ctx.boundText(s.bound)}; ${idx}++) {`,
        `${inner}for (let ${fillIdx} = 0; ${fillIdx} < ${ctx.L}; ${fillIdx}++) ${scratch}[${fillIdx}] = ${fill};`,
        ...body,
        `${inner}${acc} += ${renderExpr(s.acc, ctx)};`,
        ...(acc2 && s.second ? [`${inner}${acc2} -= ${renderExpr(s.second, ctx)};`] : []),
        `${ind}}`,
      ];
    }),
  );
  ctx.scalars.push({ name: acc, mutable: true });
  if (acc2) ctx.scalars.push({ name: acc2, mutable: true });
  return lines;
}

/** `function name(params): ret {` in the given style; the closing line is `}` or `};`. */
function opening(
  style: HelperAst['style'],
  exported: boolean,
  name: string,
  params: string,
  ret: string,
): [string, string] {
  const exp = exported ? 'export ' : '';
  if (style === 'arrow') return [`${exp}const ${name} = (${params}): ${ret} => {`, '};'];
  if (style === 'expression') return [`${exp}const ${name} = function (${params}): ${ret} {`, '};'];
  return [`${exp}function ${name}(${params}): ${ret} {`, '}'];
}

function jsdoc(tags: readonly string[], extra = ''): string {
  return ['/**', ...(extra ? [` * ${extra}`] : []), ' * @differentiable', ...tags.map((t) => ` * ${t}`), ' */'].join(
    '\n',
  );
}

/** A helper's source, and whether it writes into its array argument (itself or through a call). */
function renderHelper(h: HelperAst, name: string, callable: HelperNames): { text: string; writes: boolean } {
  const doc = h.tagged ? jsdoc([]) + '\n' : '';
  if (h.kind === 'scalar') {
    const ctx = new Ctx('3', null, 'number', callable, null);
    ctx.scalars.push({ name: 'u', mutable: true }, { name: 'v', mutable: true });
    const body = renderStmts(h.body, ctx, '  ');
    const [open, close] = opening(h.style, h.tagged, name, 'u: number, v: number', 'number');
    return { text: `${doc}${open}\n${[...body, `  ${renderReturn(h.ret, ctx)}`].join('\n')}\n${close}`, writes: false };
  }
  if (h.kind === 'array') {
    const ctx = new Ctx('z.length', null, 'number', callable, null);
    ctx.scalars.push({ name: 'u', mutable: false });
    ctx.arrays.push({ name: 'z', f64: true, writable: false });
    ctx.loops.push({ idx: 'i', bound: 'L' });
    ctx.ints.push('i');
    const body = renderStmts(h.body, ctx, '    ');
    const ret = renderExpr(h.ret, ctx);
    const [open, close] = opening(h.style, h.tagged, name, 'z: Float64Array, u: number', 'number');
    const text = [
      `${doc}${open}`,
      '  let s = 0;',
      '  for (let i = 0; i < z.length; i++) {',
      ...body,
      `    s += ${ret};`,
      '  }',
      ...(h.writes ? ['  z[0] = 0.5 * z[0]! + 0.25 * Math.tanh(s);', '  return s + z[0]!;'] : ['  return s;']),
      close,
    ].join('\n');
    return { text, writes: h.writes || ctx.callsWriting };
  }
  const ctx = new Ctx('z.length', null, 'void', callable, 'out');
  ctx.scalars.push({ name: 'u', mutable: false });
  ctx.arrays.push({ name: 'z', f64: true, writable: false }, { name: 'out', f64: true, writable: true });
  ctx.loops.push({ idx: 'i', bound: 'L' });
  ctx.ints.push('i');
  const body = renderStmts(h.body, ctx, '    ');
  const ret = renderExpr(h.ret, ctx);
  const [open, close] = opening(h.style, true, name, 'z: Float64Array, u: number, out: Float64Array', 'void');
  const text = [
    jsdoc(['@out out']),
    open,
    '  for (let i = 0; i < z.length; i++) {',
    ...body,
    `    out[i] = ${ret};`,
    '  }',
    close,
  ].join('\n');
  return { text, writes: true };
}

function renderFn(f: FnAst, name: string, helpers: HelperNames): string {
  const t = TEMPLATES[f.t % TEMPLATES.length] ?? TEMPLATES[0]!;
  const result = t.ret === 'vector' ? 'r' : t.ret === 'void' ? 'out' : null;
  const ctx = new Ctx(t.L, t.K, t.ret, helpers, result);
  for (const s of t.scalars) ctx.scalars.push({ name: s, mutable: true });
  for (const a of t.arrays) ctx.arrays.push({ ...a });
  if (t.K) ctx.ints.push(t.K);
  const lines: string[] = [];
  if (result === 'r') lines.push(`  const r = new Float64Array(${t.L});`);
  if (result) ctx.arrays.push({ name: result, f64: true, writable: true });
  lines.push(...renderStmts(f.body, ctx, '  '));
  if (result) {
    // the result array gets a final contribution from every input, element by element
    const idx = ctx.fresh('i');
    ctx.block(() => {
      ctx.loops.push({ idx, bound: 'L' });
      ctx.ints.push(idx);
      lines.push(
        `  for (let ${idx} = 0; ${idx} < ${t.L}; ${idx}++) {`,
        `    ${result}[${idx}] += ${renderExpr(f.ret, ctx)};`,
        '  }',
      );
    });
    if (t.ret === 'vector') lines.push('  return r;');
  } else if (t.ret === 'tuple') {
    lines.push(`  return [${renderExpr(f.ret, ctx)}, ${renderExpr(f.ret2, ctx)}];`);
  } else {
    lines.push(`  return ${renderExpr(f.ret, ctx)};`);
  }
  const retType = {
    number: 'number',
    vector: 'Float64Array',
    tuple: '[number, number]',
    void: 'void',
  }[t.ret];
  const tags = [...t.tags];
  if (f.check) {
    // every array gets the same length: indices run over x.length
    const arrays = [...t.arrays.map((a) => a.name), ...(t.ret === 'void' ? ['out'] : [])];
    const clauses = f.check.size !== null ? arrays.map((a) => `${a}: ${f.check?.size}`) : [];
    if (f.check.positive) clauses.push('a in [0.5, 2]');
    if (clauses.length > 0) tags.push(`@check ${clauses.join(', ')}`);
  }
  const [open, close] = opening(f.arrow ? 'arrow' : 'function', true, name, t.params, retType);
  return `${jsdoc(tags)}\n${open}\n${lines.join('\n')}\n${close}`;
}

/** Renders a program as one file: helpers first (h0, hs1, hw2 …), then functions f0, f1 … */
export function renderFile(file: FileAst): string {
  const files = renderProgram({ ...file, split: false });
  return files['program.ts'];
}

/**
 * Renders a program as files. With `split`, the helpers go into lib.ts, all tagged
 * `@differentiable` and exported (an untagged helper must live in the caller's file), and
 * program.ts imports them.
 */
export function renderProgram(file: FileAst): {
  'program.ts': string;
  'lib.ts'?: string;
} {
  const split = file.split && file.helpers.length > 0;
  const names: HelperNames = { scalar: [], array: [], out: [], writing: [] };
  const header = '// Generated by test/random-programs.test.ts (fast-check).';
  const helpers: string[] = [];
  file.helpers.forEach((h, i) => {
    const name = `${{ scalar: 'h', array: 'hs', out: 'hw' }[h.kind]}${i}`;
    // a helper may call the helpers before it (no recursion)
    const callable = {
      scalar: [...names.scalar],
      array: [...names.array],
      out: [...names.out],
      writing: [...names.writing],
    };
    const rendered = renderHelper(split ? { ...h, tagged: true } : h, name, callable);
    helpers.push(rendered.text);
    names[h.kind].push(name);
    if (h.kind === 'array' && rendered.writes) names.writing.push(name);
  });
  const fns = file.fns.map((f, i) => renderFn(f, `f${i}`, names));
  if (!split) return { 'program.ts': [header, ...helpers, ...fns].join('\n\n') + '\n' };
  const imported = [...names.scalar, ...names.array, ...names.out].sort();
  return {
    'program.ts': [header, `import { ${imported.join(', ')} } from './lib.ts';`, ...fns].join('\n\n') + '\n',
    'lib.ts': [header, ...helpers].join('\n\n') + '\n',
  };
}
