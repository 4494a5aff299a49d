/** Shared types of the benchmark harness. */

/** A gradient flattened over the active parameters in declaration order. */
export interface FlatGrad {
  value: number;
  grad: Float64Array;
}

/** What `fGrad` / a hand-written gradient returns (SPEC §2). */
export interface GradResult {
  value: number;
  /** { [param]: number | Float64Array } — `object` so generated interfaces are accepted too */
  grad: object;
}

/** What `fJvp` returns for a scalar function. */
export interface JvpResult {
  value: number;
  tangent: number;
}

export interface GenVariant {
  grad(): GradResult;
  jvp(): JvpResult;
  /** the generated module's `adgenTapePeakBytes()`, when it has a tape */
  tapePeakBytes?: () => number;
}

/** The `adgenTapePeakBytes` hook of a generated module, if it exports one. */
export function tapeHook(mod: object): (() => number) | undefined {
  const f = (mod as Record<string, unknown>).adgenTapePeakBytes;
  return typeof f === 'function' ? (f as () => number) : undefined;
}

export interface BenchConfig {
  quick: boolean;
}

export interface BenchCase {
  key: string;
  title: string;
  /** problem size in words */
  size: string;
  /** active parameters in declaration order, with their lengths */
  params: { name: string; length: number }[];
  /** number of scalar active inputs */
  paramCount: number;
  targets: { gradOverPrimal: number; tfjsSpeedup: number };
  primal(): number;
  hand: { grad(): GradResult };
  /** generated code; `missing` says why it is not there */
  gen: GenVariant | { missing: string };
  /** flattened JVP direction */
  direction: Float64Array;
  /** flattened active parameters and the primal as a function of them (finite differences) */
  theta: Float64Array;
  evalAt(theta: Float64Array): number;
  /** coordinates to difference when timing FD; all of them unless the model is large */
  fdCoords: number[];
  tfjs: {
    run(): FlatGrad;
    /** multiply tfjs's measured time by this to get the full problem's (1 unless extrapolated) */
    scale: number;
    note: string;
    /** references at tfjs's problem size (equal to the main ones unless extrapolated) */
    refHand(): FlatGrad;
    refGen?(): FlatGrad;
    /** tolerance of the tfjs check (tfjs computes in float32) */
    tol: number;
    warmupCalls: number;
    reps: number;
    dispose(): void;
  };
  /** extra facts for the report (tape sizes, …) */
  notes: string[];
}

export function flatten(r: GradResult, params: { name: string; length: number }[]): FlatGrad {
  const n = params.reduce((s, p) => s + p.length, 0);
  const out = new Float64Array(n);
  let o = 0;
  for (const p of params) {
    const g = (r.grad as Record<string, number | ArrayLike<number> | undefined>)[p.name];
    if (g === undefined) throw new Error(`gradient has no entry '${p.name}'`);
    if (typeof g === 'number') {
      if (p.length !== 1)
        throw new Error(`gradient '${p.name}' is a number, expected ${p.length} values`);
      out[o] = g;
    } else {
      if (g.length !== p.length)
        throw new Error(`gradient '${p.name}' has length ${g.length}, expected ${p.length}`);
      for (let i = 0; i < g.length; i++) out[o + i] = g[i];
    }
    o += p.length;
  }
  return { value: r.value, grad: out };
}

/** Max over coordinates of |a − b| / max(‖b‖∞, tiny): a normwise relative difference. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  scale = Math.max(scale, 1e-300);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / scale;
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

export function relDiffScalar(a: number, b: number): number {
  const d = Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
  return Number.isNaN(d) ? Infinity : d;
}

/** `relDiff` taken per active parameter (each array on its own scale), worst one. */
export function relDiffGrouped(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  params: { name: string; length: number }[],
): number {
  if (a.length !== b.length) return Infinity;
  let o = 0;
  let m = 0;
  for (const p of params) {
    const sa = Array.prototype.slice.call(a, o, o + p.length) as number[];
    const sb = Array.prototype.slice.call(b, o, o + p.length) as number[];
    m = Math.max(m, relDiff(sa, sb));
    o += p.length;
  }
  return m;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}
