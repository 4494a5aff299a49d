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
function functionText(fn: string, text = generated): string {
  const start = text.indexOf(`export function ${fn}(`);
  assert.ok(start >= 0, `${fn} not generated`);
  const next = text.indexOf('\nexport ', start + 1);
  return text.slice(start, next < 0 ? undefined : next);
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

test('a helper summing over a few elements of a large array costs those elements per call, not the array', async () => {
  const source = [
    'function sqDist(X: Float64Array, i: number, j: number, d: number): number {',
    '  let s = 0;',
    '  for (let k = 0; k < d; k++) {',
    '    const t = X[i * d + k] - X[j * d + k];',
    '    s += t * t;',
    '  }',
    '  return s;',
    '}',
    'function dist(X: Float64Array, i: number, j: number, d: number): number {',
    '  let s = 0;',
    '  for (let k = 0; k < d; k++) s += (X[i * d + k] - X[j * d + k]) ** 2;',
    '  return Math.sqrt(s);',
    '}',
    '/** @differentiable */',
    'export function energy(X: Float64Array, n: number, d: number): number {',
    '  let e = 0;',
    '  for (let i = 0; i < n; i++) {',
    '    for (let j = i + 1; j < n; j++) e += 1 / (1 + sqDist(X, i, j, d)) + dist(X, i, j, d);',
    '  }',
    '  return e;',
    '}',
  ].join('\n');
  const { files, modules } = await compile({ 'pairs.ts': source });
  const kernel = (fn: string) => functionText(fn, files[0]!.text);
  // per-unit adjoint sums the size of X, allocated and scaled on every call, made the gradient O(n³d)
  for (const fn of ['_sqDistVjp', '_distVjp']) assert.not.match(kernel(fn), /new Float64Array|Float64Array\.from/, `${fn} allocates:\n${kernel(fn)}`);
  // and the gradient is right (central differences)
  const n = 5;
  const d = 2;
  const X = Float64Array.from({ length: n * d }, (_, k) => Math.sin(1.7 * k + 0.3) * 2);
  const f = (x: Float64Array) => modules['pairs.ts']!['energyGrad']!(x, n, d).value as number;
  const g = modules['pairs.ts']!['energyGrad']!(X, n, d).grad.X as Float64Array;
  for (let k = 0; k < X.length; k++) {
    const h = 1e-6;
    const xp = Float64Array.from(X);
    const xm = Float64Array.from(X);
    xp[k]! += h;
    xm[k]! -= h;
    const fd = (f(xp) - f(xm)) / (2 * h);
    assert.ok(Math.abs(g[k]! - fd) < 1e-6 * (1 + Math.abs(fd)), `grad.X[${k}] = ${g[k]}, finite differences ${fd}`);
  }
});

test('a helper writing one slice of a shared buffer in a loop: the slice goes on the tape, not the buffer', async () => {
  const name = 'slice-writing-helpers.ts';
  const { files, modules } = await compile({ [name]: fs.readFileSync(path.resolve('test/fixtures/regressions', name), 'utf8') });
  const m = modules[name]!;
  assert.match(functionText('channelsVjp', files[0]!.text), /_pushSlice\(buf, c \* n, c \* n \+ n\)/);
  // C calls, each saving its n values and two bounds once (the kernel re-runs the helper from a
  // copy it peeks at), then the first kernel of the adjoint sweep saves the n it overwrites on top:
  // the whole buffer each time would be C · C · n values
  const C = 16;
  const n = 40;
  const w = Float64Array.from({ length: C }, (_, k) => 0.5 + 0.01 * k);
  m.channelsGrad(w, C, n, new Float64Array(C * n));
  assert.is(m.adgenTapePeakBytes(), (C * (n + 2) + n) * 8);
});

test('an entry point that threw leaves nothing on the tape for the next call', async () => {
  const source = [
    '/** @differentiable */',
    'export function recur(x: Float64Array, a: number): Float64Array {',
    '  const y = new Float64Array(x.length);',
    '  let h = 0;',
    '  for (let i = 0; i < x.length; i++) {',
    '    h = Math.tanh(a * h + x[i]);',
    '    y[i] = h;',
    '  }',
    '  return y;',
    '}',
  ].join('\n');
  const { modules } = await compile({ 'recur.ts': source });
  const m = modules['recur.ts']!;
  const x = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i));
  const good = m.recurVjp(x, 0.7, new Float64Array(50));
  const peak = m.adgenTapePeakBytes();
  // a cotangent of the wrong length throws after the forward sweep pushed its values
  for (let k = 0; k < 20; k++) assert.throws(() => m.recurVjp(x, 0.7, new Float64Array(10)), (e: unknown) => e instanceof RangeError);
  const again = m.recurVjp(x, 0.7, new Float64Array(50));
  assert.is(m.adgenTapePeakBytes(), peak);
  assert.equal(again, good);
});

