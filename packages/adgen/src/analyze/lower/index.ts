/**
 * Front end, part 2: lower one TypeScript function (ts-morph AST + type checker) to source IR.
 *
 * Input: a FunctionUnit. Output: a FunctionIR, or diagnostics for everything outside the
 * differentiable language of SPEC §1 (all of them, not only the first).
 * Invariants of the output:
 *  - expressions are pure; compound assignments and ++/-- are desugared (`s += e` → `s = s + e`);
 *  - every local has one name and one type in the whole function (shadowing is renamed);
 *  - `for…of` over an array becomes an index loop;
 *  - calls name user functions that are lowered too (listed in `callees`).
 */
import * as path from 'node:path';
import { Node, SyntaxKind, ts, type Expression, type Statement, type Type } from 'ts-morph';
import type { DiagnosticBag } from '../../diagnostics/diagnostic.ts';
import type { DiagCode } from '../../diagnostics/codes.ts';
import * as b from '../../ir/builders.ts';
import { apiName, isArrayType, type Expr, type FunctionIR, type Loc, type Param, type Returns, type Stmt, type VarType } from '../../ir/nodes.ts';
import { hasContinue, visitStmts } from '../../ir/walk.ts';
import { BOOLEAN_OPS, MATH_CONSTANTS, PREDICATES, REJECTED, ruleFor } from '../../rules/index.ts';
import { findNodes, isExportedTopLevel, reportTypeErrorsIn, type FunctionLike, type FunctionUnit } from '../../parse/index.ts';
import { classifyType, describeType } from './types.ts';

/** How a callee found in the body resolves. */
export interface CalleeRef {
  name: string;
  decl: FunctionLike;
  /** module specifier used to import it, when it lives in another file */
  specifier?: string;
  /** where the first call to it is (for diagnostics about the callee) */
  at?: { line: number; column: number };
}

const BINARY_OPS: Partial<Record<SyntaxKind, string>> = {
  [SyntaxKind.PlusToken]: '+',
  [SyntaxKind.MinusToken]: '-',
  [SyntaxKind.AsteriskToken]: '*',
  [SyntaxKind.SlashToken]: '/',
  [SyntaxKind.PercentToken]: '%',
  [SyntaxKind.AsteriskAsteriskToken]: '**',
  [SyntaxKind.LessThanToken]: '<',
  [SyntaxKind.LessThanEqualsToken]: '<=',
  [SyntaxKind.GreaterThanToken]: '>',
  [SyntaxKind.GreaterThanEqualsToken]: '>=',
  [SyntaxKind.EqualsEqualsEqualsToken]: '===',
  [SyntaxKind.ExclamationEqualsEqualsToken]: '!==',
  [SyntaxKind.EqualsEqualsToken]: '===',
  [SyntaxKind.ExclamationEqualsToken]: '!==',
  [SyntaxKind.AmpersandAmpersandToken]: '&&',
  [SyntaxKind.BarBarToken]: '||',
};

const COMPOUND_OPS: Partial<Record<SyntaxKind, string>> = {
  [SyntaxKind.PlusEqualsToken]: '+',
  [SyntaxKind.MinusEqualsToken]: '-',
  [SyntaxKind.AsteriskEqualsToken]: '*',
  [SyntaxKind.SlashEqualsToken]: '/',
  [SyntaxKind.PercentEqualsToken]: '%',
  [SyntaxKind.AsteriskAsteriskEqualsToken]: '**',
};

/** How adgen names a variable's adjoint and tangent (analyze/names.ts). */
const DERIVATIVE_SUFFIXES = ['_bar', '_dot'];

class Lowerer {
  readonly locals = new Map<string, VarType>();
  /** names declared by `for` initialisers, which sibling loops may declare again */
  private readonly loopVariables = new Set<string>();
  /** scopes of source name → IR name */
  private scopes: Map<string, string>[] = [];
  readonly callees = new Map<string, CalleeRef>();
  private forOfCount = 0;
  /**
   * Statements that increments inside an expression (`r[k++] = e`, `while (i-- > 0)`) run before
   * the statement or test they sit in, with the node in which their variable may appear only
   * once (so no other read sees the order of evaluation change); null where none may run.
   */
  private before: { stmts: Stmt[]; scope: Node; after: Stmt[] | null } | null = null;
  /** > 0 inside an arm of `?:` or the right of `&&`/`||`, which may not run */
  private conditional = 0;
  /** copies of module-level constant tables the function reads, placed at its top (moduleTable) */
  private readonly tables: Stmt[] = [];
  /** What the function returns (known before its body is lowered). */
  private returns: Returns | null = null;

  constructor(
    private readonly unit: FunctionUnit,
    private readonly bag: DiagnosticBag,
  ) {}

  // ---- diagnostics & locations -----------------------------------------------------------

  private where(node: Node) {
    const sf = node.getSourceFile();
    const { line, column } = sf.getLineAndColumnAtPos(node.getStart());
    return { file: this.unit.file, line, column };
  }

  /** parameters and locals already reported for their type: their uses report nothing more */
  private readonly rejected = new Set<string>();

  error(code: DiagCode, node: Node, ...args: string[]): void {
    const mentionsRejected = (n: Node) => (Node.isIdentifier(n) && this.rejected.has(n.getText())) || n.getDescendantsOfKind(SyntaxKind.Identifier).some((id) => this.rejected.has(id.getText()));
    if (this.rejected.size > 0 && !Node.isParameterDeclaration(node) && mentionsRejected(node)) return;
    this.bag.add(code, this.where(node), ...args);
  }

  loc(node: Node): Loc {
    const w = this.where(node);
    const text = node.getText().split('\n')[0]!.trim();
    return { ...w, text: text.length > 70 ? `${text.slice(0, 67)}…` : text };
  }

  // ---- scopes ---------------------------------------------------------------------------

  private lookup(name: string): string | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const hit = this.scopes[i]!.get(name);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /**
   * Declares a source name in the current scope; renames it if the IR name is taken. Only the
   * variable of a `for` initialiser (`for (let i = 0; …)`, loop after loop) keeps its name when a
   * sibling loop declared it before; any other name declared twice in the function (`const r` in
   * two loops) gets a suffix, so later phases see one variable per name.
   */
  declare(name: string, type: VarType, loopVariable = false, parameter = false): string {
    // user names may not start with '_': those are the compiler's (SPEC naming); a local may not
    // end like a derivative's name (`s_bar`, `s_dot`: those are the adjoint and tangent of `s`)
    // nor hide a global the generated code calls (a parameter named `Math`)
    let base = (name.startsWith('_') && !name.startsWith('_i')) || GENERATED_CODE_GLOBALS.has(name) ? `u${name}` : name;
    // (a namespace member, `A.TAB`, is looked up by its text and named A_TAB)
    base = base.replace(/\./g, '_');
    if (!parameter && DERIVATIVE_SUFFIXES.some((suffix) => base.endsWith(suffix))) base = `${base}_`;
    const visible = (n: string) => this.scopes.some((m) => [...m.values()].includes(n));
    const reusable = (n: string) => loopVariable && this.loopVariables.has(n) && this.locals.get(n) === type && !visible(n);
    let irName = base;
    for (let k = 2; this.locals.has(irName) && !reusable(irName); k++) irName = `${base}_${k}`;
    this.scopes[this.scopes.length - 1]!.set(name, irName);
    this.locals.set(irName, type);
    if (loopVariable) this.loopVariables.add(irName);
    return irName;
  }

