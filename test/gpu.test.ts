/**
 * GPU lowering (SPEC §6): `createFGpu(gpu)` of every model in test/fixtures/gpu/models.ts, run on
 * gpu.js backends, agrees with the generated double-precision CPU code to single-precision
 * tolerance; kernels are compiled once per shape and reused; each AD4xxx warning is raised by the
 * loop it names while the file is still generated; the generated file type-checks with --strict.
 *
 * Backends come from ADGEN_GPU_MODES (default `cpu,webasm`: gpu.js's JavaScript and WebAssembly
 * backends, no GPU needed); scripts/ci-gpu-webgl.sh sets `headlessgl`. A requested backend that
 * is not available fails the run; the backends that ran are printed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import ts from 'typescript';
import { tsImport } from 'tsx/esm/api';
import gpujs from 'gpu.js';
import { generate } from '../packages/adgen/src/index.ts';
import type { Diagnostic } from '../packages/adgen/src/api-types.ts';
import { rng } from './support/harness.ts';

const { GPU } = gpujs;
type Gpu = InstanceType<typeof GPU>;
type Module = Record<string, (...args: any[]) => any>;

const MODES = (process.env['ADGEN_GPU_MODES'] ?? 'cpu,webasm')
  .split(',')
  .map((m) => m.trim())
  .filter(Boolean);
const SUPPORTED: Record<string, () => boolean> = {
  cpu: () => true,
  webasm: () => GPU.isWebAssemblySupported,
  headlessgl: () => GPU.isHeadlessGLSupported,
  webgl: () => GPU.isWebGLSupported,
  webgl2: () => GPU.isWebGL2Supported,
};
const FIXTURE = path.resolve('test/fixtures/gpu/models.ts');
const ran = new Set<string>();

/** A scratch directory inside the repository, so generated files resolve '@adgen/runtime'. */
function scratch(): string {
  return fs.mkdtempSync(path.resolve('.adgen-tmp-gpu-'));
}
const dirs: string[] = [];

async function compileFixture(): Promise<{ gen: Module; src: Module; diagnostics: Diagnostic[]; outPath: string; text: string }> {
  const dir = scratch();
  dirs.push(dir);
  const r = await generate([FIXTURE], { outDir: dir });
  assert.equal(r.diagnostics.filter((d) => d.category === 'error'), []);
  const f = r.files[0]!;
  return {
    gen: (await tsImport(f.outPath, import.meta.url)) as Module,
    src: (await tsImport(FIXTURE, import.meta.url)) as Module,
    diagnostics: r.diagnostics,
    outPath: f.outPath,
    text: f.text,
  };
}

let compiled: Awaited<ReturnType<typeof compileFixture>> | null = null;
const fixture = async () => (compiled ??= await compileFixture());

// ---- comparisons ----------------------------------------------------------------------------------

const flat = (v: unknown): number[] => (typeof v === 'number' ? [v] : Array.from(v as ArrayLike<number>));

/**
 * Single-precision agreement: each component within rtol of the reference, measured against the
 * largest component of the reference (a sum of float32 terms is accurate relative to its terms,
 * not to a result that cancels).
 */
function assertClose(actual: unknown, expected: unknown, what: string, rtol = 2e-4): void {
  const a = flat(actual);
  const e = flat(expected);
  assert.is(a.length, e.length, `${what}: length`);
  const scale = Math.max(...e.map(Math.abs), Number.MIN_VALUE);
  for (let k = 0; k < e.length; k++) {
    const err = Math.abs(a[k]! - e[k]!);
    if (!(err <= rtol * (Math.abs(e[k]!) + scale))) {
      assert.unreachable(`${what}[${k}]: GPU ${a[k]} vs CPU ${e[k]} (error ${err.toExponential(2)}, allowed ${(rtol * (Math.abs(e[k]!) + scale)).toExponential(2)})`);
    }
  }
}

