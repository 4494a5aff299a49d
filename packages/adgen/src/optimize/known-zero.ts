/**
 * A target-IR pass that turns `v += e` into `v = e` where v is certainly 0 (and `v -= e` into
 * `v = -e`).
 *
 * Reverse mode resets an adjoint after using it (`dv_bar = 0`) and the next iteration adds into
 * it again (`dv_bar += h * v_bar`): the addition of 0 is one more floating-point operation on
 * the loop's critical path, and V8 cannot drop it (0 + x is not x when x is −0). A forward
 * data-flow analysis over the structured IR finds the scalars that hold 0: set by `= 0`, not
 * written since, on every path (loops iterate to a fixpoint). Only the function's own `number`
 * derivative locals are tracked; a name that raw text (`ext`) mentions is left alone.
 *
 * The rewrite is exact except for the sign of a zero result (0 + −0 is +0).
 */
import { neg } from '../ir/builders.ts';
import type { Expr, Stmt } from '../ir/nodes.ts';
import type { TargetFunction } from '../ir/target.ts';
import { visitStmts, writtenIn } from '../ir/walk.ts';
import { opaqueNames } from './fresh.ts';
import { isDerivativeName } from '../analyze/names.ts';

type Zeros = Set<string>;

export function useKnownZeros(fn: TargetFunction): TargetFunction {
  const tracked = new Set<string>();
  visitStmts(fn.body, (s) => {
    // the sign of a zero derivative is immaterial, but a primal value's is not (`let s = 0; s -= x`
    // is +0 at x = 0 and `-x` is −0, which `1 / s` or `Math.atan2(s, -1)` tell apart)
    if (s.k === 'decl' && s.type === 'number' && isDerivativeName(s.name)) tracked.add(s.name);
  });
  for (const name of opaqueNames(fn.body)) tracked.delete(name);
  if (tracked.size === 0) return fn;
  const pass = new KnownZeros(tracked);
  return { ...fn, body: pass.stmts(fn.body, new Set(), true).out };
}

const isZeroLiteral = (e: Expr | null): boolean => e !== null && e.k === 'num' && e.v === 0 && !Object.is(e.v, -0);

class KnownZeros {
  constructor(private readonly tracked: Set<string>) {}

  /** Walks statements from the zeros known before them; returns the rewritten code and the zeros after. */
  stmts(stmts: Stmt[], zeros: Zeros, rewrite: boolean): { out: Stmt[]; zeros: Zeros } {
    let z = new Set(zeros);
    const out: Stmt[] = [];
    for (const s of stmts) {
      const r = this.stmt(s, z, rewrite);
      out.push(r.out);
      z = r.zeros;
    }
    return { out, zeros: z };
  }

  /**
   * Statements of a nested scope: a name declared there is another variable than the same name
   * outside, so on leaving the scope that name gets back what was known before it.
   */
  private scoped(stmts: Stmt[], zeros: Zeros, rewrite: boolean, declaredAlso: Stmt[] = []): { out: Stmt[]; zeros: Zeros } {
    const r = this.stmts(stmts, zeros, rewrite);
    for (const d of [...declaredAlso, ...stmts]) {
      if (d.k !== 'decl') continue;
      if (zeros.has(d.name)) r.zeros.add(d.name);
      else r.zeros.delete(d.name);
    }
    return r;
  }

  private stmt(s: Stmt, z: Zeros, rewrite: boolean): { out: Stmt; zeros: Zeros } {
    switch (s.k) {
      case 'decl':
      case 'assign': {
        const next = new Set(z);
        const init = s.k === 'decl' ? s.init : s.e;
        const op = s.k === 'assign' ? s.op : undefined;
        if (!this.tracked.has(s.name)) return { out: s, zeros: next };
        if (s.k === 'assign' && (op === '+=' || op === '-=') && z.has(s.name)) {
          next.delete(s.name);
          const e = op === '-=' ? neg(s.e) : s.e;
          if (isZeroLiteral(e)) next.add(s.name);
          return { out: rewrite ? { ...s, e, op: '=' } : s, zeros: next };
        }
        if ((op === undefined || op === '=') && isZeroLiteral(init)) next.add(s.name);
        else if (op === '*=' && z.has(s.name)) {
          // 0 · e stays 0 only for finite e: forget it
          next.delete(s.name);
        } else next.delete(s.name);
        return { out: s, zeros: next };
      }
      case 'if': {
        const t = this.scoped(s.then, z, rewrite);
        const e = this.scoped(s.else, z, rewrite);
        return { out: { ...s, then: t.out, else: e.out }, zeros: intersect(t.zeros, e.zeros) };
      }
      case 'block': {
        const r = this.scoped(s.body, z, rewrite);
        return { out: { ...s, body: r.out }, zeros: r.zeros };
      }
      case 'loop':
        return this.loop(s, z, rewrite);
      default:
        return { out: s, zeros: z };
    }
  }

  private loop(s: Extract<Stmt, { k: 'loop' }>, z: Zeros, rewrite: boolean): { out: Stmt; zeros: Zeros } {
    const init = this.stmts(s.init, z, rewrite);
    const iteration = [...s.body, ...s.update];
    if (!rewrite) {
      // inside an enclosing loop's fixpoint: a loop forgets what it writes (a nested fixpoint per
      // outer step would cost exponential time in the nesting depth)
      const written = writtenIn(iteration);
      return { out: s, zeros: this.leaveHead(s, z, new Set([...init.zeros].filter((v) => !written.has(v)))) };
    }
    let jumps = false;
    visitStmts(iteration, (x) => {
      if (x.k === 'break' || x.k === 'continue' || x.k === 'return') jumps = true;
    });
    // one pass over body then update, from the zeros at the top of an iteration
    const pass = (top: Zeros, write: boolean) => {
      const body = this.scoped(s.body, top, write);
      const update = this.stmts(s.update, body.zeros, write);
      return { body: body.out, update: update.out, zeros: update.zeros };
    };
    let header: Zeros;
    if (jumps) {
      // a jump leaves from the middle of the body: forget everything the loop writes
      const written = writtenIn(iteration);
      header = new Set([...init.zeros].filter((v) => !written.has(v)));
    } else {
      // zeros at the top of every iteration: those on entry that each iteration restores (fixpoint)
      header = init.zeros;
      for (;;) {
        const next = intersect(init.zeros, pass(header, false).zeros);
        if (next.size === header.size) break;
        header = next;
      }
    }
    const done = pass(header, rewrite);
    // the loop exits at the test (zeros of the header) or, for do-while, after a body
    const after = jumps || !s.doWhile ? header : done.zeros;
    return { out: { ...s, init: init.out, body: done.body, update: done.update }, zeros: this.leaveHead(s, z, after) };
  }

  /** The loop head's declarations (its counter) are gone after the loop: their names get back what was known before. */
  private leaveHead(s: Extract<Stmt, { k: 'loop' }>, before: Zeros, after: Zeros): Zeros {
    const out = new Set(after);
    for (const d of s.init) {
      if (d.k !== 'decl') continue;
      if (before.has(d.name)) out.add(d.name);
      else out.delete(d.name);
    }
    return out;
  }
}

function intersect(a: Zeros, b: Zeros): Zeros {
  return new Set([...a].filter((v) => b.has(v)));
}
