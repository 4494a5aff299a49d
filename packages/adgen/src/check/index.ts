/**
 * `adgen check`: proves generated derivatives against finite differences.
 *
 * Input: source paths (`runCheck`) or already generated files (`checkGenerated`, which tests use
 * to feed a deliberately corrupted text). Output: one `CheckResult` per differentiable function
 * and the report as text or JSON. Nothing is written to the user's tree: `generate` runs with
 * `write: false`, and the generated modules are loaded from a temporary copy (stage.ts).
 *
 * For every function in `units`, at several random points (evaluate.ts has the method and the
 * tolerances): reverse mode (`fGrad`, `fVjp` with a random cotangent) and forward mode (`fJvp`
 * with a random tangent) against central finite differences, `fJacobian` likewise, and the
 * dot-product test ⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩ between the two modes.
 *
 * Sizes and ranges of the random inputs come from the `@check` JSDoc tag:
 *
 * ```text
 * @check <clause>, <clause>, …
 * clause := target [':' size] ['in' '[' lo ',' hi ']']  |  target '=' value
 * target := a parameter name | '*' (every parameter without a clause of its own)
 *
 * @check x: 100, y: 100            arrays x and y have 100 elements
 * @check w in [-1, 1]              draw w uniformly from [-1, 1]
 * @check x: 50 in [0, 2]           both
 * @check n = 4, A: 16              a size parameter (excluded by @wrt) and a flat 4×4 matrix
 * @check * in [0.5, 2]             positive values everywhere
 * ```
 *
 * Defaults: arrays have 5 elements, values are uniform in [-1, 1], a number parameter that is not
 * active (excluded by `@wrt`, typically a size or an index) is 3. A point where the function is
 * NaN, infinite or throws (the log of a negative draw) is drawn again, then from [0.1, 1] and
 * [1.1, 2]; when arrays of 5 give no valid point, capitalised arrays (matrices: A, W) get n² and
 * the others n elements, n = 3 then 5. An `@out` array without a size gets as many elements as
 * the function writes at the first point (a probe run, evaluate.ts). check-tag.ts has the full
 * grammar.
 *
 * The functions run in a worker thread (sandbox.ts), one at a time: a function whose check takes
 * longer than `timeout` seconds FAILs, and the next one gets a fresh worker.
 *
 * `stopGradient` (from `@adgen/runtime`) is a constant to the finite differences as well: the
 * staged sources get a version that replays, at perturbed points, the values it returned at the
 * point itself (stop-gradient.ts).
 */

import type { Diagnostic, GeneratedFile } from '../api-types.ts';
import { DEFAULT_POINTS, emptyResult, type CheckResult } from './evaluate.ts';
import { formatJson, formatText } from './report.ts';
import { CheckSandbox, DEFAULT_TIMEOUT_S } from './sandbox.ts';
import { commonDir, stage } from './stage.ts';

export type { CheckResult } from './evaluate.ts';
export { TOLERANCES, checkUnit } from './evaluate.ts';
export { parseCheckTags } from './check-tag.ts';

export interface CheckOptions {
  /** print JSON instead of the text table */
  json?: boolean;
  /** receives progress messages ("checking loss (2/5)"); the CLI shows them on a TTY only */
  progress?: (msg: string) => void;
  /** seed of the random points (default 1): the same seed gives the same points */
  seed?: number;
  /** random points per function (default 3) */
  points?: number;
  /** directory that paths in the report are relative to (default: the sources' common folder) */
  cwd?: string;
  /** text report: diagnostics and failing functions only (nothing when every function passes) */
  quiet?: boolean;
  /** seconds one function's check may take before it FAILs (default 120; sandbox.ts) */
  timeout?: number;
}

export interface CheckRun {
  /** the report, text or JSON, ending in a newline */
  output: string;
  /** false when a function failed or generation reported an error */
  ok: boolean;
  results: CheckResult[];
}

/**
 * Generates derivatives for `paths` in memory and checks every differentiable function.
 * Diagnostics from generation are part of the report (and make `ok` false).
 */
export async function runCheck(paths: string[], opts: CheckOptions = {}): Promise<CheckRun> {
  // Imported lazily: the public index re-exports this module, so a static import would be a cycle.
  const { generate } = await import('../index.ts');
  opts.progress?.(`generating derivatives for ${paths.length} path${paths.length === 1 ? '' : 's'}`);
  const generated = await generate(paths, { write: false });
  return checkGenerated(generated.files, opts, generated.diagnostics);
}

/**
 * Checks already generated files (their `text` is what gets loaded, so a test can corrupt it).
 * The sources are read from `sourcePath`.
 */
export async function checkGenerated(
  files: readonly GeneratedFile[],
  opts: CheckOptions = {},
  diagnostics: readonly Diagnostic[] = [],
): Promise<CheckRun> {
  const seed = opts.seed ?? 1;
  const points = opts.points ?? DEFAULT_POINTS;
  const results: CheckResult[] = [];
  const total = files.reduce((n, f) => n + f.units.length, 0);
  if (files.length > 0 && total > 0) {
    opts.progress?.(`loading ${files.length} generated module${files.length === 1 ? '' : 's'}`);
    const staged = await stage(files.flatMap((f) => [{ path: f.outPath, text: f.text }, { path: f.sourcePath }]));
    const sandbox = new CheckSandbox((opts.timeout ?? DEFAULT_TIMEOUT_S) * 1000);
    // Ctrl-C or a kill during the check: remove the staged copies before exiting as the signal would
    const onSignal = (signal: NodeJS.Signals): void => {
      staged.disposeSync();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      let done = 0;
      for (const file of files) {
        const urls = { generatedUrl: staged.url(file.outPath), sourceUrl: staged.url(file.sourcePath) };
        let loadError: string | undefined;
        for (const unit of file.units) {
          done++;
          if (loadError !== undefined) {
            results.push(failed(unit, loadError));
            continue;
          }
          opts.progress?.(`checking ${unit.name} (${done}/${total})`);
          const outcome = await sandbox.run({ unit, ...urls, seed, points });
          if (outcome.kind === 'result') results.push(outcome.result);
          else if (outcome.kind === 'load-error') {
            loadError = `FAIL: could not load ${file.outPath}: ${outcome.message}`;
            results.push(failed(unit, loadError));
          } else if (outcome.kind === 'timeout' && outcome.loading) {
            // the file's other functions would wait as long again
            loadError = `FAIL: ${file.outPath} or its source did not finish loading`;
            results.push(failed(unit, loadError));
          } else if (outcome.kind === 'timeout') {
            results.push(failed(unit, `FAIL: not finished after ${opts.timeout ?? DEFAULT_TIMEOUT_S} s (a loop that never ends at a random point? narrow the inputs with @check, or raise --timeout)`));
          } else results.push(failed(unit, `FAIL: the check stopped: ${outcome.message}`));
        }
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await sandbox.dispose();
      await staged.dispose();
    }
  }
  const ok = results.every((r) => r.status !== 'FAIL') && diagnostics.every((d) => d.category !== 'error');
  const base = opts.cwd ?? commonDir(files.length > 0 ? files.map((f) => f.sourcePath) : diagnostics.map((d) => d.file));
  const ctx = { seed, points, base, diagnostics, quiet: opts.quiet === true };
  const output = opts.json ? formatJson(results, ctx, ok) : formatText(results, ctx);
  return { output, ok, results };
}

function failed(unit: GeneratedFile['units'][number], message: string): CheckResult {
  return emptyResult(unit, 'FAIL', [message]);
}
