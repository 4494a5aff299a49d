/**
 * The `adgen` command line. The only module that reads argv, talks to the terminal or decides
 * exit codes: 0 success, 1 diagnostics or failed checks, 2 usage errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSession, generate, type Session } from '../pipeline.ts';
import { formatDiagnostics } from '../diagnostics/format.ts';

const USAGE = `Usage:
  adgen <file|dir|glob>…  [--out-dir DIR] [--watch] [--check] [--quiet]
  adgen check <file>…     [--json] [--quiet] [--timeout S]

Writes model.ad.ts beside each model.ts with fGrad, fVjp, fJvp and fJacobian for every
@differentiable function. 'adgen check' compares them with finite differences.

Options:
  --out-dir DIR   write generated files into DIR
  --watch         regenerate when an input changes
  --check         after generating, run 'adgen check' on the inputs
  --quiet         print only diagnostics and failed checks
  --json          (check) print results as JSON
  --timeout S     (check) seconds one function's check may take before it FAILs (default 120)
  --help          show this help
  --version       show the version`;

interface Args {
  command: 'generate' | 'check';
  inputs: string[];
  outDir?: string;
  watch: boolean;
  check: boolean;
  quiet: boolean;
  json: boolean;
  /** seconds per function for check (--timeout) */
  timeout?: number;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args | 'help' | 'version' {
  const args: Args = { command: 'generate', inputs: [], watch: false, check: false, quiet: false, json: false };
  const rest = [...argv];
  if (rest[0] === 'check') {
    args.command = 'check';
    rest.shift();
  }
  while (rest.length > 0) {
    const a = rest.shift()!;
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--version' || a === '-v') return 'version';
    if (a === '--watch') args.watch = true;
    else if (a === '--check') args.check = true;
    else if (a === '--quiet' || a === '-q') args.quiet = true;
    else if (a === '--json') args.json = true;
    else if (a === '--out-dir' || a.startsWith('--out-dir=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : rest.shift();
      if (!v || v.startsWith('-')) throw new UsageError('--out-dir needs a directory');
      args.outDir = v;
    } else if (a === '--timeout' || a.startsWith('--timeout=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : rest.shift();
      const seconds = Number(v);
      if (!v || !Number.isFinite(seconds) || seconds <= 0) throw new UsageError('--timeout needs a number of seconds');
      args.timeout = seconds;
    } else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
    else args.inputs.push(a);
  }
  if (args.inputs.length === 0) throw new UsageError('no input files');
  if (args.command === 'check' && (args.outDir !== undefined || args.watch || args.check)) throw new UsageError("'adgen check' takes files and --json / --quiet / --timeout only (it generates in memory)");
  if (args.json && args.command === 'generate' && !args.check) throw new UsageError("--json goes with 'adgen check' or --check");
  if (args.timeout !== undefined && args.command === 'generate' && !args.check) throw new UsageError("--timeout goes with 'adgen check' or --check");
  return args;
}

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const interactive = () => process.stdout.isTTY === true && !process.env['CI'];

async function runGenerate(args: Args, session?: Session): Promise<number> {
  const started = performance.now();
  const run = session ? session.generate : generate;
  const result = await run(args.inputs, { ...(args.outDir ? { outDir: args.outDir } : {}) });
  if (result.diagnostics.length > 0) process.stderr.write(formatDiagnostics(result.diagnostics, process.cwd()) + '\n');
  // warnings (a loop that stays on the CPU) are printed; only errors fail the run, after the
  // files without errors are listed (they were written)
  const failed = result.diagnostics.some((d) => d.category === 'error');
  // with --check --json, stdout is the JSON report alone
  if (!args.quiet && !args.json && (!failed || result.files.length > 0)) {
    for (const f of result.files) {
      const fns = f.units.map((u) => u.name).join(', ');
      process.stdout.write(`${path.relative(process.cwd(), f.outPath)}  (${fns || 'helpers only'})\n`);
    }
    process.stdout.write(`adgen: ${result.files.length} file${result.files.length === 1 ? '' : 's'} in ${Math.round(performance.now() - started)} ms\n`);
  }
  if (failed) return 1;
  if (args.check) return runCheck({ ...args, command: 'check' });
  return 0;
}

async function runCheck(args: Args): Promise<number> {
  const { runCheck: check } = await import('../check/index.ts');
  const progress = interactive() ? (msg: string) => process.stderr.write(`\r\x1b[K${msg}`) : () => {};
  const r = await check(args.inputs, {
    json: args.json,
    quiet: args.quiet,
    progress,
    cwd: process.cwd(),
    ...(args.timeout !== undefined ? { timeout: args.timeout } : {}),
  });
  if (interactive()) process.stderr.write('\r\x1b[K');
  if (r.output !== '') process.stdout.write(r.output.endsWith('\n') ? r.output : r.output + '\n');
  return r.ok ? 0 : 1;
}

async function watch(args: Args): Promise<number> {
  const session = createSession();
  const { expandInputs } = await import('../pipeline.ts');
  const { DiagnosticBag } = await import('../diagnostics/diagnostic.ts');
  const files = expandInputs(args.inputs, new DiagnosticBag());
  let running = false;
  // files changed since the last run; null: regenerate everything (the first run)
  let pending: Set<string> | null = null;
  const run = async () => {
    if (running) return;
    running = true;
    do {
      const changed = pending;
      pending = new Set();
      // only what changed and what imports it: a change costs one file, not the whole tree
      const inputs = changed === null ? args.inputs : session.affected([...changed], files);
      const started = performance.now();
      try {
        const code = await runGenerate({ ...args, inputs, quiet: true }, session);
        const ms = Math.round(performance.now() - started);
        const what = changed === null ? '' : ` ${inputs.length} file${inputs.length === 1 ? '' : 's'}`;
        process.stdout.write(code === 0 ? `[adgen] regenerated${what} in ${ms} ms\n` : `[adgen] errors; waiting for changes\n`);
      } catch (err) {
        process.stderr.write(`[adgen] internal error: ${(err as Error).message}\n`);
      }
    } while (pending.size > 0);
    running = false;
  };
  const watching = new Set<string>();
  // the inputs, and the imported files whose derivatives the runs also write
  const watchAll = () => {
    for (const f of [...files, ...session.sources()]) {
      const key = path.resolve(f);
      if (watching.has(key)) continue;
      watching.add(key);
      if (!files.some((g) => path.resolve(g) === key)) files.push(key);
      fs.watchFile(key, { interval: 200 }, () => {
        (pending ??= new Set()).add(key);
        void run().then(watchAll);
      });
    }
  };
  await run();
  watchAll();
  process.stdout.write(`[adgen] watching ${files.length} file${files.length === 1 ? '' : 's'}\n`);
  return await new Promise<number>(() => {});
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`adgen: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (args === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (args === 'version') {
    process.stdout.write(version() + '\n');
    return 0;
  }
  try {
    if (args.command === 'check') return await runCheck(args);
    if (args.watch) return await watch(args);
    return await runGenerate(args);
  } catch (err) {
    process.stderr.write(`adgen: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
