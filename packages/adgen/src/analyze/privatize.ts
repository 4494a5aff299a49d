/**
 * Scalars that live within one iteration of a loop become that iteration's own variables
 * (privatisation). Code in the style of C and Fortran declares its temporaries at the top of the
 * function: `let lam = 0, v = 0; for (…) { lam = lambda[i]; v = L[i] * lam; s += … }`. Each
 * iteration writes them before reading them, and nothing after the loop reads them, so they carry
 * nothing from one iteration to the next; declared outside the loop they still look loop-carried
 * to reverse mode, which then saves every overwritten value on the tape and cannot run the
 * adjoint inside the loop. Declared at the top of the body, they are what `const` inside the
 * loop would have given.
 *
 * Liveness over the structured IR (backwards; loops to a fixpoint; `break`, `continue` and
 * `return` to their targets) gives, for each loop, the variables live where an iteration's body
 * starts and where the loop ends. A `number` or `boolean` local declared once, outside the loop,
 * not mentioned in the loop's head and live at neither point, is privatised: in the innermost
 * such loop around each of its uses (the outermost of those where they nest). When it has no use
 * outside those loops and its declaration calls nothing, the outer declaration goes and each loop
 * declares the same name; otherwise each loop gets a fresh name. The body's first write becomes
 * the declaration where it is a plain assignment of the body itself (`const` when nothing else
 * writes it), as if the user had written `const lam = lambda[i]`. Otherwise the body declares it
 * with a 0, which pays only where the loop's iterations then become independent: where reverse
 * mode tapes the loop anyway (a `break`, a recurrence), that 0 would be one more value saved per
 * iteration, so the variable stays outside (`likelyIndependent`).
 *
 * Counters declared before their loop, `let i; for (i = 0; i < n; i++)`, are the same case in
 * the loop's head: where nothing after the loop reads i and the body does not write it, the head
 * declares it, `for (let i = 0; …)`, and the loop is a counting loop (which reverse mode fuses,
 * snapshots or runs backwards without a trip count) instead of a `while`.
 */
import * as b from '../ir/builders.ts';
import type { Namer } from '../ir/namer.ts';
import type { Expr, FunctionIR, Stmt } from '../ir/nodes.ts';
import { forEachExpr, ownExprs, renameExpr, renameIn, someExpr, someIn, visitStmts, writtenIn } from '../ir/walk.ts';
import { canonicalCounter } from './lower/index.ts';

type Live = ReadonlySet<string>;

