/**
 * What reverse mode keeps for the adjoint sweep (SPEC §2: "saves only what it needs"), measured
 * on the generated code: the tape's peak size after a gradient, and which saves the code makes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from './support/harness.ts';

const name = 'helper-outputs-in-time-loop.ts';
const compiled = await compile({ [name]: fs.readFileSync(path.resolve('test/fixtures/regressions', name), 'utf8') });
const generated = compiled.files[0]!.text;

/** The text of one generated function, up to the next top-level declaration. */
function functionText(fn: string): string {
  const start = generated.indexOf(`export function ${fn}(`);
  assert.ok(start >= 0, `${fn} not generated`);
  const next = generated.indexOf('\nexport ', start + 1);
  return generated.slice(start, next < 0 ? undefined : next);
}

test('a time loop calling a helper that only writes its output array tapes 4 values a step, no copies', () => {
  const m = compiled.modules[name]!;
  const steps = 1000;
  const y0 = Float64Array.of(0.3, 0.1);
  const g = m.pendulumGrad(y0, 1.2, 0.01, steps);
  assert.is(g.value, compiled.sources[name]!.pendulum(y0, 1.2, 0.01, steps));
  // y (2 values, overwritten in place) and the scratch tmp (2 values) per step: what the adjoint reads
  assert.is(m.adgenTapePeakBytes(), 4 * 8 * steps);
  const vjp = functionText('pendulumVjp');
  assert.not.match(vjp, /_pushRef|Float64Array\.from\(k[12]\)/, 'k1 and k2 are only written by rhs: nothing to save');
});

test('an inactive array passed to a helper in a loop gets one derivative array per call of the function, not one per iteration', async () => {
  const source = [
    'function term(X: Float64Array, i: number, w: number): number {',
    '  return Math.sin(w * X[i]!);',
    '}',
    '/**',
    ' * @differentiable',
    ' * @wrt w',
    ' */',
    'export function series(X: Float64Array, w: number): number {',
    '  let s = 0;',
    '  for (let i = 0; i < X.length; i++) s = 0.5 * s + term(X, i, w);',
    '  return s;',
    '}',
  ].join('\n');
  const { files, modules } = await compile({ 'series.ts': source });
  const text = files[0]!.text;
  const loops = [...text.matchAll(/for \(let i = 0;[^]*?\n  \}/g)].map((m) => m[0]);
  assert.ok(loops.length >= 2, 'the loops of seriesVjp and seriesJvp');
  for (const loop of loops) assert.not.match(loop, /new Float64Array/, `an allocation inside a loop:\n${loop}`);
  // and the derivative is right: d/dw of s_n = 0.5 s_{n-1} + sin(w x_i)
  const X = Float64Array.of(0.3, -0.7, 1.1);
  let s = 0;
  let ds = 0;
  for (const x of X) {
    ds = 0.5 * ds + Math.cos(0.4 * x) * x;
    s = 0.5 * s + Math.sin(0.4 * x);
  }
  const g = modules['series.ts']!['seriesGrad']!(X, 0.4);
  assert.ok(Math.abs(g.value - s) < 1e-15 && Math.abs(g.grad.w - ds) < 1e-14, JSON.stringify(g));
  assert.ok(Math.abs(modules['series.ts']!['seriesJvp']!(X, 0.4, { w: 1 }).tangent - ds) < 1e-14);
});

test.run();
