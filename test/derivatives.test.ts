/**
 * Every function of the language fixtures (test/fixtures/lang), in both modes: reverse and
 * forward mode against central finite differences, and the dot-product test between them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkUnit, compile, type Compiled } from './support/harness.ts';
import { SPECS, TOLERANCE } from './support/specs.ts';

const dir = path.resolve('test/fixtures/lang');
const sources = Object.fromEntries(fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.ad.ts')).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));

// compiled at load time: an error here fails the run (uvu only skips a suite whose `before` throws)
const compiled: Compiled = await compile(sources);

/** stopGradient changes the derivative on purpose: finite differences cannot be the reference. */
const ANALYTIC = new Set(['detached', 'detachedAliases']);

test('the generated files pass tsc --noEmit --strict, with noUnusedLocals and noUnusedParameters too', () => {
  // a caller passing what the source signatures accept (readonly arrays) type-checks too
  const caller = path.join(compiled.dir, 'caller.ts');
  fs.writeFileSync(caller, [
    "import { readonlyParamsGrad } from './edge.ad.ts';",
    'const a: readonly number[] = [1, 2];',
    'const b: ReadonlyArray<number> = [3, 4];',
    'export const g = readonlyParamsGrad(a, b, 2).grad;',
  ].join('\n'));
  const files = [...fs.readdirSync(compiled.dir).filter((f) => f.endsWith('.ad.ts')).map((f) => path.join(compiled.dir, f)), caller];
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    types: [],
    // what strict project templates add: generated code carries no dead helpers or variables
    noUnusedLocals: true,
    noUnusedParameters: true,
  });
  assert.ok(files.length >= 6);
  const problems = ts.getPreEmitDiagnostics(program).filter((d) => d.file && files.includes(path.resolve(d.file.fileName)));
  assert.equal(problems.map((d) => `${d.file!.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`), []);
});

test("array results come back in the primal's own type (SPEC §2: value: R)", () => {
  const edge = compiled.modules['edge.ts']!;
  const lit = edge.literalArrayReturnJvp(2, 3, { x: 1 });
  assert.ok(Array.isArray(lit.value) && Array.isArray(lit.tangent));
  assert.equal(lit.value, edge.literalArrayReturnVjp(2, 3, [1, 0, 0]).value);
  assert.ok(Array.isArray(edge.literalArrayReturnJacobian(2, 3).value));
  const x = Float32Array.of(0.5, 1.5);
  const single = edge.halvedSingleJvp(x, { x: [1, 0] });
  assert.ok(single.value instanceof Float32Array && single.tangent instanceof Float64Array);
  assert.equal(Array.from(single.value), Array.from(compiled.sources['edge.ts']!.halvedSingle(x) as Float32Array));
  assert.ok(edge.halvedSingleVjp(x, [1, 1]).value instanceof Float32Array);
  const y = [0, 0];
  const out = edge.squaresIntoJvp([2, 3], y, { x: [1, 1] });
  assert.equal(out, { value: [4, 9], tangent: [4, 6] });
  assert.equal(y, [4, 9]);
  assert.equal(edge.squaresIntoVjp([2, 3], [0, 0], [1, 1]).value, [4, 9]);
});

test("in a project with noUncheckedIndexedAccess the generated files follow it and type-check", async () => {
  const { generate } = await import('../packages/adgen/src/index.ts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adgen-unchecked-'));
  const options = { strict: true, noUncheckedIndexedAccess: true, noUnusedLocals: true, noUnusedParameters: true, exactOptionalPropertyTypes: true, noImplicitReturns: true, noPropertyAccessFromIndexSignature: true };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options }));
  const runtime = path.resolve('packages/runtime/src/index.ts');
  const inputs = Object.entries(sources).map(([name, text]) => {
    fs.writeFileSync(path.join(dir, name), text.replaceAll("'@adgen/runtime'", `'${runtime}'`));
    return path.join(dir, name);
  });
  const result = await generate(inputs);
  assert.equal(result.diagnostics, []);
  const files = result.files.map((f) => f.outPath);
  assert.match(fs.readFileSync(files[0]!, 'utf8'), /\]!/);
  const program = ts.createProgram(files, {
    ...options,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const problems = ts.getPreEmitDiagnostics(program).filter((d) => d.file && files.includes(path.resolve(d.file.fileName)));
  assert.equal(problems.map((d) => `${d.file!.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`), []);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the fixtures cover at least 40 functions', () => {
  const count = compiled.files.reduce((n, f) => n + f.units.length, 0);
  assert.ok(count >= 40, `only ${count} functions`);
});

