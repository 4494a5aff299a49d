/** Unit tests of the runtime package: optimizers, seeded random numbers, helpers, plots. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Adam,
  Rng,
  SGD,
  allClose,
  arange,
  basis,
  centralDifference,
  dot,
  flatten,
  formatG,
  formatTensor,
  forwardDifference,
  isMain,
  linspace,
  maxAbsDiff,
  mean,
  mulberry32,
  norm,
  stopGradient,
} from '@adgen/runtime';
import {
  fitPlotSpec,
  linePlotSpec,
  renderSvg,
} from '@adgen/runtime/plot';

/** f(θ) = ½ Σ cᵢ (θᵢ − tᵢ)², a convex quadratic with minimum at t. */
function quadratic(c: number[], t: number[]) {
  return (theta: Float64Array): Float64Array => Float64Array.from(theta, (x, i) => c[i] * (x - t[i]));
}

test('stopGradient is the identity at run time', () => {
  assert.is(stopGradient(3.5), 3.5);
});

test('SGD without momentum is θ ← θ − η∇', () => {
  const theta = Float64Array.of(1, -2);
  const opt = new SGD(theta, { lr: 0.1 });
  opt.step([10, -20]);
  assert.ok(allClose(theta, [0, 0]));
  assert.is(opt.steps, 1);
  assert.is(opt.params, theta);
});

test('SGD with momentum matches the PyTorch recurrence v ← μv + g', () => {
  const theta = Float64Array.of(0);
  const opt = new SGD(theta, { lr: 0.5, momentum: 0.9 });
  opt.step([1]); // v = 1, θ = −0.5
  opt.step([1]); // v = 1.9, θ = −0.5 − 0.95
  assert.ok(Math.abs(theta[0] - -1.45) < 1e-15);
  const nesterov = Float64Array.of(0);
  const optN = new SGD(nesterov, { lr: 0.5, momentum: 0.9, nesterov: true });
  optN.step([1]); // v = 1, step g + μv = 1.9
  assert.ok(Math.abs(nesterov[0] - -0.95) < 1e-15);
});

test('SGD weight decay adds λθ to the gradient', () => {
  const theta = Float64Array.of(2);
  new SGD(theta, { lr: 0.1, weightDecay: 0.5 }).step([0]);
  assert.ok(Math.abs(theta[0] - 1.9) < 1e-15);
});

test('SGD rejects a gradient of the wrong length and Nesterov without momentum', () => {
  assert.throws(() => new SGD(new Float64Array(2), { lr: 1 }).step([1]), /length/);
  assert.throws(() => new SGD(new Float64Array(2), { lr: 1, nesterov: true }), /momentum/);
});

test('Adam first step moves every parameter by lr·sign(g)', () => {
  // m̂ = g and v̂ = g² after one step, so the update is η·g/(|g| + ε).
  const theta = Float64Array.of(1, 1, 1);
  new Adam(theta, { lr: 0.01 }).step([3, -0.001, 100]);
  assert.ok(allClose(theta, [0.99, 1.01, 0.99], 1e-6));
});

test('Adam matches a hand-unrolled second step', () => {
  const theta = Float64Array.of(0);
  const opt = new Adam(theta, { lr: 0.1, beta1: 0.5, beta2: 0.75, eps: 0 });
  opt.step([2]);
  opt.step([1]);
  // step 1: m = 1, v = 1, m̂ = 2, v̂ = 4 → θ = −0.1
  // step 2: m = 0.5·1 + 0.5·1 = 1, v = 0.75·1 + 0.25·1 = 1 → m̂ = 1/0.75, v̂ = 1/0.4375
  const expected = -0.1 - (0.1 * (1 / 0.75)) / Math.sqrt(1 / 0.4375);
  assert.ok(Math.abs(theta[0] - expected) < 1e-15, `${theta[0]} vs ${expected}`);
  opt.reset();
  assert.is(opt.steps, 0);
});

test('all optimizers minimise an ill-conditioned quadratic', () => {
  const grad = quadratic([1, 10, 0.5], [3, -1, 2]);
  const make = [
    (p: Float64Array) => new SGD(p, { lr: 0.05 }),
    (p: Float64Array) => new SGD(p, { lr: 0.02, momentum: 0.9 }),
    (p: Float64Array) => new SGD(p, { lr: 0.02, momentum: 0.9, nesterov: true }),
    (p: Float64Array) => new Adam(p, { lr: 0.05 }),
  ];
  for (const m of make) {
    const theta = new Float64Array(3);
    const opt = m(theta);
    for (let i = 0; i < 3000; i++) opt.step(grad(theta));
    assert.ok(maxAbsDiff(theta, [3, -1, 2]) < 1e-3, `${opt.constructor.name}: ${theta}`);
  }
});

test('optimizers update subarray views of one flat parameter vector', () => {
  const flat = new Float64Array(3);
  const w = flat.subarray(0, 2);
  const opt = new SGD(flat, { lr: 1 });
  opt.step(flatten([1, 2], 3));
  assert.equal(Array.from(w), [-1, -2]);
  assert.is(flat[2], -3);
});