  private inScope<T>(fn: () => T): T {
    this.scopes.push(new Map());
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  // ---- entry ----------------------------------------------------------------------------

  lower(): FunctionIR | null {
    const fn = this.unit.node;
    const before = this.bag.items.length;
    this.scopes.push(new Map());
    const depth = nestingDepth(fn.compilerNode);
    if (depth > MAX_NESTING) {
      this.error('AD1001', fn, `A function whose code nests ${depth} levels deep (a sum of that many terms in one expression)`, `Split it into statements (s += …) of fewer than ${MAX_NESTING} terms each.`);
      return null;
    }
    this.checkShadowedGlobals(fn);
    this.checkCasts(fn);
    const params = this.lowerParams(fn);
    const returns = this.lowerReturnType(fn);
    this.returns = returns;
    const bodyNode = fn.getBody();
    // an arrow function's expression body is its return value
    const body = !bodyNode
      ? []
      : Node.isBlock(bodyNode)
        ? this.inScope(() => this.statements(bodyNode.getStatements()))
        : this.returnStatement(bodyNode as Expression, this.loc(bodyNode));
    if (!bodyNode) this.error('AD1012', fn, this.unit.name, 'a declaration without a body');
    // a parameter `x_bar` beside a variable `x` would meet x's adjoint in the generated code
    // (by the names the generated code uses: `_a_dot` and `_a` are u_a_dot and u_a there)
    for (const p of fn.getParameters()) {
      const name = p.getName();
      const irName = this.lookup(name) ?? name;
      const suffix = DERIVATIVE_SUFFIXES.find((x) => irName.endsWith(x));
      if (suffix && this.locals.has(irName.slice(0, -suffix.length))) this.error('AD1016', p, name, name.slice(0, -suffix.length));
    }
    if (this.bag.items.length > before || !params || !returns) return null;
    body.unshift(...this.tables);
    return {
      name: this.unit.name,
      file: this.unit.file,
      fileBase: path.basename(this.unit.file),
      line: fn.getStartLineNumber(),
      params,
      returns,
      locals: this.locals,
      body,
      exported: isExportedTopLevel(fn),
      tagged: this.unit.tagged,
      gpu: this.unit.gpu,
      checkTags: this.unit.checkTags,
      callees: [...this.callees.keys()],
      importFrom: new Map([...this.callees.values()].filter((c) => c.specifier).map((c) => [c.name, c.specifier!])),
    };
  }

  /**
   * `Math`, `Infinity`, `NaN` … that name the module's own declaration (`const Infinity = 3`,
   * `import * as Math from './mymath.ts'`) rather than JavaScript's: adgen reads those names as
   * JavaScript's (and the generated code uses them), so the function is refused.
   */
  private checkShadowedGlobals(fn: FunctionLike): void {
    const reported = new Set<string>();
    for (const id of findNodes(fn, (n) => ts.isIdentifier(n) && GENERATED_CODE_GLOBALS.has(n.text))) {
      const name = id.getText();
      if (reported.has(name)) continue;
      const own = (id.getSymbol()?.getDeclarations() ?? []).some((d) => !d.getSourceFile().isDeclarationFile() && (d.getSourceFile() !== fn.getSourceFile() || d.getEnd() <= fn.getStart() || d.getStart() >= fn.getEnd()));
      if (!own) continue;
      reported.add(name);
      this.error('AD1001', id, `'${name}' declared by the program itself (it hides JavaScript's '${name}')`, `Rename that declaration: adgen reads '${name}' as JavaScript's.`);
    }
  }

  /**
   * Type assertions that change what a value is (`(x as any) ** 2` on an array, `b as unknown as
   * number` on a boolean): adgen follows the value, not the assertion, so the generated code would
   * not type-check or would compute something else. Assertions within one kind (`as const`,
   * `v as [number, number]` on a number[], `!`) are fine.
   */
  private checkCasts(fn: FunctionLike): void {
    const arrays = new Set(['number[]', 'tuple']);
    for (const cast of findNodes(fn, (n) => ts.isAsExpression(n) || ts.isTypeAssertionExpression(n))) {
      if (!Node.isAsExpression(cast) && !Node.isTypeAssertion(cast)) continue;
      if (cast.getTypeNode()?.getText() === 'const') continue;
      // a chain (`b as unknown as number`) once, from the value to the last type
      const parent = cast.getParentWhile((x) => Node.isParenthesizedExpression(x)) ?? cast.getParent();
      if (parent && (Node.isAsExpression(parent) || Node.isTypeAssertion(parent))) continue;
      const value = unwrap(cast);
      const inner = classifyType(value.getType());
      const outer = classifyType(cast.getType());
      if (inner === outer || (arrays.has(inner) && arrays.has(outer))) continue;
      this.error('AD1001', cast, `A type assertion from ${describeType(value.getType())} to ${describeType(cast.getType())} ('${cast.getText()}')`, 'Differentiable code follows the value, not the assertion: remove it, or convert the value explicitly.');
    }
  }

  private lowerParams(fn: FunctionLike): Param[] | null {
    const params: Param[] = [];
    const rejected = this.rejected;
    let ok = true;
    for (const p of fn.getParameters()) {
      const name = p.getName();
      const nameNode = p.getNameNode();
      if (!Node.isIdentifier(nameNode)) {
        this.error('AD1001', p, 'A destructured parameter', 'Take each value as its own parameter.');
        ok = false;
        continue;
      }
      if (p.isRestParameter() || name === 'this') {
        this.error('AD1001', p, p.isRestParameter() ? 'A rest parameter' : "A 'this' parameter", p.isRestParameter() ? 'Take the values as one numeric array parameter.' : 'Pass the value as an ordinary parameter.');
        ok = false;
        // still in scope, so its uses do not report again
        const cls = classifyType(p.getType());
        this.declare(name, cls === 'any' || cls === 'void' || cls === 'tuple' || cls === 'other' ? 'number' : cls);
        continue;
      }
      const cls = classifyType(p.getType());
      if (cls === 'any' || cls === 'void' || cls === 'tuple' || cls === 'other') {
        if (cls === 'any') this.error('AD1008', p, name);
        else this.error('AD1011', p, name, describeType(p.getType()));
        rejected.add(name);
        ok = false;
        // still in scope, so its uses do not report again
        this.declare(name, 'number');
        continue;
      }
      const irName = this.declare(name, cls, false, true);
      const initNode = p.getInitializer();
      // a default value is kept in the generated signatures, where the function's copies of
      // module tables are not in scope: a constant (`TAB[1]`, `TAB.length`) is written as its value
      const tablesBefore = this.tables.length;
      const constant = initNode && cls === 'number' ? constantValue(unwrap(initNode)) : null;
      const init = !initNode ? undefined : constant !== null ? b.num(constant) : isArrayType(cls) ? (this.allocation(unwrap(initNode)) ?? this.expr(initNode)) : this.expr(initNode);
      if (initNode && this.tables.length > tablesBefore) {
        this.error('AD1001', initNode, `A default value that reads a module-level table at an index known only at run time ('${initNode.getText()}')`, 'Compute it in the function body from a parameter without a default, or pass it in.');
      }
      const t = p.getType();
      const readonly = cls === 'number[]' && (t.isReadonlyArray?.() ?? false);
      params.push({ name: irName, type: cls, active: false, out: false, ...(readonly ? { readonly } : {}), ...(init ? { init } : {}), ...(irName !== name ? { key: name } : {}) });
    }
    const where = (tag: string) => {
      const pos = this.unit.tagPos.get(tag);
      return { file: this.unit.file, line: pos?.line ?? fn.getStartLineNumber(), column: pos?.column ?? 1 };
    };
    const numeric = (p: Param) => p.type !== 'boolean';
    if (this.unit.outNames.length > 1) {
      this.bag.add('AD1023', where('out'), this.unit.name, this.unit.outNames.join("', '"));
      ok = false;
    } else if (this.unit.out !== null) {
      const out = params.find((p) => apiName(p) === this.unit.out);
      if (!out || !isArrayType(out.type)) {
        this.bag.add('AD1006', where('out'), this.unit.out, this.unit.name);
        ok = false;
      } else out.out = true;
    }
    if (this.unit.wrt !== null) {
      // `@wrt` with no names would differentiate with respect to nothing
      if (this.unit.wrt.length === 0) {
        this.bag.add('AD1005', where('wrt'), '(nothing)', this.unit.name, params.map(apiName).join(', ') || '(none)');
        ok = false;
      }
      for (const w of this.unit.wrt) {
        const p = params.find((q) => apiName(q) === w);
        if (!p && rejected.has(w)) {
          this.bag.add('AD1015', where('wrt'), this.unit.name, w);
          ok = false;
        } else if (!p) {
          this.bag.add('AD1005', where('wrt'), w, this.unit.name, params.map(apiName).join(', ') || '(none)');
          ok = false;
        } else if (!numeric(p)) {
          this.bag.add('AD1015', where('wrt'), this.unit.name, w);
          ok = false;
        } else p.active = true;
      }
    } else {
      for (const p of params) p.active = numeric(p) && !p.out;
    }
    return ok ? params : null;
  }

  private lowerReturnType(fn: FunctionLike): Returns | null {
    const t = fn.getReturnType();
    const cls = classifyType(t);
    if (this.unit.out && cls !== 'void') {
      this.error('AD1017', (Node.isFunctionDeclaration(fn) ? fn.getNameNode() : undefined) ?? fn, this.unit.name, this.unit.out, `'${describeType(t)}'`);
      return null;
    }
    if (cls === 'number') return { kind: 'number' };
    if (cls === 'tuple') return { kind: 'tuple', length: t.getTupleElements().length };
    if (cls === 'number[]' || cls === 'Float64Array' || cls === 'Float32Array') return { kind: 'array', type: cls };
    // a helper differentiated on demand may return nothing and write into its array arguments
    if (cls === 'void' && (this.unit.out || !this.unit.tagged)) return { kind: 'void' };
    this.error('AD1010', (Node.isFunctionDeclaration(fn) ? fn.getNameNode() : undefined) ?? fn, this.unit.name, cls === 'void' ? 'nothing (add an @out array, or return a value)' : `'${describeType(t)}'`);
    return null;
  }

  // ---- statements -----------------------------------------------------------------------

  statements(stmts: Statement[]): Stmt[] {
    const out: Stmt[] = [];
    for (const s of stmts) out.push(...this.statement(s));
    return out;
  }

  private block(node: Statement): Stmt[] {
    return this.inScope(() => (Node.isBlock(node) ? this.statements(node.getStatements()) : this.statement(node)));
  }

  statement(s: Statement): Stmt[] {
    const loc = this.loc(s);
    if (Node.isBlock(s)) return this.inScope(() => this.statements(s.getStatements()));
    if (Node.isEmptyStatement(s)) return [];
    if (Node.isVariableStatement(s)) return this.withIncrements(s, () => this.variableStatement(s.getDeclarations(), loc));
    if (Node.isExpressionStatement(s)) return this.withIncrements(s, () => this.expressionStatement(s.getExpression(), loc));
    if (Node.isIfStatement(s)) {
      const pre: Stmt[] = [];
      const c = this.withIncrements(s.getExpression(), () => this.expr(s.getExpression()), pre);
      const then = this.block(s.getThenStatement());
      const elseNode = s.getElseStatement();
      return [...pre, { k: 'if', c, then, else: elseNode ? this.block(elseNode) : [], loc }];
    }
    if (Node.isForStatement(s)) return this.inScope(() => this.forStatement(s, loc));
    if (Node.isWhileStatement(s) || Node.isDoStatement(s)) {
      const pre: Stmt[] = [];
      const test = this.withIncrements(s.getExpression(), () => this.expr(s.getExpression()), pre);
      const loop: Stmt = { k: 'loop', init: [], test, update: [], body: this.block(s.getStatement()), doWhile: Node.isDoStatement(s), loc };
      return [this.testAtTop(loop, pre, s.getExpression())];
    }
    if (Node.isForOfStatement(s)) return this.inScope(() => this.forOfStatement(s, loc));
    if (Node.isBreakStatement(s) || Node.isContinueStatement(s)) {
      if (s.getLabel()) {
        this.error('AD1001', s, 'A labelled break or continue', 'Use a flag variable to leave the outer loop.');
        return [];
      }
      return [{ k: Node.isBreakStatement(s) ? 'break' : 'continue', loc }];
    }
    if (Node.isReturnStatement(s)) {
      // (nothing runs after a return: its increments all go before it)
      const pre: Stmt[] = [];
      const ret = this.withIncrements(s, () => this.returnStatement(s.getExpression(), loc), pre);
      return [...pre, ...ret];
    }
    if (Node.isFunctionDeclaration(s) || Node.isClassDeclaration(s)) {
      this.error('AD1004', s, Node.isFunctionDeclaration(s) ? 'A nested function' : 'A class');
      return [];
    }
    const what: Record<string, [string, string]> = {
      SwitchStatement: ['A switch statement', 'Use if / else if.'],
      ThrowStatement: ['A throw statement', 'Check inputs before calling the differentiable function.'],
      TryStatement: ['A try statement', 'Handle errors outside the differentiable function.'],
      ForInStatement: ['A for…in loop', 'Use an index loop.'],
      LabeledStatement: ['A labelled statement', 'Use a flag variable instead of a label.'],
    };
    const [desc, hint] = what[s.getKindName()] ?? [`A ${s.getKindName()}`, 'Rewrite it with the constructs of SPEC §1.'];
    this.error('AD1001', s, desc, hint);
    return [];
  }

  /**
   * Lowers one statement (or condition, or loop test) in which increments may sit inside
   * expressions: their statements go before it, into `pre` when given, else in front of the
   * statements lowered. Where `pre` is not given, a postfix step goes after the statement
   * (`r[k++] = e` is `r[k] = e; k++`, the form reverse mode steps back without a tape).
   */
  private withIncrements<T>(scope: Node, lower: () => T, pre?: Stmt[]): T extends Stmt[] ? Stmt[] : T;
  private withIncrements<T>(scope: Node, lower: () => T, pre?: Stmt[]): T | Stmt[] {
    const [outer, outerConditional] = [this.before, this.conditional];
    this.before = { stmts: [], scope, after: pre ? null : [] };
    this.conditional = 0;
    try {
      const out = lower();
      const { stmts, after } = this.before;
      if (pre) {
        pre.push(...stmts);
        return out;
      }
      return stmts.length + after!.length === 0 ? out : [...stmts, ...(out as Stmt[]), ...after!];
    } finally {
      this.before = outer;
      this.conditional = outerConditional;
    }
  }

  /**
   * A loop whose test increments (`while (i-- > 0)`): the increments and the test move into the
   * body, `{ pre; if (!test) break; … }` (a do…while checks at the end of its body, so a
   * `continue` there, which would skip the check, gets AD1001).
   */
  private testAtTop(loop: Extract<Stmt, { k: 'loop' }>, pre: Stmt[], testNode: Node): Stmt {
    if (pre.length === 0 || !loop.test) return loop;
    const loc = loop.loc;
    const exit: Stmt = { k: 'if', c: b.op('!', loop.test), then: [{ k: 'break', ...(loc ? { loc } : {}) }], else: [], ...(loc ? { loc } : {}) };
    if (loop.doWhile && hasContinue(loop.body)) {
      this.error('AD1001', testNode, `An increment in the test of a do…while whose body may 'continue'`, 'Increment in a statement of its own at the end of the body.');
      return loop;
    }
    const { counter: _counter, ...rest } = loop;
    return { ...rest, test: null, body: loop.doWhile ? [...loop.body, ...pre, exit] : [...pre, exit, ...loop.body] };
  }

  /**
   * `k++`, `--k` inside an expression: `const _old = k; k = k + 1` (or just the step, for a
   * prefix) before the statement, and the value. Only where the step cannot change another read:
   * k a number variable named nowhere else in the statement, and not in a part that may not run.
   */
  private incrementInExpression(e: import('ts-morph').PrefixUnaryExpression | import('ts-morph').PostfixUnaryExpression): Expr {
    const tok = e.getOperatorToken();
    const operand = unwrap(e.getOperand());
    const text = e.getText();
    const refuse = (why: string): Expr => {
      this.error('AD1001', e, `'${text}' inside an expression ${why}`, 'Increment in a statement of its own.');
      return b.ZERO;
    };
    if (!this.before) return refuse('here');
    if (!Node.isIdentifier(operand)) return refuse('(only a number variable may step inside an expression)');
    if (this.conditional > 0) return refuse("in a part that may not run (an arm of '?:', the right of '&&' or '||')");
    const symbol = operand.getSymbol();
    const uses = this.before.scope.getDescendantsOfKind(SyntaxKind.Identifier).filter((id) => id.getText() === operand.getText() && id.getSymbol() === symbol);
    if (uses.length + (Node.isIdentifier(this.before.scope) ? 1 : 0) > 1) return refuse(`that also reads '${operand.getText()}' (the order of evaluation would matter)`);
    const name = this.lookup(operand.getText());
    if (name && this.locals.get(name) !== 'number') return refuse('(only a number variable may step inside an expression)');
    const loc = this.loc(e);
    const step = this.assignmentOf(operand, tok === SyntaxKind.PlusPlusToken ? '+' : '-', b.ONE, loc, e);
    if (!name || step.length === 0) return b.ZERO;
    if (Node.isPrefixUnaryExpression(e) || this.before.after) {
      (Node.isPrefixUnaryExpression(e) ? this.before.stmts : this.before.after!).push(...step);
      return b.v(name);
    }
    // (`k.old` cannot be a source name, so it hides none; its IR name is k_old)
    const old = this.declare(`${operand.getText()}.old`, 'number');
    this.before.stmts.push({ k: 'decl', name: old, type: 'number', init: b.v(name), mutable: false, loc }, ...step);
    return b.v(old);
  }

  private mayNotRun<T>(lower: () => T): T {
    this.conditional++;
    try {
      return lower();
    } finally {
      this.conditional--;
    }
  }

  private variableStatement(decls: import('ts-morph').VariableDeclaration[], loc: Loc, loopVariable = false): Stmt[] {
    const out: Stmt[] = [];
    for (const d of decls) {
      const nameNode = d.getNameNode();
      const list = d.getParent();
      const mutable = !(Node.isVariableDeclarationList(list) && list.getDeclarationKind() === 'const');
      const elements = Node.isArrayBindingPattern(nameNode) ? this.plainElements(nameNode) : null;
      const initNode = d.getInitializer();
      if (elements && initNode) {
        out.push(...this.arrayDestructuring(elements, initNode, mutable, d, loc));
        continue;
      }
      if (!Node.isIdentifier(nameNode)) {
        this.error('AD1001', d, 'Destructuring', 'Declare each value on its own.');
        // its names stay in scope, so their uses do not report again
        for (const el of nameNode.getDescendantsOfKind(SyntaxKind.BindingElement)) {
          const id = el.getNameNode();
          if (Node.isIdentifier(id)) this.declare(id.getText(), 'number');
        }
        continue;
      }
      const init = d.getInitializer();
      const initInner = init && unwrap(init);
      if (initInner && (Node.isArrowFunction(initInner) || Node.isFunctionExpression(initInner) || Node.isObjectLiteralExpression(initInner) || Node.isClassExpression(initInner))) {
        this.error('AD1004', initInner, Node.isObjectLiteralExpression(initInner) ? 'An object' : Node.isClassExpression(initInner) ? 'A class' : 'A closure');
        this.declare(nameNode.getText(), 'number');
        continue;
      }
      // `new Array(n).fill(0)`, which TypeScript types any[], is an array of numbers
      // and an element of one (typed any) is a number
      const elementOfArray = !!initInner && Node.isElementAccessExpression(initInner) && this.arrayName(initInner.getExpression()) !== null;
      const cls = initInner && untypedNumberArray(d.getType(), initInner) ? 'number[]' : (elementOfArray && d.getType().isAny()) || autoTypedNumber(d) ? 'number' : classifyType(d.getType());
      if (cls === 'any') {
        this.error('AD1008', d, nameNode.getText());
        this.rejected.add(nameNode.getText());
        continue;
      }
      // a tuple is an array of numbers here (`const p = polar(r, t)`, `const q: [number, number] = [a, b]`)
      if (cls === 'tuple' && init) {
        out.push(...this.arrayDeclaration(nameNode.getText(), 'number[]', init, d, loc));
        continue;
      }
      if (cls === 'void' || cls === 'other' || cls === 'tuple') {
        this.error(cls === 'tuple' ? 'AD1001' : 'AD1011', d, ...(cls === 'tuple' ? ['A tuple-typed local', 'Use separate number variables or a Float64Array.'] : [nameNode.getText(), describeType(d.getType())]));
        // its uses report nothing more
        this.rejected.add(nameNode.getText());
        continue;
      }
      if (isArrayType(cls)) {
        out.push(...this.arrayDeclaration(nameNode.getText(), cls, init, d, loc));
        continue;
      }
      if (!init && Node.isVariableDeclarationList(list) && list.getDeclarationKind() === 'var' && this.inLoop(d)) {
        // `var t;` does not reset t: an iteration would read what the one before left
        this.error('AD1001', d, `'${nameNode.getText()}', declared with 'var' and no value in a loop (it keeps the value of the iteration before)`, `Declare it with 'let' before the loop, or give it a value.`);
      }
      const e = init ? this.expr(init) : null;
      const irName = this.declare(nameNode.getText(), cls, loopVariable);
      out.push({ k: 'decl', name: irName, type: cls, init: e ?? (cls === 'number' ? b.num(0) : { k: 'bool', v: false }), mutable: mutable || !init, loc });
    }
    return out;
  }

  /** The names of `[a, , b]` (holes as null), or null for rest elements, defaults and nesting. */
  private plainElements(pattern: import('ts-morph').ArrayBindingPattern): (string | null)[] | null {
    const names: (string | null)[] = [];
    for (const el of pattern.getElements()) {
      if (Node.isOmittedExpression(el)) names.push(null);
      else if (Node.isIdentifier(el.getNameNode()) && !el.getDotDotDotToken() && !el.getInitializer()) names.push(el.getNameNode().getText());
      else return null;
    }
    return names;
  }

  /** `const [a, b] = v`, `const [c, s] = polar(r, t)`: each name reads its element (a call's value goes in a local first). */
  private arrayDestructuring(elements: (string | null)[], init: Expression, mutable: boolean, node: Node, loc: Loc): Stmt[] {
    const out: Stmt[] = [];
    const cls = classifyType(init.getType());
    if (!isArrayClass(cls) && cls !== 'tuple') {
      this.error('AD1001', node, 'Destructuring', 'Declare each value on its own.');
      for (const n of elements) if (n) this.declare(n, 'number');
      return [];
    }
    let source = this.arrayName(init);
    if (!source) {
      out.push(...this.arrayDeclaration('tuple', cls === 'tuple' ? 'number[]' : (cls as VarType), init, node, loc));
      source = this.lookup('tuple') ?? null;
      if (!source || out.length === 0) {
        for (const n of elements) if (n) this.declare(n, 'number');
        return out;
      }
    }
    elements.forEach((n, k) => {
      if (!n) return;
      const irName = this.declare(n, 'number');
      out.push({ k: 'decl', name: irName, type: 'number', init: b.idx(source!, b.num(k)), mutable, loc });
    });
    return out;
  }

  /** Local arrays: `new Float64Array(n)`, `new Array(n).fill(0)`, `[a, b, c]`, `x.slice()`. */
  private arrayDeclaration(name: string, type: VarType, init: Expression | undefined, node: Node, loc: Loc): Stmt[] {
    if (!init) {
      this.error('AD1001', node, 'An array declared without a value', 'Initialise it with new Float64Array(n).');
      return [];
    }
    const inner = unwrap(init);
    // `new Float64Array(n)`, or `new Array(n).fill(v)`: the allocation, then a loop storing v
    const filled = fillCall(inner);
    const alloc = this.allocation(filled?.array ?? inner, !filled);
    if (alloc) {
      const irName = this.declare(name, type);
      const decl: Stmt = { k: 'decl', name: irName, type, init: alloc, mutable: false, loc };
      const zero = filled && Node.isNumericLiteral(filled.value) && Number(filled.value.compilerNode.text) === 0;
      return filled && !zero ? [decl, ...this.fill(irName, filled.value, loc)] : [decl];
    }
    if (Node.isArrayLiteralExpression(inner) && inner.getElements().length === 0) {
      // `a[i] = …` past the end grows a plain array; its tangent and adjoint arrays cannot follow
      this.error('AD1001', inner, `The empty array '${name}' (filled by index writes or push)`, 'Create it with its length: new Array(n).fill(0) or new Float64Array(n).');
      this.declare(name, type);
      return [];
    }
    const listed = listedElements(inner);
    if (listed) {
      const elems = listed.map((e) => this.expr(e));
      const irName = this.declare(name, type);
      const ctor = type === 'number[]' ? 'Array' : (type as 'Float64Array' | 'Float32Array');
      return [
        { k: 'decl', name: irName, type, init: { k: 'alloc', ctor, len: b.num(elems.length) }, mutable: false, loc },
        ...elems.map((e, i): Stmt => ({ k: 'store', arr: irName, i: b.num(i), e, loc })),
      ];
    }
    // copies: x.slice(), Float64Array.from(x), [...x]
    const source = this.copySource(inner);
    if (source) {
      const irName = this.declare(name, type);
      const ctor = type === 'number[]' ? 'Array' : (type as 'Float64Array' | 'Float32Array');
      return [
        { k: 'decl', name: irName, type, init: { k: 'alloc', ctor, len: b.len(source) }, mutable: false, loc },
        this.elementLoop(source, (i) => ({ k: 'store', arr: irName, i, e: b.idx(source, i), loc }), loc),
      ];
    }
    // `const y = f(x)`, f a user function returning an array: the call is inlined (analyze/inline.ts)
    if (Node.isCallExpression(inner) && namesUserFunction(inner.getExpression())) {
      const call = this.callExpression(inner);
      const irName = this.declare(name, type);
      return call.k === 'call' ? [{ k: 'decl', name: irName, type, init: call, mutable: false, loc }] : [];
    }
    this.arrayValueError(inner, name);
    // still in scope, so its uses do not report again
    this.declare(name, type);
    return [];
  }

  /** `for (let _i = 0; _i < arr.length; _i++) body(_i)` */
  private elementLoop(arr: string, body: (i: Expr) => Stmt, loc: Loc): Stmt {
    const i = this.declare(`_i${this.forOfCount++}`, 'number');
    return {
      k: 'loop',
      init: [{ k: 'decl', name: i, type: 'number', init: b.ZERO, mutable: true }],
      test: b.op('<', b.v(i), b.len(arr)),
      update: [b.assign(i, b.add(b.v(i), b.ONE))],
      body: [body(b.v(i))],
      doWhile: false,
      counter: { name: i, start: b.ZERO, step: 1 },
      loc,
    };
  }

  /** `arr.fill(v)`: v evaluated once (into a local unless it is a literal or a variable), then stored in every element. */
  private fill(arr: string, valueNode: Expression, loc: Loc): Stmt[] {
    const value = this.expr(valueNode);
    if (value.k === 'num' || value.k === 'var') return [this.elementLoop(arr, (i) => ({ k: 'store', arr, i, e: value, loc }), loc)];
    const v = this.declare(`_fill${this.forOfCount++}`, 'number');
    return [
      { k: 'decl', name: v, type: 'number', init: value, mutable: false, loc },
      this.elementLoop(arr, (i) => ({ k: 'store', arr, i, e: b.v(v), loc }), loc),
    ];
  }

  /** An array value adgen cannot name (a call's result read in place gets AD1013: a local first). */
  private arrayValueError(e: Expression, name: string): void {
    const inner = unwrap(e);
    const callee = Node.isCallExpression(inner) ? inner.getExpression() : null;
    const method = callee && Node.isPropertyAccessExpression(callee) ? callee.getName() : null;
    if (callee && Node.isPropertyAccessExpression(callee) && (method === 'subarray' || method === 'slice')) {
      const source = callee.getExpression().getText();
      this.error('AD1001', inner, `A ${method === 'subarray' ? 'view' : 'copy'} of part of '${source}' (${method}(…))`, `Index '${source}' with an offset (${source}[start + j]), or copy the range into new Float64Array(n) in an index loop.`);
      return;
    }
    if (Node.isCallExpression(inner) && namesUserFunction(inner.getExpression())) {
      this.error('AD1013', inner, inner.getText());
      return;
    }
    if (callee && Node.isPropertyAccessExpression(callee) && this.arrayName(callee.getExpression())) {
      this.error('AD1001', inner, `The array method '${callee.getText()}(…)'`, 'Use an index loop over the array instead.');
      return;
    }
    if (Node.isArrayLiteralExpression(inner) && inner.getElements().some((x) => Node.isSpreadElement(x))) {
      this.error('AD1001', e, `An array literal with a spread ('${inner.getText()}')`, 'Create the array with its length (new Float64Array(n)) and copy the elements in an index loop.');
      return;
    }
    if (Node.isConditionalExpression(inner)) {
      const [c, yes, no] = [inner.getCondition().getText(), inner.getWhenTrue().getText(), inner.getWhenFalse().getText()];
      this.error('AD1001', e, `An array chosen by '?:' ('${inner.getText()}')`, `Read the element under the condition (${c} ? ${yes}[i] : ${no}[i]), or copy the chosen array into a local in an if/else.`);
      return;
    }
    if (Node.isIdentifier(inner)) {
      if (this.arrayName(inner)) this.error('AD1001', e, `A second name for the array '${inner.getText()}'`, `Use '${inner.getText()}' itself, or copy it with ${inner.getText()}.slice().`);
      else if (!this.lookup(inner.getText())) this.error('AD1001', e, `The array '${inner.getText()}' from outside the function`, 'Pass it in as a parameter; a module-level const table that lists its numbers ([0.5, 1.5, …], new Float64Array([…])) is read in place where nothing writes it or passes it on (and, exported, is declared readonly number[]).');
      else this.error('AD1013', e, name);
      return;
    }
    this.error('AD1013', e, name);
  }

  /** `new Float64Array(n)`, `new Float32Array(n)`, `new Array(n)` or `Array(n)`; the last two have holes unless filled. */
  private allocation(e: Expression, unfilled = true): Expr | null {
    const target = unwrap(e);
    if (Node.isNewExpression(target) || Node.isCallExpression(target)) {
      const ctor = target.getExpression().getText();
      const args = target.getArguments();
      if ((ctor === 'Float64Array' || ctor === 'Float32Array' || ctor === 'Array') && args.length === 1) {
        const arg = args[0] as Expression;
        if (classifyType(arg.getType()) !== 'number') return null;
        return { k: 'alloc', ctor, len: this.expr(arg), ...(ctor === 'Array' && unfilled ? { holes: true as const } : {}) };
      }
    }
    return null;
  }

  private copySource(e: Expression): string | null {
    if (Node.isCallExpression(e)) {
      const callee = e.getExpression();
      if (Node.isPropertyAccessExpression(callee) && callee.getName() === 'slice' && e.getArguments().length === 0) {
        return this.arrayName(callee.getExpression());
      }
      if (Node.isPropertyAccessExpression(callee) && callee.getName() === 'from' && ['Float64Array', 'Float32Array', 'Array'].includes(callee.getExpression().getText()) && e.getArguments().length === 1) {
        return this.arrayName(e.getArguments()[0] as Expression);
      }
    }
    // `new Float64Array(x)` of an array x copies it (of a number, it allocates: see allocation())
    if (Node.isNewExpression(e) && ['Float64Array', 'Float32Array'].includes(e.getExpression().getText()) && e.getArguments().length === 1) {
      return this.arrayName(e.getArguments()[0] as Expression);
    }
    if (Node.isArrayLiteralExpression(e) && e.getElements().length === 1) {
      const only = e.getElements()[0]!;
      if (Node.isSpreadElement(only)) return this.arrayName(only.getExpression());
    }
    return null;
  }

  private arrayName(e: Expression): string | null {
    const inner = unwrap(e);
    // a table read through a namespace import, `A.TAB` (`import * as A`)
    if (Node.isPropertyAccessExpression(inner) && Node.isIdentifier(inner.getExpression()) && !this.lookup(inner.getExpression().getText())) {
      const name = this.lookup(inner.getText()) ?? this.moduleTable(inner);
      return name && isArrayType(this.locals.get(name)!) ? name : null;
    }
    if (!Node.isIdentifier(inner)) return null;
    const name = this.lookup(inner.getText()) ?? this.moduleTable(inner);
    return name && isArrayType(this.locals.get(name)!) ? name : null;
  }

  /**
   * A module-level constant table (`const C = [76.18, -86.5, …]`, Lanczos or Chebyshev
   * coefficients) read by element or `.length`: the function declares it at its top (the `tables`
   * prelude) as an allocation holding the table's values, and the name maps to that; the
   * generated file keeps one module-level copy that the declaration names (optimize/tables.ts).
   * Only where the copy cannot differ from the table: a `const` whose elements adgen can compute,
   * and whose every use in the project is an element read or `.length` (nothing writes it or
   * passes it on). Otherwise null, and the use gets AD1001 as before.
   */
  private moduleTable(id: Node): string | null {
    const text = id.getText();
    const table = constantTable(Node.isPropertyAccessExpression(id) ? id.getNameNode() : id);
    const values = table?.listed.map((x) => constantValue(unwrap(x)));
    if (!table || !values || values.length === 0 || values.some((v) => v === null)) return null;
    const { decl, type } = table;
    // declared in the function's outermost scope, so every block sees the one copy
    const inner = this.scopes.splice(1);
    let irName: string;
    try {
      irName = this.declare(text, type);
    } finally {
      this.scopes.push(...inner);
    }
    // (the comment above the declaration names the table's own file)
    const loc = { ...this.loc(decl), file: decl.getSourceFile().getFilePath() as string };
    const ctor = type === 'number[]' ? 'Array' : type;
    this.tables.push({ k: 'decl', name: irName, type, init: { k: 'alloc', ctor, len: b.num(values.length), values: values as number[] }, mutable: false, loc });
    return irName;
  }

  private expressionStatement(e: Expression, loc: Loc): Stmt[] {
    e = unwrap(e);
    if (Node.isBinaryExpression(e)) {
      const opKind = e.getOperatorToken().getKind();
      const compound = COMPOUND_OPS[opKind];
      if (opKind === SyntaxKind.EqualsToken || compound) {
        return this.assignment(e.getLeft(), compound ?? null, e.getRight(), loc, e);
      }
      // `i++, j--` (a for loop's update, the two-pointer idiom): one statement after the other
      if (opKind === SyntaxKind.CommaToken) return [...this.expressionStatement(e.getLeft(), loc), ...this.expressionStatement(e.getRight(), loc)];
    }
    if (Node.isPrefixUnaryExpression(e) || Node.isPostfixUnaryExpression(e)) {
      const tok = e.getOperatorToken();
      if (tok === SyntaxKind.PlusPlusToken || tok === SyntaxKind.MinusMinusToken) {
        return this.assignmentOf(e.getOperand(), tok === SyntaxKind.PlusPlusToken ? '+' : '-', b.ONE, loc, e);
      }
    }
    const filled = fillCall(e);
    if (filled) {
      const arr = this.arrayName(filled.array);
      if (arr) return this.fill(arr, filled.value, loc);
    }
    if (Node.isCallExpression(e)) {
      // a helper returning an array, its value dropped: inlined like `const ignored = f(x)`
      const cls = classifyType(e.getType());
      if ((isArrayClass(cls) || cls === 'tuple') && namesUserFunction(e.getExpression())) {
        return this.inScope(() => this.arrayDeclaration('ignored', cls === 'tuple' ? 'number[]' : (cls as VarType), e, e, loc));
      }
      const call = this.expr(e);
      return call.k === 'call' ? [{ k: 'expr', e: call, loc }] : [];
    }
    const logical = Node.isBinaryExpression(e) ? LOGICAL_ASSIGNMENT[e.getOperatorToken().getKind()] : undefined;
    if (Node.isBinaryExpression(e) && BITWISE.has(e.getOperatorToken().getKind())) this.error('AD1001', e, `The bitwise operator '${e.getOperatorToken().getText()}'`, BITWISE_HINT);
    else if (Node.isBinaryExpression(e) && logical) {
      const [l, r] = [e.getLeft().getText(), e.getRight().getText()];
      this.error('AD1001', e, `The assignment operator '${e.getOperatorToken().getText()}'`, `Write it with an if: ${logical(l, r)}.`);
    } else if (Node.isDeleteExpression(e)) this.error('AD1001', e, `'delete' on an array element`, 'Set the element to 0 instead.');
    else this.error('AD1001', e, 'An expression statement that assigns nothing', 'Remove it or assign its value.');
    return [];
  }

  private assignment(left: Expression, compound: string | null, right: Expression, loc: Loc, node: Node): Stmt[] {
    const target = unwrap(left);
    const source = unwrap(right);
    if (Node.isArrayLiteralExpression(target) && !compound && Node.isArrayLiteralExpression(source) && this.parallelAssignment(target, source)) {
      return this.parallelAssignment(target, source, loc)!;
    }
    if (Node.isArrayLiteralExpression(target) || Node.isObjectLiteralExpression(target)) {
      this.error('AD1001', target, 'Destructuring assignment', "Assign each value on its own (a swap goes through a temporary), or write both sides as lists of one length: '[a, b] = [b, a + b]'.");
      return [];
    }
    // an element of an untyped `new Array(n).fill(0)` (any[]) takes whatever is stored; the
    // generated code's arrays hold numbers
    if (Node.isElementAccessExpression(target) && classifyType(right.getType()) === 'boolean') {
      this.error('AD1001', right, `A boolean stored into the array '${target.getExpression().getText()}'`, 'Store a number: c ? 1 : 0.');
      return [];
    }
    return this.assignmentOf(left, compound, this.expr(right), loc, node);
  }

  /**
   * `[a, b] = [b, a + b]`, `[x[i], x[j]] = [x[j], x[i]]`: every value on the right is computed
   * first (into temporaries), then assigned left to right, as JavaScript does. Without `loc`, only
   * whether the form is one: the same number of plain targets and values, no holes or spreads.
   */
  private parallelAssignment(target: import('ts-morph').ArrayLiteralExpression, source: import('ts-morph').ArrayLiteralExpression, loc?: Loc): Stmt[] | null {
    const targets = target.getElements();
    const values = source.getElements();
    const plain = (x: Node) => !Node.isSpreadElement(x) && !Node.isOmittedExpression(x);
    if (targets.length !== values.length || targets.length === 0 || !targets.every(plain) || !values.every(plain)) return null;
    if (!targets.every((t) => Node.isIdentifier(unwrap(t as Expression)) || Node.isElementAccessExpression(unwrap(t as Expression)))) return null;
    if (!loc) return [];
    const out: Stmt[] = [];
    // the new value of `p` is `p.new` (no source name can be that, so it hides none; IR p_new)
    const temps = values.map((v, k) => {
      const t = unwrap(targets[k] as Expression);
      const base = Node.isElementAccessExpression(t) ? t.getExpression().getText() : t.getText();
      const name = this.declare(`${base}.new`, 'number');
      out.push({ k: 'decl', name, type: 'number', init: this.expr(v as Expression), mutable: false, loc });
      return name;
    });
    targets.forEach((t, k) => out.push(...this.assignmentOf(t as Expression, null, b.v(temps[k]!), loc, t)));
    return out;
  }

  private assignmentOf(left: Expression, compound: string | null, rhs: Expr, loc: Loc, node: Node): Stmt[] {
    left = unwrap(left);
    if (Node.isIdentifier(left)) {
      const name = this.lookup(left.getText());
      if (!name) {
        if (!this.outOfScopeLocal(left)) this.error('AD1004', left, `Assigning to '${left.getText()}' outside the function`);
        return [];
      }
      const type = this.locals.get(name)!;
      if (isArrayType(type)) {
        this.error('AD1001', node, 'Reassigning an array variable', 'Write into its elements, or use a second array.');
        return [];
      }
      const e = compound ? b.op(compound, b.v(name), rhs) : rhs;
      return [{ k: 'assign', name, e, loc }];
    }
    if (Node.isElementAccessExpression(left)) {
      const arr = this.arrayName(left.getExpression());
      if (!arr) {
        this.arrayValueError(left.getExpression(), left.getExpression().getText());
        return [];
      }
      const i = this.expr(left.getArgumentExpressionOrThrow());
      // `a[a.length] = v` (or past it) appends to a plain array; derivative arrays cannot follow
      const isLength = (x: Expr) => x.k === 'len' && x.arr === arr;
      if (isLength(i) || (i.k === 'op' && i.op === '+' && i.args.some(isLength) && i.args.some((x) => x.k === 'num' && x.v >= 0))) {
        this.error('AD1001', left, `Writing at or past the end of '${left.getExpression().getText()}' (${left.getText()} = …)`, 'Create the array with its full length and write inside it.');
        return [];
      }
      const e = compound ? b.op(compound, b.idx(arr, i), rhs) : rhs;
      return [{ k: 'store', arr, i, e, loc }];
    }
    this.error('AD1004', left, `Assigning to '${left.getText()}'`);
    return [];
  }

  private forStatement(s: import('ts-morph').ForStatement, loc: Loc): Stmt[] {
    const initNode = s.getInitializer();
    let init: Stmt[] = [];
    // increments in the initialiser run once, before the loop
    const beforeLoop: Stmt[] = [];
    if (initNode) {
      // the one variable of `for (let i = 0; …)` may be declared again by a sibling loop; the
      // variables of `for (let i = 0, n = x.length; …)` are not counters and stay unique
      const lowerInit = () => (Node.isVariableDeclarationList(initNode) ? this.variableStatement(initNode.getDeclarations(), loc, initNode.getDeclarations().length === 1) : this.expressionStatement(initNode as Expression, loc));
      init = this.withIncrements(initNode, lowerInit, beforeLoop);
    }
    const condNode = s.getCondition();
    const pre: Stmt[] = [];
    const test = condNode ? this.withIncrements(condNode, () => this.expr(condNode), pre) : null;
    const incr = s.getIncrementor();
    const update = incr ? this.withIncrements(incr, () => this.expressionStatement(incr, loc)) : [];
    const body = this.block(s.getStatement());
    const loop: Extract<Stmt, { k: 'loop' }> = { k: 'loop', init, test, update, body, doWhile: false, loc };
    const counter = canonicalCounter(init, test, update, body);
    if (counter && pre.length === 0) loop.counter = counter;
    return [...beforeLoop, condNode ? this.testAtTop(loop, pre, condNode) : loop];
  }

  /** `for (const v of arr)` → an index loop over arr with `v = arr[i]`. */
  private forOfStatement(s: import('ts-morph').ForOfStatement, loc: Loc): Stmt[] {
    const arr = this.arrayName(s.getExpression());
    const initNode = s.getInitializer();
    if (!arr || !Node.isVariableDeclarationList(initNode) || initNode.getDeclarations().length !== 1) {
      this.error('AD1001', s, 'This for…of loop', 'Loop over a numeric array variable with `for (const v of a)`, or use an index loop.');
      return [];
    }
    const decl = initNode.getDeclarations()[0]!;
    const i = this.declare(`_i${this.forOfCount++}`, 'number');
    const body = this.inScope(() => {
      const v = this.declare(decl.getName(), 'number');
      const rest = this.block(s.getStatement());
      // `for (let v of a) { v *= 2; … }` assigns the element's copy
      let assigned = false;
      visitStmts(rest, (st) => { assigned ||= st.k === 'assign' && st.name === v; });
      const first: Stmt = { k: 'decl', name: v, type: 'number', init: b.idx(arr, b.v(i)), mutable: assigned, loc };
      return [first, ...rest];
    });
    return [
      {
        k: 'loop',
        init: [{ k: 'decl', name: i, type: 'number', init: b.ZERO, mutable: true }],
        test: b.op('<', b.v(i), b.len(arr)),
        update: [b.assign(i, b.add(b.v(i), b.ONE))],
        body,
        doWhile: false,
        counter: { name: i, start: b.ZERO, step: 1 },
        loc,
      },
    ];
  }

  private returnStatement(e: Expression | undefined, loc: Loc): Stmt[] {
    if (!e) return [{ k: 'return', e: null, loc }];
    const inner = unwrap(e);
    if (Node.isArrayLiteralExpression(inner)) {
      return [{ k: 'return', e: { k: 'arr', elems: inner.getElements().map((x) => this.expr(x as Expression)) }, loc }];
    }
    // `return c ? [a, b] : [d, e]`: a tuple or array chosen by `?:` returns from an `if`
    if (Node.isConditionalExpression(inner) && classifyType(inner.getType()) !== 'number') {
      return [{ k: 'if', c: this.expr(inner.getCondition()), then: this.returnStatement(inner.getWhenTrue(), loc), else: this.returnStatement(inner.getWhenFalse(), loc), loc }];
    }
    // `return x.slice()`, `return new Float64Array(n).fill(1)`, `return f(x)`: the array in a local first, as
    // `const y = …; return y;` would have it
    const returns = this.returns;
    // a tuple function returns its elements: `return r` (an array local, a tuple helper's result)
    // and `return p(a, b)` give `[r[0], r[1]]`, in the declared tuple type
    if (returns?.kind === 'tuple') {
      const elements = (arr: string): Stmt => ({ k: 'return', e: { k: 'arr', elems: Array.from({ length: returns.length }, (_, i) => b.idx(arr, b.num(i))) }, loc });
      const named = this.arrayName(inner);
      if (named) return [elements(named)];
      if (!Node.isIdentifier(inner)) {
        return this.inScope(() => {
          const stmts = this.arrayDeclaration('result', 'number[]', inner, inner, loc);
          return stmts.length === 0 ? [] : [...stmts, elements(this.lookup('result')!)];
        });
      }
    }
    if (returns?.kind === 'array' && !Node.isIdentifier(inner)) {
      return this.inScope(() => {
        const stmts = this.arrayDeclaration('result', returns.type, inner, inner, loc);
        return stmts.length === 0 ? [] : [...stmts, { k: 'return', e: b.v(this.lookup('result')!), loc } as Stmt];
      });
    }
    return [{ k: 'return', e: this.expr(e), loc }];
  }

  // ---- expressions ----------------------------------------------------------------------

  expr(e: Expression): Expr {
    e = unwrap(e);
    if (Node.isNumericLiteral(e)) return b.num(Number(e.compilerNode.text));
    if (e.getKind() === SyntaxKind.TrueKeyword) return { k: 'bool', v: true };
    if (e.getKind() === SyntaxKind.FalseKeyword) return { k: 'bool', v: false };
    if (Node.isIdentifier(e)) return this.identifier(e);
    if (Node.isPropertyAccessExpression(e)) {
      const obj = e.getExpression();
      const prop = e.getName();
      if (obj.getText() === 'Math') {
        if (MATH_CONSTANTS.has(prop)) return b.ext(`Math.${prop}`);
        this.error('AD1001', e, `'Math.${prop}' used as a value`, 'Call it instead.');
        return b.ZERO;
      }
      if (prop === 'length') {
        const arr = this.arrayName(obj);
        if (arr) return b.len(arr);
        // a module-level array that is no constant table: said once, at its element reads or here
        if (Node.isIdentifier(obj) && isArrayClass(classifyType(obj.getType())) && !this.lookup(obj.getText())) {
          this.arrayValueError(obj, obj.getText());
          return b.ZERO;
        }
      }
      // Number.EPSILON, Number.NEGATIVE_INFINITY, …: constants like Math.PI
      const constant = numberConstant(e);
      if (constant !== null) return b.num(constant);
      // a numeric enum member (`Mode.Fast`) is a constant too
      const member = e.getSymbol()?.getValueDeclaration();
      const value = member && Node.isEnumMember(member) ? member.getValue() : undefined;
      if (typeof value === 'number') return b.num(value);
      // and a module-level constant read through a namespace import (`C.HALF`)
      const imported = classifyType(e.getType()) === 'number' ? moduleConstant(e.getNameNode()) : null;
      if (imported !== null) return b.num(imported);
      this.error('AD1004', e, `'${e.getText()}'`);
      return b.ZERO;
    }
    if (Node.isElementAccessExpression(e)) {
      const arr = this.arrayName(e.getExpression());
      if (!arr) {
        this.arrayValueError(e.getExpression(), e.getExpression().getText());
        return b.ZERO;
      }
      return b.idx(arr, this.expr(e.getArgumentExpressionOrThrow()));
    }
    if (Node.isBinaryExpression(e)) {
      const kind = e.getOperatorToken().getKind();
      const o = BINARY_OPS[kind];
      if (!o) {
        if (BITWISE.has(kind)) this.error('AD1001', e, `The bitwise operator '${e.getOperatorToken().getText()}'`, BITWISE_HINT);
        else if (kind >= SyntaxKind.FirstAssignment && kind <= SyntaxKind.LastAssignment) this.error('AD1001', e, `The operator '${e.getOperatorToken().getText()}' inside an expression`, 'Assign in a statement of its own, and use only arithmetic, comparisons and && || inside expressions.');
        else this.error('AD1001', e, `The operator '${e.getOperatorToken().getText()}'`, 'Use arithmetic and comparisons on numbers, and && || on booleans.');
        return b.ZERO;
      }
      if (o === '&&' || o === '||') {
        // `y || 1` is a number (y, or 1 when y is 0): a value with a derivative, which the
        // boolean && || of the IR would drop
        const numeric = [e.getLeft(), e.getRight()].find((x) => !isBooleanType(x.getType()));
        // `(c && y) || 0`: say it once, where the number meets the operator
        const logical = (x: Node): boolean => {
          const inner = Node.isParenthesizedExpression(x) ? x.getExpression() : x;
          const kind = Node.isBinaryExpression(inner) ? inner.getOperatorToken().getKind() : null;
          return kind === SyntaxKind.AmpersandAmpersandToken || kind === SyntaxKind.BarBarToken;
        };
        if (numeric && logical(numeric)) {
          this.expr(e.getLeft());
          this.expr(e.getRight());
          return b.ZERO;
        }
        if (numeric) {
          const t = numeric.getText();
          this.error('AD1001', e, `'${o}' on the number '${t}'`, `'&&' and '||' take booleans: compare the number ('${t} !== 0') where you mean a condition, or write a conditional ('${t} !== 0 ? ${t} : …') where you mean a value.`);
          return b.ZERO;
        }
      }
      const left = this.expr(e.getLeft());
      return b.op(o, left, o === '&&' || o === '||' ? this.mayNotRun(() => this.expr(e.getRight())) : this.expr(e.getRight()));
    }
    if (Node.isPrefixUnaryExpression(e)) {
      const tok = e.getOperatorToken();
      if (tok === SyntaxKind.TildeToken) {
        this.error('AD1001', e, "The bitwise operator '~'", BITWISE_HINT);
        return b.ZERO;
      }
      if (tok === SyntaxKind.PlusPlusToken || tok === SyntaxKind.MinusMinusToken) return this.incrementInExpression(e);
      const a = this.expr(e.getOperand());
      if (tok === SyntaxKind.MinusToken) return a.k === 'num' ? b.num(-a.v) : b.op('neg', a);
      if (tok === SyntaxKind.PlusToken) return b.op('pos', a);
      if (tok === SyntaxKind.ExclamationToken) return b.op('!', a);
      this.error('AD1001', e, `The operator in '${e.getText()}'`, 'Use arithmetic and comparisons on numbers, and && || on booleans.');
      return b.ZERO;
    }
    if (Node.isPostfixUnaryExpression(e)) return this.incrementInExpression(e);
    if (Node.isConditionalExpression(e)) {
      const c = this.expr(e.getCondition());
      return { k: 'cond', c, ...this.mayNotRun(() => ({ a: this.expr(e.getWhenTrue()), b: this.expr(e.getWhenFalse()) })) };
    }
    if (Node.isCallExpression(e)) return this.callExpression(e);
    if (Node.isArrowFunction(e) || Node.isFunctionExpression(e)) {
      this.error('AD1004', e, 'A closure');
      return b.ZERO;
    }
    if (Node.isObjectLiteralExpression(e) || Node.isThisExpression(e) || Node.isNewExpression(e)) {
      this.error('AD1004', e, `'${e.getText().slice(0, 40)}'`);
      return b.ZERO;
    }
    if (Node.isStringLiteral(e) || Node.isNoSubstitutionTemplateLiteral(e) || Node.isTemplateExpression(e)) {
      this.error('AD1011', e, e.getText().slice(0, 40), 'string');
      return b.ZERO;
    }
    this.error('AD1001', e, `The expression '${e.getText().slice(0, 40)}'`, 'Rewrite it with the constructs of SPEC §1.');
    return b.ZERO;
  }

  private identifier(e: Node): Expr {
    const text = e.getText();
    const name = this.lookup(text);
    if (name) return b.v(name);
    if (text === 'Infinity') return b.num(Infinity);
    if (text === 'NaN') return b.num(NaN);
    // a module-level numeric constant (imported ones too) whose value adgen can compute is inlined
    if (classifyType(e.getType()) === 'number' && Node.isIdentifier(e)) {
      const value = constantValue(e);
      if (value !== null) return b.num(value);
    }
    if (this.outOfScopeLocal(e)) return b.ZERO;
    if (text === 'undefined') {
      this.error('AD1001', e, "'undefined'", 'Numbers and arrays in differentiable code always have a value; give an optional parameter a default instead.');
      return b.ZERO;
    }
    const decl = e.getSymbol()?.getDeclarations()[0];
    const statement = decl && Node.isVariableDeclaration(decl) ? decl.getVariableStatement() : undefined;
    if (statement && Node.isSourceFile(statement.getParent()) && classifyType(e.getType()) === 'number') {
      if (statement.getDeclarationKind() !== 'const') this.error('AD1001', e, `The module-level variable '${text}' (its value may change)`, 'Declare it const with a value adgen can compute (it is then inlined), or pass it as a parameter.');
      else this.error('AD1001', e, `'${text}', a module-level constant whose value adgen cannot compute`, 'Give it a literal value (or arithmetic on literals), or pass it as a parameter.');
      return b.ZERO;
    }
    if (e.getType().isAny()) this.error('AD1008', e, text);
    else this.error('AD1004', e, `'${text}' (a value from outside the function)`);
    return b.ZERO;
  }

  /**
   * A variable of this function used outside the block that declares it (`var i` read after its
   * loop): reported as that (true), not as a value from outside the function.
   */
  /** Whether the node sits in a loop of the function (its body, test or update). */
  private inLoop(node: Node): boolean {
    const fn = this.unit.node;
    for (let p = node.getParent(); p && p !== fn; p = p.getParent()) {
      if (Node.isForStatement(p) || Node.isWhileStatement(p) || Node.isDoStatement(p) || Node.isForOfStatement(p)) return true;
    }
    return false;
  }

  private outOfScopeLocal(id: Node): boolean {
    const decl = id.getSymbol()?.getDeclarations()[0];
    const fn = this.unit.node;
    if (!decl || !Node.isVariableDeclaration(decl) || decl.getSourceFile() !== fn.getSourceFile() || decl.getStart() < fn.getStart() || decl.getEnd() > fn.getEnd()) return false;
    // the declaration list covers `var` statements and `for (var …)` alike
    const isVar = decl.getParentIfKind(SyntaxKind.VariableDeclarationList)?.getDeclarationKind() === 'var';
    if (isVar) this.error('AD1001', id, `'${id.getText()}', declared with 'var' and used outside its block`, `Declare it with 'let' before the block.`);
    else this.error('AD1001', id, `'${id.getText()}' used outside the block that declares it`, 'Declare it where both uses can see it.');
    return true;
  }

  private callExpression(e: import('ts-morph').CallExpression): Expr {
    const callee = e.getExpression();
    const text = callee.getText();
    const args = e.getArguments() as Expression[];
    if (text.startsWith('Math.')) {
      if (text in REJECTED) {
        this.error(REJECTED[text as keyof typeof REJECTED], e, text);
        return b.ZERO;
      }
      const rule = ruleFor(text);
      if (!rule || BOOLEAN_OPS.has(text)) {
        this.error('AD1009', e, text);
        return b.ZERO;
      }
      if (typeof rule.arity === 'number' && args.length !== rule.arity) {
        this.error('AD1001', e, `'${text}' with ${args.length} arguments`, `It takes ${rule.arity}.`);
        return b.ZERO;
      }
      if (rule.arity === 'variadic' && args.length === 0) {
        this.error('AD1001', e, `'${text}' without arguments`, 'Pass at least one number.');
        return b.ZERO;
      }
      return b.op(text, ...args.map((a) => this.expr(a)));
    }
    if (isStopGradient(callee)) {
      if (args.length !== 1) {
        this.error('AD1001', e, 'stopGradient with other than one argument', 'Pass exactly one number.');
        return b.ZERO;
      }
      return { k: 'stop', e: this.expr(args[0]!) };
    }
    if (text === 'Number' && args.length === 1) {
      // Number(c) of a boolean is 1 or 0, as +c is (the generated code spells it +c for tsc)
      const value = this.expr(args[0]!);
      return isBooleanType(args[0]!.getType()) ? b.op('pos', value) : value;
    }
    if (PREDICATES.has(text) && args.length === 1) return b.op(text, this.expr(args[0]!));
    if (Node.isPropertyAccessExpression(callee) && this.arrayName(callee.getExpression())) {
      const method = callee.getName();
      const hint = method === 'fill' ? 'Fill the whole array with one argument, `a.fill(v)`, or use an index loop.' : 'Use an index loop over the array instead.';
      this.error('AD1001', e, `The array method '${text}(…)'`, hint);
      return b.ZERO;
    }
    // `f(…)`, or `L.f(…)` through `import * as L`
    const named = userFunctionName(callee);
    if (!named) {
      if (Node.isPropertyAccessExpression(callee) && callee.getExpression().getText() === 'console') {
        this.error('AD1001', e, `The call '${text}(…)'`, 'Derivative code computes numbers only: log in the caller instead.');
      } else this.error('AD1004', e, `The call '${text}(…)'`);
      return b.ZERO;
    }
    const decl = resolveFunction(named);
    if (!decl) {
      // `import { g } from './missing.ts'`: tsc's own error (TS2307) says it better
      const imported = importOf(Node.isPropertyAccessExpression(callee) ? callee.getExpression() : callee);
      if (!(imported && !imported.declaration.getModuleSpecifierSourceFile() && reportTypeErrorsIn(imported.declaration, this.bag))) this.error('AD1002', callee, text);
      return b.ZERO;
    }
    // the function's own name: its derivatives are named after it (`import { dot as d }` calls _dotVjp)
    const name = declaredName(decl) ?? named.getText();
    const ref: CalleeRef = { name, decl, at: this.where(callee) };
    if (decl.getSourceFile() !== this.unit.node.getSourceFile()) {
      const imported = importOf(Node.isPropertyAccessExpression(callee) ? callee.getExpression() : callee);
      if (!imported) {
        this.error('AD1002', callee, text);
        return b.ZERO;
      }
      ref.specifier = specifierOf(decl.getSourceFile(), imported);
      // another function of this file by that name would share the derivatives' names
      let local = this.unit.node.getSourceFile().getLocal(name);
      if (local?.isAlias()) local = local.getAliasedSymbol();
      if (name !== text && local && !(local.getDeclarations() as Node[]).includes(decl)) {
        this.error('AD1001', callee, `Calling '${text}', the import of '${name}', in a file that also has a '${name}'`, `Import it under its own name: derivative code is named after it.`);
        return b.ZERO;
      }
    }
    if (decl === this.unit.node) {
      this.error('AD1007', callee, text);
      return b.ZERO;
    }
    const known = this.callees.get(name);
    if (known && known.decl !== decl) {
      // (pipeline.ts reports such clashes between the functions of one file; within one function the second call would take the first one's code)
      const files = [known.decl, decl].map((d) => path.basename(d.getSourceFile().getFilePath()));
      this.error('AD1001', callee, `Two different functions named '${name}' (${files[0] === files[1] ? files[0] : files.join(' and ')}) in one function`, `Rename one of them: the derivative code of a function is named after it (_${name}Vjp).`);
      return b.ZERO;
    }
    if (!known) this.callees.set(name, ref);
    const irArgs = args.map((a) => {
      const cls = classifyType(a.getType());
      if (isArrayClass(cls) || cls === 'tuple') {
        const arr = this.arrayName(a);
        if (arr) return b.v(arr);
        // `tanhv(dense(W, b, x))`: the inner call goes into a local of its own (analyze/inline.ts)
        const inner = unwrap(a);
        if (Node.isCallExpression(inner) && namesUserFunction(inner.getExpression())) return this.callExpression(inner);
        this.arrayValueError(a, a.getText());
        return b.v('_');
      }
      return this.expr(a);
    });
    return b.call(name, ...irArgs);
  }
}

/** Globals generated code uses by name; a user variable of that name is renamed inside it. */
const GENERATED_CODE_GLOBALS = new Set(['Math', 'Number', 'Array', 'Float64Array', 'Float32Array', 'Infinity', 'NaN', 'undefined', 'RangeError', 'Record', 'ArrayLike']);

const NUMBER_CONSTANTS = new Set(['EPSILON', 'MAX_VALUE', 'MIN_VALUE', 'MAX_SAFE_INTEGER', 'MIN_SAFE_INTEGER', 'POSITIVE_INFINITY', 'NEGATIVE_INFINITY', 'NaN']);

/** The value of `Number.EPSILON` and the other numeric constants of `Number`; null for anything else. */
function numberConstant(e: import('ts-morph').PropertyAccessExpression): number | null {
  return e.getExpression().getText() === 'Number' && NUMBER_CONSTANTS.has(e.getName()) && isGlobal(e.getExpression()) ? Number[e.getName() as 'EPSILON'] : null;
}

/** Whether a name (`Math`, `Number`) is JavaScript's: declared only in TypeScript's library files. */
function isGlobal(id: Node): boolean {
  return (id.getSymbol()?.getDeclarations() ?? []).every((d) => d.getSourceFile().isDeclarationFile());
}

/**
 * Deepest nesting of a function's syntax tree that adgen lowers; its passes recurse over
 * expressions, and so do the TypeScript printer and prettier (about 1000 levels take 9 s).
 */
const MAX_NESTING = 1200;

/** Depth of the compiler's syntax tree under `root`, with an explicit stack. */
function nestingDepth(root: ts.Node): number {
  let max = 0;
  const stack: [ts.Node, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > max) max = depth;
    ts.forEachChild(node, (child) => {
      stack.push([child, depth + 1]);
    });
  }
  return max;
}

