/**
 * IR → TypeScript AST (ts.factory) → text through the TypeScript printer. The printer is dumb and
 * total: readability comes from the IR's shape; the factory's parenthesizer places parentheses.
 */
import { ts } from '../parse/typescript.ts';
import type { Expr, Stmt } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';

const f = ts.factory;

const BINARY: Record<string, ts.BinaryOperator> = {
  '+': ts.SyntaxKind.PlusToken,
  '-': ts.SyntaxKind.MinusToken,
  '*': ts.SyntaxKind.AsteriskToken,
  '/': ts.SyntaxKind.SlashToken,
  '%': ts.SyntaxKind.PercentToken,
  '**': ts.SyntaxKind.AsteriskAsteriskToken,
  '<': ts.SyntaxKind.LessThanToken,
  '<=': ts.SyntaxKind.LessThanEqualsToken,
  '>': ts.SyntaxKind.GreaterThanToken,
  '>=': ts.SyntaxKind.GreaterThanEqualsToken,
  '===': ts.SyntaxKind.EqualsEqualsEqualsToken,
  '!==': ts.SyntaxKind.ExclamationEqualsEqualsToken,
  '==': ts.SyntaxKind.EqualsEqualsToken,
  '!=': ts.SyntaxKind.ExclamationEqualsToken,
  '&&': ts.SyntaxKind.AmpersandAmpersandToken,
  '||': ts.SyntaxKind.BarBarToken,
  '??': ts.SyntaxKind.QuestionQuestionToken,
};

const ASSIGN: Record<string, ts.BinaryOperator> = {
  '=': ts.SyntaxKind.EqualsToken,
  '+=': ts.SyntaxKind.PlusEqualsToken,
  '-=': ts.SyntaxKind.MinusEqualsToken,
  '*=': ts.SyntaxKind.AsteriskEqualsToken,
};

/** `a.b.c` and `a.b[0]` of generated names (never user text). */
function dotted(text: string): ts.Expression {
  // a string literal argument of a helper (`_tangentArray(…, 'x')`)
  if (text.startsWith("'")) return f.createStringLiteral(text.slice(1, -1), true);
  // `_sp++`: the tape's stack pointer, post-incremented (fast pushes)
  if (text.endsWith('++')) return f.createPostfixUnaryExpression(f.createIdentifier(text.slice(0, -2)), ts.SyntaxKind.PlusPlusToken);
  if (text.startsWith('--')) return f.createPrefixUnaryExpression(ts.SyntaxKind.MinusMinusToken, f.createIdentifier(text.slice(2)));
  const m = /^(.*)\[(\d+)\]$/.exec(text);
  if (m) return f.createElementAccessExpression(dotted(m[1]!), f.createNumericLiteral(m[2]!));
  const parts = text.split('.');
  let e: ts.Expression = f.createIdentifier(parts[0]!);
  for (const p of parts.slice(1)) e = f.createPropertyAccessExpression(e, p);
  return e;
}

function numberLiteral(v: number): ts.Expression {
  if (Number.isNaN(v)) return f.createIdentifier('NaN');
  if (v === Infinity) return f.createIdentifier('Infinity');
  if (v === -Infinity) return f.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, f.createIdentifier('Infinity'));
  if (v < 0 || Object.is(v, -0)) return f.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, f.createNumericLiteral(String(-v)));
  return f.createNumericLiteral(String(v));
}

/** Parsed type texts: a file has a few distinct ones, each annotating many declarations. */
const parsedTypes = new Map<string, ts.TypeNode>();

