/**
 * The numbers of SPEC §8: each example of examples/ is run through its generated model.ad.ts
 * (and its main.ts helpers) and checked against the course's values. A last group fails when a
 * committed model.ad.ts is stale, i.e. differs from what adgen generates from model.ts now.
 *
 * Example modules are imported dynamically, inside each test, so that one broken example fails
 * its own tests rather than the whole file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Rng, formatG, maxAbsDiff } from '@adgen/runtime';

const EXAMPLES_DIR = resolve(import.meta.dirname, '..', 'examples');

/** Every example folder (one per exercise of SPEC §8). */
const EXAMPLES = readdirSync(EXAMPLES_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

/** |actual − expected| ≤ tol, with a readable message. */
function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} ± ${tol}`);
}

function closeArray(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  const d = maxAbsDiff(actual, expected);
  assert.ok(d <= tol, `${what}: max difference ${d} > ${tol}\n  got      ${Array.from(actual)}\n  expected ${Array.from(expected)}`);
}

// ---------------------------------------------------------------------------------------------
// square-derivative: d(x²)/dx at 5 = 10

test('square-derivative: d(x²)/dx at x = 5 is 10 in reverse and forward mode', async () => {
  const { squareGrad, squareJvp } = await import('../examples/square-derivative/model.ad.ts');
  const r = squareGrad(5);
  assert.is(r.value, 25);
  assert.is(r.grad.x, 10);
  assert.is(squareJvp(5, { x: 1 }).tangent, 10);
});

// ---------------------------------------------------------------------------------------------
// polynomial-finite-differences: d(3x³ − 5x²)/dx at 1.5 = 5.25, forward vs central differences

test('polynomial-finite-differences: exact derivative 5.25 at x = 1.5', async () => {
  const { funcGrad, funcJvp } = await import('../examples/polynomial-finite-differences/model.ad.ts');
  const { funcDer } = await import('../examples/polynomial-finite-differences/main.ts');
  close(funcGrad(1.5).grad.x, 5.25, 1e-12, 'reverse');
  close(funcJvp(1.5, { x: 1 }).tangent, 5.25, 1e-12, 'forward');
  assert.is(funcDer(1.5), 5.25);
  const rng = new Rng(3);
  for (let k = 0; k < 20; k++) {
    const x = rng.uniform(-3, 3);
    close(funcGrad(x).grad.x, funcDer(x), 1e-12 * Math.max(1, Math.abs(funcDer(x))), `func'(${x})`);
  }
});

test('polynomial-finite-differences: error table for h = 1e-1 … 1e-12', async () => {
  const { differenceTable, STEPS } = await import('../examples/polynomial-finite-differences/main.ts');
  assert.equal(STEPS.length, 12);
  close(STEPS[0], 1e-1, 0, 'first step');
  close(STEPS[11], 1e-12, 1e-27, 'last step');
  const { exact, rows } = differenceTable(1.5);
  close(exact, 5.25, 1e-12, 'exact');
  assert.is(rows.length, 12);
  for (const r of rows) {
    close(r.forwardError, Math.abs(r.forward - exact), 0, 'forward error column');
    close(r.centralError, Math.abs(r.central - exact), 0, 'central error column');
  }
  // For a cubic the truncation errors are exact: forward = 8.5h + 3h², central = 3h², so the
  // central error is about 0.35h times the forward one: ≥ 25× smaller at h = 0.1, and far
  // smaller for moderate h.
  for (const r of rows.filter((r) => r.h >= 1e-4)) {
    close(r.forwardError, 8.5 * r.h + 3 * r.h ** 2, 1e-3 * r.forwardError, `forward error at h = ${r.h}`);
    const ratio = r.h >= 1e-1 ? 25 : 250;
    assert.ok(r.centralError < r.forwardError / ratio, `central error ≥ ${ratio}× below forward at h = ${r.h}`);
  }
  for (const r of rows.filter((r) => r.h >= 1e-3)) {
    close(r.centralError, 3 * r.h ** 2, 1e-3 * r.centralError, `central error at h = ${r.h}`);
  }
  // Below the optimum, cancellation makes both worse again.
  const bestCentral = Math.min(...rows.map((r) => r.centralError));
  assert.ok(bestCentral < 1e-9);
  assert.ok(rows[11].centralError > 1000 * bestCentral, 'rounding error dominates at h = 1e-12');
  assert.ok(rows[11].forwardError > rows[7].forwardError, 'forward error grows again below h = 1e-8');
});