/** `a ||= b` and friends, as the `if` to write instead. */
const LOGICAL_ASSIGNMENT: Partial<Record<SyntaxKind, (l: string, r: string) => string>> = {
  [SyntaxKind.BarBarEqualsToken]: (l, r) => `if (${l} === 0) ${l} = ${r}`,
  [SyntaxKind.AmpersandAmpersandEqualsToken]: (l, r) => `if (${l} !== 0) ${l} = ${r}`,
  [SyntaxKind.QuestionQuestionEqualsToken]: (l, r) => `give ${l} a value where it is declared, or ${l} = ${r} where it may be missing`,
};

/** Bitwise operators: integer arithmetic on 32 bits, outside the language. */
const BITWISE = new Set([SyntaxKind.BarToken, SyntaxKind.AmpersandToken, SyntaxKind.CaretToken, SyntaxKind.LessThanLessThanToken, SyntaxKind.GreaterThanGreaterThanToken, SyntaxKind.GreaterThanGreaterThanGreaterThanToken, SyntaxKind.TildeToken, SyntaxKind.BarEqualsToken, SyntaxKind.AmpersandEqualsToken, SyntaxKind.CaretEqualsToken, SyntaxKind.LessThanLessThanEqualsToken, SyntaxKind.GreaterThanGreaterThanEqualsToken, SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken]);
const BITWISE_HINT = 'Use Math.trunc(x) for x | 0, Math.floor(x / 2) for x >> 1, and so on: bitwise operators work on 32-bit integers and have no derivative.';

