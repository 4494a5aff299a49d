/**
 * Tests of `adgen check` (packages/adgen/src/check): the @check tag parser, the numeric checks on
 * a hand-written derivative module (correct, and with deliberate mistakes that must FAIL), and
 * `runCheck` end to end through the compiler.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GeneratedFile, ParamInfo, UnitInfo } from '../packages/adgen/src/api-types.ts';
import { checkGenerated, parseCheckTags, runCheck } from '../packages/adgen/src/check/index.ts';
import { recordStops } from '../packages/adgen/src/check/stop-gradient.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, 'fixtures', 'check');
const source = path.join(fixtures, 'model.ts');
const handWritten = readFileSync(path.join(fixtures, 'model.expected-ad.ts'), 'utf8');

const num = (name: string, active = true): ParamInfo => ({ name, type: 'number', active, out: false });
const f64 = (name: string, active = true, out = false): ParamInfo => ({ name, type: 'Float64Array', active: active && !out, out });

function unit(name: string, line: number, params: ParamInfo[], returns: UnitInfo['returns'], checkTags: string[] = []): UnitInfo {
  const out = params.find((p) => p.out)?.name;
  return { name, file: source, line, params, returns, checkTags, gpu: false, tagged: true, ...(out ? { out } : {}) };
}

/** The units of fixtures/check/model.ts as the front end would describe them. */
const UNITS: UnitInfo[] = [
  unit('poly', 8, [num('a'), num('b')], { kind: 'number' }),
  unit('sumsq', 16, [num('w'), f64('x')], { kind: 'number' }, ['@check x: 7']),
  unit('scale', 29, [num('a'), f64('x'), f64('out', false, true)], { kind: 'void' }),
  unit('logsum', 38, [f64('x'), num('n', false)], { kind: 'number' }),
  unit('pair', 45, [num('a'), num('b')], { kind: 'tuple', length: 2 }),
];

/** A GeneratedFile with the hand-written module text (optionally corrupted). */
function handFile(text = handWritten, units = UNITS): GeneratedFile {
  return { sourcePath: source, outPath: path.join(fixtures, 'model.ad.ts'), text, units };
}

const quiet = { progress: () => {} };

test('@check grammar: sizes, ranges, fixed values, wildcard, errors', () => {
  const params = [num('w'), f64('x'), f64('y'), num('n', false)];
  const spec = parseCheckTags(['@check x: 100, y: 100', '@check w in [-1, 1], n = 4', 'x: 50 in [0, 2*PI]', '* in [0.5, 2]'], params);
  assert.equal(spec.errors, []);
  assert.equal(spec.params.get('x'), { size: 50, range: [0, 2 * Math.PI] });
  assert.equal(spec.params.get('y'), { size: 100 });
  assert.equal(spec.params.get('w'), { range: [-1, 1] });
  assert.equal(spec.params.get('n'), { value: 4 });
  assert.equal(spec.params.get('*'), { range: [0.5, 2] });
  // multi-line raw JSDoc text
  assert.equal(parseCheckTags(['@check x: 3,\n * y: 4'], params).params.get('y'), { size: 4 });

  assert.match(parseCheckTags(['@check z: 3'], params).errors.join('\n'), /'z', which is not a parameter/);
  assert.match(parseCheckTags(['@check x in [2, 1]'], params).errors.join('\n'), /empty/);
  assert.match(parseCheckTags(['@check x: 2.5'], params).errors.join('\n'), /non-negative integer/);
  assert.match(parseCheckTags(['@check x'], params).errors.join('\n'), /needs/);
  assert.match(parseCheckTags(['@check x: 3 y: 4'], params).errors.join('\n'), /expected ','/);
});

test('checkGenerated: a correct derivative module passes every check', async () => {
  const progress: string[] = [];
  const run = await checkGenerated([handFile()], { progress: (m) => progress.push(m) });
  for (const r of run.results) assert.is(r.status, 'PASS', `${r.name}: ${r.messages.join('; ')}`);
  assert.ok(run.ok);
  assert.is(run.results.length, UNITS.length);
  for (const r of run.results) {
    assert.is(r.points, 3);
    assert.ok((r.reverseError ?? 1) <= 1e-7, `${r.name} reverse ${r.reverseError}`);
    assert.ok((r.forwardError ?? 1) <= 1e-7, `${r.name} forward ${r.forwardError}`);
    assert.ok((r.dotResidual ?? 1) <= 1e-12, `${r.name} dot ${r.dotResidual}`);
  }
  const byName = new Map(run.results.map((r) => [r.name, r]));
  assert.is(byName.get('sumsq')?.inputs, 'w, x[7]');
  assert.is(byName.get('scale')?.inputs, 'a, x[5], out[5] out');
  assert.is(byName.get('logsum')?.inputs, 'x[5], n=3');
  assert.ok(progress.some((m) => m.includes('checking poly')));
  assert.match(run.output, /poly\s+a, b\s+/);
  assert.match(run.output, /5 passed, 0 failed/);
});

