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
import { compile } from './support/harness.ts';

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
  AD1013: { source: `function pair(x: number): number[] {\n  return [x, x];\n}\n${fn('  return pair(x)[1]!;')}`, line: 8 },
  AD1015: { source: fn('  return flag ? x : -x;', 'x: number, flag: boolean', '\n * @wrt flag'), line: 3 },
  AD1016: { source: fn('  return x * x_bar;', 'x: number, x_bar: number'), line: 4 },
  AD1019: { source: `function bump(a: Float64Array): number {\n  a[0] = a[0]! + 1;\n  return a[0]!;\n}\n${fn('  const a = new Float64Array(1);\n  if (x > 0 && bump(a) > 1) return x;\n  return a[0]! * x;')}`, line: 10 },
  AD1020: { source: `function shift(a: Float64Array, y: Float64Array): void {\n  y[0] = a[1]! * a[0]!;\n  y[1] = a[0]! * a[1]!;\n}\n${fn('  const v = new Float64Array(2);\n  v[0] = x;\n  v[1] = x;\n  shift(v, v);\n  return v[0]! + v[1]!;')}`, line: 12 },
  AD1021: { source: `${fn('  return x * x;')}/** @differentiable */\nexport function _f(x: number): number {\n  return x;\n}\n`, line: 4 },
  AD1023: { source: `/**\n * @differentiable\n * @out y\n * @out z\n */\nexport function f(x: number, y: Float64Array, z: Float64Array): void {\n  y[0] = x;\n  z[0] = x;\n}\n`, line: 4 },
  AD1025: { source: `function same(a: Float64Array): Float64Array {\n  return a;\n}\n${fn('  const v = new Float64Array(1);\n  v[0] = x;\n  const w = same(v);\n  return w[0]!;')}`, line: 10 },
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

test('AD1026: a file calling a helper of a file with errors gets no output, and says why', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'lib.ts'), `/** @differentiable */\nexport function noisy(x: number): number {\n  return x * Math.random();\n}\n`);
  fs.writeFileSync(path.join(dir, 'model.ts'), `import { noisy } from './lib.ts';\n${fn('  return noisy(x) * x;')}`);
  const r = await generate([path.join(dir, 'model.ts')]);
  assert.equal(r.diagnostics.map((d) => [d.code, path.basename(d.file), d.line]), [['AD1003', 'lib.ts', 3], ['AD1026', 'model.ts', 6]]);
  assert.match(r.diagnostics[1]!.message, "'f' calls 'noisy' from lib.ts, which has errors");
  assert.not.ok(fs.existsSync(path.join(dir, 'model.ad.ts')));
});

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

test('AD2003 also for a file that only mentions the header below its first line', async () => {
  const dir = tmp();
  const file = path.join(dir, 'model.ts');
  fs.writeFileSync(file, fn('  return x * x;'));
  const mine = '// my notes on code Generated by adgen\nexport const mine = 1;\n';
  fs.writeFileSync(path.join(dir, 'model.ad.ts'), mine);
  const r = await generate([file]);
  assert.equal(r.diagnostics.map((d) => d.code), ['AD2003']);
  assert.is(fs.readFileSync(path.join(dir, 'model.ad.ts'), 'utf8'), mine);
});

test('AD2006: an input that is not a TypeScript source; .mts, .cts and .tsx get .ad.mts, .ad.cts and .ad.ts beside them', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'model.js'), 'export const x = 1;\n');
  const js = await generate([path.join(dir, 'model.js')]);
  assert.equal(js.diagnostics.map((d) => d.code), ['AD2006']);
  const sources = ['a.mts', 'b.cts', 'c.tsx'].map((name) => path.join(dir, name));
  // a source whose first comment mentions adgen's header is still never overwritten
  for (const p of sources) fs.writeFileSync(p, `// Generated by adgen? No: by hand.\n${fn('  return x * x;')}`);
  const r = await generate(sources);
  assert.equal(r.diagnostics, []);
  assert.equal(r.files.map((f) => path.basename(f.outPath)), ['a.ad.mts', 'b.ad.cts', 'c.ad.ts']);
  for (const p of sources) assert.match(fs.readFileSync(p, 'utf8'), 'by hand');
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

test('a returned array read in place is AD1013 (a local first); in a local, the call is inlined', async () => {
  const ds = await diagnose(`function pair(x: number): number[] {\n  return [x, x];\n}\n${fn('  const t: number[] = pair(x);\n  return t[0]! + pair(x)[1]!;')}`);
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1013', 9]]);
  assert.match(ds[0]!.message, "Array 'pair(x)' must be a named variable here");
});

