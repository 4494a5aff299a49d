/**
 * Bug-hunting tool for the random-program generator (not a test). fast-check stops at the first
 * failing file; this scans many files, groups every failing function by its (normalised)
 * message, and can reduce one failing function to a small program.
 *
 *   npx tsx test/helpers/scan-random-programs.ts [--seed 7] [--files 40]
 *       compile and check `--files` random files; print failures grouped by message
 *   npx tsx test/helpers/scan-random-programs.ts --seed 7 --files 40 --reduce 12:f3 [--match RE]
 *       greedily shrink function f3 of file 12 (statements removed, expressions replaced by
 *       their operands or leaves) while `adgen check` still fails with a message matching RE
 *
 * Files come from `fc.sample(fileArb(40), { numRuns: files, seed })`, so use the same --files
 * (and --deep) for the scan and the reduction. `--deep` nests deeper and writes longer bodies.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import { generate } from '../../packages/adgen/src/index.ts';
import { checkGenerated } from '../../packages/adgen/src/check/index.ts';
import { DEFAULT_DEPTH, fileArb, renderProgram, type FileAst, type FnAst } from './random-program.ts';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
};
const seed = Number(opt('seed', '7'));
const nFiles = Number(opt('files', '40'));
const depth = argv.includes('--deep') ? { expr: 4, stmt: 3, body: 10 } : DEFAULT_DEPTH;
const files = fc.sample(fileArb(40, depth), { numRuns: nFiles, seed });

/** Compiles and checks a program; returns one message per failing function (or diagnostic). */
async function failures(file: FileAst): Promise<{ name: string; message: string }[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'adgen-scan-'));
  const sources = Object.entries(renderProgram(file)).map(([name, text]) => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  });
  try {
    const gen = await generate(sources, { write: false });
    const errors = gen.diagnostics.filter((d) => d.category === 'error');
    if (errors.length > 0) return errors.map((d) => ({ name: `line ${d.line}`, message: `${d.code}: ${d.message}` }));
    const run = await checkGenerated(gen.files, { seed: 1 });
    return run.results
      .filter((r) => r.status === 'FAIL' && !r.messages.some((m) => m.includes('no valid point')))
      .map((r) => ({ name: r.name, message: r.messages.join(' | ') }));
  } catch (err) {
    return [{ name: '(compiler)', message: `threw ${String(err)}` }];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scan(): Promise<void> {
  const groups = new Map<string, string[]>();
  let functions = 0;
  for (const [i, file] of files.entries()) {
    functions += file.fns.length;
    for (const f of await failures(file)) {
      const key = f.message
        .replace(/\b(f|h|hs|hw)\d+/g, '$1N')
        .replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/g, '#')
        .slice(0, 200);
      groups.set(key, [...(groups.get(key) ?? []), `${i}:${f.name}`]);
    }
  }
  console.log(`${files.length} files, ${functions} functions, ${[...groups.values()].flat().length} failures`);
  for (const [key, where] of groups) console.log(`${where.length}× ${key}\n    ${where.slice(0, 8).join(' ')}`);
}

/** Every one-step simplification of a program fragment (fresh copies). */
function* simplifications<T>(fn: T): Generator<T> {
  const total = JSON.stringify(fn);
  // Enumerate edits by index: edit k is applied to a fresh copy; stop when none is left.
  for (let k = 0; ; k++) {
    const copy = structuredClone(fn);
    let seen = 0;
    let applied = false;
    const tryEdit = (apply: () => void): void => {
      if (!applied && seen++ === k) {
        apply();
        applied = true;
      }
    };
    const walk = (node: unknown, set: (v: unknown) => void): void => {
      if (Array.isArray(node)) {
        for (let i = 0; i < node.length; i++) {
          tryEdit(() => node.splice(i, 1));
          const s = node[i] as { k?: string; then?: unknown[]; else?: unknown[]; body?: unknown[] };
          if (s?.k === 'if') tryEdit(() => node.splice(i, 1, ...(s.then ?? []), ...(s.else ?? [])));
          if (s?.k === 'loop') tryEdit(() => node.splice(i, 1, ...(s.body ?? [])));
        }
        node.forEach((child, i) => walk(child, (v) => (node[i] = v)));
        return;
      }
      if (node === null || typeof node !== 'object') return;
      const n = node as Record<string, unknown> & { k?: string };
      const isExpr = ['read', 'int', 'un', 'bin', 'cond', 'call', 'acall', 'mconst'].includes(n.k ?? '');
      if (isExpr) {
        for (const key of ['a', 'b']) {
          const child = n[key] as { k?: string } | undefined;
          if (child && typeof child === 'object' && 'k' in child && !['cmp', 'and', 'or', 'not'].includes(child.k ?? '')) tryEdit(() => set(child));
        }
        tryEdit(() => set({ k: 'var', i: 0 }));
        tryEdit(() => set({ k: 'num', v: 2 }));
      }
      if (n.k === 'loop' && n.guard) tryEdit(() => (n.guard = null));
      if (n.k === 'if' && Array.isArray(n.else) && n.else.length > 0) tryEdit(() => (n.else = []));
      for (const key of Object.keys(n)) walk(n[key], (v) => (n[key] = v));
    };
    walk(copy, () => {});
    if (!applied) return;
    if (JSON.stringify(copy) !== total) yield copy;
  }
}

async function reduce(target: string, match: RegExp): Promise<void> {
  const [fileIndex, fnName] = target.split(':') as [string, string];
  const original = files[Number(fileIndex)];
  if (!original) throw new Error(`no file ${fileIndex}`);
  const index = Number(fnName.replace(/^f/, ''));
  // Other functions become trivial but keep their places, so names (and check's seeds) stay.
  const trivial: FnAst = { t: 0, arrow: false, check: null, body: [], ret: { k: 'num', v: 1 }, ret2: { k: 'num', v: 1 } };
  let ast: FileAst = { ...original, fns: original.fns.map((f, i) => (i === index ? f : trivial)) };
  const fails = async (a: FileAst): Promise<boolean> => (await failures(a)).some((f) => match.test(f.message));
  if (!(await fails(ast))) throw new Error(`${target} does not fail with ${match} on its own`);
  for (let progress = true; progress; ) {
    progress = false;
    // drop helpers one by one, then simplify the function
    for (let h = 0; h < ast.helpers.length && !progress; h++) {
      const candidate = { ...ast, helpers: ast.helpers.filter((_, i) => i !== h) };
      if (await fails(candidate)) [ast, progress] = [candidate, true];
    }
    const fn = ast.fns[index];
    if (!fn || progress) continue;
    for (const simpler of simplifications({ helpers: ast.helpers, fn })) {
      const candidate = { ...ast, helpers: simpler.helpers, fns: ast.fns.map((f, i) => (i === index ? simpler.fn : f)) };
      if (await fails(candidate)) {
        [ast, progress] = [candidate, true];
        break;
      }
    }
  }
  for (const [name, text] of Object.entries(renderProgram(ast))) {
    console.log(`// ---- ${name}\n${await prettier.format(text, { parser: 'typescript', singleQuote: true, printWidth: 100 })}`);
  }
}

const target = opt('reduce', '');
if (target) await reduce(target, new RegExp(opt('match', '.')));
else await scan();