test('checkGenerated: JSON output', async () => {
  const run = await checkGenerated([handFile()], { ...quiet, json: true });
  const report = JSON.parse(run.output) as { ok: boolean; results: { name: string; status: string; file: string }[] };
  assert.is(report.ok, true);
  assert.equal(
    report.results.map((r) => r.name),
    UNITS.map((u) => u.name),
  );
  assert.is(report.results[0]?.file, 'model.ts');
});

/** Corruptions of the hand-written module, each of which must make exactly its function FAIL. */
const CORRUPTIONS: [string, string, string, RegExp][] = [
  ['poly', 'a: 2 * a * b, b:', 'a: 2 * a * b * 1.001, b:', /reverse mode/],
  ['sumsq', 'x_bar[i] = 2 * t * w;', 'x_bar[i] = 2 * t * w + (i === 3 ? 1e-3 : 0);', /reverse mode/],
  ['scale', 'out_dot[i] = (tangent.a ?? 0) * x[i]! * x[i]!', 'out_dot[i] = (tangent.a ?? 0) * x[i]!', /forward mode/],
  ['logsum', 'x_bar[i] = 1 / x[i]!;', 'x_bar[i] = 1 / (x[i]! + 1e-4);', /reverse mode/],
  ['pair', 'jacobian: [Float64Array.of(b, a)', 'jacobian: [Float64Array.of(a, b)', /Jacobian/],
  ['pair', 'tangent: [da * b + a * db, da - e * db]', 'tangent: [da * b + a * db, da - e * da]', /forward mode|dot-product/],
  ['poly', 'return { value: r.value, tangent:', 'return { value: r.value + 1e-6, tangent:', /value/],
  ['sumsq', 'return { value: r.value, grad: { w: r.grad.w * cotangent, x:', 'return { value: r.value, grad: { w: r.grad.w * cotangent, xs:', /grad\.x/],
  ['poly', 'export function polyJvp', 'export function polyJvpRenamed', /does not export polyJvp/],
  ['scale', 'const out_dot = new Float64Array(out.length);', 'const out_dot = new Float64Array(out.length); if (tangent.x === undefined) throw new Error("no x");', /threw: no x/],
];

for (const [name, from, to, why] of CORRUPTIONS) {
  test(`checkGenerated: a wrong ${name} (${to.slice(0, 40)}…) FAILs`, async () => {
    assert.ok(handWritten.includes(from), `fixture text changed: ${from}`);
    const run = await checkGenerated([handFile(handWritten.replace(from, to))], quiet);
    assert.not.ok(run.ok);
    for (const r of run.results) {
      if (r.name === name) {
        assert.is(r.status, 'FAIL', r.messages.join('; '));
        assert.match(r.messages.join('\n'), why);
      } else {
        assert.is(r.status, 'PASS', `${r.name}: ${r.messages.join('; ')}`);
      }
    }
    assert.match(run.output, /FAIL/);
  });
}

test('checkGenerated: quiet prints nothing when all pass, and only the failing rows otherwise', async () => {
  const passing = await checkGenerated([handFile()], { ...quiet, quiet: true });
  assert.ok(passing.ok);
  assert.is(passing.output, '');
  const broken = handWritten.replace('return { value: r.value, tangent:', 'return { value: r.value + 1e-6, tangent:');
  const failing = await checkGenerated([handFile(broken)], { ...quiet, quiet: true });
  assert.not.ok(failing.ok);
  assert.match(failing.output, /poly\s+a, b\s+.*FAIL/);
  assert.not.match(failing.output, /sumsq|PASS\n/);
  assert.match(failing.output, /4 passed, 1 failed/);
});

test('checkGenerated: a module that does not load fails every function of its file', async () => {
  const run = await checkGenerated([handFile(handWritten + '\nexport const broken = ;\n')], quiet);
  assert.not.ok(run.ok);
  for (const r of run.results) {
    assert.is(r.status, 'FAIL');
    assert.match(r.messages.join(''), /could not load/);
  }
});

