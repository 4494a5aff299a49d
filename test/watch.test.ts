/**
 * `adgen --watch` keeps running through errors: it regenerates when the file changes, reports
 * diagnostics without exiting, and regenerates again once the file is fixed; a change
 * regenerates that file and the files importing it, not the others.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const good = (k: number) => `/** @differentiable */\nexport function f(x: number): number {\n  return ${k} * x * x;\n}\n`;

/** `adgen <input> --watch` in a child process, with its output collected. */
function startWatch(input: string) {
  const child = spawn(process.execPath, [path.resolve('packages/adgen/bin/adgen.js'), input, '--watch'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { log: '' };
  child.stdout.on('data', (d) => (out.log += String(d)));
  child.stderr.on('data', (d) => (out.log += String(d)));
  /** Waits until the output after position `from` matches. */
  const waitFor = async (pattern: RegExp, from: number) => {
    for (let t = 0; t < 600; t++) {
      if (pattern.test(out.log.slice(from))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${pattern}; log:\n${out.log}`);
  };
  return { child, out, waitFor };
}

test('--watch regenerates on change, survives an error, and recovers', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adgen-watch-'));
  const file = path.join(dir, 'model.ts');
  const out = path.join(dir, 'model.ad.ts');
  fs.writeFileSync(file, good(2));
  const { child, out: o, waitFor } = startWatch(file);
  try {
    await waitFor(/watching 1 file/, 0);
    assert.match(fs.readFileSync(out, 'utf8'), '2 * x');
    let mark = o.log.length;
    fs.writeFileSync(file, good(3).replace('return', 'return Math.random() +'));
    await waitFor(/errors; waiting for changes/, mark);
    assert.match(o.log.slice(mark), 'AD1003');
    assert.ok(child.exitCode === null, 'still running after an error');
    assert.match(fs.readFileSync(out, 'utf8'), '2 * x', 'the previous output is left alone');
    mark = o.log.length;
    fs.writeFileSync(file, good(5));
    await waitFor(/regenerated 1 file in \d+ ms/, mark);
    assert.match(fs.readFileSync(out, 'utf8'), '5 * x');
  } finally {
    child.kill();
  }
});

test('--watch regenerates the changed file and the files that import it, not the others', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adgen-watch-'));
  const lib = path.join(dir, 'lib.ts');
  const user = path.join(dir, 'user.ts');
  const other = path.join(dir, 'other.ts');
  const fn = (name: string, body: string, extra = '') => `${extra}/** @differentiable */\nexport function ${name}(x: number): number {\n  return ${body};\n}\n`;
  fs.writeFileSync(lib, fn('square', 'x * x'));
  fs.writeFileSync(user, fn('twice', '2 * square(x)', "import { square } from './lib.ts';\n"));
  fs.writeFileSync(other, fn('cube', 'x * x * x'));
  const { child, out: o, waitFor } = startWatch(dir);
  try {
    await waitFor(/watching 3 files/, 0);
    const otherBefore = fs.statSync(path.join(dir, 'other.ad.ts')).mtimeMs;
    let mark = o.log.length;
    fs.writeFileSync(lib, fn('square', 'x * x * 3'));
    await waitFor(/regenerated 2 files in \d+ ms/, mark);
    assert.match(fs.readFileSync(path.join(dir, 'lib.ad.ts'), 'utf8'), '3');
    assert.is(fs.statSync(path.join(dir, 'other.ad.ts')).mtimeMs, otherBefore, 'an unrelated file is not rewritten');
    mark = o.log.length;
    fs.writeFileSync(other, fn('cube', 'x * x * x * 2'));
    await waitFor(/regenerated 1 file in \d+ ms/, mark);
  } finally {
    child.kill();
  }
});

test('--watch on one file also watches the files it imports, whose derivatives it writes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adgen-watch-'));
  const lib = path.join(dir, 'lib.ts');
  const user = path.join(dir, 'user.ts');
  fs.writeFileSync(lib, `/** @differentiable */\nexport function square(x: number): number {\n  return x * x;\n}\n`);
  fs.writeFileSync(user, `import { square } from './lib.ts';\n/** @differentiable */\nexport function twice(x: number): number {\n  return 2 * square(x);\n}\n`);
  const { child, out: o, waitFor } = startWatch(user);
  try {
    await waitFor(/watching 2 files/, 0);
    const mark = o.log.length;
    fs.writeFileSync(lib, `/** @differentiable */\nexport function square(x: number): number {\n  return Math.sin(x) * x;\n}\n`);
    await waitFor(/regenerated 2 files in \d+ ms/, mark);
    assert.match(fs.readFileSync(path.join(dir, 'lib.ad.ts'), 'utf8'), 'Math.sin');
  } finally {
    child.kill();
  }
});

test('--watch also watches the files an input reads constants and tables from, which get no derivatives', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adgen-watch-'));
  const consts = path.join(dir, 'consts.ts');
  const user = path.join(dir, 'user.ts');
  const constants = (scale: number, first: number) => `export const SCALE = ${scale};\nexport const TAB: readonly number[] = [${first}, 2, 3];\n`;
  fs.writeFileSync(consts, constants(2, 1));
  fs.writeFileSync(user, `import { SCALE, TAB } from './consts.ts';\n/** @differentiable */\nexport function f(x: number[]): number {\n  let s = 0;\n  for (let i = 0; i < x.length; i++) s += SCALE * TAB[i % 3]! * x[i]!;\n  return s;\n}\n`);
  const { child, out: o, waitFor } = startWatch(user);
  try {
    await waitFor(/watching 2 files/, 0);
    assert.match(fs.readFileSync(path.join(dir, 'user.ad.ts'), 'utf8'), '[1, 2, 3]');
    const mark = o.log.length;
    // the generated code copies both: without the watch it kept 2 and [1, 2, 3], silently
    fs.writeFileSync(consts, constants(3, 100));
    await waitFor(/regenerated \d+ files? in \d+ ms/, mark);
    const text = fs.readFileSync(path.join(dir, 'user.ad.ts'), 'utf8');
    assert.match(text, '[100, 2, 3]');
    assert.match(text, '3 * TAB');
    assert.not.ok(fs.existsSync(path.join(dir, 'consts.ad.ts')), 'no derivatives for a file of constants');
  } finally {
    child.kill();
  }
});

test.run();