test('AD1025 for helpers that cannot be inlined: a returned parameter, an array returned from a loop, a call in a loop test or a ?: arm, another file calling its own helpers', async () => {
  const param = await diagnose(`function pick(a: Float64Array, s: number): Float64Array {\n  if (s > 0) return a;\n  return a.slice();\n}\n${fn('  const v = new Float64Array(2);\n  v[0] = x;\n  const w = pick(v, x);\n  return w[0]!;')}`);
  assert.equal(param.map((d) => [d.code, d.line]), [['AD1025', 11]]);
  assert.match(param[0]!.message, "'pick' may return its parameter 'a', the caller's own array");
  const loop = await diagnose(`function first(x: number): Float64Array {\n  for (let k = 0; k < 3; k++) {\n    const a = new Float64Array(1);\n    a[0] = x * k;\n    if (a[0]! > 1) return a;\n  }\n  return new Float64Array(1);\n}\n${fn('  const w = first(x);\n  return w[0]!;')}`);
  assert.equal(loop.map((d) => [d.code, d.line]), [['AD1025', 13]]);
  assert.match(loop[0]!.message, "'first' returns 'a', which it declares inside a loop");
  const test = await diagnose(`function pair(x: number): Float64Array {\n  const a = new Float64Array(2);\n  a[0] = x;\n  return a;\n}\nfunction first(a: Float64Array): number {\n  return a[0]!;\n}\n${fn('  let k = 0;\n  while (first(pair(x)) > k) k++;\n  return x > 0 ? first(pair(x)) : k;')}`);
  assert.equal(test.map((d) => [d.code, d.line]), [['AD1025', 14], ['AD1025', 15]]);
  assert.match(test[0]!.message, 'in a loop test or where it may not run');
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'lib.ts'), `function sq(t: number): number {\n  return t * t;\n}\n/** @differentiable */\nexport function squares(v: Float64Array): Float64Array {\n  const out = new Float64Array(v.length);\n  for (let i = 0; i < v.length; i++) out[i] = sq(v[i]!);\n  return out;\n}\n`);
  fs.writeFileSync(path.join(dir, 'model.ts'), `import { squares } from './lib.ts';\n${fn('  const v = new Float64Array(1);\n  v[0] = x;\n  const w = squares(v);\n  return w[0]!;')}`);
  const r = await generate([path.join(dir, 'model.ts')]);
  assert.equal(r.diagnostics.map((d) => [path.basename(d.file), d.code, d.line]), [['model.ts', 'AD1025', 8]]);
  assert.match(r.diagnostics[0]!.message, "'squares' is in another file and calls functions of its own");
  assert.not.ok(fs.existsSync(path.join(dir, 'model.ad.ts')));
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

test('AD1018: a number given both a value and a range in @check (the range would be dropped unseen)', async () => {
  const dir = tmp();
  const file = path.join(dir, 'model.ts');
  fs.writeFileSync(file, fn('  return x * y[0];', 'x: number, y: Float64Array', '\n * @check x: 1 in [0.2, 0.9], y: 1 in [0, 1]'));
  const r = await generate([file]);
  assert.equal(r.diagnostics.map((d) => d.code), ['AD1018']);
  assert.match(r.diagnostics[0]!.message, "'x' is a number; give it a value ('x = 1') or a range ('x in [0.2, 0.9]'), not both");
});

test('AD1001 for returns of different shapes (an element list, then an array variable) points at the second return', async () => {
  const ds = await diagnose(`/** @differentiable */\nexport function pick(x: number[], s: number): number[] {\n  const y = [x[0]! * s, x[1]!];\n  if (s > 0) return [x[0]!, x[1]! * s];\n  return y;\n}\n`);
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 5]]);
  assert.match(ds[0]!.message, 'A function that returns values of different shapes');
});

test('AD1001 for && and || on numbers (a value with a derivative), once where the number meets the operator', async () => {
  const ds = await diagnose(fn('  const z = y || 1;\n  const w = (x > 0 && y) || 0;\n  if (x > 0 && !(y < 1)) return z * w;\n  return z;', 'x: number, y: number'));
  assert.equal(ds.map((d) => [d.code, d.line, d.column]), [['AD1001', 5, 13], ['AD1001', 6, 14]]);
  assert.match(ds[0]!.message, "'||' on the number 'y'");
  assert.match(ds[0]!.message, "'y !== 0 ? y : …'");
  assert.match(ds[1]!.message, "'&&' on the number 'y'");
});

test('AD1001 for array methods other than a whole-array fill, at the call, saying to use a loop', async () => {
  const ds = await diagnose(fn('  x.fill(1, 0, 2);\n  return x.reduce((a, b) => a + b, 0);', 'x: Float64Array'));
  assert.equal(ds.map((d) => [d.code, d.line, d.column]), [['AD1001', 5, 3], ['AD1001', 6, 10]]);
  assert.match(ds[0]!.message, "The array method 'x.fill(…)'");
  assert.match(ds[1]!.message, 'Use an index loop');
  // one whose result is a new array, kept in a local
  const mapped = await diagnose(fn('  const y = x.map((v) => v * 2);\n  return y[0]!;', 'x: Float64Array'));
  assert.equal(mapped.map((d) => [d.code, d.line, d.column]), [['AD1001', 5, 13]]);
  assert.match(mapped[0]!.message, "The array method 'x.map(…)'");
});