/** Parses type text of our own making and rebuilds it with the factory (so it prints anywhere). */
export function typeNode(text: string): ts.TypeNode {
  let parsed = parsedTypes.get(text);
  if (!parsed) {
    const sf = ts.createSourceFile('t.ts', `type _T = ${text};`, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
    parsed = (sf.statements[0] as ts.TypeAliasDeclaration).type;
    parsedTypes.set(text, parsed);
  }
  // fresh nodes at every use: a node belongs to one place in the tree
  return synth(parsed);
}

function synth(t: ts.TypeNode): ts.TypeNode {
  if (ts.isTypeReferenceNode(t)) {
    return f.createTypeReferenceNode(f.createIdentifier((t.typeName as ts.Identifier).text), t.typeArguments?.map(synth));
  }
  if (ts.isTupleTypeNode(t)) return f.createTupleTypeNode(t.elements.map((e) => synth(e as ts.TypeNode)));
  if (ts.isArrayTypeNode(t)) return f.createArrayTypeNode(synth(t.elementType));
  if (ts.isTypeLiteralNode(t)) {
    return f.createTypeLiteralNode(
      t.members.map((m) => {
        const p = m as ts.PropertySignature;
        return f.createPropertySignature(undefined, (p.name as ts.Identifier).text, p.questionToken ? f.createToken(ts.SyntaxKind.QuestionToken) : undefined, synth(p.type!));
      }),
    );
  }
  if (ts.isUnionTypeNode(t)) return f.createUnionTypeNode(t.types.map(synth));
  if (ts.isTypeOperatorNode(t)) return f.createTypeOperatorNode(t.operator, synth(t.type));
  return f.createKeywordTypeNode(t.kind as ts.KeywordTypeSyntaxKind);
}

export function expr(e: Expr): ts.Expression {
  switch (e.k) {
    case 'num': return numberLiteral(e.v);
    case 'bool': return e.v ? f.createTrue() : f.createFalse();
    case 'var': return f.createIdentifier(e.name);
    case 'idx': return f.createElementAccessExpression(f.createIdentifier(e.arr), expr(e.i));
    case 'len': return f.createPropertyAccessExpression(f.createIdentifier(e.arr), 'length');
    case 'ext': return dotted(e.text);
    case 'op': {
      if (e.op === 'neg') return f.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, paren(expr(e.args[0]!)));
      if (e.op === 'pos') return f.createPrefixUnaryExpression(ts.SyntaxKind.PlusToken, paren(expr(e.args[0]!)));
      if (e.op === '!') return f.createPrefixUnaryExpression(ts.SyntaxKind.ExclamationToken, paren(expr(e.args[0]!)));
      const bin = BINARY[e.op];
      if (bin !== undefined) {
        const [l, r] = [expr(e.args[0]!), expr(e.args[1]!)];
        // (-a) ** b must keep its parentheses
        const left = e.op === '**' && ts.isPrefixUnaryExpression(l) ? f.createParenthesizedExpression(l) : l;
        // a * (b * c) keeps them too: TypeScript's printer drops the parentheses of a product
        // inside a product as if `*` were associative, but floating-point products are not (and
        // a * (b % n * c) would read (a * b) % n * c)
        const right = e.op === '*' && isProduct(e.args[1]!) ? f.createParenthesizedExpression(r) : r;
        return f.createBinaryExpression(left, bin, right);
      }
      return f.createCallExpression(dotted(e.op), undefined, e.args.map(expr));
    }
    case 'call': return f.createCallExpression(f.createIdentifier(e.fn), undefined, e.args.map(expr));
    case 'xcall': return f.createCallExpression(dotted(e.callee), undefined, e.args.map(expr));
    case 'cond': return f.createConditionalExpression(expr(e.c), f.createToken(ts.SyntaxKind.QuestionToken), expr(e.a), f.createToken(ts.SyntaxKind.ColonToken), expr(e.b));
    case 'stop': return expr(e.e);
    case 'alloc':
      if (e.values) {
        const literal = f.createArrayLiteralExpression(e.values.map(numberLiteral), false);
        return e.ctor === 'Array' ? literal : f.createNewExpression(f.createIdentifier(e.ctor), undefined, [literal]);
      }
      if (e.ctor === 'Array') {
        const arr = f.createNewExpression(f.createIdentifier('Array'), [f.createKeywordTypeNode(ts.SyntaxKind.NumberKeyword)], [expr(e.len)]);
        return f.createCallExpression(f.createPropertyAccessExpression(arr, 'fill'), undefined, [numberLiteral(e.holes ? NaN : 0)]);
      }
      return f.createNewExpression(f.createIdentifier(e.ctor), undefined, [expr(e.len)]);
    case 'obj':
      return f.createObjectLiteralExpression(
        e.props.map(([k, v]) => (v.k === 'var' && v.name === k ? f.createShorthandPropertyAssignment(k) : f.createPropertyAssignment(k, expr(v)))),
        false,
      );
    case 'arr': return f.createArrayLiteralExpression(e.elems.map(expr), false);
    case 'lambda':
      return f.createArrowFunction(undefined, undefined, e.params.map((p) => f.createParameterDeclaration(undefined, undefined, p)), undefined, f.createToken(ts.SyntaxKind.EqualsGreaterThanToken), expr(e.body));
    case 'as': return f.createAsExpression(expr(e.e), typeNode(e.type));
  }
}

