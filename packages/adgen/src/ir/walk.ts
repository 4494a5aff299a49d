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

/** Calls f on every node of e, children before their parent (mapExpr's order), copying nothing. */
export function forEachExpr(e: Expr, f: (e: Expr) => void): void {
  switch (e.k) {
    case 'idx': forEachExpr(e.i, f); break;
    case 'op': case 'call': case 'xcall': for (const a of e.args) forEachExpr(a, f); break;
    case 'cond': forEachExpr(e.c, f); forEachExpr(e.a, f); forEachExpr(e.b, f); break;
    case 'stop': case 'as': forEachExpr(e.e, f); break;
    case 'alloc': forEachExpr(e.len, f); break;
    case 'obj': for (const [, v] of e.props) forEachExpr(v, f); break;
    case 'arr': for (const x of e.elems) forEachExpr(x, f); break;
    case 'lambda': forEachExpr(e.body, f); break;
    default: break;
  }
  f(e);
}

/** Calls f on every node of every expression of the statements (recursively). */
export function forEachStmtExpr(stmts: Stmt[], f: (e: Expr) => void): void {
  visitStmts(stmts, (s) => {
    for (const e of ownExprs(s)) forEachExpr(e, f);
  });
}

/** Whether some node of the expression satisfies p. */
export function someIn(e: Expr, p: (e: Expr) => boolean): boolean {
  switch (e.k) {
    case 'idx': if (someIn(e.i, p)) return true; break;
    case 'op': case 'call': case 'xcall': if (e.args.some((a) => someIn(a, p))) return true; break;
    case 'cond': if (someIn(e.c, p) || someIn(e.a, p) || someIn(e.b, p)) return true; break;
    case 'stop': case 'as': if (someIn(e.e, p)) return true; break;
    case 'alloc': if (someIn(e.len, p)) return true; break;
    case 'obj': if (e.props.some(([, v]) => someIn(v, p))) return true; break;
    case 'arr': if (e.elems.some((x) => someIn(x, p))) return true; break;
    case 'lambda': if (someIn(e.body, p)) return true; break;
    default: break;
  }
  return p(e);
}

/** Whether some expression of the statements satisfies p. */
export function someExpr(stmts: Stmt[], p: (e: Expr) => boolean): boolean {
  for (const s of stmts) {
    if (ownExprs(s).some((e) => someIn(e, p))) return true;
    switch (s.k) {
      case 'if': if (someExpr(s.then, p) || someExpr(s.else, p)) return true; break;
      case 'loop': if (someExpr(s.init, p) || someExpr(s.update, p) || someExpr(s.body, p)) return true; break;
      case 'block': if (someExpr(s.body, p)) return true; break;
      default: break;
    }
  }
  return false;
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

/**
 * Rewrites every statement list, nested ones first: the body of each loop (not its init or
 * update), both arms of each if, each block, and the top list.
 */
export function mapStatementLists(stmts: Stmt[], f: (list: Stmt[]) => Stmt[]): Stmt[] {
  return f(
    mapStmts(stmts, (s) => {
      if (s.k === 'loop') return [{ ...s, body: f(s.body) }];
      if (s.k === 'if') return [{ ...s, then: f(s.then), else: f(s.else) }];
      if (s.k === 'block') return [{ ...s, body: f(s.body) }];
      return [s];
    }),
  );
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

/** e with variables renamed by map (reads, array names of `a[i]` and `a.length`), all at once. */
export function renameExpr(e: Expr, map: ReadonlyMap<string, string>): Expr {
  return mapExpr(e, (x) => renamedNode(x, map));
}

/** One node renamed (mapExpr applies it to every node once: renames never chain). */
function renamedNode(x: Expr, map: ReadonlyMap<string, string>): Expr {
  const n = (name: string) => map.get(name) ?? name;
  return x.k === 'var' ? { ...x, name: n(x.name) } : x.k === 'idx' || x.k === 'len' ? { ...x, arr: n(x.arr) } : x;
}

/** The statements with variables renamed by map (reads, writes, declarations, array names), all at once. */
export function renameIn(stmts: Stmt[], map: ReadonlyMap<string, string>): Stmt[] {
  const n = (name: string) => map.get(name) ?? name;
  return mapStmts(mapStmtExprs(stmts, (x) => renamedNode(x, map)), (s): Stmt[] => {
    switch (s.k) {
      case 'decl': case 'assign': return [{ ...s, name: n(s.name) }];
      case 'store': return [{ ...s, arr: n(s.arr) }];
      case 'loop': return [s.counter ? { ...s, counter: { ...s.counter, name: n(s.counter.name), start: renameExpr(s.counter.start, map) } } : s];
      default: return [s];
    }
  });
}

/** Whether a `continue` in the statements belongs to the loop around them (not to a nested loop). */
export function hasContinue(stmts: Stmt[]): boolean {
  return stmts.some((s) => s.k === 'continue' || (s.k === 'if' && (hasContinue(s.then) || hasContinue(s.else))) || (s.k === 'block' && hasContinue(s.body)));
}