test('AD1001 for an empty array filled by index writes, and for slice/subarray ranges, saying what to write', async () => {
  const ds = await diagnose(fn('  const a: number[] = [];\n  a[0] = x[0]!;\n  const v = x.subarray(1, 3);\n  const w = x.slice(1);\n  return a[0]! + v[0]! + w[0]!;', 'x: Float64Array'));
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 5], ['AD1001', 7], ['AD1001', 8]]);
  assert.match(ds[0]!.message, "The empty array 'a'");
  assert.match(ds[0]!.message, 'new Array(n).fill(0)');
  assert.match(ds[1]!.message, "A view of part of 'x' (subarray(…))");
  assert.match(ds[2]!.message, "A copy of part of 'x' (slice(…))");
});

test('a parameter or local rejected for its type is reported once, not again at each use', async () => {
  const ds = await diagnose(fn('  let s = 0;\n  for (let i = 0; i < idx.length; i++) s += x[idx[i]!]!;\n  const p: [number, number?] = [0, 0];\n  p[0] = s;\n  return p[0] * s;', 'x: Float64Array, idx: Int32Array'));
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1011', 4], ['AD1011', 7]]);
});

test('AD1001 for an increment inside an expression only where its order would matter or it may not run', async () => {
  const body = [
    '  let k = 0;',
    '  let s = v[k++] * v[k];', // 6: k read again
    '  s += x > 0 ? v[k++] : 0;', // 7: an arm of ?:
    '  if (x > 0 && v[k++] > 0) s += 1;', // 8: the right of &&
    '  s += v[v[0]++];', // 9: an element
    '  do {',
    '    if (s > 9) continue;',
    '    s += 1;',
    '  } while (--k > 0);', // 13: a do…while test its body may skip
    '  return s + v[k++];',
  ].join('\n');
  const ds = await diagnose(fn(body, 'x: number, v: Float64Array'));
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 6], ['AD1001', 7], ['AD1001', 8], ['AD1001', 9], ['AD1001', 13]]);
  assert.match(ds[0]!.message, "also reads 'k'");
  assert.match(ds[1]!.message, 'may not run');
});

test("AD1016 also for names the generated code renames ('_a' and '_a_dot' are u_a and u_a_dot there)", async () => {
  const ds = await diagnose(fn('  return _a * _a_dot + _ret * _ret_bar;', '_a: number, _a_dot: number, _ret: number, _ret_bar: number'));
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1016', 4], ['AD1016', 4]]);
  assert.match(ds[0]!.message, "'_a_dot' has the name adgen gives the derivative of '_a'");
});

test('AD1001 for bitwise operators says to use Math.trunc / Math.floor, once per operator', async () => {
  const ds = await diagnose(fn('  let k = (x * 6) | 0;\n  k |= 1;\n  return ~~x + (k >> 1);'));
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 5], ['AD1001', 6], ['AD1001', 7], ['AD1001', 7]]);
  for (const d of ds) assert.match(d.message, 'Math.trunc(x) for x | 0');
  assert.match(ds[2]!.message, "bitwise operator '~'");
});

test("AD1001 for a 'var' read after its loop says to declare it with let (not 'from outside the function')", async () => {
  const ds = await diagnose(fn('  let s = 0;\n  for (var i = 0; i < 3; i++) s += x * i;\n  return s + i * x;'));
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 7]]);
  // `var t;` in a loop keeps the value of the iteration before, which a fresh local would not
  const carried = await diagnose(fn('  let s = 0;\n  for (let i = 0; i < 4; i++) {\n    var t: number;\n    if (i === 0) t = x;\n    t = t! * 2;\n    s += t;\n  }\n  return s;'));
  assert.equal(carried.map((d) => [d.code, d.line]), [['AD1001', 7]]);
  assert.match(carried[0]!.message, "keeps the value of the iteration before");
  assert.match(ds[0]!.message, "'i', declared with 'var'");
});

test('AD1001 for an append past the end (a[a.length] = v), not for a[a.length - 1] or a ring index', async () => {
  const ds = await diagnose(fn('  const a = [0, 0];\n  a[a.length] = x[0]!;\n  a[a.length - 1] = x[1]!;\n  a[(a.length + 1) % a.length] = x[0]!;\n  return a[0]! + a[1]!;', 'x: Float64Array'));
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 6]]);
  assert.match(ds[0]!.message, "Writing at or past the end of 'a'");
});

test('AD1020 advises a copy made in a local, and that form compiles', async () => {
  const shift = `function shift(a: Float64Array, y: Float64Array): void {\n  y[0] = a[1]! * a[0]!;\n  y[1] = a[0]! * a[1]!;\n}\n`;
  const [hit] = await diagnose(CASES.AD1020!.source);
  assert.match(hit!.message, "const copy = v.slice()");
  const dir = tmp();
  const file = path.join(dir, 'model.ts');
  fs.writeFileSync(file, `${shift}${fn('  const v = new Float64Array(2);\n  v[0] = x;\n  v[1] = x;\n  const copy = v.slice();\n  shift(copy, v);\n  return v[0]! + v[1]!;')}`);
  const advised = await generate([file]);
  assert.equal(advised.diagnostics, []);
  assert.ok(fs.existsSync(path.join(dir, 'model.ad.ts')));
});

