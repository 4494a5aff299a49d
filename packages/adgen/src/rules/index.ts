/**
 * THE table of derivative rules. Forward mode reads `jvp`, reverse mode `vjp`, the GPU lowering
 * `gpu`; no other module knows a derivative. Operations that cannot be differentiated are listed
 * in REJECTED with the diagnostic they raise.
 */
import type { DiagCode } from '../diagnostics/codes.ts';
import { ARITH_RULES } from './arith.ts';
import type { Rule } from './helpers.ts';
import { MATH_RULES } from './math.ts';

export type { Rule } from './helpers.ts';

export const RULES = { ...ARITH_RULES, ...MATH_RULES } satisfies Record<string, Rule>;
export type OpName = keyof typeof RULES;

export function ruleFor(op: string): Rule | undefined {
  return Object.prototype.hasOwnProperty.call(RULES, op) ? (RULES as Record<string, Rule>)[op] : undefined;
}

/** Math functions with no derivative, and the diagnostic a use inside differentiable code gets. */
export const REJECTED = {
  'Math.random': 'AD1003',
  'Math.clz32': 'AD1009',
  'Math.imul': 'AD1009',
  'Math.f16round': 'AD1009',
  'Math.sumPrecise': 'AD1009',
} satisfies Record<string, DiagCode>;

/** Tests of a number (`if (!Number.isFinite(v)) …`): boolean results, printed as the calls they are. */
export const PREDICATES = new Set(['Number.isFinite', 'Number.isNaN', 'Number.isInteger', 'isFinite', 'isNaN']);

/** Operators with boolean results: no derivative, used only for control flow. */
export const BOOLEAN_OPS = new Set(['<', '<=', '>', '>=', '===', '!==', '==', '!=', '&&', '||', '!', ...PREDICATES]);

/** Math constants allowed as values. */
export const MATH_CONSTANTS = new Set(['E', 'LN10', 'LN2', 'LOG10E', 'LOG2E', 'PI', 'SQRT1_2', 'SQRT2']);