test('checkGenerated: a function with no valid point FAILs with advice; @check fixes it', async () => {
  // acosh needs x ≥ 1: the default ranges [-1, 1], [0.1, 1] fail and [1.1, 2] works …
  const text = `export function gGrad(x: number) { return { value: Math.acosh(x), grad: { x: 1 / Math.sqrt(x * x - 1) } }; }
export function gVjp(x: number, u: number) { return { value: Math.acosh(x), grad: { x: u / Math.sqrt(x * x - 1) } }; }
export function gJvp(x: number, t: { x?: number }) { return { value: Math.acosh(x), tangent: (t.x ?? 0) / Math.sqrt(x * x - 1) }; }
export function gJacobian(x: number) { return { value: Math.acosh(x), jacobian: [Float64Array.of(1 / Math.sqrt(x * x - 1))] }; }
export function hGrad(x: number) { return { value: Math.sqrt(x - 5), grad: { x: 0.5 / Math.sqrt(x - 5) } }; }
export function hVjp(x: number, u: number) { return { value: Math.sqrt(x - 5), grad: { x: (0.5 * u) / Math.sqrt(x - 5) } }; }
export function hJvp(x: number, t: { x?: number }) { return { value: Math.sqrt(x - 5), tangent: (0.5 * (t.x ?? 0)) / Math.sqrt(x - 5) }; }
export function hJacobian(x: number) { return { value: Math.sqrt(x - 5), jacobian: [Float64Array.of(0.5 / Math.sqrt(x - 5))] }; }
`;
  const g = unit('g', 1, [num('x')], { kind: 'number' });
  const h = unit('h', 1, [num('x')], { kind: 'number' });
  const run = await checkGenerated([handFile(text, [g, h])], quiet);
  const [rg, rh] = run.results;
  assert.is(rg?.status, 'PASS', rg?.messages.join('; '));
  assert.is(rh?.status, 'FAIL');
  assert.match(rh?.messages.join('') ?? '', /no valid point.*@check/);
  const fixed = await checkGenerated([handFile(text, [unit('h', 1, [num('x')], { kind: 'number' }, ['@check x in [6, 9]'])])], quiet);
  assert.is(fixed.results[0]?.status, 'PASS', fixed.results[0]?.messages.join('; '));
  // an active number fixed by `x = 2` is still moved by finite differences: the advice says so
  const pinned = await checkGenerated([handFile(text, [unit('h', 1, [num('x')], { kind: 'number' }, ['@check x = 2'])])], quiet);
  assert.is(pinned.results[0]?.status, 'FAIL');
  assert.match(pinned.results[0]?.messages.join('') ?? '', /x is fixed by @check but still differentiated.*out of @wrt/);
});

test('checkGenerated: a function that never returns FAILs after the time limit; the next one still runs', async () => {
  // an endless loop at every point: the worker running it is terminated, a fresh one checks `g`
  const endless = `export function hGrad(x: number) { for (;;) x += 1; }
export function hVjp(x: number, u: number) { for (;;) x += u; }
export function hJvp(x: number, t: { x?: number }) { for (;;) x += t.x ?? 0; }
export function hJacobian(x: number) { for (;;) x += 1; }
export function gGrad(x: number) { return { value: x * x, grad: { x: 2 * x } }; }
export function gVjp(x: number, u: number) { return { value: x * x, grad: { x: 2 * x * u } }; }
export function gJvp(x: number, t: { x?: number }) { return { value: x * x, tangent: 2 * x * (t.x ?? 0) }; }
export function gJacobian(x: number) { return { value: x * x, jacobian: [Float64Array.of(2 * x)] }; }
`;
  const h = unit('h', 1, [num('x')], { kind: 'number' });
  const g = unit('g', 1, [num('x')], { kind: 'number' });
  const started = performance.now();
  const run = await checkGenerated([handFile(endless, [h, g])], { ...quiet, timeout: 1.5 });
  assert.ok(performance.now() - started < 30_000, 'the time limit stopped the endless function');
  const [rh, rg] = run.results;
  assert.is(rh?.status, 'FAIL');
  assert.match(rh?.messages.join('') ?? '', /not finished after 1\.5 s.*--timeout/);
  assert.is(rg?.status, 'PASS', rg?.messages.join('; '));
});

test('checkGenerated: a zero Jacobian with rounding-level noise in one mode passes the dot-product test', async () => {
  // f(x) = x·(1 − 1) = 0: reverse mode gives 1e-16 (terms summed in another order), forward 0
  const text = `export function zGrad(x: number) { return { value: 0 * x, grad: { x: 1e-16 } }; }
export function zVjp(x: number, u: number) { return { value: 0 * x, grad: { x: 1e-16 * u } }; }
export function zJvp(x: number, t: { x?: number }) { return { value: 0 * x, tangent: 0 * (t.x ?? 0) }; }
export function zJacobian(x: number) { return { value: 0 * x, jacobian: [Float64Array.of(0)] }; }
`;
  const run = await checkGenerated([handFile(text, [unit('z', 1, [num('x')], { kind: 'number' })])], quiet);
  assert.is(run.results[0]?.status, 'PASS', run.output);
});