for (const file of Object.keys(sources).sort()) {
  const names = [...sources[file]!.matchAll(/export function (\w+)/g)].map((m) => m[1]!);
  for (const name of names) {
    if (ANALYTIC.has(name)) continue;
    test(`${file}: ${name} agrees with finite differences in both modes`, () => {
      const r = checkUnit(compiled, file, name, SPECS[name] ?? {}, 4, 7);
      const tol = TOLERANCE[name] ?? 1e-6;
      assert.ok(r.fdErrorReverse <= tol, `reverse mode error ${r.fdErrorReverse}`);
      assert.ok(r.fdErrorForward <= tol, `forward mode error ${r.fdErrorForward}`);
      assert.ok(r.dotResidual <= 1e-10, `dot-product residual ${r.dotResidual}`);
    });
  }
}

test('a function returning one of several arrays seeds the one it returned, in either branch', () => {
  const m = compiled.modules['arrays.ts']!;
  // x[0] > 0: [x0·x1, sin x1]; else [x0 + x1, x0²]
  const pos = m['piecewiseMapVjp']!(Float64Array.of(0.5, 0.3), [1, 2]);
  assert.equal(Array.from(pos.value), [0.5 * 0.3, Math.sin(0.3)]);
  assert.ok(Math.abs(pos.grad.x[0] - 0.3) < 1e-12 && Math.abs(pos.grad.x[1] - (0.5 + 2 * Math.cos(0.3))) < 1e-12, String(pos.grad.x));
  const neg = m['piecewiseMapVjp']!(Float64Array.of(-0.5, 0.3), [1, 2]);
  assert.equal(Array.from(neg.value), [-0.5 + 0.3, 0.25]);
  assert.equal(Array.from(neg.grad.x), [1 + 2 * 2 * -0.5, 1]);
  assert.equal(Array.from(m['piecewiseMapJvp']!(Float64Array.of(-0.5, 0.3), { x: [1, 0] }).tangent), [1, -1]);
});

test('an inlined helper with three returns gives the value and gradient of each', () => {
  const m = compiled.modules['array-calls.ts']!;
  const src = compiled.sources['array-calls.ts']!;
  // ‖v‖² below 1, between 1 and 4, above 4: a copy, a second copy, a scaled copy
  for (const v of [[0.2, 0.3, -0.1], [0.9, -0.8, 0.7], [1.3, 1.2, -1.1]]) {
    const t = 0.7;
    const { value, grad } = m['afterScalingGrad']!(Float64Array.from(v), t);
    assert.ok(Math.abs(value - (src['afterScaling']!(Float64Array.from(v), t) as number)) < 1e-12);
    const h = 1e-6;
    const f = (w: number[], s: number) => src['afterScaling']!(Float64Array.from(w), s) as number;
    v.forEach((_, i) => {
      const up = v.slice(); up[i]! += h;
      const down = v.slice(); down[i]! -= h;
      assert.ok(Math.abs(grad.v[i] - (f(up, t) - f(down, t)) / (2 * h)) < 1e-6, `v = ${v}: grad.v[${i}]`);
    });
    assert.ok(Math.abs(grad.t - (f(v, t + h) - f(v, t - h)) / (2 * h)) < 1e-6);
  }
});

