/** Derivative rules of the `Math` functions, keyed by their source spelling. */
import type { Expr } from '../ir/nodes.ts';
import * as b from '../ir/builders.ts';
import { binary, unary, variadic, zeroDerivative, unlessZeroSeed, ALWAYS, type Rule } from './helpers.ts';
import { powRule } from './arith.ts';

const sq = (e: Expr): Expr => b.mul(e, e);
const LN2 = b.ext('Math.LN2');
const LN10 = b.ext('Math.LN10');

/** Math.max / Math.min: the whole adjoint goes to the first operand equal to the result. */
function chosen(i: number): (a: { x: Expr[]; y: Expr; s: Expr }) => Expr {
  return ({ x, y, s }) => {
    let test = b.op('===', x[i]!, y);
    for (let j = 0; j < i; j++) test = b.op('&&', test, b.op('!==', x[j]!, y));
    return { k: 'cond', c: test, a: s, b: b.ZERO };
  };
}

export const MATH_RULES = {
  'Math.sin': unary(({ x, s }) => b.mul(s, b.math('cos', x[0]!)), { gpu: 'Math.sin', domain: [[-3, 3]] }),
  'Math.cos': unary(({ x, s }) => b.neg(b.mul(s, b.math('sin', x[0]!))), { gpu: 'Math.cos', domain: [[-3, 3]] }),
  // tan' = 1 + tan²
  'Math.tan': unary(({ y, s }) => b.mul(s, b.add(b.ONE, sq(y))), { gpu: 'Math.tan', domain: [[-1.2, 1.2]] }),
  'Math.asin': unary(({ x, s }) => unlessZeroSeed(s, b.div(s, b.math('sqrt', b.sub(b.ONE, sq(x[0]!))))), { singular: ALWAYS, gpu: 'Math.asin', domain: [[-0.9, 0.9]] }),
  'Math.acos': unary(({ x, s }) => unlessZeroSeed(s, b.neg(b.div(s, b.math('sqrt', b.sub(b.ONE, sq(x[0]!)))))), { singular: ALWAYS, gpu: 'Math.acos', domain: [[-0.9, 0.9]] }),
  'Math.atan': unary(({ x, s }) => b.div(s, b.add(b.ONE, sq(x[0]!))), { gpu: 'Math.atan' }),
  // y = atan2(a, b)  ⇒  ∂a = b / (a² + b²),  ∂b = −a / (a² + b²); 0 / 0 at the origin, so a zero
  // seed gives 0 there (an atan2 computed before the `r > 0` that guards its use)
  'Math.atan2': binary(
    ({ x, s }) => unlessZeroSeed(s, b.div(b.mul(s, x[1]!), b.add(sq(x[0]!), sq(x[1]!)))),
    ({ x, s }) => unlessZeroSeed(s, b.neg(b.div(b.mul(s, x[0]!), b.add(sq(x[0]!), sq(x[1]!))))),
    { singular: (x) => !x.some((a) => a.k === 'num' && a.v !== 0), gpu: 'Math.atan2', domain: [[-2, 2], [0.5, 2]] },
  ),
  'Math.sinh': unary(({ x, s }) => b.mul(s, b.math('cosh', x[0]!)), { gpu: 'Math.sinh' }),
  'Math.cosh': unary(({ x, s }) => b.mul(s, b.math('sinh', x[0]!)), { gpu: 'Math.cosh' }),
  'Math.tanh': unary(({ y, s }) => b.mul(s, b.sub(b.ONE, sq(y))), { gpu: 'Math.tanh' }),
  'Math.asinh': unary(({ x, s }) => b.div(s, b.math('sqrt', b.add(sq(x[0]!), b.ONE))), { gpu: 'Math.asinh' }),
  'Math.acosh': unary(({ x, s }) => unlessZeroSeed(s, b.div(s, b.math('sqrt', b.sub(sq(x[0]!), b.ONE)))), { singular: ALWAYS, gpu: 'Math.acosh', domain: [[1.2, 3]] }),
  'Math.atanh': unary(({ x, s }) => unlessZeroSeed(s, b.div(s, b.sub(b.ONE, sq(x[0]!)))), { singular: ALWAYS, gpu: 'Math.atanh', domain: [[-0.9, 0.9]] }),
  // exp' = exp: reuse the result y
  'Math.exp': unary(({ y, s }) => b.mul(s, y), { gpu: 'Math.exp' }),
  'Math.expm1': unary(({ y, s }) => b.mul(s, b.add(y, b.ONE)), { gpu: null }),
  'Math.log': unary(({ x, s }) => unlessZeroSeed(s, b.div(s, x[0]!)), { singular: ALWAYS, gpu: 'Math.log', domain: [[0.2, 3]] }),
  'Math.log1p': unary(({ x, s }) => unlessZeroSeed(s, b.div(s, b.add(b.ONE, x[0]!))), { singular: ALWAYS, gpu: null, domain: [[-0.5, 2]] }),
  'Math.log2': unary(({ x, s }) => unlessZeroSeed(s, b.div(s, b.mul(x[0]!, LN2))), { singular: ALWAYS, gpu: 'Math.log2', domain: [[0.2, 3]] }),
  'Math.log10': unary(({ x, s }) => unlessZeroSeed(s, b.div(s, b.mul(x[0]!, LN10))), { singular: ALWAYS, gpu: null, domain: [[0.2, 3]] }),
  // sqrt'(x) = 1 / (2·sqrt x): +Infinity at 0, as the math says
  'Math.sqrt': unary(({ y, s }) => unlessZeroSeed(s, b.div(s, b.mul(b.num(2), y))), { singular: ALWAYS, gpu: 'Math.sqrt', domain: [[0.2, 3]], atKink: "sqrt'(0) = +Infinity" }),
  'Math.cbrt': unary(({ y, s }) => unlessZeroSeed(s, b.div(s, b.mul(b.num(3), sq(y)))), { singular: ALWAYS, gpu: 'Math.cbrt', domain: [[0.2, 3]], atKink: "cbrt'(0) = +Infinity" }),
  'Math.pow': powRule('Math.pow'),
  // hypot(x…) = sqrt(Σ x²)  ⇒  ∂ᵢ = xᵢ / y, and 0 at the origin; s · (xᵢ / y), as |xᵢ / y| ≤ 1
  // cannot overflow or underflow where s · xᵢ could (a subnormal xᵢ, a seed of 1e200)
  'Math.hypot': variadic(
    (i) => ({ x, y, s }) => ({ k: 'cond', c: b.op('===', y, b.ZERO), a: b.ZERO, b: b.mul(s, b.div(x[i]!, y)) }),
    { gpu: null, atKink: 'all partials 0 at the origin' },
  ),
  // abs' = sign, so abs'(0) = 0
  'Math.abs': unary(({ x, s }) => b.mul(s, b.math('sign', x[0]!)), { gpu: 'Math.abs', atKink: "abs'(0) = 0" }),
  'Math.max': variadic(chosen, { gpu: 'Math.max', atKink: 'the adjoint goes to the first operand that is the maximum' }),
  'Math.min': variadic(chosen, { gpu: 'Math.min', atKink: 'the adjoint goes to the first operand that is the minimum' }),
  'Math.sign': zeroDerivative({ gpu: 'Math.sign' }),
  'Math.floor': zeroDerivative({ gpu: 'Math.floor' }),
  'Math.ceil': zeroDerivative({ gpu: 'Math.ceil' }),
  'Math.round': zeroDerivative({ gpu: 'Math.round' }),
  'Math.trunc': zeroDerivative({ gpu: null }),
  // rounding to single precision: treated as the identity, like a Float32Array store
  'Math.fround': unary(({ s }) => s, { gpu: null, atKink: 'treated as the identity' }),
} satisfies Record<string, Rule>;
