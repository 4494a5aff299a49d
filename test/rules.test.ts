/**
 * The rule table: every Math function is either differentiable (RULES) or rejected with a
 * diagnostic (REJECTED), and every rule is checked in both modes against finite differences on
 * its domain (JAX's check_jvp / check_vjp).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REJECTED, RULES } from '../packages/adgen/src/rules/index.ts';
import { checkUnit, compile, type Compiled, type InputSpec } from './support/harness.ts';

test('every function of Math is in RULES or in REJECTED', () => {
  const fns = Object.getOwnPropertyNames(Math).filter((k) => typeof (Math as unknown as Record<string, unknown>)[k] === 'function');
  const missing = fns.filter((k) => !(`Math.${k}` in RULES) && !(`Math.${k}` in REJECTED));
  assert.equal(missing, []);
});

test('Math.random is rejected with AD1003', () => {
  assert.is(REJECTED['Math.random'], 'AD1003');
});

/** One function per rule: `y = op(x0, x1, …)` on the rule's domain. */
const cases: { name: string; source: string; spec: InputSpec }[] = [];
for (const [op, rule] of Object.entries(RULES)) {
  const arity = rule.arity === 'variadic' ? 3 : rule.arity;
  const params = Array.from({ length: arity }, (_, i) => `x${i}`);
  const name = `r_${op.replace('Math.', '').replace(/\W/g, (c) => `_${c.charCodeAt(0)}`)}`;
  const call = op.startsWith('Math.') ? `${op}(${params.join(', ')})` : op === 'neg' ? '-x0' : op === 'pos' ? '+x0' : `x0 ${op} x1`;
  const ranges: Record<string, [number, number]> = {};
  params.forEach((p, i) => (ranges[p] = rule.domain[Math.min(i, rule.domain.length - 1)]!));
  // keep piecewise-constant functions away from their jumps
  if (rule.zero) params.forEach((p) => (ranges[p] = [0.1, 0.4]));
  if (op === 'Math.max' || op === 'Math.min') Object.assign(ranges, { x0: [0, 0.3], x1: [0.4, 0.6], x2: [0.7, 1] });
  // fround rounds to single precision: a wide step sees its slope of 1
  cases.push({ name, spec: { ranges, ...(op === 'Math.fround' ? { h: 1e-2 } : {}) }, source: `/** @differentiable */\nexport function ${name}(${params.map((p) => `${p}: number`).join(', ')}): number {\n  return ${call};\n}\n` });
}

// compiled at load time: an error here fails the run (uvu only skips a suite whose `before` throws)
const compiled: Compiled = await compile({ 'rules.ts': cases.map((c) => c.source).join('\n') });

for (const c of cases) {
  test(`${c.name}: jvp and vjp agree with finite differences and with each other`, () => {
    const r = checkUnit(compiled, 'rules.ts', c.name, c.spec, 5, 3);
    const tol = c.spec.h ? 1e-4 : 1e-6;
    assert.ok(r.fdErrorReverse < tol, `reverse ${r.fdErrorReverse}`);
    assert.ok(r.fdErrorForward < tol, `forward ${r.fdErrorForward}`);
    assert.ok(r.dotResidual < 1e-12, `dot ${r.dotResidual}`);
  });
}

test('conventions at non-differentiable points (SPEC §3)', async () => {
  const m = compiled.modules['rules.ts']!;
  assert.is(m['r_absGrad']!(0).grad.x0, 0); // abs'(0) = 0
  assert.is(m['r_sqrtGrad']!(0).grad.x0, Infinity); // sqrt'(0) = +∞
  for (const f of ['floor', 'ceil', 'round', 'trunc', 'sign']) assert.is(m[`r_${f}Grad`]!(0.5).grad.x0, 0);
  const tie = m['r_maxGrad']!(1, 1, 0).grad; // ties: the first operand
  assert.equal([tie.x0, tie.x1, tie.x2], [1, 0, 0]);
  const low = m['r_minGrad']!(2, 1, 1).grad;
  assert.equal([low.x0, low.x1, low.x2], [0, 1, 0]);
  assert.is(m['r_powGrad']!(0, 2).grad.x1, 0); // ∂/∂b aᵇ at a = 0
  // a % b where a / b overflows: a b that does not move adds nothing (not 0 · ∞ = NaN)
  assert.is(m['r__37Jvp']!(1e300, 1e-10, { x0: 1 }).tangent, 1);
  assert.is(m['r__37Grad']!(1e300, 1e-10).grad.x0, 1);
});

test.run();