// ---------------------------------------------------------------------------------------------
// chain-rule-product: d = a(a + b) → ∂a = 2a + b, ∂b = a

test('chain-rule-product: ∂d/∂a = 2a + b and ∂d/∂b = a', async () => {
  const { productGrad, productJvp } = await import('../examples/chain-rule-product/model.ad.ts');
  const at = productGrad(2, 3);
  assert.is(at.value, 10);
  assert.is(at.grad.a, 7);
  assert.is(at.grad.b, 2);
  const rng = new Rng(11);
  for (let k = 0; k < 20; k++) {
    const a = rng.uniform(-5, 5);
    const b = rng.uniform(-5, 5);
    const { value, grad } = productGrad(a, b);
    close(value, a * (a + b), 1e-12, 'value');
    close(grad.a, 2 * a + b, 1e-12, '∂d/∂a');
    close(grad.b, a, 1e-12, '∂d/∂b');
    close(productJvp(a, b, { a: 1 }).tangent, 2 * a + b, 1e-12, 'forward ∂d/∂a');
    close(productJvp(a, b, { b: 1 }).tangent, a, 1e-12, 'forward ∂d/∂b');
  }
});

// ---------------------------------------------------------------------------------------------
// sum-of-squares-mean: o = ¼Σ3(xᵢ + 2)² → 4.5 at xᵢ = 1

test('sum-of-squares-mean: out = 27 and ∂o/∂xᵢ = 4.5 at x = ones(2, 2)', async () => {
  const { outGrad } = await import('../examples/sum-of-squares-mean/model.ad.ts');
  const x = new Float64Array(4).fill(1);
  const { value, grad } = outGrad(x);
  assert.is(value, 27);
  assert.instance(grad.x, Float64Array);
  assert.equal(Array.from(grad.x), [4.5, 4.5, 4.5, 4.5]);
  const y = Float64Array.of(-1, 0, 2.5, 7);
  closeArray(outGrad(y).grad.x, y.map((v) => 1.5 * (v + 2)), 1e-12, 'general x');
});

// ---------------------------------------------------------------------------------------------
// doubling-loop-vjp: y = 2ᵏx, vᵀJ = 2ᵏv with v = [0.1, 1.0, 0.0001]

test('doubling-loop-vjp: x.grad = 1024·v for the seeded x, as the tutorial prints', async () => {
  const { run, SEED, V } = await import('../examples/doubling-loop-vjp/main.ts');
  assert.equal(Array.from(V), [0.1, 1.0, 0.0001]);
  const x = new Rng(SEED).normalArray(3);
  const { y, xGrad, factor } = run(x);
  assert.is(factor, 1024);
  closeArray(y, x.map((v) => 1024 * v), 0, 'y = 1024x');
  closeArray(xGrad, [102.4, 1024, 0.1024], 1e-12, 'x.grad');
});

test('doubling-loop-vjp: the trip count follows the data', async () => {
  const { doublingVjp, doublingJacobian } = await import('../examples/doubling-loop-vjp/model.ad.ts');
  const v = Float64Array.of(0.1, 1.0, 0.0001);
  // [x, 2ᵏ]: the loop stops as soon as ‖y‖ ≥ 1000
  for (const [x, factor] of [
    [Float64Array.of(1, 0, 0), 1024], // 2¹⁰ = 1024 ≥ 1000 > 512
    [Float64Array.of(0, 0.001, 0), 2 ** 20], // 0.001·2²⁰ ≈ 1049
    [Float64Array.of(300, 400, 0), 2], // ‖2x‖ = 1000 exactly: no doubling inside the loop
  ] as const) {
    const y = new Float64Array(3);
    const { value, grad } = doublingVjp(x, y, v);
    closeArray(value, x.map((e) => factor * e), 0, `y for ‖x‖ = ${Math.hypot(...x)}`);
    closeArray(y, value, 0, 'the passed @out array is filled');
    closeArray(grad.x, v.map((e) => factor * e), 1e-12, 'vᵀJ');
    const J = doublingJacobian(x, new Float64Array(3)).jacobian;
    for (let i = 0; i < 3; i++) closeArray(J[i], [0, 1, 2].map((j) => (i === j ? factor : 0)), 0, `J row ${i}`);
  }
});