test('neighbour reads under an if (x[i - 1]) are recomputed, not taped; an array a helper only writes is not copied', async () => {
  const source = [
    '/**',
    ' * @differentiable',
    ' * @out f',
    ' */',
    'export function tri(x: Float64Array, f: Float64Array): void {',
    '  const n = x.length;',
    '  for (let i = 0; i < n; i++) {',
    '    let r = (3 - 2 * x[i]) * x[i] + 1;',
    '    if (i > 0) r -= x[i - 1];',
    '    if (i < n - 1) r -= 2 * x[i + 1];',
    '    f[i] = r;',
    '  }',
    '}',
    'function res(x: Float64Array, f: Float64Array): void {',
    '  for (let i = 0; i < x.length; i++) f[i] = x[i] * x[i] - 1;',
    '}',
    'function sumsq(f: Float64Array): number {',
    '  let s = 0;',
    '  for (let i = 0; i < f.length; i++) s += f[i] * f[i];',
    '  return s;',
    '}',
    '/** @differentiable */',
    'export function obj(x: Float64Array): number {',
    '  const f = new Float64Array(x.length);',
    '  res(x, f);',
    '  return sumsq(f);',
    '}',
  ].join('\n');
  const { files, modules } = await compile({ 'mgh.ts': source });
  const m = modules['mgh.ts']!;
  const x = Float64Array.of(0.3, -0.2, 0.7, 0.1);
  const g = m.triVjp(x, new Float64Array(4), Float64Array.of(1, 2, 3, 4)).grad.x as Float64Array;
  // f_i = (3 − 2x_i)x_i + 1 − x_{i−1} − 2x_{i+1}: (uᵀJ)_k = u_k(3 − 4x_k) − u_{k+1} − 2u_{k−1}
  const u = [1, 2, 3, 4];
  const want = [0, 1, 2, 3].map((k) => u[k]! * (3 - 4 * x[k]!) - (u[k + 1] ?? 0) - 2 * (u[k - 1] ?? 0));
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(g[k]! - want[k]!) < 1e-12, `grad.x[${k}] = ${g[k]}, want ${want[k]}`);
  assert.not.match(files[0]!.text, /_push|_tape/, 'nothing is taped');
  assert.not.match(functionText('objVjp', files[0]!.text), /Float64Array\.from\(f\)|_copyInto\(f/);
  assert.equal(m.objGrad(x).grad.x, Float64Array.from(x, (v) => 4 * v * (v * v - 1)));
});

test('the tape peak counts what each iteration of a sum pushes and pops again (one Monte-Carlo path at a time)', async () => {
  const source = [
    '/** @differentiable */',
    'export function paths(S0: number, z: Float64Array, npath: number, nstep: number): number {',
    '  let sum = 0;',
    '  for (let p = 0; p < npath; p++) {',
    '    let S = S0;',
    '    for (let t = 0; t < nstep; t++) S = S * Math.exp(0.01 * z[p * nstep + t]);',
    '    sum += S;',
    '  }',
    '  return sum;',
    '}',
  ].join('\n');
  const { modules } = await compile({ 'paths.ts': source });
  const m = modules['paths.ts']!;
  const z = Float64Array.from({ length: 10 * 1000 }, (_, i) => Math.sin(i));
  m.pathsGrad(1, z, 10, 1000);
  // S before each of a path's 1000 steps, popped by the path's own adjoint
  assert.is(m.adgenTapePeakBytes(), 8 * 1000);
});

