/**
 * `npm run bench:gpu`: the gradient of the exp-cos loss (SPEC §1) through `createLossGpu` — the
 * sum over samples and its adjoint as gpu.js kernels, single precision, terms added in float64 —
 * against the generated float64 CPU gradient `lossGrad`, for n = 10⁵, 10⁶, 10⁷ on every gpu.js
 * backend available here (cpu and webasm always; headlessgl where `gl` is built, see
 * scripts/ci-gpu-webgl.sh). Prints a table of medians and writes bench-results/gpu.json.
 *
 * The first call of each backend and size compiles the kernels; it is timed apart ("first") and
 * left out of the median. Reps shrink with n so the whole run takes a few minutes.
 * Options: --sizes 1e5,1e6 (default 1e5,1e6,1e7), --modes cpu,webasm (default: all available).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GPU } from 'gpu.js';
import { createLossGpu, lossGrad } from '../examples/challenge-exp-cos-gpu/model.ad.ts';

const arg = (name: string): string | undefined => {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 ? process.argv[k + 1] : undefined;
};
const SIZES = (arg('sizes') ?? '1e5,1e6,1e7').split(',').map(Number);
const AVAILABLE: [string, boolean][] = [
  ['cpu', true],
  ['webasm', GPU.isWebAssemblySupported],
  ['headlessgl', GPU.isHeadlessGLSupported],
];
const MODES = arg('modes')?.split(',') ?? AVAILABLE.filter(([, ok]) => ok).map(([m]) => m);
const repsFor = (n: number) => (n >= 1e7 ? 3 : n >= 1e6 ? 5 : 15);
const [W, B, P] = [0.5, 0.1, 1.2];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, c) => a - c);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (t: number) => (t >= 100 ? t.toFixed(0) : t >= 10 ? t.toFixed(1) : t.toFixed(2));

function data(n: number): { x: Float64Array; y: Float64Array } {
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < n; i++) {
    x[i] = 6 * rand() - 3;
    y[i] = Math.exp(0.8 * Math.cos(2.5 * x[i]!) + 0.2) + 0.05 * (rand() - 0.5);
  }
  return { x, y };
}

interface Row {
  n: number;
  backend: string;
  reps: number;
  firstMs: number;
  medianMs: number;
  cpuMs: number;
  /** GPU time / CPU time */
  ratio: number;
  /** largest |GPU − CPU| / |CPU| over the value and the three partial derivatives */
  relError: number;
}

async function main(): Promise<void> {
  console.log(`bench:gpu — exp-cos loss gradient, createLossGpu (gpu.js kernels) vs lossGrad (float64 CPU)`);
  console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; backends: ${MODES.join(', ')}${AVAILABLE.filter(([m, ok]) => !ok && !MODES.includes(m)).map(([m]) => ` (${m} not available)`).join('')}\n`);
  const rows: Row[] = [];
  for (const n of SIZES) {
    const { x, y } = data(n);
    const reps = repsFor(n);
    const cpuTimes: number[] = [];
    let want = lossGrad(W, B, P, x, y);
    for (let r = 0; r < reps; r++) {
      const t = performance.now();
      want = lossGrad(W, B, P, x, y);
      cpuTimes.push(performance.now() - t);
    }
    const cpuMs = median(cpuTimes);
    for (const mode of MODES) {
      const gpu = new GPU({ mode: mode as 'cpu' });
      const g = createLossGpu(gpu);
      let t = performance.now();
      let got = await g.lossGrad(W, B, P, x, y);
      const firstMs = performance.now() - t;
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        t = performance.now();
        got = await g.lossGrad(W, B, P, x, y);
        times.push(performance.now() - t);
      }
      const rel = (a: number, c: number) => Math.abs(a - c) / Math.abs(c);
      const relError = Math.max(rel(got.value, want.value), rel(got.grad.w, want.grad.w), rel(got.grad.b, want.grad.b), rel(got.grad.p, want.grad.p));
      const ran = g.kernels.backends.join('+');
      const row: Row = { n, backend: ran === mode ? mode : `${mode}→${ran}`, reps, firstMs, medianMs: median(times), cpuMs, ratio: median(times) / cpuMs, relError };
      rows.push(row);
      console.log(
        `n = ${n.toExponential(0).padEnd(4)}  ${row.backend.padEnd(11)} median ${ms(row.medianMs).padStart(7)} ms  (first ${ms(firstMs).padStart(7)} ms, ${reps} reps)   CPU ${ms(cpuMs).padStart(7)} ms   ×${row.ratio.toFixed(2).padStart(6)}   rel. error ${relError.toExponential(1)}`,
      );
      g.destroy();
      gpu.destroy();
    }
  }
  console.log('\n| n | backend | GPU gradient (median ms) | first call (ms) | CPU lossGrad (median ms) | GPU / CPU | max rel. error |');
  console.log('| --: | --- | --: | --: | --: | --: | --: |');
  for (const r of rows) console.log(`| ${r.n.toExponential(0)} | ${r.backend} | ${ms(r.medianMs)} | ${ms(r.firstMs)} | ${ms(r.cpuMs)} | ${r.ratio.toFixed(2)} | ${r.relError.toExponential(1)} |`);
  const out = path.resolve('bench-results', 'gpu.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, rows }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
}

await main();
process.exit(0);
