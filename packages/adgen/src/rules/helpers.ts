/**
 * Shapes of derivative rules. Every rule is written as its partial derivatives applied to a seed
 * `s`: the tangent of the result is Σᵢ ∂ᵢ(s = ẋᵢ) and the adjoint of operand i is ∂ᵢ(s = ȳ).
 * Writing each partial as a linear function of its seed (rather than as a number to multiply)
 * lets a rule say `s / b` instead of `s * (1 / b)`, and keeps both modes readable.
 */
import type { Expr } from '../ir/nodes.ts';
import * as b from '../ir/builders.ts';

/** Values a partial derivative may use: operand values `x`, the result `y`, and the seed `s`. */
export interface PartialArgs {
  x: Expr[];
  y: Expr;
  s: Expr;
}
export type Partial = (a: PartialArgs) => Expr;

export interface Rule {
  /** number of operands; 'variadic' for Math.max/min/hypot */
  arity: number | 'variadic';
  /** ∂ᵢ applied to a seed, one per operand (the last one repeats for variadic rules) */
  partials: Partial[];
  /** tangent of the result: ẏ = Σᵢ ∂ᵢ·ẋᵢ (zero tangents fold away) */
  jvp: (a: { x: Expr[]; dx: Expr[]; y: Expr }) => Expr;
  /** adjoint contributions: x̄ᵢ += ∂ᵢ·ȳ */
  vjp: (a: { x: Expr[]; y: Expr; ybar: Expr }) => Expr[];
  /** the gpu.js spelling of the operation, or null when it cannot run in a kernel */
  gpu: string | null;
  /** input ranges for random testing, one per operand */
  domain: [number, number][];
  /** the convention at a non-differentiable point (SPEC §3), for the README */
  atKink?: string;
  /** true when every partial is zero (floor, sign, …) */
  zero?: boolean;
  /**
   * Whether a partial may be infinite where the value is finite (guarded by `unlessZeroSeed`,
   * which reads the seed twice: forward mode names a compound tangent first).
   */
  singular?: (x: Expr[]) => boolean;
}

/**
 * A partial that is infinite where the function is finite (sqrt at 0, asin at ±1): a zero seed
 * gives 0, not 0 · ∞ = NaN, so an operand that does not move (a `Math.max(x, 0)` that chose the
 * constant, a result nothing reads) contributes nothing, in both modes.
 */
export const ALWAYS = (): boolean => true;

export function unlessZeroSeed(s: Expr, term: Expr): Expr {
  if (b.isZero(s)) return b.ZERO;
  if (s.k === 'num') return term;
  return { k: 'cond', c: b.op('===', s, b.ZERO), a: b.ZERO, b: term };
}

function partialAt(partials: Partial[], i: number): Partial {
  return partials[Math.min(i, partials.length - 1)]!;
}

function makeRule(arity: number | 'variadic', partials: Partial[], rest: Omit<Rule, 'arity' | 'partials' | 'jvp' | 'vjp'>): Rule {
  return {
    arity,
    partials,
    ...rest,
    jvp: ({ x, dx, y }) => b.sum(dx.map((d, i) => (b.isZero(d) ? b.ZERO : partialAt(partials, i)({ x, y, s: d })))),
    vjp: ({ x, y, ybar }) => x.map((_, i) => partialAt(partials, i)({ x, y, s: ybar })),
  };
}

interface Extra {
  gpu?: string | null;
  domain?: [number, number][];
  atKink?: string;
  singular?: (x: Expr[]) => boolean;
}

/** y = f(x) with ∂ = d(s). */
export const unary = (d: Partial, extra: Extra & { gpu: string | null }): Rule =>
  makeRule(1, [d], { gpu: extra.gpu, domain: extra.domain ?? [[-2, 2]], ...(extra.atKink ? { atKink: extra.atKink } : {}), ...(extra.singular ? { singular: extra.singular } : {}) });

/** y = f(a, b) with ∂a, ∂b. */
export const binary = (da: Partial, db: Partial, extra: Extra & { gpu: string | null }): Rule =>
  makeRule(2, [da, db], { gpu: extra.gpu, domain: extra.domain ?? [[-2, 2], [-2, 2]], ...(extra.atKink ? { atKink: extra.atKink } : {}), ...(extra.singular ? { singular: extra.singular } : {}) });

/** Any number of operands, each with the partial d(i). */
export const variadic = (d: (i: number) => Partial, extra: Extra & { gpu: string | null }): Rule => {
  const rule = makeRule('variadic', [], { gpu: extra.gpu, domain: extra.domain ?? [[-2, 2]], ...(extra.atKink ? { atKink: extra.atKink } : {}) });
  return {
    ...rule,
    jvp: ({ x, dx, y }) => b.sum(dx.map((t, i) => (b.isZero(t) ? b.ZERO : d(i)({ x, y, s: t })))),
    vjp: ({ x, y, ybar }) => x.map((_, i) => d(i)({ x, y, s: ybar })),
  };
};

/** Piecewise-constant functions: every partial is zero (JAX's defjvp_zero). */
export const zeroDerivative = (extra: Extra & { gpu: string | null; arity?: number }): Rule => ({
  ...makeRule(extra.arity ?? 1, [() => b.ZERO], { gpu: extra.gpu, domain: extra.domain ?? [[-2, 2]], atKink: extra.atKink ?? 'zero derivative everywhere' }),
  zero: true,
});