export function privatizeLoopLocals(fn: FunctionIR, namer: Namer): FunctionIR {
  const declCount = new Map<string, number>();
  const declOf = new Map<string, Extract<Stmt, { k: 'decl' }>>();
  let loops = 0;
  visitStmts(fn.body, (s) => {
    if (s.k === 'decl') {
      declCount.set(s.name, (declCount.get(s.name) ?? 0) + 1);
      declOf.set(s.name, s);
    } else if (s.k === 'loop') loops++;
  });
  if (loops === 0) return fn;
  const params = new Set(fn.params.map((p) => p.name));
  const candidates = new Set(
    [...declOf.values()].filter((d) => declCount.get(d.name) === 1 && d.mutable && !params.has(d.name) && (d.type === 'number' || d.type === 'boolean')).map((d) => d.name),
  );
  if (candidates.size === 0) return fn;

  const liveness = new Liveness();
  liveness.list(fn.body, new Set(), null);

  // `for (i = a; i < b; i++)` with i declared before the loop, unread after it and not written by
  // the body: the loop's own counter, as `for (let i = a; …)` would declare it
  const headCounter = new Map<Stmt, string>();
  visitStmts(fn.body, (s) => {
    if (s.k !== 'loop' || s.doWhile || s.counter || s.init.length !== 1) return;
    const init = s.init[0]!;
    if (init.k !== 'assign' || (init.op && init.op !== '=') || !candidates.has(init.name) || declOf.get(init.name)!.type !== 'number') return;
    if (reads(init.e, init.name) || liveness.afterLoop.get(s)?.has(init.name)) return;
    if (canonicalCounter([b.decl(init.name, 'number', init.e, true)], s.test, s.update, s.body)) headCounter.set(s, init.name);
  });

  // for each variable, the innermost loop around each use where it may be privatised
  const picked = new Map<string, Set<Stmt>>();
  const uncovered = new Set<string>();
  const pick = (v: string, loop: Stmt) => (picked.get(v) ?? picked.set(v, new Set()).get(v)!).add(loop);
  const independent = new Map<Stmt, boolean>();
  const privatisable = (loop: Extract<Stmt, { k: 'loop' }>, v: string, declaredInside: boolean): boolean =>
    headCounter.get(loop) === v ||
    (!declaredInside &&
      !liveness.atBodyStart.get(loop)?.has(v) &&
      !liveness.afterLoop.get(loop)?.has(v) &&
      !mentions([...loop.init, ...loop.update], v) &&
      !(loop.test && reads(loop.test, v)) &&
      // declared at the body's top with a 0 (its first write is in a branch or a nested loop),
      // it is one more value to save per iteration where reverse mode tapes the loop anyway
      (firstPlainWrite(loop.body, v) >= 0 || (independent.get(loop) ?? independent.set(loop, likelyIndependent(loop, headCounter.has(loop), liveness)).get(loop)!)));
  type Around = { loop: Extract<Stmt, { k: 'loop' }>; declared: Set<string> }[];
  /** Records the uses of statement s (its own expressions; `head`: the counter of the loop whose head s is part of). */
  const uses = (s: Stmt, around: Around, head: { loop: Stmt; name: string } | null): void => {
    const used = new Set<string>();
    for (const e of ownExprs(s)) forEachExpr(e, (x) => { if (x.k === 'var' && candidates.has(x.name)) used.add(x.name); });
    if (s.k === 'assign' && candidates.has(s.name)) used.add(s.name);
    for (const v of used) {
      if (head?.name === v) {
        pick(v, head.loop);
        continue;
      }
      let at: Stmt | null = null;
      for (let k = around.length - 1; k >= 0 && !at; k--) if (privatisable(around[k]!.loop, v, around[k]!.declared.has(v))) at = around[k]!.loop;
      if (at) pick(v, at);
      else uncovered.add(v);
    }
  };
  const walk = (stmts: Stmt[], around: Around, head: { loop: Stmt; name: string } | null = null): void => {
    for (const s of stmts) {
      if (s.k === 'decl') for (const a of around) a.declared.add(s.name);
      if (s.k === 'loop') {
        const counter = headCounter.get(s);
        const own = counter !== undefined ? { loop: s, name: counter } : null;
        // (a loop's head declares or sets its counter before its test reads it)
        walk(s.init, around, own);
        uses(s, around, own);
        walk(s.update, around, own);
        walk(s.body, [...around, { loop: s, declared: new Set<string>() }]);
        continue;
      }
      uses(s, around, head);
      if (s.k === 'if') {
        walk(s.then, around, head);
        walk(s.else, around, head);
      } else if (s.k === 'block') walk(s.body, around, head);
    }
  };
  walk(fn.body, []);
  if (picked.size === 0) return fn;

  // where picked loops nest, the outer one takes the variable
  const within = new Map<Stmt, Stmt[]>();
  const ancestors = (stmts: Stmt[], stack: Stmt[]): void => {
    for (const s of stmts) {
      if (s.k === 'loop') {
        within.set(s, stack);
        ancestors(s.init, stack);
        ancestors(s.update, stack);
        ancestors(s.body, [...stack, s]);
      } else if (s.k === 'if') {
        ancestors(s.then, stack);
        ancestors(s.else, stack);
      } else if (s.k === 'block') ancestors(s.body, stack);
    }
  };
  ancestors(fn.body, []);
  const perLoop = new Map<Stmt, string[]>();
  const reuseName = new Set<string>();
  for (const [v, at] of picked) {
    for (const loop of at) if (!within.get(loop)!.some((l) => at.has(l))) (perLoop.get(loop) ?? perLoop.set(loop, []).get(loop)!).push(v);
    const init = declOf.get(v)!.init;
    if (!uncovered.has(v) && !(init && someIn(init, (x) => x.k === 'call'))) reuseName.add(v);
  }

  const locals = new Map(fn.locals);
  const rewrite = (stmts: Stmt[]): Stmt[] =>
    stmts.flatMap((s): Stmt[] => {
      if (s.k === 'decl' && reuseName.has(s.name) && declOf.get(s.name) === s) return [];
      if (s.k === 'if') return [{ ...s, then: rewrite(s.then), else: rewrite(s.else) }];
      if (s.k === 'block') return [{ ...s, body: rewrite(s.body) }];
      if (s.k !== 'loop') return [s];
      let body = rewrite(s.body);
      let loop: Extract<Stmt, { k: 'loop' }> = s;
      const vars = perLoop.get(s) ?? [];
      if (vars.length > 0) {
        const names = new Map<string, string>();
        for (const v of vars) {
          if (reuseName.has(v)) continue;
          const fresh = namer.fresh(v);
          names.set(v, fresh);
          locals.set(fresh, locals.get(v) ?? declOf.get(v)!.type);
        }
        if (names.size > 0) body = renameIn(body, names);
        const counter = headCounter.get(s);
        if (counter !== undefined && vars.includes(counter)) {
          // the head declares the counter: `for (let i = a; …)`, a counting loop now
          const name = names.get(counter) ?? counter;
          const only = new Map([[counter, name]]);
          const set = s.init[0] as Extract<Stmt, { k: 'assign' }>;
          const init = [b.decl(name, 'number', set.e, true, set.loc)];
          const test = s.test && renameExpr(s.test, only);
          const update = renameIn(s.update, only);
          const found = canonicalCounter(init, test, update, body);
          loop = { ...s, init, test, update, ...(found ? { counter: found } : {}) };
        }
        const declared: Stmt[] = [];
        for (const v of vars) {
          if (v === counter) continue;
          const name = names.get(v) ?? v;
          const type = declOf.get(v)!.type;
          // the first write, when it is a plain assignment of the body itself, becomes the
          // declaration (a `const` where nothing else writes it); otherwise one starting at 0
          const first = firstPlainWrite(body, name);
          const at = body[first];
          if (at?.k === 'assign') {
            const rest = [...body.slice(0, first), ...body.slice(first + 1)];
            const written = writtenIn(rest).has(name);
            body = [...body.slice(0, first), { k: 'decl', name, type, init: at.e, mutable: written, ...(at.loc ? { loc: at.loc } : {}) }, ...body.slice(first + 1)];
          } else declared.push(b.decl(name, type, type === 'boolean' ? { k: 'bool', v: false } : b.ZERO, true));
        }
        body = [...declared, ...body];
      }
      return [{ ...loop, body }];
    });
  return { ...fn, locals, body: rewrite(fn.body) };
}