test('a loop adding into two sums whose adjoints are known before it (0.5·s + t) is fused: no tape', async () => {
  const source = [
    '/** @differentiable */',
    'export function twoSums(x: Float64Array): number {',
    '  let s = 0;',
    '  let t = 0;',
    '  for (let i = 0; i < x.length; i++) {',
    '    let v = 0;',
    '    if (i > 0) v = x[i - 1]!;',
    '    const d = x[i]! - v;',
    '    s += d * d;',
    '    t += Math.sin(x[i]!);',
    '  }',
    '  return 0.5 * s + t;',
    '}',
    '/** @differentiable */',
    'export function product(x: Float64Array): number {',
    '  let s = 0;',
    '  let t = 0;',
    '  for (let i = 0; i < x.length; i++) {',
    '    s += x[i]! * x[i]!;',
    '    t += Math.sin(x[i]!);',
    '  }',
    '  return s * t;',
    '}',
  ].join('\n');
  const { modules, sources } = await compile({ 'sums.ts': source });
  const m = modules['sums.ts']!;
  const x = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i));
  const { value, grad } = m.twoSumsGrad(x);
  assert.is(value, sources['sums.ts']!.twoSums(x));
  // (a file whose code never tapes has no tape, nor adgenTapePeakBytes)
  assert.is(m.adgenTapePeakBytes?.() ?? 0, 0);
  // d/dx[i] = d_i − d_{i+1} + cos x_i
  const d = (i: number) => (i < x.length ? x[i]! - (i > 0 ? x[i - 1]! : 0) : 0);
  for (const i of [0, 1, 500, 999]) assert.ok(Math.abs(grad.x[i] - (d(i) - d(i + 1) + Math.cos(x[i]!))) < 1e-12, `grad.x[${i}]`);
  // s · t: neither adjoint is known before the loop (each needs the other's final value)
  const p = m.productGrad(x);
  const s = x.reduce((a: number, v: number) => a + v * v, 0);
  const t = x.reduce((a: number, v: number) => a + Math.sin(v), 0);
  for (const i of [0, 999]) assert.ok(Math.abs(p.grad.x[i] - (2 * x[i]! * t + s * Math.cos(x[i]!))) < 1e-9, `product grad.x[${i}]`);
});

