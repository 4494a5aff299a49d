import fc from 'fast-check';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from '../packages/adgen/src/index.ts';
import { checkGenerated } from '../packages/adgen/src/check/index.ts';
import { fileArb, renderFile, type FileAst } from './helpers/random-program.ts';
const seed = Number(process.env.SEED ?? 20250601);
const N = Number(process.env.N ?? 10);
const files = fc.sample(fileArb(40), { numRuns: N, seed });
const t0 = Date.now();
let fns = 0, bad = 0;
const groups = new Map<string, string[]>();
for (const [fi, file] of files.entries()) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'adgen-scan-'));
  const src = path.join(dir, 'program.ts');
  // check each function separately when the whole file fails to compile
  const text = renderFile(file);
  writeFileSync(src, text);
  const t1 = Date.now();
  let gen;
  try { gen = await generate([src], { write: false }); } catch (e) { console.log(`file ${fi}: compiler threw`, String(e).slice(0, 300)); continue; }
  const tg = Date.now() - t1;
  const errs = gen.diagnostics.filter((d) => d.category === 'error');
  if (errs.length) {
    for (const d of errs) { const k = `diag ${d.code}: ${d.message.slice(0, 100)}`; groups.set(k, [...(groups.get(k) ?? []), `${fi}:${d.line}`]); }
    bad++;
    continue;
  }
  const run = await checkGenerated(gen.files, { seed: 1 });
  for (const r of run.results) {
    fns++;
    if (r.status === 'FAIL' && !r.messages.some((m) => m.includes('no valid point'))) {
      bad++;
      const k = r.messages.join(' ').replace(/f\d+/g, 'fN').replace(/-?\d+\.\d+(e-?\d+)?/g, '#').replace(/\[\d+\]/g, '[#]').slice(0, 160);
      groups.set(k, [...(groups.get(k) ?? []), `${fi}:${r.name}`]);
    }
  }
  console.log(`file ${fi}: ${file.fns.length} fns, generate ${tg} ms, total ${Date.now() - t1} ms`);
  writeFileSync(`/tmp/scan-${fi}.ts`, text);
  rmSync(dir, { recursive: true, force: true });
}
console.log({ fns, bad, ms: Date.now() - t0 });
for (const [k, v] of groups) console.log(v.length, k, v.slice(0, 6).join(' '));
