/** Generic rewriting of IR trees. */
import type { Expr, Stmt } from './nodes.ts';

/** Rewrites every expression bottom-up with f. */
export function mapExpr(e: Expr, f: (e: Expr) => Expr): Expr {
  const m = (x: Expr) => mapExpr(x, f);
  switch (e.k) {
    case 'idx': return f({ ...e, i: m(e.i) });
    case 'op': return f({ ...e, args: e.args.map(m) });
    case 'call': return f({ ...e, args: e.args.map(m) });
    case 'xcall': return f({ ...e, args: e.args.map(m) });
    case 'cond': return f({ ...e, c: m(e.c), a: m(e.a), b: m(e.b) });
    case 'stop': return f({ ...e, e: m(e.e) });
    case 'alloc': return f({ ...e, len: m(e.len) });
    case 'obj': return f({ ...e, props: e.props.map(([k, v]) => [k, m(v)] as [string, Expr]) });
    case 'arr': return f({ ...e, elems: e.elems.map(m) });
    case 'lambda': return f({ ...e, body: m(e.body) });
    case 'as': return f({ ...e, e: m(e.e) });
    default: return f(e);
  }
}

/** Rewrites every expression of the statements (recursively) with f. */
export function mapStmtExprs(stmts: Stmt[], f: (e: Expr) => Expr): Stmt[] {
  const m = (x: Expr) => mapExpr(x, f);
  return stmts.map((s): Stmt => {
    switch (s.k) {
      case 'decl': return { ...s, init: s.init && m(s.init) };
      case 'assign': return { ...s, e: m(s.e) };
      case 'store': return { ...s, i: m(s.i), e: m(s.e) };
      case 'expr': return { ...s, e: m(s.e) };
      case 'return': return { ...s, e: s.e && m(s.e) };
      case 'if': return { ...s, c: m(s.c), then: mapStmtExprs(s.then, f), else: mapStmtExprs(s.else, f) };
      case 'loop': return { ...s, init: mapStmtExprs(s.init, f), test: s.test && m(s.test), update: mapStmtExprs(s.update, f), body: mapStmtExprs(s.body, f) };
      case 'block': return { ...s, body: mapStmtExprs(s.body, f) };
      default: return s;
    }
  });
}

/** Whether some expression of the statements satisfies p. */
export function someExpr(stmts: Stmt[], p: (e: Expr) => boolean): boolean {
  let found = false;
  mapStmtExprs(stmts, (e) => {
    if (p(e)) found = true;
    return e;
  });
  return found;
}

/** The expressions a statement evaluates itself (a loop's test, an `if`'s condition), not those of nested statements. */
export function ownExprs(s: Stmt): Expr[] {
  switch (s.k) {
    case 'decl': return s.init ? [s.init] : [];
    case 'assign': case 'expr': return [s.e];
    case 'store': return [s.i, s.e];
    case 'return': return s.e ? [s.e] : [];
    case 'if': return [s.c];
    case 'loop': return s.test ? [s.test] : [];
    default: return [];
  }
}

/** Calls f on every statement, nested ones included (before their children). */
export function visitStmts(stmts: Stmt[], f: (s: Stmt) => void): void {
  for (const s of stmts) {
    f(s);
    if (s.k === 'if') {
      visitStmts(s.then, f);
      visitStmts(s.else, f);
    } else if (s.k === 'loop') {
      visitStmts(s.init, f);
      visitStmts(s.update, f);
      visitStmts(s.body, f);
    } else if (s.k === 'block') visitStmts(s.body, f);
  }
}

/** Scalars the statements declare or assign and arrays they store into (at any depth). */
export function writtenIn(stmts: Stmt[], out = new Set<string>()): Set<string> {
  visitStmts(stmts, (s) => {
    if (s.k === 'decl' || s.k === 'assign') out.add(s.name);
    else if (s.k === 'store') out.add(s.arr);
  });
  return out;
}

/** Rewrites every statement, nested ones included (children first), with f: its replacements. */
export function mapStmts(stmts: Stmt[], f: (s: Stmt) => Stmt[]): Stmt[] {
  return stmts.flatMap((s) => {
    switch (s.k) {
      case 'if': return f({ ...s, then: mapStmts(s.then, f), else: mapStmts(s.else, f) });
      case 'loop': return f({ ...s, init: mapStmts(s.init, f), update: mapStmts(s.update, f), body: mapStmts(s.body, f) });
      case 'block': return f({ ...s, body: mapStmts(s.body, f) });
      default: return f(s);
    }
  });
}
