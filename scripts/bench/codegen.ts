/**
 * Code-generation timing: adgen on every example under examples/, (1) as a cold CLI process and
 * (2) in process through `generate(paths, { write: false })`, first call (cold: loads
 * TypeScript/ts-morph/prettier) and second call (warm); (3) what `adgen --watch` takes per
 * changed file: a session (the compiler --watch runs) regenerates one edited copy of an example.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GenerateOptions, GenerateResult } from '../../packages/adgen/src/api-types.ts';

export type GenerateFn = (paths: string[], options?: GenerateOptions) => Promise<GenerateResult>;

export async function loadGenerate(root: string): Promise<GenerateFn> {
  // not a literal specifier: the compiler may not exist yet when this harness type-checks
  const spec = path.join(root, 'packages/adgen/src/index.ts');
  const mod = (await import(spec)) as { generate?: GenerateFn };
  if (typeof mod.generate !== 'function')
    throw new Error('packages/adgen/src/index.ts exports no generate()');
  return mod.generate;
}

export interface CodegenReport {
  files: number;
  sourceLines: number;
  cli?: { ms: number; exitCode: number | null; message: string };
  /** time to import the compiler module in this process (TypeScript, ts-morph, prettier) */
  importMs?: number;
  inProcessColdMs?: number;
  inProcessWarmMs?: number;
  generatedFiles?: number;
  diagnostics?: number;
  /** median time of a --watch session to regenerate one changed file */
  watchPerFileMs?: number;
  error?: string;
}

export function exampleSources(root: string): string[] {
  const dir = path.join(root, 'examples');
  const out: string[] = [];
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && e.name !== 'node_modules') walk(p);
      else if (e.isFile() && e.name.endsWith('.ts') && !/\.(ad|d)\.ts$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

export async function timeCodegen(
  root: string,
  preloaded: GenerateFn | undefined,
  quick = false,
): Promise<CodegenReport> {
  const files = exampleSources(root);
  const rep: CodegenReport = {
    files: files.length,
    sourceLines: files.reduce((s, f) => s + fs.readFileSync(f, 'utf8').split('\n').length, 0),
  };
  if (files.length === 0) {
    rep.error = 'examples/ has no .ts sources yet';
    return rep;
  }
  // (1) a cold CLI process (full mode only)
  if (!quick) rep.cli = timeCli(root);
  // (2) in process: import, first call, second call (full mode only)
  let generate = preloaded;
  if (!generate) {
    try {
      const t0 = performance.now();
      generate = await loadGenerate(root);
      rep.importMs = performance.now() - t0;
    } catch (e) {
      rep.error = e instanceof Error ? e.message.split('\n')[0] : String(e);
    }
  }
  if (generate) {
    try {
      let t0 = performance.now();
      const res = await generate(files, { write: false });
      rep.inProcessColdMs = performance.now() - t0;
      if (!quick) {
        t0 = performance.now();
        await generate(files, { write: false });
        rep.inProcessWarmMs = performance.now() - t0;
      }
      rep.generatedFiles = res.files.length;
      rep.diagnostics = res.diagnostics.length;
    } catch (e) {
      rep.error = e instanceof Error ? e.message.split('\n')[0] : String(e);
    }
    try {
      rep.watchPerFileMs = await timeWatch(root, quick ? 3 : 7);
    } catch (e) {
      rep.error = e instanceof Error ? e.message.split('\n')[0] : String(e);
    }
  }
  return rep;
}

/**
 * `adgen --watch` after an edit: a session over a copy of one example (in bench-results/, so the
 * tree is untouched and `@adgen/runtime` still resolves) regenerates the edited file.
 */
async function timeWatch(root: string, edits: number): Promise<number> {
  const spec = path.join(root, 'packages/adgen/src/index.ts');
  const { createSession } = (await import(spec)) as { createSession: () => { generate: GenerateFn; affected: (changed: string[], watched: string[]) => string[] } };
  const dir = path.join(root, 'bench-results', 'watch');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'model.ts');
  const source = fs.readFileSync(path.join(root, 'examples/challenge-exp-cos/model.ts'), 'utf8');
  try {
    fs.writeFileSync(file, source);
    const session = createSession();
    await session.generate([file], { write: false });
    const times: number[] = [];
    for (let k = 0; k < edits; k++) {
      fs.writeFileSync(file, `${source}\n// edit ${k}\n`);
      const t0 = performance.now();
      const res = await session.generate(session.affected([file], [file]), { write: false });
      times.push(performance.now() - t0);
      if (res.diagnostics.some((d) => d.category === 'error') || res.files.length !== 1) throw new Error('watch timing: the example copy did not regenerate cleanly');
    }
    times.sort((a, b) => a - b);
    return times[times.length >> 1]!;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `adgen` on a copy of examples/ in a fresh process (the tree is untouched; the copy sits under
 * bench-results/ so that imports of the runtime package resolve, and each model.ad.ts is written
 * beside its model.ts as in the real tree).
 */
function timeCli(root: string): CodegenReport['cli'] {
  const outDir = path.join(root, 'bench-results', 'cli-examples');
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.cpSync(path.join(root, 'examples'), outDir, { recursive: true });
  try {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [path.join(root, 'packages/adgen/bin/adgen.js'), outDir, '--quiet'],
      { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    );
    const ms = performance.now() - t0;
    const lines = `${r.stdout ?? ''}${r.stderr ?? ''}`
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const message = lines.find((l) => /error/i.test(l)) ?? lines[lines.length - 1] ?? '';
    return { ms, exitCode: r.status, message };
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}
