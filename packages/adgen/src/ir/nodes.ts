/**
 * The adgen intermediate representation.
 *
 * One small tree language serves three purposes:
 *  - the *source IR* the front end lowers a differentiable function to (analysis input);
 *  - the *target IR* the forward and reverse transformers produce (emit input);
 *  - the kernel bodies of the GPU lowering.
 *
 * Expressions are pure. Every operator and `Math.*` function is an `op` node keyed by its source
 * spelling ('+', 'neg', 'Math.sin', '<', '&&' …); the derivative of an `op` is looked up in
 * `RULES[op]` (rules/), so transformers contain no calculus. Calls to user functions are `call`
 * nodes. Statements carry a `loc` that points back at the source line for diagnostics and for the
 * provenance comments of the generated code.
 */

/** Where a node came from: 1-based line/column and the source line text (for comments). */
export interface Loc {
  file: string;
  line: number;
  column: number;
  /** the source text of the statement, one line, for provenance comments */
  text: string;
}

/** The kind of value a variable holds. Arrays are 1-D and hold numbers. */
export type VarType = 'number' | 'boolean' | 'Float64Array' | 'Float32Array' | 'number[]';

export const isArrayType = (t: VarType): boolean => t !== 'number' && t !== 'boolean';

export type Expr =
  | { k: 'num'; v: number }
  | { k: 'bool'; v: boolean }
  | { k: 'var'; name: string }
  /** `arr[i]`; `arr` is a variable name, `i` an integer expression */
  | { k: 'idx'; arr: string; i: Expr }
  /** `arr.length` */
  | { k: 'len'; arr: string }
  /** an operator or Math function, looked up in RULES (or a comparison / logical op) */
  | { k: 'op'; op: string; args: Expr[] }
  /** a call to a user function that adgen differentiates too */
  | { k: 'call'; fn: string; args: Expr[] }
  /** `c ? a : b` (normalised away in value positions before differentiation) */
  | { k: 'cond'; c: Expr; a: Expr; b: Expr }
  /** `stopGradient(e)`: the value of e, a constant to the differentiator */
  | { k: 'stop'; e: Expr }
  /**
   * `new Float64Array(len)` and friends; `number[]` allocations use ctor 'Array'. `holes`: a
   * `new Array(len)` without a fill, whose elements read as undefined (NaN in arithmetic) until
   * written, so the generated array starts as NaN rather than zeros. `values`: a module-level
   * constant table (analyze/lower `moduleTable`), whose elements the array starts with; nothing
   * writes it, so the generated file keeps one copy at module level (optimize/tables.ts).
   */
  | { k: 'alloc'; ctor: 'Float64Array' | 'Float32Array' | 'Array'; len: Expr; holes?: true; values?: number[] }
  /** target IR only: a name of the generated code (e.g. `Math.PI`, a helper) used as a value */
  | { k: 'ext'; text: string }
  /** target IR only: object literal `{ a: e, … }` */
  | { k: 'obj'; props: [string, Expr][] }
  /** target IR only: array literal */
  | { k: 'arr'; elems: Expr[] }
  /** target IR only: call of a generated helper or method, `callee(args)` */
  | { k: 'xcall'; callee: string; args: Expr[] }
  /** target IR only: `(params) => body`, used by the Jacobian wrappers */
  | { k: 'lambda'; params: string[]; body: Expr }
  /** target IR only: `e as T` */
  | { k: 'as'; e: Expr; type: string };

export type Stmt =
  /** `let name = init` (const when !mutable) */
  | { k: 'decl'; name: string; type: VarType; init: Expr | null; mutable: boolean; loc?: Loc }
  /** `name = e`, or `name op= e` in target IR */
  | { k: 'assign'; name: string; e: Expr; op?: AssignOp; loc?: Loc }
  /**
   * `arr[i] = e`, or `arr[i] op= e` in target IR. `boundsCheck`: a `number[]` store whose index
   * may be outside the array (analyze/bounds.ts); derivative code checks it at run time.
   */
  | { k: 'store'; arr: string; i: Expr; e: Expr; op?: AssignOp; loc?: Loc; boundsCheck?: boolean }
  /** a call whose value is not used (it writes into array arguments) */
  | { k: 'expr'; e: Expr; loc?: Loc }
  | { k: 'if'; c: Expr; then: Stmt[]; else: Stmt[]; loc?: Loc }
  /**
   * Every loop. `for (init; test; update) body`, `while (test) body` (init/update empty) and
   * `do body while (test)` (doWhile). `counter` is set by the front end for canonical counting
   * loops `for (let i = a; i < b; i++)` whose body never assigns i.
   */
  | {
      k: 'loop';
      init: Stmt[];
      test: Expr | null;
      update: Stmt[];
      body: Stmt[];
      doWhile: boolean;
      counter?: { name: string; start: Expr; step: number };
      loc?: Loc;
    }
  | { k: 'break'; loc?: Loc }
  | { k: 'continue'; loc?: Loc }
  | { k: 'return'; e: Expr | null; loc?: Loc }
  /** target IR only: a comment line placed before the next statement */
  | { k: 'comment'; text: string }
  /** target IR only: a nested block `{ … }` */
  | { k: 'block'; body: Stmt[] };

export type AssignOp = '=' | '+=' | '-=' | '*=';

/** A parameter of a differentiable function. */
export interface Param {
  name: string;
  type: VarType;
  /** differentiated with respect to (default, or named by @wrt) */
  active: boolean;
  /** named by @out */
  out: boolean;
  /** declared `readonly number[]` / `ReadonlyArray<number>`: generated signatures keep it */
  readonly?: boolean;
  /** the default value, `k: number = 2` */
  init?: Expr;
  /**
   * The name callers see (grad and tangent keys, Jacobian columns, `@wrt`), when the variable
   * had to be renamed: `_w` is `u_w` inside generated code, whose `_` names are adgen's own.
   */
  key?: string;
}

/** The name of a parameter in the generated API. */
export const apiName = (p: Param): string => p.key ?? p.name;

/** The declared type of an array result, which the generated API returns values in. */
export type ArrayResultType = 'number[]' | 'Float64Array' | 'Float32Array';

/** What the function returns. */
export type Returns =
  | { kind: 'number' }
  | { kind: 'array'; type: ArrayResultType }
  | { kind: 'tuple'; length: number }
  | { kind: 'void' };

/** A function lowered to source IR: the unit every later phase works on. */
export interface FunctionIR {
  name: string;
  file: string;
  /** file name only, for provenance comments (`model.ts:12`) */
  fileBase: string;
  line: number;
  params: Param[];
  returns: Returns;
  /** declared type of every local (and parameter), from the type checker */
  locals: Map<string, VarType>;
  body: Stmt[];
  exported: boolean;
  tagged: boolean;
  gpu: boolean;
  checkTags: string[];
  /** user functions this one calls (names) */
  callees: string[];
  /** the module specifier to import a callee's derivatives from, for callees in other files */
  importFrom: Map<string, string>;
}