/** Whether `t` is `any[]` from `new Array(n).fill(v)` or `Array(n).fill(v)` with a number v (TypeScript's type for it). */
function untypedNumberArray(t: Type, init: Expression): boolean {
  const filled = fillCall(init);
  if (!filled || !t.isArray() || !t.getArrayElementType()?.isAny()) return false;
  const array = unwrap(filled.array);
  return (Node.isNewExpression(array) || Node.isCallExpression(array)) && array.getExpression().getText() === 'Array' && classifyType(filled.value.getType()) === 'number';
}

/** `array.fill(value)` with one argument: its parts; anything else (a range, no value): null. */
function fillCall(e: Expression): { array: Expression; value: Expression } | null {
  const inner = unwrap(e);
  if (!Node.isCallExpression(inner)) return null;
  const callee = inner.getExpression();
  const args = inner.getArguments();
  if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== 'fill' || args.length !== 1) return null;
  return { array: callee.getExpression(), value: args[0] as Expression };
}

/** Whether every reference to a module-level array is `t[i]` read as a value or `t.length` (memoised per declaration). */
const readOnlyTables = new WeakMap<Node, boolean>();
function onlyReadByElement(decl: import('ts-morph').VariableDeclaration): boolean {
  let known = readOnlyTables.get(decl);
  if (known !== undefined) return known;
  const nameNode = decl.getNameNode();
  known = Node.isIdentifier(nameNode) && nameNode.findReferencesAsNodes().every((ref) => {
    let parent = ref.getParent();
    if (!parent) return false;
    // import and export specifiers name it without using it
    if (Node.isImportSpecifier(parent) || Node.isExportSpecifier(parent) || Node.isImportClause(parent)) return true;
    // through a namespace import, `A.TAB`: that access is the use
    let use: Node = ref;
    if (Node.isPropertyAccessExpression(parent) && parent.getNameNode() === ref) {
      use = parent;
      parent = use.getParent();
      if (!parent) return false;
    }
    if (Node.isPropertyAccessExpression(parent) && parent.getExpression() === use) return parent.getName() === 'length' && !isWritten(parent);
    if (Node.isElementAccessExpression(parent) && parent.getExpression() === use) return !isWritten(parent);
    return false;
  });
  readOnlyTables.set(decl, known);
  return known;
}