test('AD1020 for one array passed to an elementwise helper whose loop runs inside another (every element written twice)', async () => {
  const twice = `function twice(y: Float64Array, x: Float64Array): void {\n  for (let k = 0; k < 2; k++) {\n    for (let i = 0; i < y.length; i++) y[i] = Math.sin(x[i]!);\n  }\n}\n`;
  const once = `function once(y: Float64Array, x: Float64Array): void {\n  for (let i = 0; i < y.length; i++) y[i] = Math.sin(x[i]!);\n}\n`;
  const body = (g: string) => fn(`  const v = new Float64Array(2);\n  v[0] = x;\n  v[1] = x * x;\n  ${g}(v, v);\n  return v[0]! + v[1]!;`);
  assert.equal((await diagnose(twice + body('twice'))).map((d) => d.code), ['AD1020']);
  // one loop: y = sin(x) element by element is safe with x and y one array
  const dir = tmp();
  const file = path.join(dir, 'model.ts');
  fs.writeFileSync(file, once + body('once'));
  assert.equal((await generate([file])).diagnostics, []);
});

test('AD1019 also for a writing call in a for initialiser', async () => {
  const ds = await diagnose(`function step(v: Float64Array, k: number): number {\n  v[0] = v[0]! * k;\n  return v[0]!;\n}\n${fn('  const v = new Float64Array(1);\n  v[0] = x;\n  for (let i = step(v, x); i < 3; i++) {}\n  return v[0]!;')}`);
  // at the call, not at the `for`
  assert.equal(ds.map((d) => [d.code, d.line, d.column]), [['AD1019', 11, 16]]);
});

test('AD1001 for a default value that reads a module-level table at a run-time index (a constant index is its value)', async () => {
  const ds = await diagnose(`const TAB = [1.5, -0.5, 0.25];\n${fn('  return m * x + k;', 'x: number, k: number, m: number = TAB[k]! + TAB[1]!')}`);
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 5]]);
  assert.match(ds[0]!.message, 'an index known only at run time');
});

test('AD1001 for two different functions of one name from two files, in one function or in one generated file', async () => {
  const dir = tmp();
  const g = (k: number) => `/** @differentiable */\nexport function g(x: number): number {\n  return ${k} * x;\n}\n`;
  fs.writeFileSync(path.join(dir, 'u.ts'), g(3));
  fs.writeFileSync(path.join(dir, 'v.ts'), g(10));
  const imports = "import * as U from './u.ts';\nimport * as V from './v.ts';\n";
  fs.writeFileSync(path.join(dir, 'one.ts'), `${imports}/** @differentiable */\nexport function f(x: number): number {\n  return U.g(x) + V.g(x);\n}\n`);
  fs.writeFileSync(path.join(dir, 'two.ts'), `${imports}/** @differentiable */\nexport function f1(x: number): number {\n  return U.g(x);\n}\n/** @differentiable */\nexport function f2(x: number): number {\n  return V.g(x);\n}\n`);
  const r = await generate([path.join(dir, 'one.ts'), path.join(dir, 'two.ts')]);
  assert.equal(r.diagnostics.map((d) => [path.basename(d.file), d.code, d.line]), [['one.ts', 'AD1001', 5], ['two.ts', 'AD1001', 9]]);
  for (const d of r.diagnostics) assert.match(d.message, "Two different functions named 'g' (u.ts and v.ts)");
  assert.not.ok(fs.existsSync(path.join(dir, 'one.ad.ts')) || fs.existsSync(path.join(dir, 'two.ad.ts')));
});

test('AD1001 for a module-level array something writes and for a second name of an array, saying what to do instead', async () => {
  const ds = await diagnose(`const COEF = [1, 2];\nexport function reset(): void { COEF[0] = 0; }\n${fn('  const y = x;\n  return y[0]! * COEF[0]!;', 'x: Float64Array')}`);
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 7], ['AD1001', 8]]);
  assert.match(ds[0]!.message, "A second name for the array 'x'");
  assert.match(ds[0]!.message, 'x.slice()');
  assert.match(ds[1]!.message, "The array 'COEF' from outside the function");
  assert.match(ds[1]!.message, 'nothing writes it or passes it on');
});

test("AD1001 for an array chosen by ?:, saying to read the element under the condition", async () => {
  const ds = await diagnose(fn('  const a = [x, x];\n  const b = [x, 2 * x];\n  const last = x > 0 ? a : b;\n  return last[0]! + (x > 1 ? b : a)[1]!;'));
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 7], ['AD1001', 8]]);
  assert.match(ds[0]!.message, "An array chosen by '?:' ('x > 0 ? a : b')");
  assert.match(ds[0]!.message, 'x > 0 ? a[i] : b[i]');
});

test('AD1001 for a type assertion that changes the kind of a value, not for one within a kind', async () => {
  const ds = await diagnose(fn('  const b = x > 0;\n  return (v as any) ** 2 + (b as unknown as number) * x + (v as [number, number])[0]! + (x as number);', 'x: number, v: number[]'));
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 6], ['AD1001', 6]]);
  assert.match(ds[0]!.message, "A type assertion from number[] to any ('v as any')");
  assert.match(ds[1]!.message, "from boolean to number ('b as unknown as number')");
});