/** Whether e prints as a product `a * b` (stopGradient prints as what it holds). */
function isProduct(e: Expr): boolean {
  if (e.k === 'stop') return isProduct(e.e);
  return e.k === 'op' && e.op === '*';
}

/** Prefix operators on binary operands keep explicit parentheses. */
function paren(e: ts.Expression): ts.Expression {
  return ts.isBinaryExpression(e) || ts.isConditionalExpression(e) ? f.createParenthesizedExpression(e) : e;
}

/** How statements print. */
export interface PrintOptions {
  /**
   * Scalar declarations say `: number` / `: boolean`. Needed with `noUncheckedIndexedAccess`,
   * where `const v = s[1]!` inside a loop that writes `s[1]` makes TypeScript's narrowing of
   * `s[1]` circular (TS7022).
   */
  annotateScalars?: boolean;
}

function declList(stmts: Stmt[], opts: PrintOptions): ts.VariableDeclarationList | null {
  if (stmts.length === 0 || !stmts.every((s) => s.k === 'decl')) return null;
  const decls = stmts as Extract<Stmt, { k: 'decl' }>[];
  const annotation = (d: Extract<Stmt, { k: 'decl' }>) => (opts.annotateScalars && (d.type === 'number' || d.type === 'boolean') ? typeNode(d.type) : undefined);
  return f.createVariableDeclarationList(
    decls.map((d) => f.createVariableDeclaration(d.name, undefined, annotation(d), d.init ? expr(d.init) : undefined)),
    decls.every((d) => !d.mutable) ? ts.NodeFlags.Const : ts.NodeFlags.Let,
  );
}

function assignExpr(s: Stmt): ts.Expression {
  // i = i + 1, i += 1 → i++ (and i--)
  if (s.k === 'assign') {
    const e = s.e;
    const step = (op: string | undefined, k: string) => (op === '+=' ? k === '+' : op === '-=' ? k === '-' : false);
    if (e.k === 'num' && Math.abs(e.v) === 1 && (s.op === '+=' || s.op === '-=')) {
      const up = step(s.op, '+') === (e.v === 1);
      return f.createPostfixUnaryExpression(f.createIdentifier(s.name), up ? ts.SyntaxKind.PlusPlusToken : ts.SyntaxKind.MinusMinusToken);
    }
    if ((s.op ?? '=') === '=' && e.k === 'op' && (e.op === '+' || e.op === '-') && e.args[0]!.k === 'var' && e.args[0]!.name === s.name && e.args[1]!.k === 'num' && e.args[1]!.v === 1) {
      return f.createPostfixUnaryExpression(f.createIdentifier(s.name), e.op === '+' ? ts.SyntaxKind.PlusPlusToken : ts.SyntaxKind.MinusMinusToken);
    }
  }
  if (s.k === 'assign') return f.createBinaryExpression(f.createIdentifier(s.name), ASSIGN[s.op ?? '=']!, expr(s.e));
  if (s.k === 'store') return f.createBinaryExpression(f.createElementAccessExpression(f.createIdentifier(s.arr), expr(s.i)), ASSIGN[s.op ?? '=']!, expr(s.e));
  if (s.k === 'expr') return expr(s.e);
  throw new Error(`not an expression statement: ${s.k}`);
}

/** Statements of a loop update as one expression: `a, b`; an `if` becomes `c ? (…) : (…)`, a declaration an assignment. */
function sequence(stmts: Stmt[]): ts.Expression {
  const parts = stmts.flatMap((s): ts.Expression[] => {
    if (s.k === 'comment') return [];
    if (s.k === 'decl') return s.init ? [f.createBinaryExpression(f.createIdentifier(s.name), ts.SyntaxKind.EqualsToken, expr(s.init))] : [];
    if (s.k === 'if') return [f.createConditionalExpression(expr(s.c), undefined, f.createParenthesizedExpression(sequence(s.then)), undefined, f.createParenthesizedExpression(sequence(s.else)))];
    return [assignExpr(s)];
  });
  return parts.length === 0 ? f.createVoidZero() : parts.reduce((a, c) => f.createComma(a, c));
}