function assertGradClose(actual: Record<string, unknown>, expected: Record<string, unknown>, what: string): void {
  assert.equal(Object.keys(actual).sort(), Object.keys(expected).sort(), `${what}: gradient keys`);
  for (const k of Object.keys(expected)) assertClose(actual[k], expected[k], `${what} ∂/∂${k}`);
}

const data = (n: number, seed: number, lo = -1, hi = 1) => {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
};

// ---- backends -------------------------------------------------------------------------------------

const gpus = new Map<string, Gpu>();
function gpuFor(mode: string): Gpu {
  let g = gpus.get(mode);
  if (!g) gpus.set(mode, (g = new GPU({ mode: mode as 'cpu' })));
  return g;
}

test('the requested backends are available', () => {
  for (const mode of MODES) {
    assert.ok(SUPPORTED[mode], `ADGEN_GPU_MODES names '${mode}'; known: ${Object.keys(SUPPORTED).join(', ')}`);
    assert.ok(SUPPORTED[mode]!(), `backend '${mode}' requested by ADGEN_GPU_MODES is not available here`);
  }
});

for (const mode of MODES) {
  test(`[${mode}] exp-cos loss (SPEC §1): value and gradient`, async () => {
    const { gen } = await fixture();
    const g = gen['createLossGpu']!(gpuFor(mode));
    for (const n of [1000, 100_000]) {
      const x = data(n, 1, -3, 3);
      const y = Float64Array.from(x, (xi, i) => Math.exp(0.7 * Math.cos(1.3 * xi) + 0.2) + 0.05 * Math.sin(7 * i));
      const args = [0.5, 0.1, 1.2, x, y];
      assertClose(await g.loss(...args), gen['lossGrad']!(...args).value, `loss n=${n}`);
      const got = await g.lossGrad(...args);
      const want = gen['lossGrad']!(...args);
      assertClose(got.value, want.value, `lossGrad value n=${n}`);
      assertGradClose(got.grad, want.grad, `lossGrad n=${n}`);
    }
    assert.equal(g.kernels.backends, [mode], 'kernels ran on the requested backend (no fallback)');
    ran.add(mode);
  });

  test(`[${mode}] two-layer network batch loss: per-sample loop with inner loops, shared weights`, async () => {
    const { gen } = await fixture();
    const g = gen['createBatchLossGpu']!(gpuFor(mode));
    const [n, d, h] = [300, 3, 6];
    const args = [data(h * d, 2), data(h, 3), data(h, 4), 0.3, data(n * d, 5, -2, 2), data(n, 6), d];
    const want = gen['batchLossGrad']!(...args);
    assertClose(await g.batchLoss(...args), want.value, 'batchLoss');
    const got = await g.batchLossGrad(...args);
    assertClose(got.value, want.value, 'batchLossGrad value');
    assertGradClose(got.grad, want.grad, 'batchLossGrad');
    assert.equal(g.kernels.backends, [mode]);
  });

  test(`[${mode}] a map into an @out array: value and vector–Jacobian product`, async () => {
    const { gen, src } = await fixture();
    const g = gen['createActivateGpu']!(gpuFor(mode));
    const n = 5000;
    const x = data(n, 7, -2, 2);
    const out = new Float64Array(n);
    const ref = new Float64Array(n);
    await g.activate(0.8, -0.2, x, out);
    src['activate']!(0.8, -0.2, x, ref);
    assertClose(out, ref, 'activate out');
    const u = data(n, 8);
    const got = await g.activateVjp(0.8, -0.2, x, new Float64Array(n), u);
    const want = gen['activateVjp']!(0.8, -0.2, x, new Float64Array(n), u);
    assertClose(got.value, want.value, 'activateVjp value');
    assertGradClose(got.grad, want.grad, 'activateVjp');
  });

  test(`[${mode}] two sums over a stencil, a branch, **, max, abs, sqrt`, async () => {
    const { gen } = await fixture();
    const g = gen['createRoughnessGpu']!(gpuFor(mode));
    const args = [data(4000, 9, -1, 1), 0.01];
    const want = gen['roughnessGrad']!(...args);
    const got = await g.roughnessGrad(...args);
    assertClose(got.value, want.value, 'roughness value');
    assertGradClose(got.grad, want.grad, 'roughnessGrad');
  });

  test(`[${mode}] host code around kernels: a map read by a sum, and a loop left on the CPU`, async () => {
    const { gen, src } = await fixture();
    const g = gen['createPipelineGpu']!(gpuFor(mode));
    const args = [0.6, data(3000, 10, -1, 1)];
    assertClose(await g.pipeline(...args), src['pipeline']!(...args), 'pipeline');
    const got = await g.pipelineGrad(...args);
    const want = gen['pipelineGrad']!(...args);
    assertClose(got.value, want.value, 'pipelineGrad value');
    assertGradClose(got.grad, want.grad, 'pipelineGrad');
  });

  test(`[${mode}] bounds 1 … n − 1 inclusive, number[] and Float32Array inputs, a read at i − 1`, async () => {
    const { gen } = await fixture();
    const g = gen['createShiftedGpu']!(gpuFor(mode));
    const args = [Array.from(data(700, 11)), Float32Array.from(data(700, 12)), 0.4];
    const want = gen['shiftedGrad']!(...args);
    const got = await g.shiftedGrad(...args);
    assertClose(got.value, want.value, 'shifted value');
    assertGradClose(got.grad, want.grad, 'shiftedGrad');
  });

  test(`[${mode}] a parameter named like a runtime helper, and a sum whose adjoint ignores the index`, async () => {
    const { gen } = await fixture();
    const g = gen['createPlainSumsGpu']!(gpuFor(mode));
    const args = [0.3, data(500, 17, -1, 1)];
    const want = gen['plainSumsGrad']!(...args);
    const got = await g.plainSumsGrad(...args);
    assertClose(got.value, want.value, 'plainSums value');
    assertGradClose(got.grad, want.grad, 'plainSumsGrad');
  });

  test(`[${mode}] a loop to <= a bound that is not a whole number runs the iterations the CPU code runs`, async () => {
    const { gen, src } = await fixture();
    const g = gen['createHalfSumGpu']!(gpuFor(mode));
    for (const n of [5, 6, 301]) {
      const args = [data(n, 23, -1, 1), 0.8];
      assertClose(await g.halfSum(...args), src['halfSum']!(...args), `halfSum n=${n}`);
      const want = gen['halfSumGrad']!(...args);
      const got = await g.halfSumGrad(...args);
      assertGradClose(got.grad, want.grad, `halfSumGrad n=${n}`);
    }
  });

  test(`[${mode}] integer powers and cube roots of negative numbers, and tanh far from 0, as on the CPU`, async () => {
    const { gen, src } = await fixture();
    const g = gen['createNegativeBasesGpu']!(gpuFor(mode));
    const x = data(200, 24, -2, -0.5);
    const args = [x, 0.9];
    assertClose(await g.negativeBases(...args), src['negativeBases']!(...args), 'negativeBases');
    assertGradClose((await g.negativeBasesGrad(...args)).grad, gen['negativeBasesGrad']!(...args).grad, 'negativeBasesGrad');
  });

  test(`[${mode}] an empty array argument (optional weights) and a non-empty one`, async () => {
    const { gen } = await fixture();
    const g = gen['createWeightedFitGpu']!(gpuFor(mode));
    for (const wt of [new Float64Array(0), data(300, 19, 0, 1)]) {
      const args = [0.6, data(300, 17, -1, 1), data(300, 18, -1, 1), wt];
      const want = gen['weightedFitGrad']!(...args);
      const got = await g.weightedFitGrad(...args);
      assertClose(got.value, want.value, `weightedFit value, ${wt.length} weights`);
      assertGradClose(got.grad, want.grad, `weightedFitGrad, ${wt.length} weights`);
    }
  });

  test(`[${mode}] gradient rows of an empty array (none) and of a non-empty one`, async () => {
    const { gen } = await fixture();
    const g = gen['createRowSumsGpu']!(gpuFor(mode));
    const u = data(40, 21, -1, 1);
    for (const w of [new Float64Array(0), data(5, 22, -1, 1)]) {
      const want = gen['rowSumsVjp']!(w, new Float64Array(40), u);
      const got = await g.rowSumsVjp(w, new Float64Array(40), u);
      assertClose(got.value, want.value, `rowSums value, ${w.length} elements`);
      assertGradClose(got.grad, want.grad, `rowSumsVjp, ${w.length} elements`);
    }
  });

  test(`[${mode}] a helper outside the loops, a loop in an if that maps and sums, a boolean, a sum read later`, async () => {
    const { gen, src } = await fixture();
    const g = gen['createMixedGpu']!(gpuFor(mode));
    for (const flag of [true, false]) {
      const args = [0.7, data(900, 16, -1, 1), flag];
      assertClose(await g.mixed(...args), src['mixed']!(...args), `mixed flag=${flag}`);
      const got = await g.mixedGrad(...args);
      const want = gen['mixedGrad']!(...args);
      assertClose(got.value, want.value, `mixedGrad value flag=${flag}`);
      assertGradClose(got.grad, want.grad, `mixedGrad flag=${flag}`);
    }
  });

  test(`[${mode}] a constant map into an @out array that an active value overwrites`, async () => {
    const { gen } = await fixture();
    const g = gen['createConstantFillGpu']!(gpuFor(mode));
    const u = data(50, 20, -1, 1);
    const want = gen['constantFillVjp']!(0.7, new Float64Array(50), u);
    const got = await g.constantFillVjp(0.7, new Float64Array(50), u);
    assertClose(got.value, want.value, 'constantFill value');
    assertGradClose(got.grad, want.grad, 'constantFillVjp');
  });

  test(`[${mode}] kernels are compiled once per shape and reused`, async () => {
    const { gen } = await fixture();
    const g = gen['createLossGpu']!(new GPU({ mode: mode as 'cpu' }));
    const x = data(2000, 13);
    const y = data(2000, 14);
    await g.lossGrad(0.5, 0.1, 1.2, x, y);
    const after = g.kernels.size;
    assert.is(after, 2, 'a value kernel and a gradient kernel');
    for (let k = 0; k < 3; k++) await g.lossGrad(0.5 + k, 0.1, 1.2, x, y);
    assert.is(g.kernels.size, after, 'the same shapes reuse the compiled kernels');
    await g.loss(0.5, 0.1, 1.2, data(10, 1), data(10, 2));
    assert.is(g.kernels.size, after + 1, 'a new size compiles the kernel once more');
    g.destroy();
  });
}

