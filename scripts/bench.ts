/**
 * `npm run bench` — the performance protocol of SPEC §7.
 *
 * For each model (least squares and the exp-cos fit on 10⁶ points, ADBench's GMM with d = 10,
 * K = 25, n = 1000, a 10⁵-step explicit-Euler ODE) it checks that adgen's generated gradient and
 * JVP, a hand-written gradient, TensorFlow.js and central finite differences agree, then reports
 * median times of the primal, adgen's gradient (fGrad), adgen's JVP (fJvp, one direction), the
 * hand-written gradient, central finite differences and tfjs, their ratios, and whether each
 * SPEC §7 target is met. Everything runs in this one process.
 *
 *   npm run bench                 full run (a few minutes)
 *   npm run bench -- --quick      under a minute: fewer and shorter samples, smaller FD subset,
 *                                 fewer tfjs calls, tfjs's Euler on 10³ steps, only the first
 *                                 in-process code generation
 *   npm run bench -- --only gmm,euler   some models
 *   npm run bench -- --regen      regenerate scripts/bench/models/*.ad.ts with adgen first
 *   npm run bench -- --no-tfjs    skip TensorFlow.js   --no-codegen  skip code-generation timing
 *   npm run bench -- --strict     exit 1 when a target is missed (checks always fail the run)
 *
 * Output: the tables on stdout, bench-results/bench.json, bench-results/bench.svg.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as TF from '@tensorflow/tfjs';
import { countTypedArrayAllocations, scanTape } from './bench/alloc.ts';
import { loadGenerate, timeCodegen, type GenerateFn } from './bench/codegen.ts';
import { fdGradient } from './bench/fd.ts';
import {
  fmtMs,
  renderSvg,
  renderTables,
  type BenchReport,
  type Check,
  type ModelResult,
  type Target,
} from './bench/report.ts';
import {
  collectGarbage,
  measureAll,
  measureSlow,
  type Timing,
  type TimingOptions,
} from './bench/timing.ts';
import {
  dot,
  errorMessage,
  flatten,
  relDiffGrouped,
  relDiffScalar,
  type BenchCase,
  type BenchConfig,
} from './bench/types.ts';
import { leastSquaresCase } from './bench/cases/leastsq.ts';
import { expCosCase } from './bench/cases/expcos.ts';
import { gmmCase } from './bench/cases/gmm.ts';
import { eulerCase } from './bench/cases/euler.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (f: string) => argv.includes(f);
const opt = (f: string) => {
  const i = argv.findIndex((a) => a === f || a.startsWith(f + '='));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(f.length + 1) : argv[i + 1];
};
if (flag('--help') || flag('-h')) {
  const src = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8');
  console.log(src.slice(src.indexOf('/**') + 4, src.indexOf('*/')).replace(/^ \* ?/gm, ''));
  process.exit(0);
}
const cfg: BenchConfig = { quick: flag('--quick') };
const only = opt('--only')?.split(',');
const useTfjs = !flag('--no-tfjs');
const timingOpts: TimingOptions = cfg.quick
  ? { warmupCalls: 5, warmupMs: 150, reps: 5, minSampleMs: 20 }
  : { warmupCalls: 20, warmupMs: 1000, reps: 25, minSampleMs: 50 };
const fdReps = cfg.quick ? 3 : 7;
const TOL_GEN = 1e-7; // generated vs hand-written, both float64
const TOL_FD = 1e-4; // advisory

const failures: string[] = [];
const log = (s = '') => console.log(s);

