/**
 * One test per diagnostic: bad input gets a tsc-style diagnostic with file:line:col and its
 * stable code, every problem of a run is reported, and no output file is written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatDiagnostic, generate } from '../packages/adgen/src/index.ts';
import { DIAGNOSTICS } from '../packages/adgen/src/diagnostics/codes.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'adgen-diag-'));

async function diagnose(source: string) {
  const dir = tmp();
  const file = path.join(dir, 'model.ts');
  fs.writeFileSync(file, source);
  const r = await generate([file]);
  assert.not.ok(fs.existsSync(path.join(dir, 'model.ad.ts')), 'no output file for a file with errors');
  return r.diagnostics;
}

const fn = (body: string, params = 'x: number', tags = '') => `/**\n * @differentiable${tags}\n */\nexport function f(${params}): number {\n${body}\n}\n`;

/** code → a source that must raise it, and the line it must point at */
const CASES: Record<string, { source: string; line: number }> = {
  AD1001: { source: fn('  switch (x) { default: return x; }'), line: 5 },
  AD1002: { source: `declare function g(x: number): number;\n${fn('  return g(x);')}`, line: 6 },
  AD1003: { source: fn('  return x * Math.random();'), line: 5 },
  AD1004: { source: fn('  const h = (t: number) => t * x;\n  return h(2);'), line: 5 },
  AD1005: { source: fn('  return x;', 'x: number', '\n * @wrt y'), line: 3 },
  AD1006: { source: fn('  return x;', 'x: number', '\n * @out o'), line: 3 },
  AD1007: { source: fn('  return x > 1 ? f(x - 1) : x;'), line: 5 },
  AD1008: { source: fn('  return x;', 'x: any'), line: 4 },
  AD1009: { source: fn('  return Math.imul(x, 2);'), line: 5 },
  AD1010: { source: `/** @differentiable */\nexport function f(x: number): string {\n  return String(x);\n}\n`, line: 2 },
  AD1011: { source: fn('  return s.length * x;', 'x: number, s: string'), line: 4 },
  AD1012: { source: `/** @differentiable */\nfunction f(x: number): number {\n  return x;\n}\n`, line: 2 },
  AD1013: { source: fn('  const a = [x, x];\n  const b = a;\n  return b[0];'), line: 6 },
  AD1014: { source: `function pair(x: number): [number, number] {\n  return [x, x];\n}\n${fn('  pair(x);\n  return x;')}`, line: 1 },
  AD1015: { source: fn('  return flag ? x : -x;', 'x: number, flag: boolean', '\n * @wrt flag'), line: 3 },
  AD1016: { source: fn('  return x * x_bar;', 'x: number, x_bar: number'), line: 4 },
  AD1019: { source: `function bump(a: Float64Array): number {\n  a[0] = a[0]! + 1;\n  return a[0]!;\n}\n${fn('  const a = new Float64Array(1);\n  if (x > 0 && bump(a) > 1) return x;\n  return a[0]! * x;')}`, line: 10 },
  AD1020: { source: `function shift(a: Float64Array, y: Float64Array): void {\n  y[0] = a[1]! * a[0]!;\n  y[1] = a[0]! * a[1]!;\n}\n${fn('  const v = new Float64Array(2);\n  v[0] = x;\n  v[1] = x;\n  shift(v, v);\n  return v[0]! + v[1]!;')}`, line: 12 },
  AD1017: { source: `/**\n * @differentiable\n * @out y\n */\nexport function f(x: number, y: Float64Array): number {\n  y[0] = x;\n  return x;\n}\n`, line: 5 },
};

for (const [code, c] of Object.entries(CASES)) {
  test(`${code}: ${DIAGNOSTICS[code as keyof typeof DIAGNOSTICS].slice(0, 60)}…`, async () => {
    const ds = await diagnose(c.source);
    const hit = ds.find((d) => d.code === code);
    assert.ok(hit, `expected ${code}, got ${ds.map((d) => `${d.code} ${d.message}`).join('; ') || 'nothing'}`);
    assert.is(hit!.line, c.line);
    assert.ok(hit!.column >= 1);
    const text = formatDiagnostic(hit!, process.cwd());
    assert.match(text, new RegExp(`model\\.ts:${c.line}:\\d+ - error ${code}: `));
  });
}

test('AD2001: a missing file', async () => {
  const r = await generate(['does/not/exist.ts']);
  assert.equal(r.diagnostics.map((d) => d.code), ['AD2001']);
  assert.match(r.diagnostics[0]!.message, 'does/not/exist.ts');
});

test('AD2002: a directory or glob that matches nothing', async () => {
  const dir = tmp();
  const r1 = await generate([dir]);
  assert.equal(r1.diagnostics.map((d) => d.code), ['AD2002']);
  const r2 = await generate([path.join(dir, '**/*.ts')]);
  assert.equal(r2.diagnostics.map((d) => d.code), ['AD2002']);
});

test('AD2003: refuses to overwrite a file adgen did not generate', async () => {
  const dir = tmp();
  const file = path.join(dir, 'model.ts');
  fs.writeFileSync(file, fn('  return x * x;'));
  fs.writeFileSync(path.join(dir, 'model.ad.ts'), 'export const mine = 1;\n');
  const r = await generate([file]);
  assert.equal(r.diagnostics.map((d) => d.code), ['AD2003']);
  assert.is(fs.readFileSync(path.join(dir, 'model.ad.ts'), 'utf8'), 'export const mine = 1;\n');
});

test('AD2004: a write that fails leaves nothing half-written', async () => {
  const dir = tmp();
  const file = path.join(dir, 'model.ts');
  fs.writeFileSync(file, fn('  return x * x;'));
  // the output directory is a regular file: the write fails
  const blocker = path.join(dir, 'blocker');
  fs.writeFileSync(blocker, '');
  const r = await generate([file], { outDir: path.join(blocker, 'out') });
  assert.equal(r.diagnostics.map((d) => d.code), ['AD2004']);
  assert.equal(fs.readdirSync(dir).sort(), ['blocker', 'model.ts']);
});

test('a syntax error is reported like tsc reports it', async () => {
  const ds = await diagnose(fn('  return x * ;'));
  assert.ok(ds.length >= 1);
  assert.match(ds[0]!.code, /^TS\d+$/);
  assert.is(ds[0]!.line, 5);
  assert.match(formatDiagnostic(ds[0]!, process.cwd()), /model\.ts:5:\d+ - error TS1109: Expression expected\./);
});

test('every problem of a run is reported, not only the first', async () => {
  const ds = await diagnose(fn('  const r = Math.random();\n  return Math.imul(x, 2) + r;', 'x: number, y: any'));
  assert.equal([...new Set(ds.map((d) => d.code))].sort(), ['AD1003', 'AD1008', 'AD1009']);
});

test('AD1014 at the call when an array a function returns is used as an array, and nothing after it', async () => {
  const ds = await diagnose(`function pair(x: number): number[] {\n  return [x, x];\n}\n${fn('  const t: number[] = pair(x);\n  return t[0]! + pair(x)[1]!;')}`);
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1014', 8], ['AD1014', 9]]);
});

test('AD1018: a @check tag adgen check cannot read is a warning; the file is still written', async () => {
  const dir = tmp();
  const file = path.join(dir, 'model.ts');
  fs.writeFileSync(file, fn('  return x * x;', 'x: number', '\n * @check zz: 10'));
  const r = await generate([file]);
  assert.equal(r.diagnostics.map((d) => [d.code, d.category, d.line]), [['AD1018', 'warning', 3]]);
  assert.match(formatDiagnostic(r.diagnostics[0]!, process.cwd()), /model\.ts:3:\d+ - warning AD1018: 'f': @check names 'zz'/);
  assert.ok(fs.existsSync(path.join(dir, 'model.ad.ts')));
});

test('AD1001 for returns of different arrays points at the second return', async () => {
  const ds = await diagnose(`/** @differentiable */\nexport function pick(x: Float64Array, s: number): Float64Array {\n  const a = x.slice();\n  const b = x.slice();\n  if (s > 0) return a;\n  return b;\n}\n`);
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 6]]);
  assert.match(ds[0]!.message, 'A function that returns different arrays');
});

test('AD1001 for array methods other than a whole-array fill, at the call, saying to use a loop', async () => {
  const ds = await diagnose(fn('  x.fill(1, 0, 2);\n  return x.reduce((a, b) => a + b, 0);', 'x: Float64Array'));
  assert.equal(ds.map((d) => [d.code, d.line, d.column]), [['AD1001', 5, 3], ['AD1001', 6, 10]]);
  assert.match(ds[0]!.message, "The array method 'x.fill(…)'");
  assert.match(ds[1]!.message, 'Use an index loop');
});

test('AD1012 also for a class method tagged @differentiable', async () => {
  const ds = await diagnose(`export class C {\n  /** @differentiable */\n  m(x: number): number {\n    return x * x;\n  }\n}\n`);
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1012', 3]]);
});

test('AD2005: two sources with the same file name under one --out-dir: neither is written', async () => {
  const dir = tmp();
  const [one, two] = [path.join(dir, 'a', 'model.ts'), path.join(dir, 'b', 'model.ts')];
  for (const file of [one, two]) {
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, fn('  return x * x;'));
  }
  const out = path.join(dir, 'out');
  const r = await generate([one, two], { outDir: out });
  assert.equal(r.diagnostics.map((d) => d.code), ['AD2005']);
  assert.not.ok(fs.existsSync(out));
});

test('every diagnostic code has a test here', () => {
  const tested = new Set([...Object.keys(CASES), 'AD1018', 'AD2001', 'AD2002', 'AD2003', 'AD2004', 'AD2005']);
  // the GPU lowering's warnings (AD4xxx) are tested in gpu.test.ts
  assert.equal(Object.keys(DIAGNOSTICS).filter((c) => !c.startsWith('AD4') && !tested.has(c)), []);
});

test.run();