test('checkGenerated: the seed makes runs reproducible', async () => {
  const a = await checkGenerated([handFile()], { ...quiet, seed: 7 });
  const b = await checkGenerated([handFile()], { ...quiet, seed: 7 });
  assert.is(a.output, b.output);
});

test('checkGenerated: leaves no temporary directory behind', async () => {
  // a temporary folder of its own: other adgen runs on the machine make and remove theirs meanwhile
  const own = mkdtempSync(path.join(os.tmpdir(), 'adgen-test-tmp-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = own;
  try {
    await checkGenerated([handFile()], quiet);
    assert.equal(readdirSync(own), []);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(own, { recursive: true, force: true });
  }
});

test('runCheck: generates in memory and checks the fixture through the compiler', async () => {
  const run = await runCheck([source], quiet);
  assert.ok(!existsSync(path.join(fixtures, 'model.ad.ts')), 'runCheck must not write into the user tree');
  for (const r of run.results) assert.is(r.status, 'PASS', `${r.name}: ${r.messages.join('; ')}\n${run.output}`);
  assert.equal(
    run.results.map((r) => r.name),
    ['poly', 'sumsq', 'scale', 'logsum', 'pair'],
  );
  assert.ok(run.ok, run.output);
});

test('runCheck: defaults handle flat matrices, stopGradient, positive domains, size parameters and @out lengths', async () => {
  const run = await runCheck([path.join(fixtures, 'defaults.ts')], quiet);
  for (const r of run.results) assert.is(r.status, 'PASS', `${r.name}: ${r.messages.join('; ')}\n${run.output}`);
  const inputs = Object.fromEntries(run.results.map((r) => [r.name, r.inputs]));
  assert.equal(inputs, { quadraticForm: 'A[9], x[3]', detached: 'x[5]', logs: 'x[5]', power: 'a, n=3', outer: 'x[5], y[5], r[25] out' });
  assert.match(run.results.find((r) => r.name === 'outer')?.messages.join('') ?? '', /r has 25 elements, as many as the function writes/);
  assert.ok(run.ok);
});

test('runCheck: stopGradient imported by a relative path is a constant to finite differences too', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'adgen-check-relative-'));
  const runtime = path.relative(dir, path.resolve('packages/runtime/src/index.ts')).split(path.sep).join('/');
  const file = path.join(dir, 'model.ts');
  writeFileSync(file, `import { stopGradient } from '${runtime}';\n/** @differentiable */\nexport function f(x: number, y: number): number {\n  return stopGradient(x * y) * x;\n}\n`);
  const run = await runCheck([file], quiet);
  assert.is(run.results[0]?.status, 'PASS', run.output);
});

test('runCheck: functions rounding to single precision inside get single-precision steps', async () => {
  const run = await runCheck([path.join(fixtures, 'single-precision.ts')], quiet);
  for (const r of run.results) assert.is(r.status, 'PASS', `${r.name}: ${r.messages.join('; ')}\n${run.output}`);
  assert.is(run.results.length, 3);
});

test('runCheck: boolean parameters are drawn, or fixed with k = 1 / k = 0', async () => {
  const run = await runCheck([path.join(fixtures, 'flags.ts')], { ...quiet, points: 6 });
  for (const r of run.results) assert.is(r.status, 'PASS', `${r.name}: ${r.messages.join('; ')}\n${run.output}`);
  assert.is(run.results[0]!.inputs, 'x, flip=true');
  assert.match(run.results[1]!.inputs, /^x\[5\], flip=(true|false)$/);
});

test('runCheck: a generated derivative broken on purpose FAILs (corrupted compiler output)', async () => {
  const { generate } = await import('../packages/adgen/src/index.ts');
  const gen = await generate([source], { write: false });
  assert.is(gen.files.length, 1);
  const file = gen.files[0] as GeneratedFile;
  // Flip the first `+=` accumulation of an adjoint into `-=`: some derivative must go wrong.
  const broken = file.text.replace(/(\w+_bar(?:\[[^\]]*\])?)\s*\+=/, '$1 -=');
  assert.is.not(broken, file.text, 'expected an adjoint accumulation (x_bar += …) in the generated text');
  const run = await checkGenerated([{ ...file, text: broken }], quiet);
  assert.not.ok(run.ok, run.output);
  assert.ok(run.results.some((r) => r.status === 'FAIL'));
});

test('recording stopGradient calls stops with an error past a bound, not when memory runs out', () => {
  const stop = (x: number) => (globalThis as unknown as { __adgenCheckStopGradient: (v: number) => number }).__adgenCheckStopGradient(x);
  assert.equal(recordStops(() => stop(2) + stop(3), 10).stops, [2, 3]);
  assert.throws(() => recordStops(() => {
    let y = -1;
    while (stop(y) < 10) y *= 2;
    return y;
  }, 1000), /more than 1000 times/);
});

test.run();