/**
 * Whether an expression is assigned, updated (`++`) or deleted: TypeScript's own test of an
 * assignment target, which knows destructuring and `for (t[0] of …)` (internal to its API: where
 * a TypeScript lacks it, every use counts as a write, so no table is read in place).
 */
function isWritten(e: Node): boolean {
  if (Node.isDeleteExpression(e.getParentWhile((x) => Node.isParenthesizedExpression(x)) ?? e.getParent())) return true;
  const target = (ts as unknown as { isAssignmentTarget?: (n: ts.Node) => boolean }).isAssignmentTarget;
  return typeof target !== 'function' || target(e.compilerNode);
}

/**
 * The elements of an array given by listing them: `[a, b]`, `new Float64Array([a, b])`,
 * `Float64Array.of(a, b)`, `Float64Array.from([a, b])` (no spread). Null for anything else.
 */
function listedElements(e: Expression): Expression[] | null {
  const plain = (x: Node): Expression[] | null => (Node.isArrayLiteralExpression(x) && x.getElements().every((el) => !Node.isSpreadElement(el)) ? (x.getElements() as Expression[]) : null);
  const direct = plain(e);
  if (direct) return direct;
  const typed = (x: Node) => ['Float64Array', 'Float32Array', 'Array'].includes(x.getText());
  if (Node.isNewExpression(e) && typed(e.getExpression()) && e.getExpression().getText() !== 'Array' && e.getArguments().length === 1) {
    return plain(unwrap(e.getArguments()[0] as Expression));
  }
  if (Node.isCallExpression(e) && Node.isPropertyAccessExpression(e.getExpression())) {
    const callee = e.getExpression() as import('ts-morph').PropertyAccessExpression;
    if (!typed(callee.getExpression())) return null;
    const args = e.getArguments() as Expression[];
    if (callee.getName() === 'of' && args.every((a) => !Node.isSpreadElement(a))) return args;
    if (callee.getName() === 'from' && args.length === 1) return plain(unwrap(args[0]!));
  }
  return null;
}

