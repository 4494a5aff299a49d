/** Derivative rules of the arithmetic operators, keyed by their source spelling. */
import type { Expr } from '../ir/nodes.ts';
import * as b from '../ir/builders.ts';
import { binary, unary, unlessZeroSeed, type Rule } from './helpers.ts';

const divisorNonZero = (x: Expr[]): boolean => x[1]!.k === 'num' && x[1]!.v !== 0;

export const ARITH_RULES = {
  // y = a + b  ⇒  ẏ = ȧ + ḃ;  ā += ȳ,  b̄ += ȳ
  '+': binary(({ s }) => s, ({ s }) => s, { gpu: '+' }),
  // y = a − b  ⇒  ā += ȳ,  b̄ −= ȳ
  '-': binary(({ s }) => s, ({ s }) => b.neg(s), { gpu: '-' }),
  // y = −a
  neg: unary(({ s }) => b.neg(s), { gpu: '-' }),
  // y = +a (numeric conversion of a number: the identity)
  pos: unary(({ s }) => s, { gpu: '+' }),
  // y = a·b  ⇒  ā += ȳ·b,  b̄ += a·ȳ
  '*': binary(({ x, s }) => b.mul(s, x[1]!), ({ x, s }) => b.mul(x[0]!, s), { gpu: '*' }),
  // y = a / b  ⇒  ā += ȳ / b,  b̄ −= ȳ·y / b; a zero seed gives 0 at b = 0 (a 1/r computed
  // before the `r > 0` that guards its use)
  '/': binary(
    ({ x, s }) => (divisorNonZero(x) ? b.div(s, x[1]!) : unlessZeroSeed(s, b.div(s, x[1]!))),
    ({ x, y, s }) => unlessZeroSeed(s, b.neg(b.div(b.mul(s, y), x[1]!))),
    { gpu: '/', domain: [[-2, 2], [0.5, 2]], singular: (x) => !divisorNonZero(x) },
  ),
  // y = a % b = a − trunc(a/b)·b  ⇒  ā += ȳ,  b̄ −= ȳ·trunc(a/b); trunc(a/b) is infinite where
  // a/b overflows (b subnormal, a = 1e300), where a zero seed gives 0, not 0 · ∞ = NaN
  '%': binary(({ s }) => s, ({ x, s }) => {
    const partial = b.neg(b.mul(s, b.math('trunc', b.div(x[0]!, x[1]!))));
    return divisorNonZero(x) ? partial : unlessZeroSeed(s, partial);
  }, {
    gpu: '%',
    domain: [[0.1, 3], [0.7, 1.3]],
    atKink: 'at a jump of a % b the derivative of the piece that was taken',
    singular: (x) => !divisorNonZero(x),
  }),
  // y = a ** b, the same rule as Math.pow
  '**': powRule('**'),
} satisfies Record<string, Rule>;

/**
 * y = aᵇ  ⇒  ∂a = b·aᵇ⁻¹,  ∂b = y·ln a. A literal exponent folds (x ** 2 gives 2·x); ∂a is 0
 * when b = 0 and ∂b is 0 for a ≤ 0 (JAX's convention at a = 0), not 0·∞ or 0·ln(a < 0) = NaN.
 */
export function powRule(gpu: string): Rule {
  return binary(
    ({ x, s }) => {
      const [base, p] = [x[0]!, x[1]!];
      if (p.k === 'num') {
        if (p.v === 0) return b.ZERO;
        if (p.v === 1) return s;
        const lower = p.v - 1 === 1 ? base : b.math('pow', base, b.num(p.v - 1));
        const partial = b.mul(s, b.mul(p, lower));
        // a ** 0.5 (finite value) or a ** -2 at a = 0: an infinite partial
        return p.v < 1 ? unlessZeroSeed(s, partial) : partial;
      }
      // b = 0 gives 0, not 0·a⁻¹ = NaN at a = 0 (x ** i with i = 0 in a loop)
      const term = unlessZeroSeed(s, b.mul(s, b.mul(p, b.math('pow', base, b.sub(p, b.ONE)))));
      return { k: 'cond', c: b.op('===', p, b.ZERO), a: b.ZERO, b: term };
    },
    ({ x, y, s }) => {
      const base = x[0]!;
      const term = b.mul(s, b.mul(y, b.math('log', base)));
      // for a < 0, aᵇ is real only at integer b, where no derivative in b exists: 0 like at a = 0
      // (so a helper's `t ** k` with a constant k keeps a finite tangent at negative t)
      return base.k === 'num' && base.v > 0 ? term : { k: 'cond', c: b.op('<=', base, b.ZERO), a: b.ZERO, b: term };
    },
    {
      gpu: 'Math.pow',
      domain: [[0.5, 2], [-2, 2]],
      atKink: '∂/∂b of a ** b is 0 for a ≤ 0',
      // a ** 0.5, a ** -2, or an exponent known only at run time, at a = 0
      singular: (x) => x[1]!.k !== 'num' || (x[1]!.v !== 0 && x[1]!.v < 1),
    },
  );
}