test('stopGradient gives the gradients detach() would', () => {
  const m = compiled.modules['arrays.ts']!;
  const x = 0.7;
  const y = -1.3;
  const { value, grad } = m['detachedGrad']!(x, y);
  assert.ok(Math.abs(value - (x * x * y + y)) < 1e-12);
  // f = x·c + y with c = x·y held constant
  assert.ok(Math.abs(grad.x - x * y) < 1e-12);
  assert.ok(Math.abs(grad.y - 1) < 1e-12);
  const jvp = m['detachedJvp']!(x, y, { x: 1 });
  assert.ok(Math.abs(jvp.tangent - x * y) < 1e-12);
  // imported as `detach` and as `runtime.stopGradient`: f = c·x + d·y with c = x·y, d = y constant
  const aliased = m['detachedAliasesGrad']!(x, y).grad;
  assert.ok(Math.abs(aliased.x - x * y) < 1e-12 && Math.abs(aliased.y - y) < 1e-12, JSON.stringify(aliased));
  assert.ok(Math.abs(m['detachedAliasesJvp']!(x, y, { y: 1 }).tangent - y) < 1e-12);
});

test('the arm of a branch that did not run contributes nothing: no NaN at 0', () => {
  const m = compiled.modules['control.ts']!;
  const { grad } = m['safeSqrtGrad']!(0);
  assert.is(grad.x, 0);
  assert.is(m['safeSqrtJvp']!(0, { x: 1 }).tangent, 0);
});

test('@out functions fill the passed array as the primal does', () => {
  const m = compiled.modules['arrays.ts']!;
  const x = Float64Array.from([0.1, -0.4, 0.9]);
  const out = new Float64Array(3);
  const r = m['softplusVjp']!(x, 1.5, out, Float64Array.from([1, 1, 1]));
  for (let i = 0; i < 3; i++) {
    const expected = Math.log(1 + Math.exp(1.5 * x[i]!)) / 1.5;
    assert.ok(Math.abs(out[i]! - expected) < 1e-14);
    assert.ok(Math.abs(r.value[i] - expected) < 1e-14);
  }
});

test('writes into input arrays leave the primal result in the array', () => {
  const m = compiled.modules['arrays.ts']!;
  const src = compiled.sources['arrays.ts']!;
  const x = Float64Array.from([0.3, -0.2, 0.8, 0.5]);
  const expected = Float64Array.from(x);
  src['inPlace']!(expected, 0.9);
  m['inPlaceGrad']!(x, 0.9);
  assert.equal(Array.from(x), Array.from(expected));
  // also when a helper does the writing
  const calls = compiled.modules['calls.ts']!;
  const y = Float64Array.from([0.3, -0.2, 0.8, 0.5]);
  const expectedY = Float64Array.from(y);
  compiled.sources['calls.ts']!['inPlaceByHelper']!(expectedY, 0.9);
  calls['inPlaceByHelperGrad']!(y, 0.9);
  assert.equal(Array.from(y), Array.from(expectedY));
});

test('the Jacobian by forward and by reverse mode agree', () => {
  const m = compiled.modules['arrays.ts']!;
  const A = Float64Array.from({ length: 9 }, (_, i) => Math.sin(i + 1));
  const x = Float64Array.from([0.5, -1, 2]);
  const J = m['matvecJacobian']!(A, x).jacobian as Float64Array[];
  // rows: outputs; columns: A (9) then x (3). ∂y_i/∂x_j = A[i*3+j], ∂y_i/∂A[i*3+j] = x_j
  assert.is(J.length, 3);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      assert.ok(Math.abs(J[i]![9 + j]! - A[i * 3 + j]!) < 1e-12);
      assert.ok(Math.abs(J[i]![i * 3 + j]! - x[j]!) < 1e-12);
    }
  }
  const polar = m['polarJacobian']!(2, 0.3);
  assert.equal(polar.jacobian.map((r: Float64Array) => Array.from(r).map((v) => +v.toFixed(12))), [
    [+Math.cos(0.3).toFixed(12), +(-2 * Math.sin(0.3)).toFixed(12)],
    [+Math.sin(0.3).toFixed(12), +(2 * Math.cos(0.3)).toFixed(12)],
  ]);
});