export function statements(stmts: Stmt[], opts: PrintOptions = {}): ts.Statement[] {
  const out: ts.Statement[] = [];
  let pending: string[] = [];
  let lastComment: string | null = null;
  for (const s of stmts) {
    if (s.k === 'comment') {
      // consecutive repeats of the same provenance comment say nothing new
      if (s.text !== lastComment && !pending.includes(s.text)) pending.push(s.text);
      continue;
    }
    const nodes = statement(s, opts);
    if (nodes.length === 0) continue;
    for (const text of pending) ts.addSyntheticLeadingComment(nodes[0]!, ts.SyntaxKind.SingleLineCommentTrivia, ` ${text}`, true);
    if (pending.length > 0) lastComment = pending[pending.length - 1]!;
    pending = [];
    out.push(...nodes);
  }
  return out;
}

function block(stmts: Stmt[], opts: PrintOptions): ts.Block {
  return f.createBlock(statements(stmts, opts), true);
}

function statement(s: Stmt, opts: PrintOptions): ts.Statement[] {
  switch (s.k) {
    case 'decl':
      return [f.createVariableStatement(undefined, declList([s], opts)!)];
    case 'assign':
    case 'store':
    case 'expr':
      return [f.createExpressionStatement(assignExpr(s))];
    case 'if': {
      const elseBranch = s.else.some((x) => x.k !== 'comment') ? block(s.else, opts) : undefined;
      return [f.createIfStatement(expr(s.c), block(s.then, opts), elseBranch)];
    }
    case 'loop': {
      const test = s.test ? expr(s.test) : undefined;
      if (s.doWhile) {
        const body = [...s.body, ...s.update];
        return [...statements(s.init, opts), f.createDoStatement(block(body, opts), test ?? f.createTrue())];
      }
      if (s.init.length === 0 && s.update.length === 0) return [f.createWhileStatement(test ?? f.createTrue(), block(s.body, opts))];
      const init = declList(s.init, opts);
      // an update with a `?:` (normalised into a temporary and an `if`) declares its temporary first
      const temps = s.update.flatMap((u): Stmt[] => (u.k === 'decl' ? [{ ...u, init: u.type === 'boolean' ? { k: 'bool', v: false } : { k: 'num', v: 0 }, mutable: true }] : []));
      const update = s.update.length === 0 ? undefined : sequence(s.update);
      const before = statements(temps, opts);
      if (init || s.init.length === 0) return [...before, f.createForStatement(init ?? undefined, test, update, block(s.body, opts))];
      // initialisers that are not declarations run just before the loop
      return [...before, ...statements(s.init, opts), f.createForStatement(undefined, test, update, block(s.body, opts))];
    }
    case 'break': return [f.createBreakStatement()];
    case 'continue': return [f.createContinueStatement()];
    case 'return': return [f.createReturnStatement(s.e ? expr(s.e) : undefined)];
    case 'block': return [block(s.body, opts)];
    case 'comment': return [];
  }
}

export function functionDeclaration(fn: TargetFunction, opts: PrintOptions = {}): ts.FunctionDeclaration {
  const node = f.createFunctionDeclaration(
    fn.exported ? [f.createModifier(ts.SyntaxKind.ExportKeyword)] : undefined,
    undefined,
    fn.name,
    undefined,
    fn.params.map((p) => f.createParameterDeclaration(undefined, undefined, p.name, undefined, typeNode(p.type), p.init ? expr(p.init) : undefined)),
    fn.returnType ? typeNode(fn.returnType) : undefined,
    block(fn.body, opts),
  );
  if (fn.doc) ts.addSyntheticLeadingComment(node, ts.SyntaxKind.MultiLineCommentTrivia, `* ${fn.doc} `, true);
  return node;
}

const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed, removeComments: false });
const scratch = ts.createSourceFile('generated.ts', '', ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);

export function printNode(node: ts.Node): string {
  return printer.printNode(ts.EmitHint.Unspecified, node, scratch);
}
