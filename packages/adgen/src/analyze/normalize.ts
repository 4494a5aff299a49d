/**
 * Normalisation of source IR before differentiation.
 *
 * - Ternaries in value positions become `if` statements writing a temporary, so that the arm
 *   that did not run contributes nothing to the derivative (SPEC §3, JAX's `where` NaN trap).
 * - Calls to user functions in value positions are hoisted into statements of their own
 *   (`_t0 = g(…)`), so each mode handles a call only as `v = g(…)` or as a statement.
 * Conditions, loop tests and array indices are primal-only and stay as they are.
 */
import * as b from '../ir/builders.ts';
import type { Namer } from '../ir/namer.ts';
import type { Expr, FunctionIR, Loc, Stmt } from '../ir/nodes.ts';

export function normalizeFunction(fn: FunctionIR, namer: Namer): FunctionIR {
  const hoist = (e: Expr, pre: Stmt[], loc: Loc | undefined): Expr => {
    switch (e.k) {
      case 'cond': {
        const t = namer.fresh('_t');
        fn.locals.set(t, 'number');
        const thenPre: Stmt[] = [];
        const elsePre: Stmt[] = [];
        const a = hoist(e.a, thenPre, loc);
        const c = hoist(e.b, elsePre, loc);
        pre.push(b.decl(t, 'number', b.ZERO, true, loc));
        pre.push({ k: 'if', c: e.c, then: [...thenPre, b.assign(t, a, '=', loc)], else: [...elsePre, b.assign(t, c, '=', loc)], ...(loc ? { loc } : {}) });
        return b.v(t);
      }
      case 'call': {
        const args = e.args.map((a) => hoist(a, pre, loc));
        const t = namer.fresh('_t');
        fn.locals.set(t, 'number');
        pre.push(b.decl(t, 'number', { k: 'call', fn: e.fn, args }, false, loc));
        return b.v(t);
      }
      case 'op':
        return { ...e, args: e.args.map((a) => hoist(a, pre, loc)) };
      case 'arr':
        return { ...e, elems: e.elems.map((a) => hoist(a, pre, loc)) };
      default:
        // stopGradient(…), indices, lengths, atoms: primal-only, nothing to hoist
        return e;
    }
  };

  /** A call that is the whole right-hand side stays where it is; its arguments are hoisted. */
  const hoistTop = (e: Expr, pre: Stmt[], loc: Loc | undefined): Expr =>
    e.k === 'call' ? { ...e, args: e.args.map((a) => hoist(a, pre, loc)) } : hoist(e, pre, loc);

  const visit = (stmts: Stmt[]): Stmt[] => {
    const out: Stmt[] = [];
    for (const s of stmts) {
      const pre: Stmt[] = [];
      switch (s.k) {
        case 'decl':
          out.push({ ...s, init: s.init && s.init.k !== 'alloc' ? hoistTop(s.init, pre, s.loc) : s.init });
          break;
        case 'assign':
          out.push({ ...s, e: hoistTop(s.e, pre, s.loc) });
          break;
        case 'store':
          out.push({ ...s, e: hoist(s.e, pre, s.loc) });
          break;
        case 'return':
          out.push({ ...s, e: s.e ? hoist(s.e, pre, s.loc) : null });
          break;
        case 'expr':
          out.push({ ...s, e: hoistTop(s.e, pre, s.loc) });
          break;
        case 'if':
          out.push({ ...s, then: visit(s.then), else: visit(s.else) });
          break;
        case 'loop':
          out.push({ ...s, init: visit(s.init), body: visit(s.body), update: visit(s.update) });
          break;
        default:
          out.push(s);
      }
      // pre-statements go before the statement they came from
      if (pre.length > 0) out.splice(out.length - 1, 0, ...pre);
    }
    return out;
  };

  return { ...fn, body: visit(fn.body) };
}