async function main() {
  log(
    `adgen benchmark (SPEC §7) — ${cfg.quick ? 'QUICK mode: 5 samples of ≥20 ms per variant, FD on 10 GMM coordinates, 2 tfjs calls, tfjs Euler on 10³ steps, codegen first call only; numbers are rough' : 'full mode: 25 samples of ≥50 ms per variant after ≥1 s warm-up'}`,
  );
  log(
    `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} ×${os.cpus().length}, ${os.platform()}`,
  );
  const load = os.loadavg()[0];
  if (load > 0.5 * os.cpus().length) {
    log(
      `note: the machine is busy (1-minute load ${load.toFixed(1)} on ${os.cpus().length} CPUs); medians will be noisy, see the fastest-sample ratios too`,
    );
  }
  log('');

  let generate: GenerateFn | undefined;
  if (flag('--regen')) {
    generate = await loadGenerate(root);
    const models = ['leastsq', 'expcos', 'gmm', 'euler'].map((m) =>
      path.join(root, 'scripts/bench/models', `${m}.ts`),
    );
    const t0 = performance.now();
    const res = await generate(models, { write: true });
    log(
      `regenerated ${res.files.length} model files in ${fmtMs(performance.now() - t0)}, ${res.diagnostics.length} diagnostics`,
    );
    for (const d of res.diagnostics)
      log(
        `  ${path.relative(root, d.file)}:${d.line}:${d.column} - ${d.category} ${d.code}: ${d.message}`,
      );
  }

  let tf: typeof TF | undefined;
  {
    // tfjs greets Node users with a banner about tfjs-node; we measure the pure-JS CPU backend on purpose
    const warn = console.warn;
    const info = console.log;
    console.warn = () => {};
    console.log = () => {};
    try {
      tf = await import('@tensorflow/tfjs');
      tf.enableProdMode(); // no per-op debug checks: the fastest tfjs configuration
      await tf.setBackend('cpu');
      await tf.ready();
    } finally {
      console.warn = warn;
      console.log = info;
    }
  }

  const builders: [string, (tf: typeof TF, c: BenchConfig) => Promise<BenchCase>][] = [
    ['leastsq', leastSquaresCase],
    ['expcos', expCosCase],
    ['gmm', gmmCase],
    ['euler', eulerCase],
  ];
  const results: ModelResult[] = [];
  for (const [key, build] of builders) {
    if (only && !only.includes(key)) continue;
    const c = await build(tf!, cfg);
    results.push(await runCase(c));
    collectGarbage();
  }

  log('');
  log(renderTables(results));

  // code generation
  let codegen: BenchReport['codegen'];
  if (!flag('--no-codegen')) {
    codegen = await timeCodegen(root, generate, cfg.quick);
    log('');
    log(`Code generation on examples/ (${codegen.files} files, ${codegen.sourceLines} lines):`);
    if (codegen.cli) {
      log(
        `  CLI, cold process (node packages/adgen/bin/adgen.js on a copy of examples/): ${fmtMs(codegen.cli.ms)}, exit ${codegen.cli.exitCode}${codegen.cli.exitCode ? ` — ${codegen.cli.message}` : ''}`,
      );
    }
    if (codegen.importMs !== undefined)
      log(`  in process: import of the compiler ${fmtMs(codegen.importMs)}`);
    if (codegen.inProcessColdMs !== undefined) {
      log(
        `  in process: generate(…, { write: false }) first call${generate ? ' (compiler already loaded and used by --regen)' : ''} ${fmtMs(codegen.inProcessColdMs)}${codegen.inProcessWarmMs === undefined ? '' : `, second call ${fmtMs(codegen.inProcessWarmMs)}`} (${codegen.generatedFiles} files, ${codegen.diagnostics} diagnostics)`,
      );
    }
    if (codegen.watchPerFileMs !== undefined)
      log(`  --watch: one changed file regenerated in ${fmtMs(codegen.watchPerFileMs)} (median, a session over a copy of examples/challenge-exp-cos)`);
    if (codegen.error) log(`  ${codegen.error}`);
  }

  // files
  const outDir = path.join(root, 'bench-results');
  fs.mkdirSync(outDir, { recursive: true });
  const report: BenchReport = {
    date: new Date().toISOString(),
    mode: cfg.quick ? 'quick' : 'full',
    node: process.version,
    cpu: `${os.cpus()[0]?.model ?? 'unknown'} ×${os.cpus().length}`,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg(),
    settings: { timing: timingOpts, fdReps, tolGenerated: TOL_GEN, tolFd: TOL_FD },
    models: results,
    codegen,
    failures,
  };
  const jsonPath = path.join(outDir, 'bench.json');
  fs.writeFileSync(jsonPath, JSON.stringify(report, null, 2) + '\n');
  let svgNote = '';
  try {
    fs.writeFileSync(path.join(outDir, 'bench.svg'), await renderSvg(results));
    svgNote = ', bench-results/bench.svg';
  } catch (e) {
    svgNote = ` (SVG failed: ${errorMessage(e)})`;
  }
  log('');
  log(`wrote bench-results/bench.json${svgNote}`);

  const missed = results.flatMap((m) =>
    m.targets.filter((t) => t.met === false).map((t) => `${m.title}: ${t.what}`),
  );
  if (missed.length) log(`targets missed: ${missed.join('; ')}`);
  if (failures.length) {
    log('');
    log('!'.repeat(78));
    log(`BENCHMARK CHECKS FAILED (${failures.length}):`);
    for (const f of failures) log(`  ✗ ${f}`);
    log('!'.repeat(78));
    process.exitCode = 1;
  } else if (missed.length && flag('--strict')) {
    process.exitCode = 1;
  }
}

