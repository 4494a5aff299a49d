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

test.run();
