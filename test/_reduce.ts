import fc from 'fast-check';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import { generate } from '../packages/adgen/src/index.ts';
import { checkGenerated } from '../packages/adgen/src/check/index.ts';
import { fileArb, renderFile, type FileAst } from './helpers/random-program.ts';
const [seedS, fileS, fnName, pattern] = process.argv.slice(2) as [string, string, string, string];
const files = fc.sample(fileArb(40), { numRuns: Number(fileS) + 1, seed: Number(seedS) });
let ast: any = structuredClone(files[Number(fileS)]!);
const re = new RegExp(pattern);
// keep only the target function (and helpers)
if (fnName.startsWith('f')) { ast.fns = [ast.fns[Number(fnName.slice(1))]]; }
else { ast.fns = ast.fns.slice(0, 1); }
let tries = 0;
async function fails(a: any): Promise<boolean> {
  tries++;
  const text = renderFile(a as FileAst);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'adgen-red-'));
  const src = path.join(dir, 'program.ts');
  writeFileSync(src, text);
  try {
    const gen = await generate([src], { write: false });
    const msgs = gen.diagnostics.filter((d) => d.category === 'error').map((d) => `diag ${d.code} ${d.message}`);
    if (msgs.some((m) => re.test(m))) return true;
    if (msgs.length) return false;
    const run = await checkGenerated(gen.files, { seed: 1 });
    return run.results.some((r) => r.status === 'FAIL' && re.test(r.messages.join(' ')));
  } catch (e) { return re.test(String(e)); } finally { rmSync(dir, { recursive: true, force: true }); }
}
const EXPR = new Set(['var', 'num', 'read', 'int', 'un', 'bin', 'cond', 'call', 'acall']);
function* edits(root: any): Generator<any> {
  const stack: { node: any; set: (v: any) => void }[] = [];
  const visit = function* (node: any, set: (v: any) => void): Generator<any> {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        yield () => node.splice(i, 1);
        const s = node[i];
        if (s && (s.k === 'if' || s.k === 'loop')) {
          const body = s.k === 'if' ? [...s.then, ...s.else] : s.body;
          yield () => node.splice(i, 1, ...body);
        }
      }
      for (let i = 0; i < node.length; i++) yield* visit(node[i], (v) => (node[i] = v));
      return;
    }
    if (node && typeof node === 'object') {
      if (EXPR.has(node.k) && node.k !== 'var' && node.k !== 'num') {
        for (const key of ['a', 'b']) if (node[key] && EXPR.has(node[key].k)) { const c = node[key]; yield () => set(c); }
        yield () => set({ k: 'var', i: 0 });
        yield () => set({ k: 'num', v: 2 });
      }
      if (node.k === 'loop' && node.guard) yield () => (node.guard = null);
      if (node.k === 'cond' || node.k === 'if' || node.k === 'ret') {
        const c = node.c; if (c.k !== 'cmp') { yield () => (node.c = c.a); yield () => (node.c = c.b); }
      }
      if (node.k === 'if') { if (node.else.length) yield () => (node.else = []); }
      for (const key of Object.keys(node)) if (typeof node[key] === 'object' && node[key] !== null) yield* visit(node[key], (v) => (node[key] = v));
    }
  };
  yield* visit(root, () => {});
}
if (!(await fails(ast))) { console.log('does not fail in isolation'); process.exit(1); }
let progress = true;
while (progress) {
  progress = false;
  const n = [...edits(ast)].length;
  for (let e = 0; e < n; e++) {
    const cand = structuredClone(ast);
    const list = [...edits(cand)];
    const ed = list[e]; if (!ed) break;
    ed();
    if (JSON.stringify(cand) === JSON.stringify(ast)) continue;
    if (await fails(cand)) { ast = cand; progress = true; break; }
  }
}
console.log(`tries ${tries}`);
console.log(await prettier.format(renderFile(ast), { parser: 'typescript', singleQuote: true, printWidth: 100 }));
console.log(JSON.stringify(ast));