test('a zero adjoint at run time contributes nothing where partials overflow (R20)', async () => {
  const file = path.resolve('test/fixtures/reverse/zero-adjoint-overflow.ts');
  const { modules } = await compile({ 'zero-adjoint-overflow.ts': fs.readFileSync(file, 'utf8') });
  const m = modules['zero-adjoint-overflow.ts']!;
  const x = Float64Array.of(0.4);
  const g = m['zeroAdjointOverflowGrad']!(1, x).grad as { a: number; x: Float64Array };
  assert.is(g.a, Math.sin(0.4));
  const h = m['zeroSeedOverflowGrad']!(1).grad as { a: number };
  assert.is(h.a, -Math.sin(1));
  // a hoisted sqrt and log whose branch did not run, at the origin (R22): 0, not 0 · ∞
  assert.equal(m['smallAngleGrad']!(0, 0).grad, { a: 1, b: 1 });
  assert.is(m['smallAngleJvp']!(0, 0, { a: 1, b: -0.5 }).tangent, 0.5);
  // atan2 computed before the branch that guards it: 0 at the origin in both modes, not 0 / 0
  assert.equal(m['guardedAngleGrad']!(0, 0).grad, { y: 0, x: 0 });
  assert.is(m['guardedAngleJvp']!(0, 0, { y: 1, x: 1 }).tangent, 0);
  assert.equal(m['guardedAngleGrad']!(0.3, 0.4).grad, { y: 0.4 / 0.25, x: -0.3 / 0.25 });
});

