/**
 * Property-based test: random programs in the differentiable language (test/helpers/random-program.ts)
 * are compiled by adgen and every generated derivative is checked with the `adgen check` machinery
 * (finite differences + the dot-product test between forward and reverse mode).
 *
 * Runs `RANDOM_PROGRAMS_RUNS` files (default 60, over 1,000 functions: files hold 1-40 functions
 * each, because compiling and formatting costs per file) from the fixed seed
 * `RANDOM_PROGRAMS_SEED`. On a failure fast-check shrinks the program and the error shows the
 * smallest failing program; keep it under test/fixtures/regressions/ (checked by the last test).
 *
 * A function whose *primal* has no valid point (NaN everywhere, or a kink at every draw) says
 * nothing about the compiler; those are counted, not failed, and must stay rare.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import type { GenerateOptions, GenerateResult } from '../packages/adgen/src/api-types.ts';
import { checkGenerated, runCheck } from '../packages/adgen/src/check/index.ts';
import { fileArb, renderProgram, type FileAst } from './helpers/random-program.ts';

const SEED = Number(process.env.RANDOM_PROGRAMS_SEED ?? 20250601);
const RUNS = Number(process.env.RANDOM_PROGRAMS_RUNS ?? 60);
const MAX_FUNCTIONS_PER_FILE = 40;
const here = path.dirname(fileURLToPath(import.meta.url));
const regressions = path.join(here, 'fixtures', 'regressions');

type Generate = (paths: string[], opts?: GenerateOptions) => Promise<GenerateResult>;

interface Stats {
  files: number;
  functions: number;
  passed: number;
  noValidPoint: number;
}

/** Pretty program text for failure messages (the renderer's output is fully parenthesised). */
async function pretty(text: string): Promise<string> {
  try {
    return await prettier.format(text, { parser: 'typescript', printWidth: 100, singleQuote: true });
  } catch {
    return text;
  }
}

/** Names the compiler must report as units: functions f0… and the tagged (exported) helpers. */
function expectedUnits(text: string): string[] {
  return [...text.matchAll(/@differentiable[^/]*?\*\/\nexport (?:function|const) (\w+)/g)].map((m) => m[1] ?? '');
}

/** Compiles and checks one random program; throws (with the program text) on any failure. */
async function checkProgram(generate: Generate, file: FileAst, stats: Stats | null): Promise<void> {
  const texts = renderProgram(file);
  const all = Object.values(texts).join('\n');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'adgen-random-'));
  const sources = Object.entries(texts).map(([name, text]) => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  });
  const problems: string[] = [];
  try {
    let gen: Awaited<ReturnType<Generate>>;
    try {
      gen = await generate(sources, { write: false });
    } catch (err) {
      problems.push(`the compiler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      throw new Error(await report(problems, texts));
    }
    for (const d of gen.diagnostics) {
      if (d.category === 'error') problems.push(`${path.basename(d.file)}:${d.line}:${d.column} - error ${d.code}: ${d.message}`);
    }
    const units = new Set(gen.files.flatMap((f) => f.units.map((u) => u.name)));
    const missing = expectedUnits(all).filter((n) => !units.has(n));
    if (problems.length === 0 && missing.length > 0) problems.push(`no generated exports for ${missing.join(', ')}`);
    if (problems.length === 0) {
      const run = await checkGenerated(gen.files, { seed: 1 });
      for (const r of run.results) {
        const noPoint = r.messages.some((m) => m.includes('no valid point'));
        if (r.status === 'FAIL' && !noPoint) problems.push(`${r.name}: ${r.messages.join('\n    ')}`);
        if (stats) {
          stats.functions++;
          if (r.status === 'PASS') stats.passed++;
          if (noPoint) stats.noValidPoint++;
        }
      }
    }
    if (stats) stats.files++;
    if (problems.length > 0) throw new Error(await report(problems, texts));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function report(problems: readonly string[], texts: Record<string, string>): Promise<string> {
  const files = await Promise.all(Object.entries(texts).map(async ([name, text]) => `--- ${name} ---\n${await pretty(text)}`));
  return `${problems.join('\n')}\n\n${files.join('\n')}`;
}

test(`random programs: ${RUNS} files from seed ${SEED} differentiate correctly`, async () => {
  const { generate } = (await import('../packages/adgen/src/index.ts')) as { generate: Generate };
  const stats: Stats = { files: 0, functions: 0, passed: 0, noValidPoint: 0 };
  let shrinking = false;
  await fc.assert(
    fc.asyncProperty(fileArb(MAX_FUNCTIONS_PER_FILE), async (file) => {
      try {
        await checkProgram(generate, file, shrinking ? null : stats);
      } catch (err) {
        shrinking = true; // later runs are fast-check's shrinking: do not count them
        throw err;
      }
    }),
    { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
  );
  console.log(
    `  random programs: ${stats.files} files, ${stats.functions} functions checked, ${stats.passed} passed, ` +
      `${stats.noValidPoint} without a valid point (primal NaN or non-smooth everywhere)`,
  );
  if (RUNS >= 60 && !process.env.RANDOM_PROGRAMS_SEED) assert.ok(stats.functions >= 1000, `only ${stats.functions} functions`);
  assert.ok(stats.noValidPoint <= 0.05 * stats.functions, `${stats.noValidPoint} of ${stats.functions} functions had no valid point`);
});

test('regressions: every program in test/fixtures/regressions passes adgen check', async () => {
  const sources = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.ad.ts'));
  // a folder is a group of files checked in one run (the bug needed them together)
  const groups = readdirSync(regressions, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  const files = [...sources(regressions), ...groups].sort();
  const failures: string[] = [];
  for (const f of files) {
    const paths = groups.includes(f) ? sources(path.join(regressions, f)).map((g) => path.join(regressions, f, g)) : [path.join(regressions, f)];
    const run = await runCheck(paths, { progress: () => {} });
    if (!run.ok || run.results.length === 0) failures.push(`${f}:\n${run.output}`);
  }
  assert.ok(failures.length === 0, `${failures.length} of ${files.length} regression programs fail:\n\n${failures.join('\n')}`);
});

test.run();