function check(
  model: string,
  checks: Check[],
  what: string,
  relDiff: number,
  tol: number,
  advisory = false,
) {
  const ok = relDiff <= tol;
  checks.push({ what, relDiff, tol, ok, advisory });
  const line = `  ${ok ? 'ok  ' : advisory ? 'warn' : 'FAIL'} ${what}: max rel diff ${relDiff.toExponential(2)} (tol ${tol.toExponential(0)})`;
  log(line);
  if (!ok && !advisory)
    failures.push(
      `${model}: ${what}: max rel diff ${relDiff.toExponential(2)} > ${tol.toExponential(0)}`,
    );
}

async function runCase(c: BenchCase): Promise<ModelResult> {
  log(`── ${c.title}, ${c.size}, ${c.paramCount} active inputs ──`);
  const checks: Check[] = [];
  const name = c.title;
  const gen = 'missing' in c.gen ? undefined : c.gen;
  if (!gen) log(`  adgen output not available: ${'missing' in c.gen ? c.gen.missing : ''}`);

  // ---- correctness ----
  const hand = flatten(c.hand.grad(), c.params);
  const primalValue = c.primal();
  check(
    name,
    checks,
    'hand-written value vs primal',
    relDiffScalar(hand.value, primalValue),
    1e-12,
  );
  if (gen) {
    try {
      const g = flatten(gen.grad(), c.params);
      check(
        name,
        checks,
        'adgen grad vs hand-written',
        relDiffGrouped(g.grad, hand.grad, c.params),
        TOL_GEN,
      );
      check(name, checks, 'adgen grad value vs primal', relDiffScalar(g.value, primalValue), 1e-12);
      const j = gen.jvp();
      check(
        name,
        checks,
        'adgen jvp vs hand-written grad·v',
        relDiffScalar(j.tangent, dot(hand.grad, c.direction)),
        TOL_GEN,
      );
      check(name, checks, 'adgen jvp value vs primal', relDiffScalar(j.value, primalValue), 1e-12);
    } catch (e) {
      failures.push(`${name}: adgen output threw: ${errorMessage(e)}`);
      log(`  FAIL adgen output threw: ${errorMessage(e)}`);
    }
  }
  const fdSubset = c.fdCoords.length < c.paramCount;
  {
    const fd = fdGradient(c.evalAt, c.theta, c.fdCoords);
    const ref = Float64Array.from(c.fdCoords, (i) => hand.grad[i]);
    check(
      name,
      checks,
      `central FD vs hand-written${fdSubset ? ` (${c.fdCoords.length} coordinates)` : ''}`,
      relDiffGrouped(fd, ref, [{ name: 'fd', length: fd.length }]),
      TOL_FD,
      true,
    );
  }
  let tfjsOk = true;
  if (useTfjs) {
    try {
      const t = c.tfjs.run();
      const ref = c.tfjs.refHand();
      check(
        name,
        checks,
        `tfjs grad vs hand-written (float32)${c.tfjs.note ? ' at tfjs size' : ''}`,
        relDiffGrouped(t.grad, ref.grad, c.params),
        c.tfjs.tol,
      );
      check(
        name,
        checks,
        'tfjs value vs hand-written (float32)',
        relDiffScalar(t.value, ref.value),
        c.tfjs.tol,
      );
      if (c.tfjs.refGen) {
        const rg = c.tfjs.refGen();
        check(
          name,
          checks,
          'adgen grad vs hand-written at tfjs size',
          relDiffGrouped(rg.grad, ref.grad, c.params),
          TOL_GEN,
        );
      }
    } catch (e) {
      tfjsOk = false;
      failures.push(`${name}: tfjs threw: ${errorMessage(e)}`);
      log(`  FAIL tfjs threw: ${errorMessage(e)}`);
    }
  }

  // ---- allocation / tape ----
  const alloc: ModelResult['alloc'] = {};
  const notes = [...c.notes];
  alloc.hand = countTypedArrayAllocations(c.hand.grad);
  let tapePeakBytes: number | undefined;
  if (gen) {
    // the hook reports a high-water mark of the module's shared tape; the checks above ran fGrad
    tapePeakBytes = gen.tapePeakBytes?.();
    if (tapePeakBytes !== undefined) {
      notes.push(`adgen tape high-water mark (adgenTapePeakBytes()): ${tapePeakBytes} B`);
    }
    alloc.genGrad = countTypedArrayAllocations(gen.grad);
    alloc.genJvp = countTypedArrayAllocations(gen.jvp);
    notes.push(
      `typed arrays allocated per call: adgen grad ${alloc.genGrad.bytes} B in ${alloc.genGrad.count} arrays (largest ${alloc.genGrad.largest} B), adgen jvp ${alloc.genJvp.bytes} B, hand-written ${alloc.hand.bytes} B`,
    );
  }
  let tapeScan: string[] = [];
  const adPath = path.join(root, 'scripts/bench/models', `${c.key}.ad.ts`);
  if (gen && fs.existsSync(adPath)) tapeScan = scanTape(fs.readFileSync(adPath, 'utf8'));
  for (const n of notes) log(`  ${n}`);
  if (tapeScan.length) {
    log(`  ${c.key}.ad.ts tape/allocation sites:`);
    for (const l of tapeScan.slice(0, 16)) log(`    ${l}`);
    if (tapeScan.length > 16) log(`    … ${tapeScan.length - 16} more (bench.json)`);
  }

  // ---- timing ----
  const fns: Record<string, () => unknown> = { primal: c.primal };
  if (gen) {
    fns.grad = gen.grad;
    fns.jvp = gen.jvp;
  }
  fns.hand = c.hand.grad;
  const timings: Record<string, Timing> = measureAll(fns, timingOpts);
  const fdT = measureAll(
    { fd: () => fdGradient(c.evalAt, c.theta, c.fdCoords) },
    { ...timingOpts, reps: fdReps, warmupCalls: 1, warmupMs: 0 },
  ).fd;
  const fdScale = c.paramCount / c.fdCoords.length;
  timings.fd = fdT;
  let tfjsMs: number | undefined;
  if (useTfjs && tfjsOk) {
    timings.tfjs = measureSlow(c.tfjs.run, c.tfjs.warmupCalls, c.tfjs.reps);
    tfjsMs = timings.tfjs.median * c.tfjs.scale;
  }
  c.tfjs.dispose();

  const ms = {
    primal: timings.primal.median,
    grad: timings.grad?.median,
    jvp: timings.jvp?.median,
    hand: timings.hand.median,
    fd: fdT.median * fdScale,
    tfjs: tfjsMs,
  };
  const div = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a / b;
  const ratios = {
    gradOverPrimal: div(ms.grad, ms.primal),
    jvpOverPrimal: div(ms.jvp, ms.primal),
    gradOverHand: div(ms.grad, ms.hand),
    handOverPrimal: ms.hand / ms.primal,
    tfjsOverGrad: div(ms.tfjs, ms.grad),
    fdOverGrad: div(ms.fd, ms.grad),
  };
  const target = (
    what: string,
    value: number | undefined,
    limit: number,
    sense: 'max' | 'min',
  ): Target => ({
    what,
    value,
    limit,
    sense,
    met: value === undefined ? undefined : sense === 'max' ? value <= limit : value >= limit,
  });
  const targets = [
    target('grad/primal', ratios.gradOverPrimal, c.targets.gradOverPrimal, 'max'),
    target('jvp/primal', ratios.jvpOverPrimal, 1.5, 'max'),
    target('grad/hand', ratios.gradOverHand, 1.25, 'max'),
    target('tfjs/grad', ratios.tfjsOverGrad, c.targets.tfjsSpeedup, 'min'),
  ];
  log(
    `  primal ${fmtMs(ms.primal)}, adgen grad ${fmtMs(ms.grad)}, adgen jvp ${fmtMs(ms.jvp)}, hand ${fmtMs(ms.hand)}, FD ${fmtMs(ms.fd)}, tfjs ${fmtMs(ms.tfjs)}`,
  );
  return {
    key: c.key,
    title: c.title,
    size: c.size,
    paramCount: c.paramCount,
    genMissing: 'missing' in c.gen ? c.gen.missing : undefined,
    ms,
    timings,
    fdNote: fdSubset
      ? `FD timed on ${c.fdCoords.length} of ${c.paramCount} coordinates (2 primal calls each), scaled ×${fdScale.toFixed(1)}`
      : '',
    tfjsNote: useTfjs ? (c.tfjs.note ? c.tfjs.note : '') : 'tfjs skipped (--no-tfjs)',
    ratios,
    targets,
    checks,
    alloc,
    tapePeakBytes,
    tapeScan,
    notes,
  };
}

await main();
