import fc from 'fast-check';
import { writeFileSync, mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { fileArb, renderFile, TEMPLATES } from './helpers/random-program.ts';
import { checkUnit } from '../packages/adgen/src/check/evaluate.ts';
import type { UnitInfo, ParamInfo } from '../packages/adgen/src/api-types.ts';

type F = (...a: any[]) => any;
function flat(r: any, args: any[], outIdx: number): number[] { const v = outIdx >= 0 ? args[outIdx] : r; return typeof v === 'number' ? [v] : Array.from(v as ArrayLike<number>); }
function copy(a: any[]) { return a.map((x) => (typeof x === 'object' ? x.slice() : x)); }
function fakeGen(name: string, f: F, params: ParamInfo[], ret: string): Record<string, F> {
  const outIdx = params.findIndex((p) => p.out);
  const coords = (args: any[]) => { const c: [number, number][] = []; params.forEach((p, i) => { if (!p.active) return; if (p.type === 'number') c.push([i, -1]); else for (let e = 0; e < args[i].length; e++) c.push([i, e]); }); return c; };
  const ev = (args: any[]) => { const a = copy(args); const r = f(...a); return flat(r, a, outIdx); };
  const jac = (args: any[]) => { const cs = coords(args); const y = ev(args); const J = y.map(() => new Float64Array(cs.length));
    cs.forEach(([i, e], j) => { const x = e < 0 ? args[i] : args[i][e]; const h = 2 ** Math.round(Math.log2(1e-3 * Math.max(1, Math.abs(x))));
      const at = (d: number) => { const a = copy(args); if (e < 0) a[i] = x + d; else a[i][e] = x + d; const xa = e < 0 ? a[i] : a[i][e]; if (xa - x !== d) throw new Error('inexact'); return ev(a); };
      const p1 = at(h), m1 = at(-h), p2 = at(2*h), m2 = at(-2*h);
      y.forEach((_, k) => { J[k]![j] = (8 * (p1[k]! - m1[k]!) - (p2[k]! - m2[k]!)) / (12 * h); }); });
    return { y, J, cs }; };
  const value = (args: any[], y: number[]) => { if (ret === 'number') return y[0]; if (outIdx >= 0) { const o = args[outIdx]; y.forEach((v, k) => (o[k] = v)); return Float64Array.from(y); } return ret === 'tuple' ? y : Float64Array.from(y); };
  const gradOf = (args: any[], g: number[], cs: [number, number][]) => { const grad: any = {}; params.forEach((p, i) => { if (p.active && p.type !== 'number') grad[p.name] = new Float64Array(args[i].length); }); cs.forEach(([i, e], j) => { const n = params[i]!.name; if (e < 0) grad[n] = g[j]; else grad[n][e] = g[j]; }); return grad; };
  const np = params.length;
  return {
    [name + 'Grad']: (...args: any[]) => { const { y, J, cs } = jac(args); return { value: value(args, y), grad: gradOf(args, Array.from(J[0]!), cs) }; },
    [name + 'Vjp']: (...all: any[]) => { const args = all.slice(0, np); const u = all[np]; const uu = typeof u === 'number' ? [u] : Array.from(u as number[]); const { y, J, cs } = jac(args); const g = cs.map((_, j) => J.reduce((s, row, k) => s + row[j]! * uu[k]!, 0)); return { value: value(args, y), grad: gradOf(args, g, cs) }; },
    [name + 'Jvp']: (...all: any[]) => { const args = all.slice(0, np); const t = all[np]; const { y, J, cs } = jac(args); const v = cs.map(([i, e]) => { const tt = t[params[i]!.name]; return tt === undefined ? 0 : e < 0 ? tt : tt[e]; }); const tv = J.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0)); return { value: value(args, y), tangent: ret === 'number' ? tv[0] : ret === 'tuple' ? tv : Float64Array.from(tv) }; },
    [name + 'Jacobian']: (...args: any[]) => { const { y, J } = jac(args); return { value: value(args, y), jacobian: J }; },
  };
}
function parseParams(s: string, tags: string[]): ParamInfo[] {
  const wrt = tags.find((t) => t.startsWith('@wrt'))?.slice(5).split(',').map((x) => x.trim());
  const out = tags.find((t) => t.startsWith('@out'))?.slice(5).trim();
  return s.split(',').map((p) => { const [n, t] = p.split(':').map((x) => x.trim()) as [string, string]; return { name: n, type: t as any, out: n === out, active: n !== out && (!wrt || wrt.includes(n)) }; });
}
const files = fc.sample(fileArb(40), { numRuns: Number(process.env.N ?? 50), seed: Number(process.env.SEED ?? 12345) });
mkdirSync('/tmp/rp2', { recursive: true });
let pass = 0, fail = 0, skip = 0; const t0 = Date.now();
const reasons = new Map<string, number>();
for (const [fi, file] of files.entries()) {
  const p = `/tmp/rp2/p${fi}.ts`; writeFileSync(p, renderFile(file));
  const mod = await tsImport(pathToFileURL(p).href, import.meta.url);
  for (const [i, fn] of file.fns.entries()) {
    const t = TEMPLATES[fn.t % TEMPLATES.length]!;
    const params = parseParams(t.params, t.tags);
    const ret = t.ret;
    const unit: UnitInfo = { name: `f${i}`, file: p, line: 1, params, returns: ret === 'number' ? { kind: 'number' } : ret === 'tuple' ? { kind: 'tuple', length: 2 } : ret === 'void' ? { kind: 'void' } : { kind: 'array' }, checkTags: [], gpu: false, tagged: true };
    const r = checkUnit({ unit, primal: mod[`f${i}`], generated: fakeGen(`f${i}`, mod[`f${i}`], params, ret) }, { seed: 1 });
    if (r.status === 'PASS') pass++; else if (r.messages.some((m) => m.includes('no valid point'))) { skip++; const k = r.messages.join(' ').slice(0, 160); reasons.set(k, (reasons.get(k) ?? 0) + 1); } else { fail++; if (fail <= 8) console.log(`p${fi} f${i}`, r.messages.join(' | ').slice(0, 400)); }
  }
}
console.log({ pass, fail, skip, ms: Date.now() - t0 });
console.log([...reasons].slice(0, 10));