test('mulberry32 is deterministic, in [0, 1) and roughly uniform', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const c = mulberry32(43);
  let sum = 0;
  let differs = false;
  for (let i = 0; i < 20000; i++) {
    const u = a();
    assert.is(u, b());
    if (u !== c()) differs = true;
    assert.ok(u >= 0 && u < 1);
    sum += u;
  }
  assert.ok(differs);
  assert.ok(Math.abs(sum / 20000 - 0.5) < 0.01);
});

test('Rng.normal has mean ≈ 0 and variance ≈ 1, and honours mean/std', () => {
  const rng = new Rng(7);
  const xs = rng.normalArray(50000);
  const m = mean(xs);
  const v = mean(xs.map((x) => (x - m) ** 2));
  assert.ok(Math.abs(m) < 0.02, `mean ${m}`);
  assert.ok(Math.abs(v - 1) < 0.03, `variance ${v}`);
  const ys = new Rng(7).normalArray(50000, 5, 2);
  assert.ok(Math.abs(mean(ys) - 5) < 0.04);
  assert.ok(allClose(ys, xs.map((x) => 5 + 2 * x)));
});

test('Rng uniform, int and permutation', () => {
  const rng = new Rng(1);
  const u = rng.uniformArray(1000, -2, 3);
  assert.ok(u.every((x) => x >= -2 && x < 3));
  for (let i = 0; i < 100; i++) {
    const k = rng.int(5);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 5);
  }
  const p = rng.permutation(10);
  assert.equal(Array.from(p).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('vector helpers', () => {
  assert.equal(Array.from(linspace(0, 1, 5)), [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(Array.from(linspace(2, 9, 1)), [2]);
  assert.equal(Array.from(arange(4)), [0, 1, 2, 3]);
  assert.equal(Array.from(basis(3, 1)), [0, 1, 0]);
  assert.is(dot([1, 2, 3], [4, 5, 6]), 32);
  assert.is(norm([3, 4]), 5);
  assert.is(mean([1, 2, 3, 6]), 3);
  assert.is(maxAbsDiff([1, 2], [1.5, 1]), 1);
  assert.is(maxAbsDiff([1], [1, 2]), Infinity);
  assert.ok(allClose([1, 2], [1 + 1e-12, 2]));
  assert.not.ok(allClose([1, 2], [1.1, 2]));
  assert.equal(Array.from(flatten(1, [2, 3], Float64Array.of(4))), [1, 2, 3, 4]);
});

test('finite differences: central is second order, forward first order', () => {
  const f = (x: number) => x ** 3;
  // f'(1) = 3;  forward error ≈ 3h,  central error = h² exactly
  assert.ok(Math.abs(forwardDifference(f, 1, 1e-3) - 3 - 3e-3) < 1e-5);
  assert.ok(Math.abs(centralDifference(f, 1, 1e-3) - 3 - 1e-6) < 1e-9);
});

test("formatG matches Python's %g", () => {
  const cases: Array<[number, number, string]> = [
    [0.019531, 3, '0.0195'],
    [1.75432, 3, '1.75'],
    [-0.468123, 3, '-0.468'],
    [1.23456e-5, 3, '1.23e-05'],
    [0.0001, 3, '0.0001'],
    [123456, 3, '1.23e+05'],
    [100, 3, '100'],
    [1000, 3, '1e+03'],
    [2.5, 6, '2.5'],
    [0, 3, '0'],
    [-7.0e-10, 3, '-7e-10'],
    [999.6, 3, '1e+03'],
    [NaN, 3, 'nan'],
  ];
  for (const [x, d, want] of cases) assert.is(formatG(x, d), want, `formatG(${x}, ${d})`);
});

test('formatTensor prints like PyTorch', () => {
  assert.is(formatTensor([102.4, 1024, 0.1024]), 'tensor([1.0240e+02, 1.0240e+03, 1.0240e-01])');
  assert.is(formatTensor([4.5, 4.5]), 'tensor([4.5000, 4.5000])');
  assert.is(formatTensor(10), 'tensor(10.0000)');
});

test('isMain is false for an imported module', () => {
  assert.not.ok(isMain(import.meta.url.replace('runtime.test', 'other')));
  assert.not.ok(isMain('data:text/javascript,0'));
});

test('plot specs render to SVG', async () => {
  const x = linspace(0, 1, 5);
  const fit = await renderSvg(
    fitPlotSpec({ title: 'fit', data: { x, y: x }, curves: [{ name: 'line', x, y: x.map((v) => 2 * v) }] }),
  );
  assert.match(fit, /^<svg/);
  assert.match(fit, /fit/);
  const loss = await renderSvg(
    linePlotSpec({ title: 'loss', curves: [{ name: 'loss', x: arange(5), y: [5, 4, 3, 2, 1] }], logY: true }),
  );
  assert.match(loss, /<svg/);
});

test.run();
