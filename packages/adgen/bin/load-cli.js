/**
 * Loads the CLI. The compiler is written in TypeScript; running it through tsx's loader costs
 * about 1.4 s of a cold run (on-the-fly transforms and `__name` wrappers on every function), so
 * the CLI runs from one esbuild bundle in `dist/`, rebuilt (≈50 ms) whenever a source file is
 * newer than it. Where the bundle cannot be built or written (a read-only install), tsx runs the
 * sources directly, as before.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const srcDir = path.join(root, 'src');
// the bundle mirrors src/cli/main.ts's place, so its `../../package.json` is still this package's
const bundle = path.join(root, 'dist', 'cli', 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  try {
    // this file holds the build options: a change here rebuilds too
    return fs.statSync(bundle).mtimeMs >= Math.max(newestSource(srcDir), fs.statSync(fileURLToPath(import.meta.url)).mtimeMs);
  } catch {
    return false;
  }
}

/**
 * ts-morph (with its TypeScript) is CommonJS: imported from an ES module, Node first scans its
 * source for export names (cjs-module-lexer, ≈0.3 s of a cold run); `require` skips that.
 */
const requireTsMorph = {
  name: 'require-ts-morph',
  setup(build) {
    build.onResolve({ filter: /^ts-morph$/ }, (args) =>
      args.namespace === 'require-ts-morph' ? { path: 'ts-morph', external: true } : { path: 'ts-morph', namespace: 'require-ts-morph' },
    );
    build.onLoad({ filter: /.*/, namespace: 'require-ts-morph' }, () => ({ contents: "module.exports = require('ts-morph');", loader: 'js' }));
  },
};

async function buildBundle() {
  const esbuild = await import('esbuild');
  // another adgen process may be building too: write aside, then rename (atomic)
  const tmp = `${bundle}.${process.pid}.tmp`;
  await esbuild.build({
    entryPoints: [path.join(srcDir, 'cli', 'main.ts')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    plugins: [requireTsMorph],
    banner: { js: "import { createRequire as _createRequire } from 'node:module';\nconst require = _createRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  fs.renameSync(tmp, bundle);
}

/** The CLI's `main`, from the bundle when it can be had, else from the sources through tsx. */
export async function loadCli() {
  if (process.env.ADGEN_FROM_SOURCE !== '1') {
    try {
      if (!bundleIsFresh()) await buildBundle();
      return (await import(pathToFileURL(bundle).href)).main;
    } catch {
      // fall through to the sources
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/cli/main.ts')).main;
}
