/**
 * Test support: compile a source text with adgen into a temporary directory, load the generated
 * module, and check each function numerically (central finite differences in both modes and the
 * dot-product test ⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { generate } from '../../packages/adgen/src/index.ts';
import type { GeneratedFile, UnitInfo } from '../../packages/adgen/src/api-types.ts';
import { mulberry32 } from '../../packages/runtime/src/random.ts';

export type Module = Record<string, (...args: unknown[]) => any>;

export interface Compiled {
  dir: string;
  files: GeneratedFile[];
  /** generated module of each source file, by file name */
  modules: Record<string, Module>;
  /** the primal source modules, by file name */
  sources: Record<string, Module>;
}

let counter = 0;

/** Writes the sources (file name → text), runs adgen on them and imports the results. */
export async function compile(sources: Record<string, string>): Promise<Compiled> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `adgen-test-${counter++}-`));
  const paths = Object.entries(sources).map(([name, text]) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  });
  const runtime = path.resolve('packages/runtime/src/index.ts');
  for (const p of paths) fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replaceAll("'@adgen/runtime'", `'${runtime}'`));
  const result = await generate(paths);
  // warnings (AD1022 for an @out array updated in place, AD4xxx) do not stop a fixture
  const errors = result.diagnostics.filter((d) => d.category === 'error');
  if (errors.length > 0) throw new Error(errors.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`).join('\n'));
  const modules: Record<string, Module> = {};
  const srcs: Record<string, Module> = {};
  for (const f of result.files) {
    const base = path.basename(f.sourcePath);
    modules[base] = (await tsImport(f.outPath, pathToFileURL(f.outPath).href)) as Module;
    srcs[base] = (await tsImport(f.sourcePath, pathToFileURL(f.sourcePath).href)) as Module;
  }
  return { dir, files: result.files, modules, sources: srcs };
}

/** A small deterministic random generator (the runtime's mulberry32). */
export const rng = mulberry32;

export interface InputSpec {
  /** array lengths per parameter (default 4) */
  sizes?: Record<string, number>;
  /** value range per parameter (default [-1, 1]) */
  ranges?: Record<string, [number, number]>;
  /** fixed values for inactive / integer parameters */
  fixed?: Record<string, number>;
  /** finite-difference step (default 1e-6) */
  h?: number;
}

function makeArgs(unit: UnitInfo, spec: InputSpec, rand: () => number): unknown[] {
  return unit.params.map((p) => {
    const [lo, hi] = spec.ranges?.[p.name] ?? [-1, 1];
    const draw = () => lo + (hi - lo) * rand();
    if (spec.fixed && p.name in spec.fixed) return spec.fixed[p.name];
    if (p.type === 'number') return draw();
    const n = spec.sizes?.[p.name] ?? 4;
    const values = Array.from({ length: n }, draw);
    if (p.type === 'number[]') return values;
    return p.type === 'Float32Array' ? Float32Array.from(values) : Float64Array.from(values);
  });
}

const cloneArgs = (args: unknown[]) => args.map((a) => (a instanceof Float64Array ? Float64Array.from(a) : a instanceof Float32Array ? Float32Array.from(a) : Array.isArray(a) ? [...a] : a));

function flatten(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  return Array.from(v as ArrayLike<number>);
}

/** Runs f at args and returns the flattened output (the @out array for void functions). */
function evaluate(f: (...a: unknown[]) => unknown, unit: UnitInfo, args: unknown[]): number[] {
  const a = cloneArgs(args);
  const r = f(...a);
  if (unit.returns.kind === 'void') return flatten(a[unit.params.findIndex((p) => p.out)]);
  return flatten(r);
}

export interface CheckReport {
  fdErrorReverse: number;
  fdErrorForward: number;
  dotResidual: number;
}

/**
 * Checks one function at `points` random points: reverse mode (uᵀJ) and forward mode (Jv)
 * against central differences of the primal, and ⟨Jv, u⟩ against ⟨v, Jᵀu⟩.
 */
export function checkUnit(compiled: Compiled, file: string, name: string, spec: InputSpec = {}, points = 3, seed = 1): CheckReport {
  const gen = compiled.modules[file]!;
  const src = compiled.sources[file]!;
  const unit = compiled.files.find((f) => path.basename(f.sourcePath) === file)!.units.find((u) => u.name === name)!;
  const primal = src[name]!;
  const rand = rng(seed);
  const report: CheckReport = { fdErrorReverse: 0, fdErrorForward: 0, dotResidual: 0 };
  const active = unit.params.filter((p) => p.active);
  for (let pt = 0; pt < points; pt++) {
    const args = makeArgs(unit, spec, rand);
    const y = evaluate(primal, unit, args);
    const m = y.length;
    // random directions
    const v = new Map<string, number | Float64Array>();
    for (const p of active) {
      const idx = unit.params.indexOf(p);
      v.set(p.name, p.type === 'number' ? rand() * 2 - 1 : Float64Array.from(flatten(args[idx]), () => rand() * 2 - 1));
    }
    const u = Float64Array.from({ length: m }, () => rand() * 2 - 1);
    const cot = unit.returns.kind === 'number' ? u[0]! : unit.returns.kind === 'tuple' ? Array.from(u) : u;
    // forward mode
    const jvpOut = gen[`${name}Jvp`]!(...cloneArgs(args), Object.fromEntries(v));
    const jv = flatten(jvpOut.tangent);
    // reverse mode
    const vjpOut = gen[`${name}Vjp`]!(...cloneArgs(args), cot);
    // finite differences of the primal along v
    const h = spec.h ?? 1e-6;
    const shifted = (sign: number) =>
      args.map((a, i) => {
        const p = unit.params[i]!;
        const d = v.get(p.name);
        if (d === undefined) return a;
        if (typeof d === 'number') return (a as number) + sign * h * d;
        const arr = flatten(a).map((x, j) => x + sign * h * d[j]!);
        return p.type === 'number[]' ? arr : p.type === 'Float32Array' ? Float32Array.from(arr) : Float64Array.from(arr);
      });
    const yp = evaluate(primal, unit, shifted(1));
    const ym = evaluate(primal, unit, shifted(-1));
    const fd = yp.map((_, i) => (yp[i]! - ym[i]!) / (2 * h));
    const scale = Math.max(1, ...fd.map(Math.abs));
    report.fdErrorForward = Math.max(report.fdErrorForward, ...fd.map((x, i) => Math.abs(x - jv[i]!) / scale));
    // ⟨u, J v⟩ from FD against ⟨Jᵀu, v⟩ from reverse mode, and ⟨u, Jv⟩ from forward mode
    const uJv_fd = fd.reduce((s, x, i) => s + x * u[i]!, 0);
    const uJv_fwd = jv.reduce((s, x, i) => s + x * u[i]!, 0);
    let JTu_v = 0;
    for (const p of active) {
      const g = vjpOut.grad[p.name];
      const d = v.get(p.name)!;
      if (typeof d === 'number') JTu_v += (g as number) * d;
      else for (let j = 0; j < d.length; j++) JTu_v += (g as Float64Array)[j]! * d[j]!;
    }
    const s2 = Math.max(1, Math.abs(uJv_fd));
    report.fdErrorReverse = Math.max(report.fdErrorReverse, Math.abs(JTu_v - uJv_fd) / s2);
    report.dotResidual = Math.max(report.dotResidual, Math.abs(JTu_v - uJv_fwd) / Math.max(1, Math.abs(uJv_fwd)));
    // values agree with the primal
    const vals = flatten(vjpOut.value);
    for (let i = 0; i < m; i++) if (!(Math.abs(vals[i]! - y[i]!) <= 1e-9 * Math.max(1, Math.abs(y[i]!)))) throw new Error(`${name}: Vjp value ${vals[i]} differs from primal ${y[i]}`);
    const fvals = flatten(jvpOut.value);
    for (let i = 0; i < m; i++) if (!(Math.abs(fvals[i]! - y[i]!) <= 1e-9 * Math.max(1, Math.abs(y[i]!)))) throw new Error(`${name}: Jvp value ${fvals[i]} differs from primal ${y[i]}`);
  }
  return report;
}