// ---------------------------------------------------------------------------------------------
// jacobian-forward-reverse

test('jacobian-forward-reverse: J by columns (fJvp) equals J by rows (fVjp), fJacobian and the formula', async () => {
  const { jacobianByForwardMode, jacobianByReverseMode, jacobianByHand } = await import(
    '../examples/jacobian-forward-reverse/main.ts'
  );
  const { fJacobian, fJvp, fVjp } = await import('../examples/jacobian-forward-reverse/model.ad.ts');
  const rng = new Rng(5);
  for (let k = 0; k < 10; k++) {
    const x = rng.normalArray(3);
    const fwd = jacobianByForwardMode(x);
    const rev = jacobianByReverseMode(x);
    const full = fJacobian(x, new Float64Array(2)).jacobian;
    const hand = jacobianByHand(x);
    assert.is(fwd.length, 2);
    assert.is(full.length, 2);
    for (let i = 0; i < 2; i++) {
      closeArray(fwd[i], rev[i], 1e-12, `forward vs reverse row ${i}`);
      closeArray(fwd[i], hand[i], 1e-12, `forward vs hand row ${i}`);
      closeArray(full[i], hand[i], 1e-12, `fJacobian vs hand row ${i}`);
    }
    // dot-product test ⟨u, Jv⟩ = ⟨Jᵀu, v⟩
    const u = rng.normalArray(2);
    const v = rng.normalArray(3);
    const jv = fJvp(x, new Float64Array(2), { x: v }).tangent;
    const jtu = fVjp(x, new Float64Array(2), u).grad.x;
    close(u[0] * jv[0] + u[1] * jv[1], jtu[0] * v[0] + jtu[1] * v[1] + jtu[2] * v[2], 1e-12, 'dot-product test');
  }
});

// ---------------------------------------------------------------------------------------------
// matrix-calculus

test('matrix-calculus: ∇(aᵀx) = a, ∇(xᵀAx) = (A + Aᵀ)x, ∇(Ax) = Aᵀ, ∂/∂s (x−As)ᵀW(x−As) = −2AᵀW(x−As)', async () => {
  const { checkIdentities } = await import('../examples/matrix-calculus/main.ts');
  const failures: string[] = [];
  for (let seed = 1; seed <= 10; seed++) {
    const checks = checkIdentities(seed, 3 + (seed % 4), 2 + seed, 1 + (seed % 3));
    assert.is(checks.length, 5);
    for (const c of checks) if (!(c.error < 1e-10)) failures.push(`${c.identity} (seed ${seed}): error ${c.error}`);
  }
  assert.ok(failures.length === 0, `identities that do not hold:\n  ${failures.join('\n  ')}`);
});

// ---------------------------------------------------------------------------------------------
// linear-regression

test('linear-regression: cost and gradient at m = 0.9, b = 0.1 match the formulas', async () => {
  const { costGrad } = await import('../examples/linear-regression/model.ad.ts');
  const { X, Y } = await import('../examples/linear-regression/main.ts');
  const { value, grad } = costGrad(0.9, 0.1, X, Y);
  let c = 0, gm = 0, gb = 0;
  for (let i = 0; i < 8; i++) {
    const r = 0.9 * X[i] + 0.1 - Y[i];
    c += r * r / 8;
    gm += (2 * r * X[i]) / 8;
    gb += (2 * r) / 8;
  }
  close(value, c, 1e-12, 'cost');
  close(value, 19.6755, 1e-4, 'cost as the course prints it');
  close(grad.m, gm, 1e-12, 'm.grad');
  close(grad.b, gb, 1e-12, 'b.grad');
});