test("AD1001 for Math, Infinity or NaN declared by the program itself (they would be read as JavaScript's)", async () => {
  const ds = await diagnose(`const Infinity = 3;\nconst Math = { sin: (v: number) => v * v };\n${fn('  return Infinity * x + Math.sin(x);')}`);
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 7], ['AD1001', 7]]);
  assert.match(ds[0]!.message, "'Infinity' declared by the program itself");
  assert.match(ds[1]!.message, "'Math' declared by the program itself");
  // in a module-level constant or table the program's own Math is no constant adgen can compute
  const consts = await diagnose(`const Math = { PI: 3, sqrt: (v: number) => v };\nconst K = Math.PI + Math.sqrt(4);\nconst T = [Math.PI, 2];\n${fn('  return K * x + T[0]! * x;')}`);
  assert.equal(consts.map((d) => [d.code, d.line]), [['AD1001', 8], ['AD1001', 8]]);
});

test('an element of an untyped new Array(n).fill(0) is a number; a boolean stored into it is AD1001', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'model.ts'), fn('  const v = new Array(3).fill(x);\n  const w = v[0];\n  return w * x;'));
  assert.equal((await generate([path.join(dir, 'model.ts')], { write: false })).diagnostics, []);
  const ds = await diagnose(fn('  const v = new Array(2).fill(0);\n  v[0] = x > 0;\n  return v[1] * x;'));
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 6]]);
  assert.match(ds[0]!.message, "A boolean stored into the array 'v'");
});

test('AD1001 names ||=, delete and a spread literal; a sum too long to lower is AD1001, not a crash', async () => {
  const ds = await diagnose(fn('  let y = x;\n  y ||= 2;\n  const v = [x, 2];\n  delete v[0];\n  const w = [...v, 1];\n  return y * w[0]!;'));
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1001', 6], ['AD1001', 8], ['AD1001', 9]]);
  assert.match(ds[0]!.message, "The assignment operator '||=' is not supported in differentiable code. Write it with an if: if (y === 0) y = 2.");
  assert.match(ds[1]!.message, "'delete'");
  assert.match(ds[2]!.message, "An array literal with a spread ('[...v, 1]')");
  const terms = Array.from({ length: 1500 }, (_, i) => `x * ${i}`).join(' + ');
  const deep = await diagnose(fn(`  return ${terms};`));
  assert.equal(deep.map((d) => d.code), ['AD1001']);
  assert.match(deep[0]!.message, /nests \d+ levels deep.*Split it into statements/);
});

test('new Array(n).fill(0), which TypeScript types any[], is an array of numbers', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'model.ts'), fn('  const y = new Array(3).fill(0);\n  y[1] = x * x;\n  return y[0] + y[1];'));
  assert.equal((await generate([path.join(dir, 'model.ts')], { write: false })).diagnostics, []);
});

test('JSDoc descriptions after @wrt / @out names, and numeric enum members, are accepted', async () => {
  const dir = tmp();
  const source = `enum Order { First = 1, Second }\n/**\n * @differentiable\n * @wrt x - the input\n * @out y - the squares of x\n */\nexport function f(x: Float64Array, k: number, y: Float64Array): void {\n  for (let i = 0; i < x.length; i++) y[i] = Order.Second * x[i]! * x[i]! + (k === Order.First ? 1 : 0);\n}\n`;
  fs.writeFileSync(path.join(dir, 'model.ts'), source);
  const r = await generate([path.join(dir, 'model.ts')], { write: false });
  assert.equal(r.diagnostics, []);
  assert.equal(r.files[0]!.units[0]!.out, 'y');
});

test('a module-level const table read by element is accepted; one passed on, or a let, is AD1001', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'model.ts'), `const COEF = [1, -2 / 3, Math.PI];\n${fn('  return COEF[0]! * x + COEF[COEF.length - 1]!;')}`);
  assert.equal((await generate([path.join(dir, 'model.ts')], { write: false })).diagnostics, []);
  // passed to a function, which might write it: the copy could differ from the table
  const passed = await diagnose(`const COEF = [1, 2];\nfunction first(a: number[]): number {\n  return a[0]!;\n}\n${fn('  return first(COEF) * x;')}`);
  assert.equal(passed.map((d) => [d.code, d.line]), [['AD1001', 9]]);
  const mutable = await diagnose(`let COEF = [1, 2];\n${fn('  return COEF[0]! * x;')}`);
  assert.equal(mutable.map((d) => [d.code, d.line]), [['AD1001', 6]]);
  // written by destructuring or a for…of head; exported without readonly (another module may write it)
  const destructured = await diagnose(`const COEF = [1, 2];\nexport function set(): void {\n  ({ a: COEF[0] } = { a: 100 });\n  for (COEF[1] of [50]) {}\n}\n${fn('  return COEF[0]! * x;')}`);
  assert.equal(destructured.map((d) => [d.code, d.line]), [['AD1001', 10]]);
  const exported = await diagnose(`export const COEF = [1, 2];\n${fn('  return COEF[0]! * x;')}`);
  assert.equal(exported.map((d) => [d.code, d.line]), [['AD1001', 6]]);
  assert.match(exported[0]!.message, 'readonly number[]');
});