/** Strips parentheses, `as`, `!` and `satisfies`, which do not change values. */
function unwrap(e: Expression): Expression {
  for (;;) {
    if (Node.isParenthesizedExpression(e) || Node.isAsExpression(e) || Node.isNonNullExpression(e) || Node.isSatisfiesExpression(e) || Node.isTypeAssertion(e)) {
      e = e.getExpression();
    } else return e;
  }
}

/**
 * The value of a module-level constant's initialiser when it is arithmetic on numbers, `Math`
 * constants and other such constants (`const TWO_PI = 2 * Math.PI`, `const B = A * 3`); null
 * otherwise. Evaluated by adgen and inlined, as the constant cannot change.
 */
/** Math functions a module-level constant may apply to constants (not `Math.random`). */
const CONSTANT_MATH = new Set(['sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'exp', 'expm1', 'log', 'log1p', 'log2', 'log10', 'sqrt', 'cbrt', 'pow', 'hypot', 'abs', 'min', 'max', 'sign', 'floor', 'ceil', 'round', 'trunc', 'fround']);

function constantValue(e: Expression, depth = 0): number | null {
  if (depth > 20) return null;
  const inner = (x: Expression) => constantValue(unwrap(x), depth + 1);
  if (Node.isNumericLiteral(e)) return Number(e.compilerNode.text);
  if (Node.isPrefixUnaryExpression(e)) {
    const v = inner(e.getOperand());
    if (v === null) return null;
    if (e.getOperatorToken() === SyntaxKind.MinusToken) return -v;
    if (e.getOperatorToken() === SyntaxKind.PlusToken) return v;
    return null;
  }
  if (Node.isBinaryExpression(e)) {
    const [l, r] = [inner(e.getLeft()), inner(e.getRight())];
    if (l === null || r === null) return null;
    switch (e.getOperatorToken().getKind()) {
      case SyntaxKind.PlusToken: return l + r;
      case SyntaxKind.MinusToken: return l - r;
      case SyntaxKind.AsteriskToken: return l * r;
      case SyntaxKind.SlashToken: return l / r;
      case SyntaxKind.AsteriskAsteriskToken: return l ** r;
      default: return null;
    }
  }
  if (Node.isPropertyAccessExpression(e) && e.getExpression().getText() === 'Math' && !isGlobal(e.getExpression())) return null;
  if (Node.isCallExpression(e) && Node.isPropertyAccessExpression(e.getExpression()) && !isGlobal((e.getExpression() as import('ts-morph').PropertyAccessExpression).getExpression())) return null;
  if (Node.isPropertyAccessExpression(e) && e.getExpression().getText() === 'Math' && MATH_CONSTANTS.has(e.getName())) {
    return Math[e.getName() as 'PI'];
  }
  // `const LOG_2PI = Math.log(2 * Math.PI)`: a Math function of constants
  if (Node.isCallExpression(e)) {
    const callee = e.getExpression();
    const name = Node.isPropertyAccessExpression(callee) && callee.getExpression().getText() === 'Math' ? callee.getName() : '';
    if (!CONSTANT_MATH.has(name)) return null;
    const args = (e.getArguments() as Expression[]).map(inner);
    if (args.some((a) => a === null)) return null;
    return (Math[name as 'max'] as (...xs: number[]) => number)(...(args as number[]));
  }
  if (Node.isPropertyAccessExpression(e) && e.getName() === 'length') return tableLength(e.getExpression());
  if (Node.isElementAccessExpression(e)) return tableElement(e.getExpression(), inner(e.getArgumentExpressionOrThrow() as Expression));
  if (Node.isPropertyAccessExpression(e)) return numberConstant(e);
  if (Node.isIdentifier(e)) return moduleConstant(e, depth);
  return null;
}

/** The value of the module-level `const` an identifier names (`HALF`, or `C.HALF`'s name), if computable. */
function moduleConstant(id: import('ts-morph').Identifier, depth = 0): number | null {
  const decl = id.getSymbol()?.getAliasedSymbol()?.getValueDeclaration() ?? id.getSymbol()?.getValueDeclaration();
  if (decl && Node.isVariableDeclaration(decl) && decl.getVariableStatement()?.getDeclarationKind() === 'const' && decl.getVariableStatement()?.getParent() === decl.getSourceFile()) {
    const init = decl.getInitializer();
    return init ? constantValue(unwrap(init), depth + 1) : null;
  }
  return null;
}

/**
 * `T.length` of a module-level const table listed element by element (`const M = T.length`), when
 * nothing writes the table or passes it on (a number[] could grow).
 */
function tableLength(e: Expression): number | null {
  return Node.isIdentifier(e) ? (constantTable(e)?.listed.length ?? null) : null;
}

/** `T[k]` of such a table, at a constant whole index k inside it. */
function tableElement(e: Expression, k: number | null): number | null {
  const table = Node.isIdentifier(e) ? constantTable(e) : null;
  if (!table || k === null || !Number.isInteger(k) || k < 0 || k >= table.listed.length) return null;
  const value = constantValue(unwrap(table.listed[k]!));
  // a Float32Array holds its numbers rounded to single precision
  return value !== null && table.type === 'Float32Array' ? Math.fround(value) : value;
}

/**
 * A module-level const table a name refers to: a number[] (also `[…] as const`), Float64Array or
 * Float32Array that lists its elements, which nothing writes or passes on anywhere in the project
 * and, if exported, whose type forbids writes (an importer could write it otherwise).
 */
function constantTable(id: Node): { decl: import('ts-morph').VariableDeclaration; listed: Expression[]; type: 'number[]' | 'Float64Array' | 'Float32Array' } | null {
  const symbol = id.getSymbol();
  const decl = symbol?.getAliasedSymbol()?.getValueDeclaration() ?? symbol?.getValueDeclaration();
  if (!decl || !Node.isVariableDeclaration(decl)) return null;
  const statement = decl.getVariableStatement();
  if (!statement || statement.getParent() !== decl.getSourceFile() || statement.getDeclarationKind() !== 'const') return null;
  const classified = classifyType(decl.getType());
  const type = classified === 'tuple' ? 'number[]' : classified;
  if (type !== 'number[]' && type !== 'Float64Array' && type !== 'Float32Array') return null;
  const init = decl.getInitializer();
  const listed = init ? listedElements(unwrap(init)) : null;
  if (!listed || !onlyReadByElement(decl)) return null;
  if (decl.isExported() && !decl.getType().isReadonlyArray?.() && !decl.getType().getText().startsWith('readonly ')) return null;
  return { decl, listed, type };
}

function resolveFunction(id: Node): FunctionLike | null {
  let sym = id.getSymbol();
  if (sym?.isAlias()) sym = sym.getAliasedSymbol();
  for (const d of sym?.getDeclarations() ?? []) {
    if (Node.isFunctionDeclaration(d) && d.getBody()) return d;
    // const f = (…) => … / function (…) { … }
    if (Node.isVariableDeclaration(d) && d.getVariableStatement()?.getDeclarationKind() === 'const') {
      const init = d.getInitializer();
      if (init && (Node.isArrowFunction(init) || Node.isFunctionExpression(init))) return init;
    }
  }
  return null;
}

/**
 * `stopGradient(…)` of the runtime package, also imported under another name, through
 * `import * as R` or a re-export. A function of the user's that happens to be called
 * `stopGradient` is an ordinary helper.
 */
function isStopGradient(callee: Node): boolean {
  const named = Node.isIdentifier(callee) ? callee : Node.isPropertyAccessExpression(callee) ? callee.getNameNode() : null;
  if (!named) return false;
  let sym = named.getSymbol();
  if (sym?.isAlias()) sym = sym.getAliasedSymbol();
  const decls = sym?.getDeclarations() ?? [];
  // the runtime package not installed (the import does not resolve): by its name
  if (decls.length === 0) return named.getText() === 'stopGradient' && (Node.isIdentifier(callee) || (Node.isPropertyAccessExpression(callee) && importOf(callee.getExpression())?.namespace === true));
  return sym!.getName() === 'stopGradient' && decls.some((d) => packageOf(d.getSourceFile()) === '@adgen/runtime');
}

const packageNames = new Map<string, string | null>();

/** The name in the nearest package.json above a source file (null when there is none). */
function packageOf(sf: import('ts-morph').SourceFile): string | null {
  const host = sf.getProject().getFileSystem();
  const seen: string[] = [];
  let name: string | null = null;
  for (let dir = path.dirname(sf.getFilePath()); ; dir = path.dirname(dir)) {
    const known = packageNames.get(dir);
    if (known !== undefined) {
      name = known;
      break;
    }
    seen.push(dir);
    const manifest = path.join(dir, 'package.json');
    if (host.fileExistsSync(manifest)) {
      try {
        name = (JSON.parse(host.readFileSync(manifest)) as { name?: string }).name ?? null;
      } catch {
        name = null;
      }
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  for (const dir of seen) packageNames.set(dir, name);
  return name;
}

/**
 * The import a name comes from: `import { f }`, `import { f as g }`, `import f` (a default
 * export), `import * as L`, or `import { L }` of a namespace re-export (`export * as L from …`).
 */
const isArrayClass = (c: string): c is 'number[]' | 'Float64Array' | 'Float32Array' => c === 'number[]' || c === 'Float64Array' || c === 'Float32Array';

/** The name `f` of a call's callee `f` or `L.f` (through `import * as L`): a function the program declares, not a method. */
function userFunctionName(callee: Node): import('ts-morph').Identifier | null {
  if (Node.isIdentifier(callee)) return callee;
  return Node.isPropertyAccessExpression(callee) && importOf(callee.getExpression())?.namespace ? callee.getNameNode() : null;
}

const namesUserFunction = (callee: Node): boolean => userFunctionName(callee) !== null;

function importOf(id: Node): { declaration: import('ts-morph').ImportDeclaration; namespace: boolean } | null {
  const sym = id.getSymbol();
  const decl = sym?.getDeclarations()[0];
  if (decl && Node.isImportSpecifier(decl)) {
    const target = sym!.isAlias() ? sym!.getAliasedSymbol() : undefined;
    const namespace = (target?.getDeclarations() ?? []).some((d) => Node.isSourceFile(d) || Node.isNamespaceExport(d));
    return { declaration: decl.getImportDeclaration(), namespace };
  }
  if (decl && Node.isImportClause(decl)) return { declaration: decl.getParentOrThrow() as import('ts-morph').ImportDeclaration, namespace: false };
  if (decl && Node.isNamespaceImport(decl)) return { declaration: decl.getParentOrThrow().getParentOrThrow() as import('ts-morph').ImportDeclaration, namespace: true };
  return null;
}

/** The name a function is declared with (`function f`, `const f = (…) => …`). */
function declaredName(decl: FunctionLike): string | undefined {
  if (Node.isFunctionDeclaration(decl)) return decl.getName();
  const parent = decl.getParent();
  return Node.isVariableDeclaration(parent) ? parent.getName() : undefined;
}

/**
 * How the importing file reaches the file that declares a callee: the import's own specifier,
 * or, when the import goes through a file that re-exports it, a path to the declaring file in
 * the same style (`./lib.ts`, `./lib.js` or `./lib`), since that file's derivatives are where
 * the kernels live.
 */
function specifierOf(declaring: import('ts-morph').SourceFile, imported: { declaration: import('ts-morph').ImportDeclaration }): string {
  const spec = imported.declaration.getModuleSpecifierValue();
  if (imported.declaration.getModuleSpecifierSourceFile() === declaring) return spec;
  const from = imported.declaration.getSourceFile().getDirectoryPath();
  const target = declaring.getFilePath();
  let rel = path.posix.relative(from, target);
  if (!rel.startsWith('.')) rel = `./${rel}`;
  const ext = ['.ts', '.mts', '.js', '.mjs'].find((x) => spec.endsWith(x));
  const stem = rel.slice(0, rel.length - path.posix.extname(rel).length);
  return ext === undefined ? stem : ext.endsWith('ts') ? rel : `${stem}${ext}`;
}

/** Recognises `for (let i = a; i < b; i++)` (or <=, or i += c) whose body never writes i. */
export function canonicalCounter(init: Stmt[], test: Expr | null, update: Stmt[], body: Stmt[]): { name: string; start: Expr; step: number } | undefined {
  if (init.length !== 1 || update.length !== 1 || !test) return undefined;
  const d = init[0]!;
  const u = update[0]!;
  if (d.k !== 'decl' || d.type !== 'number' || !d.init || u.k !== 'assign' || u.name !== d.name) return undefined;
  const e = u.e;
  if (e.k !== 'op' || (e.op !== '+' && e.op !== '-') || e.args[0]!.k !== 'var' || e.args[0]!.name !== d.name || e.args[1]!.k !== 'num') return undefined;
  const step = e.op === '+' ? e.args[1]!.v : -e.args[1]!.v;
  if (!Number.isInteger(step) || step === 0) return undefined;
  if (test.k !== 'op' || !['<', '<=', '>', '>=', '!=='].includes(test.op)) return undefined;
  if (writes(body, d.name)) return undefined;
  return { name: d.name, start: d.init, step };
}

export function writes(stmts: Stmt[], name: string): boolean {
  return stmts.some((s) => {
    switch (s.k) {
      case 'assign': return s.name === name;
      case 'decl': return s.name === name;
      case 'if': return writes(s.then, name) || writes(s.else, name);
      case 'loop': return writes(s.init, name) || writes(s.body, name) || writes(s.update, name);
      case 'block': return writes(s.body, name);
      default: return false;
    }
  });
}

/** Lowers a function to source IR (null, with diagnostics, when it cannot), and the functions it calls either way. */
export function lowerFunction(unit: FunctionUnit, bag: DiagnosticBag): { ir: FunctionIR | null; callees: CalleeRef[] } {
  const lowerer = new Lowerer(unit, bag);
  const ir = lowerer.lower();
  return { ir, callees: [...lowerer.callees.values()] };
}

/** A boolean, a boolean literal or a union of them (`any` too: the type checker reports it elsewhere). */
function isBooleanType(t: Type): boolean {
  if (t.isBoolean() || t.isBooleanLiteral() || t.isAny()) return true;
  return t.isUnion() && t.getUnionTypes().every((u) => u.isBoolean() || u.isBooleanLiteral());
}

/**
 * `let i;` without a type or a value: TypeScript types it any, then by what is assigned (an
 * evolving let). A number when every assignment stores a number and every read is one.
 */
function autoTypedNumber(d: import('ts-morph').VariableDeclaration): boolean {
  const name = d.getNameNode();
  if (d.getInitializer() || d.getTypeNode() || !Node.isIdentifier(name) || !d.getType().isAny()) return false;
  const refs = name.findReferencesAsNodes().filter((r) => r !== name);
  return refs.length > 0 && refs.every((r) => {
    const parent = r.getParent();
    if (Node.isBinaryExpression(parent) && parent.getLeft() === r && parent.getOperatorToken().getKind() === SyntaxKind.EqualsToken) return classifyType(parent.getRight().getType()) === 'number';
    return classifyType(r.getType()) === 'number';
  });
}