test('linear-regression: SGD lr 0.01, 1000 epochs → m ≈ −0.4681, b ≈ 1.7543, cost ≈ 0.0195', async () => {
  const { train, leastSquares, X, Y } = await import('../examples/linear-regression/main.ts');
  const lines: string[] = [];
  const r = train(1000, 0.01, (e) =>
    lines.push(`Epoch ${e.epoch}, cost ${formatG(e.cost, 3)}, m grad ${formatG(e.mGrad, 3)}, b grad ${formatG(e.bGrad, 3)}`),
  );
  assert.is(r.history.length, 1000);
  close(r.m, -0.4681, 5e-5, 'm');
  close(r.b, 1.7543, 5e-5, 'b');
  close(r.finalCost, 0.0195, 5e-5, 'cost');
  assert.is(lines.length, 1000);
  assert.match(lines[999], /^Epoch 999, cost 0\.0195, m grad /);
  assert.is(lines[0], 'Epoch 0, cost 8.57, m grad 23.2, b grad 3.6');
  const ls = leastSquares(X, Y);
  close(ls.m, -0.46929, 5e-6, 'least-squares m');
  close(ls.b, 1.76, 5e-3, 'least-squares b');
  // gradient descent approaches the least-squares line
  close(r.m, ls.m, 2e-3, 'm near least squares');
});

// ---------------------------------------------------------------------------------------------
// backprop-practical and the two challenges

test('backprop-practical: generated backward pass = hand-written one; SGD recovers w*, b* within 0.05', async () => {
  const { makeData, fit, handBackward, W_STAR, B_STAR } = await import('../examples/backprop-practical/main.ts');
  const { sampleLossGrad } = await import('../examples/backprop-practical/model.ad.ts');
  const rng = new Rng(2);
  for (let k = 0; k < 10; k++) {
    const [w, b, x, y] = rng.normalArray(4);
    const g = sampleLossGrad(w, b, x, y).grad;
    const h = handBackward(w, b, x, y);
    close(g.w, h.w, 1e-12, '∂ℓ/∂w');
    close(g.b, h.b, 1e-12, '∂ℓ/∂b');
  }
  const { x, y } = makeData(42);
  const r = fit(x, y, 20, 0.02, 0);
  close(r.w, W_STAR, 0.05, 'w');
  close(r.b, B_STAR, 0.05, 'b');
  assert.ok(r.losses[r.losses.length - 1] < 0.02, 'final loss near the noise level σ² = 0.01');
});

test('challenge-exp-cos: recovers w*, b* of y = exp(w* cos x + b*) within 0.02', async () => {
  const { makeData, fit, W_STAR, B_STAR } = await import('../examples/challenge-exp-cos/main.ts');
  const { x, y } = makeData(7);
  const r = fit(x, y);
  close(r.w, W_STAR, 0.02, 'w');
  close(r.b, B_STAR, 0.02, 'b');
});

test('challenge-exp-cos-freq: recovers p*, w*, b* of y = exp(w* cos(p* x) + b*) within 0.01', async () => {
  const { makeData, fit, P_STAR, W_STAR, B_STAR } = await import('../examples/challenge-exp-cos-freq/main.ts');
  const { x, y } = makeData(11);
  const { best, tries } = fit(x, y);
  close(best.p, P_STAR, 0.01, 'p');
  close(best.w, W_STAR, 0.01, 'w');
  close(best.b, B_STAR, 0.01, 'b');
  assert.ok(tries.some((t) => Math.abs(t.p - P_STAR) > 0.5), 'some start ends in a local minimum');
});

test('challenge-exp-cos-freq: gradient agrees with central differences', async () => {
  const { lossGrad } = await import('../examples/challenge-exp-cos-freq/model.ad.ts');
  const { loss } = await import('../examples/challenge-exp-cos-freq/model.ts');
  const rng = new Rng(9);
  const x = rng.uniformArray(30, -3, 3);
  const y = rng.uniformArray(30, 0.5, 2.5);
  const [w, b, p] = [0.7, 0.1, 2.2];
  const { value, grad } = lossGrad(w, b, p, x, y);
  close(value, loss(w, b, p, x, y), 1e-12, 'value');
  const h = 1e-6;
  close(grad.w, (loss(w + h, b, p, x, y) - loss(w - h, b, p, x, y)) / (2 * h), 1e-6, '∂/∂w');
  close(grad.b, (loss(w, b + h, p, x, y) - loss(w, b - h, p, x, y)) / (2 * h), 1e-6, '∂/∂b');
  close(grad.p, (loss(w, b, p + h, x, y) - loss(w, b, p - h, x, y)) / (2 * h), 1e-6, '∂/∂p');
});