test('AD1001 for rest and this parameters, and a variadic tuple return is AD1010', async () => {
  const rest = await diagnose(`/** @differentiable */\nexport function r(...xs: number[]): number {\n  return xs.length;\n}\n`);
  assert.equal(rest.map((d) => [d.code, d.line]), [['AD1001', 2]]);
  const self = await diagnose(`/** @differentiable */\nexport function t(this: number, x: number): number {\n  return x;\n}\n`);
  assert.equal(self.map((d) => [d.code, d.line]), [['AD1001', 2]]);
  const tuple = await diagnose(`/** @differentiable */\nexport function v(x: number): [number, ...number[]] {\n  return [x, x];\n}\n`);
  assert.equal(tuple.map((d) => d.code), ['AD1010']);
});

test('a TypeScript error inside a differentiated function is reported like tsc, not turned into code', async () => {
  const ds = await diagnose(`function h(a: number, b: number): number {\n  return a * b;\n}\n${fn('  return h(x, 1, 2);')}`);
  assert.equal(ds.map((d) => [d.code, d.line]), [['TS2554', 8]]);
});

test('an empty @wrt is AD1005; object destructuring is one AD1001 without follow-on errors', async () => {
  const empty = await diagnose(fn('  return x * x;', 'x: number', '\n * @wrt'));
  assert.equal(empty.map((d) => [d.code, d.line]), [['AD1005', 3]]);
  const destructured = await diagnose(fn('  const { a, b } = { a: x * 2, b: x + 1 };\n  return a * b;', 'x: number'));
  assert.equal(destructured.map((d) => [d.code, d.line]), [['AD1001', 5]]);
});

test('AD1022: an @out array read before it is written is a warning (in place, not in @wrt); the file is still written', async () => {
  const dir = tmp();
  const file = path.join(dir, 'model.ts');
  fs.writeFileSync(file, `/**\n * @differentiable\n * @out x\n */\nexport function inPlace(x: Float64Array): void {\n  for (let i = 0; i < x.length; i++) x[i] = Math.tanh(x[i]!);\n}\n/**\n * @differentiable\n * @out y\n */\nexport function written(x: Float64Array, y: Float64Array): void {\n  for (let i = 0; i < x.length; i++) y[i] = x[i]!;\n  y[0] += 1;\n}\n/**\n * @differentiable\n * @out x\n * @wrt x\n */\nexport function named(x: Float64Array): void {\n  x[0] = x[0]! * 2;\n}\n`);
  const r = await generate([file]);
  assert.equal(r.diagnostics.map((d) => [d.code, d.category, d.line]), [['AD1022', 'warning', 6]]);
  assert.ok(fs.existsSync(path.join(dir, 'model.ad.ts')));
});

test('no AD1022 for a recurrence reading out[i - 1] under i > 0; AD1022 where the first read is an incoming element', async () => {
  const recurrence = (name: string, body: string, start = 0) =>
    `/**\n * @differentiable\n * @out o\n */\nexport function ${name}(x: Float64Array, o: Float64Array): void {\n  for (let i = ${start}; i < o.length; i++) {\n    ${body}\n  }\n}\n`;
  const file = path.join(tmp(), 'recur.ts');
  fs.writeFileSync(
    file,
    recurrence('ternary', 'o[i] = Math.sin(x[i]!) + (i > 0 ? o[i - 1]! * 0.5 : 0);') +
      recurrence('guarded', 'let t = Math.sin(x[i]!);\n    if (i >= 2) t += o[i - 2]!;\n    o[i] = t;') +
      // o[0] is read at i = 1 before anything wrote it
      recurrence('incoming', 'o[i] = Math.sin(x[i]!) + o[i - 1]! * 0.5;', 1) +
      // i > 0 does not cover o[i - 2] at i = 1
      recurrence('short', 'o[i] = Math.sin(x[i]!) + (i > 0 ? o[i - 2]! : 0);'),
  );
  const r = await generate([file]);
  assert.equal(r.diagnostics.map((d) => [d.code, d.line]), [['AD1022', 27], ['AD1022', 36]]);
});

test('no AD1022 where an @out array is read only at elements earlier iterations wrote (forward and back substitution)', async () => {
  const dir = tmp();
  const file = path.join(dir, 'solve.ts');
  const substitution = (name: string, header: string, inner: string) =>
    `/**\n * @differentiable\n * @out x\n */\nexport function ${name}(A: Float64Array, v: Float64Array, x: Float64Array, n: number): void {\n  ${header} {\n    let s = v[i]!;\n    ${inner} s -= A[i * n + j]! * x[j]!;\n    x[i] = s / A[i * n + i]!;\n  }\n}\n`;
  const source =
    substitution('forward', 'for (let i = 0; i < n; i++)', 'for (let j = 0; j < i; j++)') +
    substitution('back', 'for (let i = n - 1; i >= 0; i--)', 'for (let j = i + 1; j < n; j++)') +
    // j <= i reads x[i] before this iteration writes it: an incoming value
    substitution('diagonal', 'for (let i = 0; i < n; i++)', 'for (let j = 0; j <= i; j++)');
  fs.writeFileSync(file, source);
  const r = await generate([file]);
  assert.equal(r.diagnostics.map((d) => [d.code, d.line]), [['AD1022', 30]]);
  // and the derivatives: L = [[2, 0], [1, 4]], v = [2, 9] gives x = [1, 2] and ∂x/∂v = L⁻¹
  const m = (await compile({ 'solve.ts': source })).modules['solve.ts']!;
  const jac = m['forwardJacobian']!(Float64Array.of(2, 0, 1, 4), Float64Array.of(2, 9), new Float64Array(2), 2);
  assert.equal(Array.from(jac.value), [1, 2]);
  assert.equal(jac.jacobian.map((row: Float64Array) => Array.from(row.slice(4, 6))), [[0.5, 0], [-0.125, 0.25]]);
});