test(`example challenge-exp-cos-gpu [${MODES[0]}]: Adam with the GPU gradient recovers p*, w*, b* within 0.01`, async () => {
  const ex = (await import('../examples/challenge-exp-cos-gpu/main.ts')) as typeof import('../examples/challenge-exp-cos-gpu/main.ts');
  const gen = (await import('../examples/challenge-exp-cos-gpu/model.ad.ts')) as typeof import('../examples/challenge-exp-cos-gpu/model.ad.ts');
  const g = gen.createLossGpu(gpuFor(MODES[0]!));
  const { x, y } = ex.makeData(11);
  const { best } = await ex.fit(g, x, y);
  assert.ok(Math.abs(best.p - ex.P_STAR) < 0.01, `p = ${best.p}`);
  assert.ok(Math.abs(best.w - ex.W_STAR) < 0.01, `w = ${best.w}`);
  assert.ok(Math.abs(best.b - ex.B_STAR) < 0.01, `b = ${best.b}`);
  assert.equal(g.kernels.backends, [MODES[0]]);
});

test('the backends that ran', () => {
  const line = `gpu.test: backends that ran: ${[...ran].join(', ') || 'none'} (ADGEN_GPU_MODES=${MODES.join(',')})`;
  console.log(line);
  assert.equal([...ran].sort(), [...MODES].sort(), line);
});

