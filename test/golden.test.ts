/**
 * Golden files: the emitted code of representative functions, compared byte for byte (set
 * UPDATE_GOLDEN=1 to rewrite them after a deliberate change and review the diff). Each golden
 * file is also executed and checked against finite differences, and type-checked by
 * `npm run typecheck` (test/ is in tsconfig.json).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generate } from '../packages/adgen/src/index.ts';
import { checkUnit, compile } from './support/harness.ts';

const dir = path.resolve('test/golden');
const inputs = fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.ad.ts')).sort();
const SPECS: Record<string, import('./support/harness.ts').InputSpec> = {
  euler: { fixed: { steps: 50 }, ranges: { y0: [0.2, 0.8], a: [0.5, 1.5], h: [0.01, 0.05] } },
  huber: { ranges: { delta: [0.5, 1] } },
  clippedSqrt: { ranges: { x: [0.1, 2] } },
  matvec: { sizes: { A: 12, x: 4, y: 3 } },
  softmaxCrossEntropy: { fixed: { label: 2 }, sizes: { z: 5 } },
  nll: { sizes: { w: 3, X: 15, y: 5 } },
};

for (const input of inputs) {
  test(`${input}: emitted code matches the golden file`, async () => {
    const r = await generate([path.join(dir, input)], { write: false });
    assert.equal(r.diagnostics, []);
    const golden = path.join(dir, input.replace(/\.ts$/, '.ad.ts'));
    const text = r.files[0]!.text;
    if (process.env['UPDATE_GOLDEN'] || !fs.existsSync(golden)) fs.writeFileSync(golden, text);
    assert.fixture(text, fs.readFileSync(golden, 'utf8'));
  });
}

test('golden functions are right: finite differences and the dot-product test', async () => {
  const sources = Object.fromEntries(inputs.map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
  const c = await compile(sources);
  for (const f of c.files) {
    for (const u of f.units) {
      const spec = { ...(SPECS[u.name] ?? {}) };
      const r = checkUnit(c, path.basename(f.sourcePath), u.name, spec, 3, 11);
      assert.ok(r.fdErrorReverse < 1e-6 && r.fdErrorForward < 1e-6 && r.dotResidual < 1e-10, `${u.name}: ${JSON.stringify(r)}`);
    }
  }
});

test('a second run gives byte-identical output', async () => {
  const paths = inputs.map((f) => path.join(dir, f));
  const a = await generate(paths, { write: false });
  const b = await generate(paths, { write: false });
  assert.equal(a.files.map((f) => f.text), b.files.map((f) => f.text));
});

test.run();