/** Where the first statement of the body that mentions v is, when it is a plain assignment `v = e` (e not reading v); else -1. */
function firstPlainWrite(body: Stmt[], v: string): number {
  const k = body.findIndex((x) => mentions([x], v));
  const first = body[k];
  return first?.k === 'assign' && first.name === v && (!first.op || first.op === '=') && !reads(first.e, v) ? k : -1;
}

const reads = (e: Expr, v: string): boolean => someIn(e, (x) => x.k === 'var' && x.name === v);

/**
 * Whether reverse mode will likely run the loop's iterations independently (fused with their
 * adjoints, nothing taped): a counting loop that no `break` or `return` leaves, whose scalars
 * carried from one iteration to the next are sums (`s += e`) and nothing else.
 */
function likelyIndependent(loop: Extract<Stmt, { k: 'loop' }>, headCounter: boolean, liveness: Liveness): boolean {
  if (!loop.counter && !headCounter) return false;
  let jumps = false;
  const scan = (stmts: Stmt[], nested: boolean) => {
    for (const s of stmts) {
      if (s.k === 'return' || (s.k === 'break' && !nested)) jumps = true;
      else if (s.k === 'if') {
        scan(s.then, nested);
        scan(s.else, nested);
      } else if (s.k === 'loop') scan(s.body, true);
      else if (s.k === 'block') scan(s.body, nested);
    }
  };
  scan(loop.body, false);
  if (jumps) return false;
  const written = writtenIn(loop.body);
  const counter = loop.counter?.name ?? (loop.init[0]?.k === 'assign' ? loop.init[0].name : '');
  for (const w of liveness.atBodyStart.get(loop) ?? []) {
    if (!written.has(w) || w === counter) continue;
    // a sum: every write is w = w ± e with e not reading w, and no other statement reads w
    let sum = true;
    visitStmts(loop.body, (s) => {
      const readsW = ownExprs(s).some((e) => reads(e, w));
      if ((s.k === 'assign' || s.k === 'decl') && s.name === w) {
        const e = s.k === 'assign' ? s.e : s.init;
        const accumulates = s.k === 'assign' && e !== null && e.k === 'op' && (e.op === '+' || e.op === '-') && e.args[0]!.k === 'var' && e.args[0]!.name === w && !reads(e.args[1]!, w);
        if (!accumulates) sum = false;
      } else if (readsW) sum = false;
    });
    if (!sum) return false;
  }
  return true;
}