// ---- the generated file ---------------------------------------------------------------------------

test('the generated file type-checks with --strict and its kernels are plain functions', async () => {
  const { outPath, text, diagnostics } = await fixture();
  assert.equal(
    diagnostics.map((d) => `${d.category} ${d.code} ${d.line}`),
    ['warning AD4002 93'],
    'one loop (the recurrence of `pipeline`) stays on the CPU',
  );
  const program = ts.createProgram([outPath], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  assert.equal(errors, []);
  // kernels: no arrow functions, no calls other than Math functions gpu.js knows
  const kernels = [...text.matchAll(/^function (_\w+Loop\d+(?:Value|Grad))\([^]*?^\}$/gm)];
  assert.ok(kernels.length >= 10, `found ${kernels.length} kernels`);
  for (const k of kernels) {
    assert.not.match(k[0], '=>', `${k[1]} has an arrow function`);
    const calls = [...k[0].matchAll(/([\w.]+)\(/g)].map((m) => m[1]!).filter((c) => c !== k[1]);
    for (const c of calls) assert.match(c, /^Math\.(sin|cos|tan|exp|log|log2|sqrt|cbrt|pow|abs|max|min|sign|floor|ceil|round|tanh|sinh|cosh|asin|acos|atan|atan2|asinh|acosh|atanh)$/, `${k[1]} calls ${c}`);
  }
  assert.match(text, "import type { GPU, IKernelFunctionThis } from 'gpu.js';");
  assert.match(text, /from '@adgen\/runtime';/);
});

test('a file without @gpu does not import the runtime', async () => {
  const dir = scratch();
  dirs.push(dir);
  const file = path.join(dir, 'plain.ts');
  fs.writeFileSync(file, fs.readFileSync(FIXTURE, 'utf8').replaceAll(' * @gpu\n', ''));
  const r = await generate([file]);
  assert.equal(r.diagnostics, []);
  assert.not.match(r.files[0]!.text, '@adgen/runtime');
  assert.not.match(r.files[0]!.text, 'gpu.js');
});

// ---- warnings: one per code -----------------------------------------------------------------------

const gpuFn = (body: string, params = 'x: Float64Array, a: number') =>
  `/**\n * @differentiable\n * @gpu\n */\nexport function f(${params}): number {\n  let s = 0;\n${body}\n  return s;\n}\n`;

/** code → a source whose loop (line 7) stays on the CPU for that reason */
const WARNING_CASES: Record<string, { source: string; line: number; says: RegExp }> = {
  AD4001: { source: gpuFn('  let i = 0;\n  while (i < x.length) {\n    s += x[i] * a;\n    i++;\n  }'), line: 8, says: /not a counting loop/ },
  AD4002: { source: gpuFn('  for (let i = 0; i < x.length; i++) {\n    s = s * a + x[i];\n  }'), line: 7, says: /'s' is carried from one iteration to the next/ },
  AD4003: {
    source: gpuFn('  const o = new Float64Array(x.length + 1);\n  for (let i = 0; i < x.length; i++) {\n    o[i + 1] = x[i] * a;\n  }\n  s = o[1];'),
    line: 8,
    says: /writes 'o\[…\]' at an index other than the loop index/,
  },
  AD4004: {
    source: `function g(t: number): number {\n  return t * t;\n}\n${gpuFn('  for (let i = 0; i < x.length; i++) {\n    s += g(x[i] * a);\n  }')}`,
    line: 10,
    says: /calls 'g'/,
  },
  AD4005: { source: gpuFn('  for (let i = 0; i < x.length; i++) {\n    s += Math.expm1(x[i] * a);\n  }'), line: 7, says: /'Math.expm1' has no gpu.js equivalent/ },
  AD4006: { source: gpuFn('  for (let i = 0; i < x.length; i++) {\n    if (x[i] > a) break;\n    s += x[i];\n  }'), line: 7, says: /contains 'break'/ },
  AD4007: { source: gpuFn('  for (let i = 0; i < x.length; i++) {\n    let t = x[i] * a;\n    s += t;\n    t = t * t;\n    s += t;\n  }'), line: 7, says: /'t' is assigned after it is read/ },
  AD4008: { source: gpuFn('  s = a * a;'), line: 5, says: /has no loop to run as a gpu.js kernel, so 'createFGpu' runs on the CPU/ },
};

for (const [code, c] of Object.entries(WARNING_CASES)) {
  test(`${code}: a warning, and the file (CPU derivatives and createFGpu) is still generated`, async () => {
    const dir = scratch();
    dirs.push(dir);
    const file = path.join(dir, 'model.ts');
    fs.writeFileSync(file, c.source);
    const r = await generate([file]);
    const hit = r.diagnostics.find((d) => d.code === code);
    assert.ok(hit, `expected ${code}, got ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ') || 'nothing'}`);
    assert.is(hit!.category, 'warning');
    assert.is(hit!.line, c.line);
    assert.match(hit!.message, c.says);
    assert.equal(r.diagnostics.filter((d) => d.category === 'error'), []);
    assert.is(r.files.length, 1);
    assert.ok(fs.existsSync(path.join(dir, 'model.ad.ts')));
    for (const name of ['export function fGrad(', 'export function fJvp(', 'export function createFGpu(']) assert.match(r.files[0]!.text, name);
    // the function still computes the right thing through createFGpu (on the CPU backend)
    const gen = (await tsImport(path.join(dir, 'model.ad.ts'), import.meta.url)) as Module;
    const x = data(50, 15, 0, 0.5);
    const g = gen['createFGpu']!(gpuFor('cpu'));
    const want = gen['fGrad']!(x, 0.7);
    const got = await g.fGrad(x, 0.7);
    assertClose(got.value, want.value, `${code} value`);
    assertGradClose(got.grad, want.grad, `${code} gradient`);
  });
}

test('AD4003 says what to write instead: a map written in both arms of an if, and a map read back', async () => {
  const dir = scratch();
  dirs.push(dir);
  const file = path.join(dir, 'model.ts');
  const arms = '  const o = new Float64Array(x.length);\n  for (let i = 0; i < x.length; i++) {\n    if (x[i] > 0) o[i] = a * x[i];\n    else o[i] = a;\n  }\n  s = o[0];';
  const back = '  const o = new Float64Array(x.length);\n  for (let i = 0; i < x.length; i++) {\n    o[i] = a * x[i];\n    s += o[i] * o[i];\n  }';
  for (const [body, says] of [[arms, /writes 'o\[i\]' inside an if \(write it once, in the loop body itself: o\[i\] = c \? a : b\)/], [back, /writes 'o\[i\]' and reads 'o' back \(keep the value in a local/]] as const) {
    fs.writeFileSync(file, gpuFn(body));
    const r = await generate([file]);
    assert.equal(r.diagnostics.map((d) => d.code), ['AD4003']);
    assert.match(r.diagnostics[0]!.message, says);
  }
});

test("AD4005: an operation whose derivative has no gpu.js spelling ('%' needs Math.trunc)", async () => {
  const dir = scratch();
  dirs.push(dir);
  const file = path.join(dir, 'model.ts');
  fs.writeFileSync(file, gpuFn('  for (let i = 0; i < x.length; i++) {\n    s += x[i] % a;\n  }'));
  const r = await generate([file]);
  assert.equal(r.diagnostics.map((d) => `${d.category} ${d.code} ${d.line}`), ['warning AD4005 7']);
  assert.match(r.diagnostics[0]!.message, "'Math.trunc' (in the derivative) has no gpu.js equivalent");
});

test('the CLI prints GPU warnings and exits 0', () => {
  const dir = scratch();
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'model.ts'), WARNING_CASES['AD4002']!.source);
  const r = spawnSync(process.execPath, [path.resolve('packages/adgen/bin/adgen.js'), 'model.ts'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /model\.ts:7:3 - warning AD4002: 'f': this loop runs on the CPU/);
  assert.not.match(r.stderr, /Found \d+ error/);
  assert.ok(fs.existsSync(path.join(dir, 'model.ad.ts')));
});

test.after(() => {
  for (const g of gpus.values()) g.destroy();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test.run();