test('a time loop calling a helper that returns a new state: one adjoint array for all steps, arrays kept only where the adjoint reads them', async () => {
  const source = [
    'function step(y: Float64Array, h: number): Float64Array {',
    '  const k = new Float64Array(y.length);',
    '  for (let i = 0; i < y.length; i++) k[i] = Math.sin(y[i]!);',
    '  const yn = new Float64Array(y.length);',
    '  for (let i = 0; i < y.length; i++) yn[i] = y[i]! + h * k[i]!;',
    '  return yn;',
    '}',
    '/**',
    ' * @differentiable',
    ' * @wrt y0, h',
    ' */',
    'export function run(y0: Float64Array, h: number, steps: number): number {',
    '  const y = y0.slice();',
    '  for (let s = 0; s < steps; s++) {',
    '    const yn = step(y, h);',
    '    for (let i = 0; i < y.length; i++) y[i] = yn[i]!;',
    '  }',
    '  let e = 0;',
    '  for (let i = 0; i < y.length; i++) e += y[i]! * y[i]!;',
    '  return e;',
    '}',
  ].join('\n');
  const { modules, sources, files } = await compile({ 'steps.ts': source });
  const m = modules['steps.ts']!;
  const y0 = Float64Array.of(0.1, 0.2, 0.3, 0.4);
  const steps = 1000;
  const { value, grad } = m.runGrad(y0, 0.01, steps);
  assert.is(value, sources['steps.ts']!.run(y0, 0.01, steps));
  // y before each step's copy (4 doubles): k's values stay in k itself, kept by reference
  assert.is(m.adgenTapePeakBytes(), 4 * 8 * steps);
  const f = (y: Float64Array, h: number) => sources['steps.ts']!.run(y, h, steps) as number;
  const eps = 1e-6;
  assert.ok(Math.abs(grad.h - (f(y0, 0.01 + eps) - f(y0, 0.01 - eps)) / (2 * eps)) < 1e-6 * Math.max(1, Math.abs(grad.h)));
  const up = Float64Array.from(y0); up[2]! += eps;
  const down = Float64Array.from(y0); down[2]! -= eps;
  assert.ok(Math.abs(grad.y0[2] - (f(up, 0.01) - f(down, 0.01)) / (2 * eps)) < 1e-6);
  const vjp = functionText('runVjp', files[0]!.text);
  assert.not.match(vjp, /_pushRef\((yn|_step_k0)_bar\)|_pushRef\(yn\)/, 'adjoint arrays and the never-read yn are not kept per step');
});

