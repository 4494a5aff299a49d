/**
 * Loads generated modules without touching the user's tree: the generated texts and copies of
 * the sources they need are written to a fresh temporary directory (under `os.tmpdir()`),
 * keeping their relative layout so that relative imports between them still resolve, and are
 * imported from there with tsx. The directory is removed by `dispose()`.
 *
 * Relative imports (`./helpers.ts`, `../lib/math.js`) of every staged file are followed and the
 * files they name copied too. Bare imports (`@adgen/runtime`) resolve through a symbolic link to
 * the nearest `node_modules` above the sources, and tsx's tsconfig lookup (`paths`) still works
 * because it maps to absolute locations. The nearest `package.json`'s `"type"` is mirrored so
 * modules load as ESM or CommonJS exactly as they would in place. The check's worker thread
 * (sandbox.ts) imports them with tsx's `tsImport`, from the URLs `url()` gives.
 */

import { existsSync, rmSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** A file to stage: a generated text (in memory) or a source read from disk. */
export interface StageInput {
  /** absolute path the file has (or would have) in the user's tree */
  path: string;
  /** its text; read from disk when undefined */
  text?: string;
}

export interface Staged {
  /** the temporary directory */
  dir: string;
  /** file URL of the staged copy of the file at original absolute path `p` */
  url(p: string): string;
  /** removes the temporary directory */
  dispose(): Promise<void>;
  /** the same, synchronously (from a signal handler) */
  disposeSync(): void;
}

/** At most this many files are copied when following relative imports. */
const MAX_FILES = 2000;

const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])(\.{1,2}\/[^'"\n]*)\1/g;

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Resolves a relative import specifier the way TypeScript's bundler resolution does. */
function resolveImport(fromFile: string, spec: string, virtual: ReadonlyMap<string, string>): string | undefined {
  const base = path.resolve(path.dirname(fromFile), spec);
  const candidates = [
    base,
    `${base}.ts`,
    `${base}.tsx`,
    `${base}.mts`,
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.jsx$/, '.tsx'),
    base.replace(/\.mjs$/, '.mts'),
    path.join(base, 'index.ts'),
  ];
  return candidates.find((c) => virtual.has(c)) ?? candidates.find(isFile);
}

/** Deepest directory containing every path. */
export function commonDir(paths: readonly string[]): string {
  const dirs = paths.map((p) => path.dirname(path.resolve(p)).split(path.sep));
  let common = dirs[0] ?? [];
  for (const d of dirs.slice(1)) {
    let i = 0;
    while (i < common.length && i < d.length && common[i] === d[i]) i++;
    common = common.slice(0, i);
  }
  return common.join(path.sep) || path.sep;
}

/** First directory at or above `dir` that holds `name`. */
function findUp(dir: string, name: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const p = path.join(d, name);
    if (existsSync(p)) return p;
    if (path.dirname(d) === d) return undefined;
  }
}

/** Writes the inputs and their relative imports to a temporary directory. */
export async function stage(inputs: readonly StageInput[]): Promise<Staged> {
  const virtual = new Map<string, string>();
  for (const f of inputs) if (f.text !== undefined) virtual.set(path.resolve(f.path), f.text);

  // Collect the files: the inputs, then whatever they import relatively, transitively.
  const texts = new Map<string, string>();
  const queue = inputs.map((f) => path.resolve(f.path));
  while (queue.length > 0 && texts.size < MAX_FILES) {
    const p = queue.shift() ?? '';
    if (texts.has(p)) continue;
    const text = virtual.get(p) ?? (await readFile(p, 'utf8'));
    texts.set(p, text);
    for (const m of text.matchAll(IMPORT_RE)) {
      const dep = resolveImport(p, m[2] ?? '', virtual);
      if (dep && !texts.has(dep)) queue.push(dep);
    }
  }

  const root = commonDir([...texts.keys()]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'adgen-check-'));
  const where = (p: string): string => path.join(dir, path.relative(root, path.resolve(p)));
  try {
    for (const [p, text] of texts) {
      await mkdir(path.dirname(where(p)), { recursive: true });
      await writeFile(where(p), text);
    }
    const nodeModules = findUp(root, 'node_modules');
    if (nodeModules && !texts.has(path.join(root, 'node_modules'))) {
      await symlink(nodeModules, path.join(dir, 'node_modules'), 'junction');
    }
    const pkg = findUp(root, 'package.json');
    let type: unknown;
    if (pkg) {
      try {
        type = (JSON.parse(await readFile(pkg, 'utf8')) as { type?: unknown }).type;
      } catch {
        type = undefined;
      }
    }
    await writeFile(path.join(dir, 'package.json'), JSON.stringify(typeof type === 'string' ? { type } : {}));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    dir,
    url: (p: string) => pathToFileURL(where(p)).href,
    async dispose() {
      await rm(dir, { recursive: true, force: true });
    },
    disposeSync() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