test('constructs outside the language get messages that say what they are (console, destructuring assignment, module-level let, ??, undefined)', async () => {
  const cases: [string, string, string][] = [
    [fn('  console.log(x);\n  return x * x;'), "The call 'console.log(…)'", 'log in the caller'],
    [fn('  let a = x;\n  let c = 2 * x;\n  [a, c] = [c, ...[a]];\n  return a * c;'), 'Destructuring assignment', 'lists of one length'],
    [`let SCALE = 3;\n${fn('  return SCALE * x;')}`, "The module-level variable 'SCALE'", 'Declare it const'],
    [fn('  return (x ?? 2) * x;'), "The operator '??'", '&& || on booleans'],
    [fn('  return x === undefined ? 0 : x;'), "'undefined'", 'default'],
  ];
  for (const [source, what, advice] of cases) {
    const ds = await diagnose(source);
    assert.equal(ds.map((d) => d.code), ['AD1001'], `${source}\n${ds.map((d) => `${d.code} ${d.message}`).join('\n')}`);
    assert.match(ds[0]!.message, what);
    assert.match(ds[0]!.message, advice);
  }
});

test('AD1024: @differentiable in a comment that is not JSDoc is a warning naming the function', async () => {
  const dir = tmp();
  const file = path.join(dir, 'model.ts');
  fs.writeFileSync(file, `// @differentiable\nexport function f(x: number): number {\n  return x * x;\n}\n/* @differentiable */\nexport const g = (x: number): number => x * 2;\n/** @differentiable */\nexport function h(x: number): number {\n  return x * x;\n}\n// a helper, not a tag\nexport function k(x: number): number {\n  return x;\n}\n`);
  const r = await generate([file]);
  assert.equal(r.diagnostics.map((d) => [d.code, d.category, d.line]), [['AD1024', 'warning', 2], ['AD1024', 'warning', 6]]);
  assert.match(r.diagnostics[0]!.message, "'f' has '@differentiable' in a comment");
  // the JSDoc-tagged function is still generated
  assert.ok(fs.readFileSync(path.join(dir, 'model.ad.ts'), 'utf8').includes('export function hGrad('));
});

test('tags mentioned in prose are not tags: no AD1024 for a file header, no @differentiable or @check inside a sentence', async () => {
  const file = path.join(tmp(), 'model.ts');
  fs.writeFileSync(
    file,
    `// Models; mark a function @differentiable to get its derivatives.\n\n` +
      `/** Draws a start point; not @differentiable (uses Math.random), call it outside the model. */\n` +
      `export function start(n: number): Float64Array {\n  const x = new Float64Array(n);\n  for (let i = 0; i < n; i++) x[i] = Math.random();\n  return x;\n}\n` +
      `/**\n * Residuals (the @check tag sizes them: see README).\n * @differentiable\n */\nexport function f(x: number): number {\n  return x * x;\n}\n`,
  );
  const r = await generate([file]);
  assert.equal(r.diagnostics.map((d) => `${d.code} ${d.message}`), []);
  assert.equal(r.files[0]!.units.map((u) => [u.name, u.checkTags]), [['f', []]]);
});

test('AD1012 also for a class method tagged @differentiable', async () => {
  const ds = await diagnose(`export class C {\n  /** @differentiable */\n  m(x: number): number {\n    return x * x;\n  }\n}\n`);
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1012', 3]]);
});

test('AD1012 also for @differentiable on a variable that is not a function', async () => {
  const ds = await diagnose(`/** @differentiable */\nexport const x = 5;\n${fn('  return x * 2;')}`);
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1012', 2]]);
  assert.match(ds[0]!.message, "'x' is a variable, not a function");
});

