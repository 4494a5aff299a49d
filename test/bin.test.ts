/**
 * The `adgen` binary runs the compiler from an esbuild bundle (bin/load-cli.js) that it rebuilds
 * when a source is newer, and from the sources through tsx when asked or when it must. Both ways
 * must generate the same files.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'packages', 'adgen', 'bin', 'adgen.js');
const bundle = path.join(root, 'packages', 'adgen', 'dist', 'cli', 'main.js');
const version = (JSON.parse(readFileSync(path.join(root, 'packages', 'adgen', 'package.json'), 'utf8')) as { version: string }).version;

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true', ...env }, timeout: 120_000 });
}

function newestSource(dir: string): number {
  return Math.max(...readdirSync(dir, { withFileTypes: true }).map((d) => (d.isDirectory() ? newestSource(path.join(dir, d.name)) : statSync(path.join(dir, d.name)).mtimeMs)));
}

test('a bundle older than the sources is rebuilt before it runs', () => {
  if (existsSync(bundle)) utimesSync(bundle, new Date(0), new Date(0));
  const r = run(['--version']);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), version);
  assert.ok(statSync(bundle).mtimeMs >= newestSource(path.join(root, 'packages', 'adgen', 'src')), 'bundle not rebuilt');
});

test('the bundle and the sources generate the same files', () => {
  const dirs = ['bundle', 'source'].map((k) => mkdtempSync(path.join(os.tmpdir(), `adgen-bin-${k}-`)));
  try {
    const input = path.join(root, 'test', 'fixtures', 'lang', 'calls.ts');
    const fromBundle = run([input, '--out-dir', dirs[0]!, '--quiet']);
    const fromSource = run([input, '--out-dir', dirs[1]!, '--quiet'], { ADGEN_FROM_SOURCE: '1' });
    assert.is(fromBundle.status, 0, fromBundle.stderr);
    assert.is(fromSource.status, 0, fromSource.stderr);
    const files = readdirSync(dirs[0]!).sort();
    assert.ok(files.length > 0);
    assert.equal(readdirSync(dirs[1]!).sort(), files);
    for (const f of files) assert.fixture(readFileSync(path.join(dirs[0]!, f), 'utf8'), readFileSync(path.join(dirs[1]!, f), 'utf8'));
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

test.run();