test('a write past the end of a number[] stops with a RangeError; writes plainly inside need no check', async () => {
  const source = [
    '/** @differentiable */',
    'export function grows(x: number, n: number): number {',
    '  const a = [0, 0];',
    '  for (let i = 0; i < n; i++) a[i + 1] = x * (i + 1);',
    '  let s = 0;',
    '  for (let i = 0; i < a.length; i++) s += a[i] * a[i];',
    '  return s;',
    '}',
    '/** @differentiable */',
    'export function inside(x: number, n: number): number {',
    '  const a = new Array<number>(n).fill(0);',
    '  const b = [x, 0, 0];',
    '  b[2] = x * x;',
    '  for (let i = 0; i < n; i++) a[i] = x * i;',
    '  for (let i = 1; i < a.length; i += 2) a[i] += b[2];',
    '  let s = b[0] + b[2];',
    '  for (let i = 0; i < a.length; i++) s += a[i] * a[i];',
    '  return s;',
    '}',
  ].join('\n');
  const { modules, files } = await compile({ 'bounds.ts': source });
  const m = modules['bounds.ts']!;
  // inside the array the derivative is the analytic one; past its end the primal grows the array
  // but derivative arrays cannot, so the generated code refuses (it used to give NaN)
  assert.is(m['growsGrad']!(1.5, 1).grad.x, 2 * 1.5 * 1);
  assert.throws(() => m['growsGrad']!(1.5, 4), (e: unknown) => e instanceof RangeError && /bounds\.ts:4 a\[2\]: outside the array \(length 2\)/.test(e.message));
  assert.throws(() => m['growsJvp']!(1.5, 4, { x: 1 }), RangeError);
  // the helper's definition, and one check in each of grows's forward and reverse code
  assert.is(files[0]!.text.match(/_checkIndex\(/g)?.length, 3);
  // s = x + x² + Σ (x i + [i odd] x²)², n = 4: ds/dx at x = 0.5
  const x = 0.5;
  let ds = 1 + 2 * x;
  for (let i = 0; i < 4; i++) ds += 2 * (x * i + (i % 2) * x * x) * (i + (i % 2) * 2 * x);
  assert.ok(Math.abs((m['insideGrad']!(x, 4).grad.x as number) - ds) < 1e-12);
  assert.ok(Math.abs((m['insideJvp']!(x, 4, { x: 1 }).tangent as number) - ds) < 1e-12);
});

test('the holes of a new Array(n) read as NaN, as in the primal; written whole first, the array is not saved', async () => {
  const source = [
    '/** @differentiable */',
    'export function early(x: number, n: number): number {',
    '  const a: number[] = new Array(n);',
    '  for (let i = 1; i < n; i++) a[i] = x * i;',
    '  let s = 0;',
    '  for (let i = 0; i < n; i++) s += a[i] * x;',
    '  return s;',
    '}',
    '/** @differentiable */',
    'export function tuple(x: number): number {',
    '  const t: number[] = new Array(3);',
    '  t[0] = x;',
    '  t[2] = x * x;',
    '  return t[0] + t[1] + t[2];',
    '}',
    '/** @differentiable */',
    'export function whole(x: number, n: number): number {',
    '  const a: number[] = new Array(n);',
    '  for (let i = 0; i < n; i++) a[i] = x * i;',
    '  let s = 0;',
    '  for (let i = 0; i < n; i++) s += a[i] * x;',
    '  return s;',
    '}',
  ].join('\n');
  const { modules, files } = await compile({ 'holes.ts': source });
  const m = modules['holes.ts']!;
  // the primal reads undefined at a[0] and t[1]: NaN; the generated code used to read 0 (value 12, 5)
  for (const r of [m['earlyGrad']!(2, 3), m['earlyJvp']!(2, 3, { x: 1 }), m['tupleGrad']!(2), m['tupleJvp']!(2, { x: 1 })]) assert.ok(Number.isNaN(r.value));
  assert.is(m['wholeGrad']!(2, 3).value, 12);
  assert.is(m['wholeGrad']!(2, 3).grad.x, 12);
  assert.not.match(files[0]!.text, /_pushArray|_pushSlice/);
});

test("fVjp checks its cotangent's length; a readonly tuple is a cotangent; a parameter named like a helper keeps no dead helper", async () => {
  const source = [
    '/** @differentiable */',
    'export function scaled(a: number, x: Float64Array): Float64Array {',
    '  const r = new Float64Array(x.length);',
    '  for (let i = 0; i < x.length; i++) r[i] = a * x[i]!;',
    '  return r;',
    '}',
    '/** @differentiable */',
    'export function pair(a: number, b: number): readonly [number, number] {',
    '  return [a * b, a - b];',
    '}',
    '/** @differentiable */',
    'export function named(a: number, _push: Float64Array): number {',
    '  let s = a;',
    '  for (let i = 0; i < _push.length; i++) s = Math.sin(s * _push[i]!);',
    '  return s;',
    '}',
  ].join('\n');
  const { modules, files, sources } = await compile({ 'contract.ts': source });
  const m = modules['contract.ts']!;
  const x = Float64Array.of(1, 2, 3);
  assert.throws(() => m['scaledVjp']!(0.5, x, [1, 1]), (e: unknown) => e instanceof RangeError && /cotangent has length 2; the value has length 3/.test(e.message));
  assert.equal(Array.from(m['scaledVjp']!(0.5, x, [1, 0, 2]).grad.x), [0.5, 0, 1]);
  const value = sources['contract.ts']!['pair']!(2, 3) as readonly [number, number];
  assert.equal(m['pairVjp']!(2, 3, value).grad, { a: 3 * 6 + -1, b: 2 * 6 - -1 });
  assert.throws(() => m['pairVjp']!(2, 3, [1]), RangeError);
  // the grad key `_push` is not a use of the tape's `_push`, which this file does not need
  assert.not.match(files[0]!.text, /function _push\(/);
});

test("fJvp uses the caller's tangent arrays without copying only where nothing can write them (a tangent may be an input too)", async () => {
  const source = [
    '/** @differentiable */',
    'export function reads(x: Float64Array, w: Float64Array): number {',
    '  return x[0]! * w[1]! + x[1]! * w[0]!;',
    '}',
    '/** @differentiable */',
    'export function writes(x: Float64Array, w: Float64Array): number {',
    '  w[1] = 3 * w[0]!;',
    '  return x[0]! * w[1]! + x[1]! * w[1]!;',
    '}',
  ].join('\n');
  const { modules } = await compile({ 'alias.ts': source });
  const m = modules['alias.ts']!;
  const x = Float64Array.of(0.5, 0.25);
  // the direction of x is the array w itself, which `writes` changes while it runs
  const w = Float64Array.of(1, 2);
  const aliased = m['writesJvp']!(Float64Array.from(x), w, { x: w }).tangent;
  const separate = m['writesJvp']!(Float64Array.from(x), Float64Array.of(1, 2), { x: Float64Array.of(1, 2) }).tangent;
  assert.is(aliased, separate);
  assert.is(separate, 9);
  // a function that writes nothing leaves the tangent as it was
  const t = Float64Array.of(0.3, 0.7);
  assert.is(m['readsJvp']!(x, Float64Array.of(1, 2), { x: t, w: t }).tangent, 0.3 * 2 + 0.7 * 1 + 0.5 * 0.7 + 0.25 * 0.3);
  assert.equal(Array.from(t), [0.3, 0.7]);
});

test('a product inside a product that starts with % keeps its parentheses (the primal copy computes what the source does)', async () => {
  const source = [
    'function g(x: number, c: number, n: number): number {',
    '  return -0.5 * (c % n * 0.1 * x) * (c % n * 0.1 * x);',
    '}',
    '/** @differentiable */',
    'export function f(x: number, c: number, n: number): number {',
    '  return g(x, c, n) + g(x * 2, c, n);',
    '}',
  ].join('\n');
  const { modules, sources } = await compile({ 'mod.ts': source });
  const m = modules['mod.ts']!;
  const expected = sources['mod.ts']!['f']!(1.5, 7, 3) as number;
  assert.is(m['_f']!(1.5, 7, 3), expected);
  assert.is(m['_g']!(1.5, 7, 3), -0.5 * ((7 % 3) * 0.1 * 1.5) * ((7 % 3) * 0.1 * 1.5));
  assert.is(m['fGrad']!(1.5, 7, 3).value, expected);
});

test('products keep their grouping: a * (b * c), through stopGradient and a compound *=, computes what the source does to the last bit', async () => {
  const source = [
    "import { stopGradient } from '@adgen/runtime';",
    '/** @differentiable */',
    'export function h(x: number, y: number, z: number): number {',
    '  return 0.1 * stopGradient(y * z) * x + x * (y * z);',
    '}',
    'function scaleTwice(a: Float64Array, x: Float64Array, o: number): void {',
    '  let i = 0;',
    '  while (i < 2) {',
    '    a[o] *= 0.1 * Math.sin(x[i]!);',
    '    i++;',
    '  }',
    '}',
    '/**',
    ' * @differentiable',
    ' * @wrt x',
    ' */',
    'export function f(x: Float64Array, a: Float64Array): number {',
    '  scaleTwice(a, x, 0);',
    '  return a[0]!;',
    '}',
  ].join('\n');
  const { modules, sources } = await compile({ 'mod.ts': source });
  const m = modules['mod.ts']!;
  const src = sources['mod.ts']!;
  // (0.1 · y) · z and 0.1 · (y · z) differ in the last bit here
  const expected = src['h']!(0.1, 0.2, 0.3) as number;
  assert.is.not(0.1 * 0.2 * 0.3 * 0.1, 0.1 * (0.2 * 0.3) * 0.1);
  assert.is(m['hGrad']!(0.1, 0.2, 0.3).value, expected);
  assert.is(m['hJvp']!(0.1, 0.2, 0.3, { x: 1 }).tangent, 0.1 * (0.2 * 0.3) + 0.2 * 0.3);
  const x = Float64Array.of(0.2, 0.3);
  const primal = src['f']!(x, Float64Array.of(0.3)) as number;
  assert.is(m['fVjp']!(x, Float64Array.of(0.3), 1).value, primal);
  assert.is(m['fJvp']!(x, Float64Array.of(0.3), {}).value, primal);
});

test.run();