test('AD1012 also for @differentiable on a class, a type or a default-exported expression, and for @Differentiable', async () => {
  const source = [
    '/** @differentiable */',
    'export default (x: number): number => x * x;',
    '/** @differentiable */',
    'export class Model {}',
    '/** @differentiable */',
    'export type T = number;',
    '/** @Differentiable */',
    'export function g(x: number): number {',
    '  return x * x;',
    '}',
  ].join('\n');
  const ds = await diagnose(source);
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1012', 2], ['AD1012', 4], ['AD1012', 6], ['AD1012', 8]]);
  assert.match(ds[0]!.message, 'export default function f');
  assert.match(ds[3]!.message, 'case-sensitive');
  // a file with no @differentiable at all is read for these too
  const alone = await diagnose('/** @gpu */\nexport function s(x: Float64Array): number {\n  let t = 0;\n  for (let i = 0; i < x.length; i++) t += x[i]!;\n  return t;\n}\n');
  assert.equal(alone.map((d) => [d.code, d.line]), [['AD1012', 2]]);
  assert.match(alone[0]!.message, "'@gpu' without '@differentiable'");
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

test('AD2007: a file importing derivatives that are not written is not written either', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'lib.ts'), '/** @differentiable */\nexport function sq(x: number): number {\n  return x * x;\n}\n');
  fs.writeFileSync(path.join(dir, 'lib.ad.ts'), '// written by hand\n');
  fs.writeFileSync(path.join(dir, 'main.ts'), "import { sq } from './lib.ts';\n" + fn('  return sq(x) * 2;'));
  const r = await generate([path.join(dir, 'main.ts')]);
  assert.equal(r.diagnostics.map((d) => d.code), ['AD2003', 'AD2007']);
  assert.match(r.diagnostics[1]!.message, /imports the derivatives of '.*lib\.ts'/);
  assert.not.ok(fs.existsSync(path.join(dir, 'main.ad.ts')));
  assert.is(fs.readFileSync(path.join(dir, 'lib.ad.ts'), 'utf8'), '// written by hand\n');
  // and under --out-dir, two imported lib.ts meeting in one lib.ad.ts (AD2005)
  for (const sub of ['a', 'b']) {
    fs.mkdirSync(path.join(dir, sub));
    fs.writeFileSync(path.join(dir, sub, 'lib.ts'), `/** @differentiable */\nexport function ${sub}(x: number): number {\n  return x * x;\n}\n`);
  }
  fs.writeFileSync(path.join(dir, 'two.ts'), "import { a } from './a/lib.ts';\nimport { b } from './b/lib.ts';\n" + fn('  return a(x) + b(x);'));
  const out = path.join(dir, 'out');
  const s = await generate([path.join(dir, 'two.ts')], { outDir: out });
  assert.equal(s.diagnostics.map((d) => d.code).sort(), ['AD2005', 'AD2007']);
  assert.not.ok(fs.existsSync(out));
});

test('an @out or @wrt in the middle of a sentence is prose, not a tag (no AD1023 or AD1005)', async () => {
  const file = path.join(tmp(), 'model.ts');
  fs.writeFileSync(file, `/**\n * dense layer as exported @out helper, restricted\n * (see @wrt below)\n * @differentiable\n * @out y\n */\nexport function f(x: number, y: Float64Array): void {\n  y[0] = x * x;\n}\n`);
  const r = await generate([file]);
  assert.equal(r.diagnostics.map((d) => `${d.code} ${d.message}`), []);
  assert.is(r.files[0]!.units[0]!.out, 'y');
});

test('@wrt and @out after another tag on a line that starts with prose are tags', async () => {
  const file = path.join(tmp(), 'model.ts');
  fs.writeFileSync(file, `/** Scaled. @differentiable @wrt x @check k = 5 */\nexport function f(x: number, k: number): number {\n  return x * k;\n}\n/** Fill y from @out and @wrt words. @differentiable @out y */\nexport function g(y: Float64Array, x: number): void {\n  y[0] = x * x;\n}\n`);
  const r = await generate([file]);
  assert.equal(r.diagnostics.map((d) => `${d.code} ${d.message}`), []);
  const units = r.files[0]!.units;
  assert.equal(units.map((u) => [u.name, u.params.filter((p) => p.active).map((p) => p.name), u.out ?? null]), [['f', ['x'], null], ['g', ['x'], 'y']]);
});

test("a helper's errors are reported in the same run as its caller's own", async () => {
  const ds = await diagnose(`function helper(x: number): number {\n  return Math.random() * x;\n}\n${fn('  const r = Math.random();\n  return helper(x) * r;')}`);
  assert.equal(ds.map((d) => [d.code, d.line]), [['AD1003', 2], ['AD1003', 8]]);
});

test("an imported file's syntax error and a module that does not exist are reported as tsc reports them", async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'bad.ts'), '/** @differentiable */\nexport function g(x: number): number { return x * ; }\n');
  fs.writeFileSync(path.join(dir, 'model.ts'), "import { g } from './bad.ts';\nimport { h } from './missing.ts';\n" + fn('  return g(x) + h(x);'));
  const r = await generate([path.join(dir, 'model.ts')]);
  assert.equal(r.diagnostics.map((d) => [path.basename(d.file), d.code, d.line]), [['bad.ts', 'TS1109', 2], ['model.ts', 'TS2307', 2]]);
  assert.equal(fs.readdirSync(dir).sort(), ['bad.ts', 'model.ts']);
});

test('every diagnostic code has a test here', () => {
  const tested = new Set([...Object.keys(CASES), 'AD1018', 'AD1022', 'AD1024', 'AD1026', 'AD2001', 'AD2002', 'AD2003', 'AD2004', 'AD2005', 'AD2006', 'AD2007']);
  // the GPU lowering's warnings (AD4xxx) are tested in gpu.test.ts
  assert.equal(Object.keys(DIAGNOSTICS).filter((c) => !c.startsWith('AD4') && !tested.has(c)), []);
});

test.run();