function mentions(stmts: Stmt[], v: string): boolean {
  return writtenIn(stmts).has(v) || someExpr(stmts, (x) => x.k === 'var' && x.name === v);
}

/** What `break` and `continue` inside a loop body lead to: the variables live there. */
interface Targets {
  brk: Live;
  cont: Live;
}

/** Backward liveness of scalars over structured statements, recording what each loop needs. */
class Liveness {
  /** per loop: the variables live where its body starts (read before written in an iteration) */
  readonly atBodyStart = new Map<Stmt, Live>();
  /** per loop: the variables live where it ends */
  readonly afterLoop = new Map<Stmt, Live>();

  list(stmts: Stmt[], out: Live, t: Targets | null): Live {
    let live = out;
    for (let k = stmts.length - 1; k >= 0; k--) live = this.stmt(stmts[k]!, live, t);
    return live;
  }

  private stmt(s: Stmt, out: Live, t: Targets | null): Live {
    switch (s.k) {
      case 'decl':
      case 'assign': {
        const live = new Set(out);
        if (s.k === 'assign' && s.op && s.op !== '=') live.add(s.name);
        else live.delete(s.name);
        return withReads(live, ownExprs(s));
      }
      case 'store':
      case 'expr':
        return withReads(new Set(out), ownExprs(s));
      case 'return':
        return withReads(new Set(), ownExprs(s));
      case 'break':
        return t?.brk ?? new Set();
      case 'continue':
        return t?.cont ?? new Set();
      case 'if':
        return withReads(new Set([...this.list(s.then, out, t), ...this.list(s.else, out, t)]), [s.c]);
      case 'block':
        return this.list(s.body, out, t);
      case 'loop': {
        // live before the test, grown to a fixpoint (sets only grow, so this ends)
        let atTest: Live = withReads(new Set(s.test ? out : []), s.test ? [s.test] : []);
        let bodyStart: Live = new Set();
        for (;;) {
          const cont = s.doWhile ? atTest : this.list(s.update, atTest, t);
          bodyStart = this.list(s.body, cont, { brk: out, cont });
          const next = withReads(new Set([...(s.test ? out : []), ...bodyStart]), s.test ? [s.test] : []);
          if (next.size === atTest.size) break;
          atTest = next;
        }
        this.atBodyStart.set(s, bodyStart);
        this.afterLoop.set(s, out);
        return this.list(s.init, s.doWhile ? bodyStart : atTest, t);
      }
      default:
        return out;
    }
  }
}

function withReads(live: Set<string>, exprs: Expr[]): Set<string> {
  for (const e of exprs) b.varsOf(e, live);
  return live;
}