// ---------------------------------------------------------------------------------------------
// neural-network

test('neural-network: gradient agrees with central differences', async () => {
  const { Network, makeMoons } = await import('../examples/neural-network/main.ts');
  const { lossGrad } = await import('../examples/neural-network/model.ad.ts');
  const { loss } = await import('../examples/neural-network/model.ts');
  const rng = new Rng(4);
  const { X, labels } = makeMoons(20, 0.1, rng);
  const net = new Network(5, rng);
  net.params[net.params.length - 1] = 0.3; // b2
  const { value, grad } = lossGrad(net.W1, net.b1, net.W2, net.b2, X, labels);
  close(value, loss(net.W1, net.b1, net.W2, net.b2, X, labels), 1e-12, 'value');
  const flatGrad = [...grad.W1, ...grad.b1, ...grad.W2, grad.b2];
  const h = 1e-6;
  for (let k = 0; k < net.params.length; k++) {
    const saved = net.params[k];
    net.params[k] = saved + h;
    const up = loss(net.W1, net.b1, net.W2, net.b2, X, labels);
    net.params[k] = saved - h;
    const down = loss(net.W1, net.b1, net.W2, net.b2, X, labels);
    net.params[k] = saved;
    close(flatGrad[k], (up - down) / (2 * h), 1e-7, `∂loss/∂θ${k}`);
  }
});

test('neural-network: reaches ≥ 97% training and ≥ 95% test accuracy on two moons', async () => {
  const { train } = await import('../examples/neural-network/main.ts');
  const r = train(0, 1500);
  assert.ok(r.losses[r.losses.length - 1] < r.losses[0] / 10, 'loss decreased tenfold');
  assert.ok(r.trainAccuracy >= 0.97, `train accuracy ${r.trainAccuracy}`);
  assert.ok(r.testAccuracy >= 0.95, `test accuracy ${r.testAccuracy}`);
});

// ---------------------------------------------------------------------------------------------
// lagrange-multipliers

test('lagrange-multipliers: method of multipliers matches the analytic optimum and multiplier', async () => {
  const { solve, ANALYTIC } = await import('../examples/lagrange-multipliers/main.ts');
  const { lagrangianGrad } = await import('../examples/lagrange-multipliers/model.ad.ts');
  const { objective } = await import('../examples/lagrange-multipliers/model.ts');
  const sol = solve();
  close(sol.x, ANALYTIC.x, 1e-8, 'x*');
  close(sol.y, ANALYTIC.y, 1e-8, 'y*');
  close(sol.lambda, ANALYTIC.lambda, 1e-8, 'λ*');
  close(sol.lambda, 1 - Math.sqrt(5), 1e-8, 'λ* = 1 − √5');
  close(objective(sol.x, sol.y), 6 - 2 * Math.sqrt(5), 1e-8, 'f*');
  const { grad } = lagrangianGrad(sol.x, sol.y, sol.lambda);
  close(grad.x, 0, 1e-8, '∂𝓛/∂x');
  close(grad.y, 0, 1e-8, '∂𝓛/∂y');
  close(grad.lambda, 0, 1e-8, '∂𝓛/∂λ');
  // and the Lagrangian's gradient is (∇f − λ∇g, −g) anywhere
  const [x, y, l] = [0.3, -1.2, 0.7];
  const g = lagrangianGrad(x, y, l).grad;
  close(g.x, 2 * (x - 2) - l * 2 * x, 1e-12, '∂𝓛/∂x formula');
  close(g.y, 2 * (y - 1) - l * 2 * y, 1e-12, '∂𝓛/∂y formula');
  close(g.lambda, -(x * x + y * y - 1), 1e-12, '∂𝓛/∂λ = −g');
});

// ---------------------------------------------------------------------------------------------
// stop-gradient