test('a Runge–Kutta step in a helper: its stage arrays, filled before they are read, are not saved around the call', async () => {
  const file = 'incoming-contents.ts';
  const { files, modules } = await compile({ [file]: fs.readFileSync(path.resolve('test/fixtures/regressions', file), 'utf8') });
  const vjp = functionText('midpointVjp', files[0]!.text);
  assert.not.match(vjp, /_push\w*\((k1|k2|tmp)/);
  // the step's kernel keeps its copies of y (read by mid after the step overwrites it) in reused storage
  assert.not.match(functionText('_stepVjpWrt_y_k1_k2_tmp', files[0]!.text), /Float64Array\.from/);
  const m = modules[file]!;
  m.midpointGrad(Float64Array.of(0.3, -0.2), 0.1, 100);
  // y (2 values) once a step: the kernel re-runs the step from a copy it peeks at, then it is popped
  assert.is(m.adgenTapePeakBytes(), 2 * 8 * 100);
});

test('a column zeroed in place (Cholesky) is saved as a strided run: O(n²) tape, not the O(n³) of its bounding intervals', async () => {
  const file = 'strided-column-writes.ts';
  const { files, modules } = await compile({ [file]: fs.readFileSync(path.resolve('test/fixtures/regressions', file), 'utf8') });
  assert.match(functionText('choleskyLogDetVjp', files[0]!.text), /_pushStrided\(A, j, n, /);
  const m = modules[file]!;
  const peak = (n: number) => {
    m.choleskyLogDetGrad(Float64Array.from({ length: n * n }, (_, i) => 0.1 + 0.2 * Math.abs(Math.sin(i))), n);
    return m.adgenTapePeakBytes();
  };
  const small = peak(30);
  const large = peak(60);
  // twice the size: four times the tape (the intervals gave eight times, 0.9 MB at n = 60)
  assert.ok(large / small < 4.5 && large < 3 * 60 * 60 * 8, `tape ${small} B at n = 30, ${large} B at n = 60`);
});

test('a helper with small local arrays, called per element: its kernels allocate nothing per call', async () => {
  const file = 'kernel-scratch-arrays.ts';
  const { files, modules, sources } = await compile({ [file]: fs.readFileSync(path.resolve('test/fixtures/regressions', file), 'utf8') });
  const text = files[0]!.text;
  for (const kernel of ['_project', '_projectVjp', '_projectJvpWrt_p_a_out', '_projectVjpWrt_p_a_out', '_branchyVjp']) {
    // (provenance comments quote the source's `new Float64Array(2)`)
    const code = functionText(kernel, text).split('\n').filter((line) => !line.trim().startsWith('//'));
    assert.not.match(code.join('\n'), /new Float(64|32)Array|Float64Array\.from/, `${kernel} allocates`);
  }
  // the scratch arrays start from zero on every call: the same gradient twice, and the primal's value
  const m = modules[file]!;
  const p = Float64Array.of(0.3, -0.2, 0.7, 0.1, 0.5, 0.9);
  const first = m.observationsGrad(p, 0.4);
  const second = m.observationsGrad(p, 0.4);
  assert.equal(second.grad.p, first.grad.p);
  assert.is(first.value, sources[file]!.observations(p, 0.4));
});


test('insertion sort through a helper whose stores a while loop bounds: one element taped per swap, not the array per call', async () => {
  const file = 'unbounded-helper-writes.ts';
  const { files, modules } = await compile({ [file]: fs.readFileSync(path.resolve('test/fixtures/regressions', file), 'utf8') });
  // (the public VJP calls the function's kernel, where the sweeps are)
  assert.not.match(functionText('_insertionSortedVjp', files[0]!.text), /_pushArray\(a\)/);
  // a helper whose loop is bounded but leaves early (`if (a[k] >= a[k - 1]) break`): its region was saved per call
  assert.not.match(functionText('_insertionSortedBreakVjp', files[0]!.text), /_push(Array|Slice)\(a/);
  const m = modules[file]!;
  const peak = (x: Float64Array, f = m.insertionSortedGrad) => {
    f(x);
    return m.adgenTapePeakBytes();
  };
  // sorted data: the primal is O(n), and so is the tape (it was n²/2 doubles, 16 MB at n = 2000)
  const sorted = (n: number) => Float64Array.from({ length: n }, (_, i) => i / n);
  const [small, large] = [peak(sorted(1000)), peak(sorted(2000))];
  assert.ok(large < 2.5 * small && large < 64 * 2000, `tape ${small} B at n = 1000, ${large} B at n = 2000`);
  assert.ok(peak(sorted(2000), m.insertionSortedBreakGrad) < 64 * 2000, 'the early-exit helper too');
  // and through wrapper helpers (f = 1 keeps the data sorted)
  assert.not.match(functionText('_throughWrappersVjp', files[0]!.text), /_push(Array|Slice)\(a/);
  m.throughWrappersGrad(sorted(2000), 1);
  assert.ok(m.adgenTapePeakBytes() < 64 * 2000, 'wrappers too');
  // reversed data: n²/2 swaps, each saving what it overwrites
  const reversed = Float64Array.from({ length: 200 }, (_, i) => 1 - i / 200);
  assert.ok(peak(reversed) < 40 * 200 * 200, 'a few doubles per swap');
});

test('tuples made in a time loop are scalars: no array per step in any mode', async () => {
  const { files } = await compile({ 'tuples.ts': fs.readFileSync(path.resolve('test/fixtures/lang/tuples.ts'), 'utf8') });
  for (const name of ['vanDerPolVjp', 'vanDerPolJvp']) assert.not.match(functionText(name, files[0]!.text), /new (Array|Float64Array)/, name);
});

test('temporaries declared before a loop and written first in each iteration are not taped', async () => {
  const { files, modules } = await compile({ 'temporaries.ts': fs.readFileSync(path.resolve('test/fixtures/lang/temporaries.ts'), 'utf8') });
  const text = files[0]!.text;
  // declared at the top of the function, C style, they used to be saved at every write
  for (const name of ['_cStyleVjp', '_nestedVjp', '_cCountersVjp', '_armsFusedVjp']) assert.not.match(functionText(name, text), /_tp\d|_push|_reserve/, name);
  // a recurrence, a value read after the loop and a one-armed write still are
  for (const name of ['_carriedVjp', '_lastValueVjp', '_oneArmVjp']) assert.match(functionText(name, text), /_tp\d|_push/, name);
  const m = modules['temporaries.ts']!;
  const z = Float64Array.from({ length: 10000 }, (_, i) => Math.sin(i));
  m['cStyleGrad']!(Float64Array.of(0.5, 0.7), Float64Array.of(0.3, 0.4), z);
  assert.is(m['adgenTapePeakBytes']!(), 0);
  // a loop with a break stays taped: u is saved once per iteration, as when it was declared outside
  // (declared in the body with a 0, it was saved twice: 24 bytes an iteration)
  m['armsBreakGrad']!(z, 0.7);
  assert.ok(m['adgenTapePeakBytes']!() <= 16 * z.length, `${m['adgenTapePeakBytes']!()} bytes`);
});

test('a gradient that throws after a taped loop leaves nothing on the tape for the next call (fVjp through its kernel too)', async () => {
  const source = [
    '/** @differentiable */',
    'export function thrower(x: number[], k: number): number {',
    '  const a = [0, 0, 0];',
    '  let s = 0;',
    '  for (let i = 0; i < x.length; i++) s = Math.sin(s) * x[i] + 1;',
    '  a[Math.floor(k)] = s;',
    '  return s + a[0] * a[1];',
    '}',
  ].join('\n');
  const { modules } = await compile({ 'thrower.ts': source });
  const m = modules['thrower.ts']!;
  const x = Array.from({ length: 100 }, (_, i) => Math.sin(i));
  m['throwerGrad']!(x, 0);
  const peak = m['adgenTapePeakBytes']!();
  for (let r = 0; r < 5; r++) assert.throws(() => m['throwerGrad']!(x, 5), RangeError);
  m['throwerGrad']!(x, 0);
  assert.is(m['adgenTapePeakBytes']!(), peak);
});

test('a cheap constant of a taped loop that only a recomputed value reads is not taped', async () => {
  // Giles' LIBOR path: lam = lambda[i - 1] is read again inside the exp that the adjoint
  // re-runs; reading lambda[i - 1] there instead leaves v, vrat and L[i] on the tape, 3 values a step
  const source = [
    '/** @differentiable */',
    'export function pathCalc(L: Float64Array, lambda: Float64Array, delta: number): number {',
    '  let v = 0;',
    '  for (let i = 1; i < L.length; i++) {',
    '    const lam = lambda[i - 1];',
    '    const con1 = delta * lam;',
    '    v += (con1 * L[i]) / (1 + delta * L[i]);',
    '    const vrat = Math.exp(con1 * v + lam * 0.5);',
    '    L[i] = L[i] * vrat;',
    '  }',
    '  let s = 0;',
    '  for (let i = 0; i < L.length; i++) s += L[i];',
    '  return s;',
    '}',
  ].join('\n');
  const { files, modules, sources } = await compile({ 'libor.ts': source });
  assert.not.match(functionText('_pathCalcVjp', files[0]!.text), /\] = lam;/);
  const m = modules['libor.ts']!;
  const n = 1000;
  const L = Float64Array.from({ length: n }, (_, i) => 0.05 + 0.001 * Math.sin(i));
  const lambda = Float64Array.from({ length: n }, (_, i) => 0.2 + 0.01 * Math.cos(i));
  const g = m['pathCalcGrad']!(L.slice(), lambda, 0.25);
  assert.ok(m['adgenTapePeakBytes']!() <= 8 * (3 * n + 8), `${m['adgenTapePeakBytes']!()} bytes`);
  // and the derivative still agrees with finite differences
  const f = (d: Float64Array) => sources['libor.ts']!['pathCalc']!(L.slice(), d, 0.25);
  for (const k of [0, 500, n - 1]) {
    const h = 1e-6;
    const up = lambda.slice();
    up[k]! += h;
    const down = lambda.slice();
    down[k]! -= h;
    const fd = (f(up) - f(down)) / (2 * h);
    assert.ok(Math.abs(g.grad.lambda[k] - fd) < 1e-6 * Math.max(1, Math.abs(fd)), `lambda[${k}]: ${g.grad.lambda[k]} vs ${fd}`);
  }
});

test.run();