test("stop-gradient: gradients match PyTorch's detach()", async () => {
  const { detachedGrad, attachedGrad, noGradGrad, fixedTargetLossGrad, detachedJvp } = await import(
    '../examples/stop-gradient/model.ad.ts'
  );
  const x = Float64Array.of(0, 1, 2, 3, -1.5);
  const u = x.map((v) => v * v);
  const det = detachedGrad(x);
  const att = attachedGrad(x);
  assert.is(det.value, att.value, 'same primal value');
  assert.equal(Array.from(det.grad.x), Array.from(u), 'x.grad == u = (x*x).detach()');
  closeArray(att.grad.x, x.map((v) => 3 * v * v), 1e-12, 'without detach: 3x²');
  closeArray([detachedJvp(x, { x: [1, 1, 1, 1, 1] }).tangent], [u.reduce((a, b) => a + b, 0)], 1e-12, 'forward mode too');
  const ng = noGradGrad(3);
  assert.is(ng.value, 9);
  assert.is(ng.grad.x, 0);
  const [w, a, b] = [0.5, 2, 1];
  close(fixedTargetLossGrad(w, a, b).grad.w, 2 * (w * a - w * b) * a, 1e-12, 'fixed target');
});

// ---------------------------------------------------------------------------------------------
// Every example: files present, listed in examples/README.md, main() runs, model.ad.ts is fresh.

test('every example has model.ts, model.ad.ts, main.ts and README.md and is listed in examples/README.md', () => {
  assert.ok(EXAMPLES.length >= 14, `found ${EXAMPLES.length} examples`);
  const index = readFileSync(join(EXAMPLES_DIR, 'README.md'), 'utf8');
  for (const name of EXAMPLES) {
    for (const file of ['model.ts', 'model.ad.ts', 'main.ts', 'README.md']) {
      assert.ok(existsSync(join(EXAMPLES_DIR, name, file)), `examples/${name}/${file} is missing`);
    }
    assert.ok(index.includes(`(${name}/)`), `examples/README.md does not link ${name}/`);
  }
});

test('npm run example <name> runs an example; without a name it lists them', () => {
  const root = resolve(import.meta.dirname, '..');
  const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const out = execFileSync(process.execPath, [tsx, 'scripts/run-example.ts', 'square-derivative'], { cwd: root, encoding: 'utf8' });
  assert.match(out, /x\.grad \(reverse mode[^\n]*= tensor\(10\.0000\)/);
  const list = spawnSync(process.execPath, [tsx, 'scripts/run-example.ts'], { cwd: root, encoding: 'utf8' });
  assert.is(list.status, 0);
  for (const name of EXAMPLES) assert.ok(list.stderr.includes(`  ${name}\n`), `${name} not listed`);
  const unknown = spawnSync(process.execPath, [tsx, 'scripts/run-example.ts', 'no-such-example'], { cwd: root, encoding: 'utf8' });
  assert.is(unknown.status, 2);
});

for (const name of EXAMPLES) {
  test(`${name}: main() runs and prints`, async () => {
    const mod = (await import(`../examples/${name}/main.ts`)) as { main: () => unknown };
    const printed: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void printed.push(args.join(' '));
    try {
      await mod.main();
    } finally {
      console.log = log;
    }
    assert.ok(printed.length > 0, 'printed nothing');
    assert.not.ok(printed.some((l) => /NaN|undefined/.test(l)), `printed NaN or undefined:\n${printed.join('\n')}`);
  });
}

for (const name of EXAMPLES) {
  test(`${name}: committed model.ad.ts is what adgen generates from model.ts`, async () => {
    const { generate } = await import('../packages/adgen/src/index.ts');
    const source = join(EXAMPLES_DIR, name, 'model.ts');
    const result = await generate([source], { write: false });
    assert.equal(result.diagnostics, [], `adgen reported diagnostics for examples/${name}/model.ts`);
    const file = result.files.find((f) => resolve(f.sourcePath) === source);
    assert.ok(file, `no generated file for examples/${name}/model.ts`);
    const committed = readFileSync(join(EXAMPLES_DIR, name, 'model.ad.ts'), 'utf8');
    assert.ok(
      file.text === committed,
      `examples/${name}/model.ad.ts is stale: run \`npx adgen examples/${name}/model.ts\` and commit the result`,
    );
  });
}

test.run();
