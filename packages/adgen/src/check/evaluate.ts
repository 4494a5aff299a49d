/**
 * Numerical verification of one differentiable function's generated derivatives.
 *
 * Input: a `UnitInfo`, the primal function (from the user's module) and the namespace of the
 * generated `.ad.ts` module. Output: a `CheckResult`. At each of several random points it
 *
 * 1. computes a finite-difference Jacobian column per active input coordinate j with central
 *    differences D(h) at h_j = cbrt(eps)·max(1, |x_j|), dividing by the step actually taken
 *    (after rounding, e.g. into a Float32Array); a second quotient D(h/2) estimates its error
 *    and detects kinks;
 * 2. compares against it, component by component: `fGrad` (scalar functions) and `fVjp` with a
 *    random cotangent u (uᵀJ, reverse mode), `fJvp` with a random tangent v (J·v, forward mode;
 *    at the second point one active parameter's tangent is left out, which must count as zero),
 *    and `fJacobian`; and checks that every generated `value` equals the primal result;
 * 3. runs the dot-product test ⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩ between forward and reverse mode, which
 *    needs no finite differences at all.
 *
 * Error measure (reported as "worst relative error"): for an AD component a and its FD
 * reference d with FD error bound b,
 *     err = max(0, |a − d| − b) / max(|a|, |d|, 1e-3·‖d‖∞, 1e-8)
 * where b = 2·|D(h) − D(h/2)| + 32·eps·|f|/h bounds the truncation error (D(h) − f' ≈ c·h²
 * while D(h) − D(h/2) ≈ ¾·c·h²) and the rounding error of the difference quotient. The norm floor 1e-3·‖d‖∞ stops a component that is zero up to rounding
 * from dominating; the absolute floor 1e-8 does the same for a derivative that is zero.
 * The report shows the largest |a − d| / max(…) (the error before subtracting b).
 * A function PASSes when every such error is ≤ 1e-5 (1e-3 when its outputs or intermediate
 * values are stored in a Float32Array, where the steps are cbrt(2⁻²³)·max(1, |x_j|)), the dot-product residual |⟨Jv,u⟩ − ⟨v,Jᵀu⟩| / max(Σ|terms|, 1e-6) is ≤ 1e-8, and each
 * generated value matches the primal to 1e-9 (1e-6 for Float32Array outputs).
 *
 * Points where the primal is NaN, infinite or throws, and points within a step of a kink or a
 * jump (where D(h) and D(h/2) disagree by more than 1e-3 relative: a branch, `abs`, `max`,
 * `floor` …) are drawn again; see check-tag.ts for the ranges used.
 */

import type { ParamInfo, UnitInfo } from '../api-types.ts';
import { parseCheckTags, specFor, type CheckSpec, type ParamSpec } from './check-tag.ts';
import { hashString, Rng } from './random.ts';
import { recordStops, replayStops } from './stop-gradient.ts';

/** Tolerances of `adgen check`, documented in the module comment above. */
export const TOLERANCES = {
  /** relative error vs finite differences, float64 outputs */
  rtol: 1e-5,
  /** relative error vs finite differences when an output is a Float32Array */
  rtolFloat32: 1e-3,
  /** dot-product residual, relative to the sum of absolute terms */
  dot: 1e-8,
  /** generated `value` vs primal */
  value: 1e-9,
  valueFloat32: 1e-6,
  /** absolute floor of the error denominator */
  absFloor: 1e-8,
  /**
   * floor of the dot-product test's denominator: where J is 0 at the point (`s = t − t`), the
   * modes' rounding (≈1e-16, summed in different orders) is all there is, and passes
   */
  dotFloor: 1e-6,
  /** floor of the error denominator relative to the largest reference component */
  normFloor: 1e-3,
  /** D(h) and D(h/2) disagreeing by more than this (relative) marks a kink: draw again */
  kink: 1e-3,
} as const;

/** An `@out` array is grown to fit the primal's writes up to this length (evaluate's probeOutSize). */
const MAX_PROBED_OUT = 100_000;

/** Default number of random points per function. */
export const DEFAULT_POINTS = 3;
/**
 * Default array lengths, tried in order until a point is valid: first every array has 5
 * elements; then arrays named with a capital letter (A, W, X: matrices, by convention) have
 * n² elements and the others n, for n = 3 (the default of a size parameter) and n = 5; then 9
 * and 3 for every array.
 */
export const DEFAULT_SHAPES: readonly { matrix: number; vector: number }[] = [
  { matrix: 5, vector: 5 },
  { matrix: 9, vector: 3 },
  { matrix: 25, vector: 5 },
  { matrix: 9, vector: 9 },
  { matrix: 3, vector: 3 },
];
type Shape = (typeof DEFAULT_SHAPES)[number];

const isMatrixName = (name: string): boolean => /^[A-Z]/.test(name);
/** Default value of an inactive number parameter (a size, count or index). */
export const DEFAULT_INT = 3;
/** Value ranges tried, in order, for parameters without a `@check` range. */
export const DEFAULT_RANGES: readonly (readonly [number, number])[] = [
  [-1, 1],
  [0.1, 1],
  [1.1, 2],
];
/** Draws per range before moving on to the next range. */
const DRAWS_PER_RANGE = 4;
/** Above this many active coordinates, FD columns are computed for a random subset this large. */
export const MAX_FD_COLUMNS = 1000;

const EPS64 = 2 ** -52;
const EPS32 = 2 ** -23;

/** The outcome for one function. Errors are null when not measured. */
export interface CheckResult {
  name: string;
  /** absolute path of the source file */
  file: string;
  line: number;
  /** shape summary of the inputs, e.g. `w, b, x[5], n=3` */
  inputs: string;
  /** how many random points were evaluated */
  points: number;
  /** worst relative error of fGrad / fVjp vs finite differences */
  reverseError: number | null;
  /** worst relative error of fJvp vs finite differences */
  forwardError: number | null;
  /** worst relative error of fJacobian vs finite differences */
  jacobianError: number | null;
  /** worst dot-product residual ⟨J·v, u⟩ vs ⟨v, Jᵀ·u⟩ */
  dotResidual: number | null;
  /** worst relative difference between a generated `value` and the primal */
  valueError: number | null;
  status: 'PASS' | 'FAIL' | 'SKIP';
  /** why it failed or was skipped, and notes (e.g. the array length used) */
  messages: string[];
}

export interface EvaluateOptions {
  /** seed of the random points (default 1); each function mixes in its own name */
  seed?: number;
  /** random points per function (default 3) */
  points?: number;
}

type AnyFn = (...args: unknown[]) => unknown;
type NumArray = number[] | Float64Array | Float32Array;

/** The things `checkUnit` needs about one function, already loaded. */
export interface LoadedUnit {
  unit: UnitInfo;
  /** the user's function; when not exported, `fJvp(…, {}).value` stands in for it */
  primal: AnyFn | undefined;
  /** namespace of the generated module */
  generated: Record<string, unknown>;
}

/** How one parameter is filled at each point. */
interface Slot {
  param: ParamInfo;
  /** a flag is a boolean parameter: true or false at random per point, or fixed by `k = 1` / `k = 0` */
  kind: 'scalar' | 'flag' | 'array' | 'out';
  /** differentiated with respect to (never true for `@out`) */
  active: boolean;
  spec: ParamSpec;
}

/** One active input coordinate: parameter slot `slot`, element `elem` (-1 for a scalar). */
interface Coord {
  slot: number;
  elem: number;
  label: string;
}

/** Flattened primal outputs at one point. */
interface Outputs {
  y: Float64Array;
  float32: boolean;
  /** the values `stopGradient` returned, in call order */
  stops: number[];
}

/**
 * A worst-case tracker for one error category: the largest error (reported) and the largest
 * error beyond the finite differences' own error bound (decides PASS/FAIL), with its location.
 */
class Worst {
  value: number | null = null;
  excess = 0;
  detail = '';
  add(err: number, excess: number, detail: () => string): void {
    const e = Number.isNaN(err) ? Infinity : err;
    const x = Number.isNaN(excess) ? Infinity : excess;
    if (this.value === null || e > this.value) this.value = e;
    if (x > this.excess || this.detail === '') {
      this.excess = Math.max(this.excess, x);
      this.detail = detail();
    }
  }
}

class CheckFailure extends Error {}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toPrecision(6) : String(x));

/** Is this an array of numbers as adgen's API returns or accepts? */
function isNumArray(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || x instanceof Float64Array || x instanceof Float32Array;
}

function makeArray(type: ParamInfo['type'], n: number): NumArray {
  if (type === 'Float32Array') return new Float32Array(n);
  if (type === 'number[]') return new Array<number>(n).fill(0);
  return new Float64Array(n);
}

function copyArgs(args: readonly unknown[]): unknown[] {
  return args.map((a) => (Array.isArray(a) ? a.slice() : a instanceof Float64Array || a instanceof Float32Array ? a.slice() : a));
}

/** Lays out the parameters of a unit; null with a reason when one cannot be sampled. */
function layout(unit: UnitInfo, spec: CheckSpec): Slot[] | string {
  const slots: Slot[] = [];
  for (const param of unit.params) {
    if (param.type === 'other') return `parameter '${param.name}' is not a number or number array`;
    const isOut = param.out || unit.out === param.name;
    const kind = isOut ? 'out' : param.type === 'number' ? 'scalar' : param.type === 'boolean' ? 'flag' : 'array';
    // an @out array named by @wrt is updated in place: its incoming values are inputs too
    slots.push({ param, kind, active: param.active, spec: specFor(spec, param.name) });
  }
  return slots;
}

/** Parameter summary for the report: `w, b, x[5], n=3, out[5] (out)`. */
function describeInputs(slots: readonly Slot[], args: readonly unknown[]): string {
  return slots
    .map((s, i) => {
      const a = args[i];
      if (s.kind === 'scalar') return s.active ? s.param.name : `${s.param.name}=${Number(a)}`;
      if (s.kind === 'flag') return `${s.param.name}=${String(a)}`;
      const n = isNumArray(a) ? a.length : '?';
      const inactive = s.kind === 'array' && !s.active ? ' const' : '';
      return `${s.param.name}[${n}]${s.kind === 'out' ? ' out' : inactive}`;
    })
    .join(', ');
}

/**
 * Draws the arguments of one point. `level` picks the default value range, `length` the default
 * array length; `@check` clauses override both.
 */
function sampleArgs(slots: readonly Slot[], rng: Rng, level: number, shape: Shape, outSize?: number): unknown[] {
  const fallback = DEFAULT_RANGES[Math.min(level, DEFAULT_RANGES.length - 1)] ?? [-1, 1];
  const draw = (spec: ParamSpec): number => {
    if (spec.value !== undefined) return spec.value;
    const [lo, hi] = spec.range ?? fallback;
    return rng.uniform(lo, hi);
  };
  return slots.map((s) => {
    const { spec } = s;
    if (s.kind === 'flag') return spec.value !== undefined ? spec.value !== 0 : rng.uniform(0, 1) < 0.5;
    if (s.kind === 'scalar') {
      if (s.active) return spec.value ?? spec.size ?? draw(spec);
      if (spec.value !== undefined) return spec.value;
      if (spec.size !== undefined) return spec.size;
      // `steps = 400, h = 0.01`: the function's own defaults, not a size or range of our choosing
      if (s.param.default !== undefined && !spec.range) return s.param.default;
      if (spec.range) {
        const [lo, hi] = spec.range;
        return Number.isInteger(lo) && Number.isInteger(hi) ? rng.int(lo, hi) : rng.uniform(lo, hi);
      }
      return DEFAULT_INT;
    }
    const n = spec.size ?? (s.kind === 'out' ? outSize : undefined) ?? (isMatrixName(s.param.name) ? shape.matrix : shape.vector);
    const arr = makeArray(s.param.type, n);
    if (s.kind === 'out' && !s.active) return arr;
    for (let i = 0; i < n; i++) arr[i] = draw(spec);
    return arr;
  });
}

/**
 * Verifies the generated derivatives of one function; see the module comment for the method.
 * Never throws for a problem in the generated or user code: that is a FAIL with a message.
 */
/** A result with nothing measured yet. */
export function emptyResult(unit: LoadedUnit['unit'], status: CheckResult['status'], messages: string[] = []): CheckResult {
  return {
    name: unit.name,
    file: unit.file,
    line: unit.line,
    inputs: unit.params.map((p) => p.name).join(', '),
    points: 0,
    reverseError: null,
    forwardError: null,
    jacobianError: null,
    dotResidual: null,
    valueError: null,
    status,
    messages,
  };
}

export function checkUnit(loaded: LoadedUnit, opts: EvaluateOptions = {}): CheckResult {
  const { unit } = loaded;
  const result = emptyResult(unit, 'PASS');
  const spec = parseCheckTags(unit.checkTags, unit.params);
  if (spec.errors.length > 0) {
    result.status = 'FAIL';
    result.messages.push(...spec.errors);
    return result;
  }
  const slots = layout(unit, spec);
  if (typeof slots === 'string') {
    result.status = 'SKIP';
    result.messages.push(`cannot draw inputs: ${slots}`);
    return result;
  }
  try {
    new UnitChecker(loaded, slots, opts, result).run();
  } catch (err) {
    result.status = 'FAIL';
    result.messages.push(err instanceof CheckFailure ? err.message : `internal error in adgen check: ${String(err)}`);
  }
  if (result.status !== 'SKIP' && result.messages.some((m) => m.startsWith('FAIL'))) result.status = 'FAIL';
  return result;
}

/** The state of checking one function: its layout, random stream and worst errors so far. */
class UnitChecker {
  private readonly unit: UnitInfo;
  private readonly rng: Rng;
  private readonly primal: AnyFn;
  private readonly fns: { grad?: AnyFn; vjp: AnyFn; jvp: AnyFn; jacobian?: AnyFn };
  private readonly outIndex: number;
  /** length of the `@out` array found by `probeOutSize` (undefined: the default) */
  private outSize: number | undefined;
  /** set once an output came back as a Float32Array (looser tolerances) */
  private float32Outputs = false;
  private readonly worst = {
    reverse: new Worst(),
    forward: new Worst(),
    jacobian: new Worst(),
    dot: new Worst(),
    value: new Worst(),
  };

  constructor(
    loaded: LoadedUnit,
    private readonly slots: Slot[],
    private readonly opts: EvaluateOptions,
    private readonly result: CheckResult,
  ) {
    this.unit = loaded.unit;
    this.rng = new Rng(((opts.seed ?? 1) ^ hashString(this.unit.name)) >>> 0);
    const name = this.unit.name;
    const get = (suffix: string): AnyFn | undefined => {
      const f = loaded.generated[name + suffix];
      return typeof f === 'function' ? (f as AnyFn) : undefined;
    };
    const vjp = get('Vjp');
    const jvp = get('Jvp');
    const missing = ['Vjp', 'Jvp', 'Jacobian'].filter((s) => !get(s));
    if (this.unit.returns.kind === 'number' && !get('Grad')) missing.unshift('Grad');
    if (missing.length > 0 || !vjp || !jvp) {
      throw new CheckFailure(`FAIL: the generated module does not export ${missing.map((s) => name + s).join(', ')}`);
    }
    this.fns = { grad: get('Grad'), vjp, jvp, jacobian: get('Jacobian') };
    this.primal = loaded.primal ?? ((...args: unknown[]) => (jvp(...args, {}) as { value: unknown }).value);
    this.outIndex = slots.findIndex((s) => s.kind === 'out');
  }

  run(): void {
    const nPoints = this.opts.points ?? DEFAULT_POINTS;
    // Try the default array lengths, then the fallbacks, until the first point can be drawn.
    const sized = this.slots.some((s) => (s.kind === 'array' || s.kind === 'out') && s.spec.size === undefined);
    const shapes = sized ? DEFAULT_SHAPES : DEFAULT_SHAPES.slice(0, 1);
    let level = 0;
    let failures: string[] = [];
    for (const [shapeIndex, shape] of shapes.entries()) {
      failures = [];
      this.outSize = undefined;
      for (let p = 0; p < nPoints; p++) {
        const drawn = this.drawPoint(level, shape, p, failures);
        if (!drawn) break;
        level = drawn.level;
        if (p === 0) {
          this.result.inputs = describeInputs(this.slots, drawn.args);
          if (shapeIndex > 0) {
            this.result.messages.push(`note: default array lengths gave no valid point; used ${describeInputs(this.slots, drawn.args)} (set sizes with @check)`);
          }
        }
        this.comparePoint(drawn.args, drawn.y0, drawn.fd, p);
        this.result.points++;
      }
      if (this.result.points > 0) break;
    }
    if (this.outSize !== undefined && this.result.points > 0) {
      this.result.messages.push(`note: ${this.slots[this.outIndex]?.param.name} has ${this.outSize} elements, as many as the function writes (set its size with @check)`);
    }
    if (this.result.points === 0) {
      const reasons = [...new Set(failures)].slice(0, 3).join('; ');
      // `n = 20` on an active number fixes where it is drawn, but finite differences still move it
      const fixedActive = this.slots.filter((s) => s.kind === 'scalar' && s.active && s.spec.value !== undefined).map((s) => s.param.name);
      const advice = fixedActive.length > 0
        ? `${fixedActive.join(', ')} ${fixedActive.length > 1 ? 'are' : 'is'} fixed by @check but still differentiated (finite differences move ${fixedActive.length > 1 ? 'them' : 'it'}); leave ${fixedActive.length > 1 ? 'them' : 'it'} out of @wrt to hold ${fixedActive.length > 1 ? 'them' : 'it'} fixed`
        : 'give input sizes and ranges with a @check tag (an index past the end of an array reads undefined, which is NaN)';
      throw new CheckFailure(`FAIL: no valid point: every draw gave NaN/Infinity, threw, or sat on a kink (${reasons}); ${advice}`);
    }
    this.finish();
  }

  /** Active coordinates at a point with arguments `args`. */
  private coords(args: readonly unknown[]): Coord[] {
    const out: Coord[] = [];
    this.slots.forEach((s, i) => {
      if (!s.active) return;
      if (s.kind === 'scalar') out.push({ slot: i, elem: -1, label: s.param.name });
      else {
        const a = args[i] as NumArray;
        for (let e = 0; e < a.length; e++) out.push({ slot: i, elem: e, label: `${s.param.name}[${e}]` });
      }
    });
    return out;
  }

  /**
   * Runs the primal on a copy of `args` and flattens what it computed; a string on failure.
   * Without `stops` it records the values of `stopGradient` calls (the unperturbed point); with
   * them, `stopGradient` returns those values (a perturbed point), see stop-gradient.ts.
   */
  private evalPrimal(args: readonly unknown[], stops?: readonly number[]): Outputs | string {
    const a = copyArgs(args);
    let r: unknown;
    let recorded: number[] = [];
    try {
      if (stops) r = replayStops(stops, () => this.primal(...a));
      else ({ result: r, stops: recorded } = recordStops(() => this.primal(...a)));
    } catch (err) {
      return `threw: ${err instanceof Error ? err.message : String(err)}`;
    }
    const y = this.flattenValue(this.unit.returns.kind === 'void' ? a[this.outIndex] : r);
    if (typeof y === 'string') return y;
    for (const v of y.y) if (!Number.isFinite(v)) return 'NaN/Infinity';
    return { ...y, stops: stops ? [...stops] : recorded };
  }

  private flattenValue(r: unknown): Outputs | string {
    if (typeof r === 'number') return { y: Float64Array.of(r), float32: false, stops: [] };
    if (isNumArray(r)) return { y: Float64Array.from(r), float32: r instanceof Float32Array, stops: [] };
    return `returned ${typeof r}, not a number or number array`;
  }

  /**
   * Draws a valid point: finite primal, FD columns free of kinks. Returns null (and records why
   * in `failures`) when all draws fail.
   */
  private drawPoint(
    startLevel: number,
    shape: Shape,
    pointIndex: number,
    failures: string[],
  ): { args: unknown[]; y0: Outputs; fd: FdJacobian; level: number } | null {
    const attempts = DEFAULT_RANGES.length * DRAWS_PER_RANGE;
    for (let attempt = startLevel * DRAWS_PER_RANGE; attempt < attempts; attempt++) {
      const level = Math.floor(attempt / DRAWS_PER_RANGE);
      let args = sampleArgs(this.slots, this.rng, level, shape, this.outSize);
      const needed = this.outSize === undefined ? this.probeOutSize(args) : undefined;
      if (needed !== undefined) {
        // the function writes past the default length of its @out array: size it to what it writes
        this.outSize = needed;
        args = sampleArgs(this.slots, this.rng, level, shape, needed);
      }
      const y0 = this.evalPrimal(args);
      if (typeof y0 === 'string') {
        failures.push(`primal ${y0}`);
        continue;
      }
      const fd = this.finiteDifferences(args, y0, pointIndex);
      if (typeof fd === 'string') {
        failures.push(fd);
        continue;
      }
      return { args, y0, fd, level };
    }
    return null;
  }

  /**
   * Length the `@out` array needs when it has no `@check` size: one past the largest index the
   * primal writes at `args` (run with a proxy that records writes), if that is beyond the drawn
   * length. Writes past a typed array's end are dropped by the primal, while the derivatives
   * would read their cotangents as undefined, so a short default only makes a false FAIL.
   */
  private probeOutSize(args: readonly unknown[]): number | undefined {
    const slot = this.slots[this.outIndex];
    if (!slot || slot.spec.size !== undefined) return undefined;
    const a = copyArgs(args);
    const target = a[this.outIndex] as NumArray;
    let largest = -1;
    a[this.outIndex] = new Proxy(target, {
      set(t, key, v) {
        const i = typeof key === 'string' ? Number(key) : NaN;
        if (Number.isInteger(i) && i >= 0) largest = Math.max(largest, i);
        return Reflect.set(t, key, v);
      },
      get(t, key) {
        const v: unknown = Reflect.get(t, key);
        return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(t) : v;
      },
    });
    try {
      recordStops(() => this.primal(...a));
    } catch {
      return undefined;
    }
    return largest >= target.length && largest < MAX_PROBED_OUT ? largest + 1 : undefined;
  }

  /** Central-difference Jacobian columns D(h) with error bounds from D(h) − D(h/2). */
  private finiteDifferences(args: readonly unknown[], y0: Outputs, pointIndex: number): FdJacobian | string {
    const all = this.coords(args);
    let cols = all.map((_, j) => j);
    if (cols.length > MAX_FD_COLUMNS) {
      // A random subset of columns keeps large @check sizes affordable (4 primal runs a column).
      const rng = new Rng(hashString(`${this.unit.name}:${pointIndex}`));
      for (let i = cols.length - 1; i > 0; i--) {
        const k = rng.int(0, i);
        [cols[i], cols[k]] = [cols[k] ?? 0, cols[i] ?? 0];
      }
      cols = cols.slice(0, MAX_FD_COLUMNS).sort((a, b) => a - b);
    }
    const m = y0.y.length;
    // single-precision intermediates round at 2⁻²⁴: a step of cbrt(eps₃₂) keeps that noise small
    const single = y0.float32 || this.unit.roundsToFloat32 === true;
    const eps = single ? EPS32 : EPS64;
    const R: Float64Array[] = []; // R[c][k]: ∂y_k/∂x_cols[c]
    const E: Float64Array[] = [];
    const D1s: Float64Array[] = [];
    const D2s: Float64Array[] = [];
    const roundoff: Float64Array[] = [];
    for (const j of cols) {
      const coord = all[j];
      if (!coord) continue;
      const x = this.read(args, coord);
      const h = Math.cbrt(single ? EPS32 : EPS64) * Math.max(1, Math.abs(x));
      const q1 = this.quotient(args, y0.stops, coord, h);
      if (typeof q1 === 'string') return `${q1} near the point (${coord.label})`;
      const q2 = this.quotient(args, y0.stops, coord, h / 2);
      if (typeof q2 === 'string') return `${q2} near the point (${coord.label})`;
      const r = new Float64Array(m);
      const e = new Float64Array(m);
      const ro = new Float64Array(m);
      for (let k = 0; k < m; k++) {
        const d1 = q1.d[k] ?? NaN;
        const d2 = q2.d[k] ?? NaN;
        r[k] = d1;
        ro[k] = (32 * eps * Math.max(q1.fmax[k] ?? 0, q2.fmax[k] ?? 0)) / q1.step;
        // D(h) − f' ≈ c·h² and D(h) − D(h/2) ≈ ¾·c·h²: twice the difference bounds the truncation error
        e[k] = 2 * Math.abs(d1 - d2) + (ro[k] ?? 0);
      }
      R.push(r);
      E.push(e);
      D1s.push(q1.d);
      D2s.push(q2.d);
      roundoff.push(ro);
    }
    // Kink detection: D(h) and D(h/2) must agree (they differ by O(h²) for smooth functions).
    let scale = 0;
    for (const d of D1s) for (const v of d) scale = Math.max(scale, Math.abs(v));
    for (let c = 0; c < D1s.length; c++) {
      const d1 = D1s[c] ?? new Float64Array(0);
      const d2 = D2s[c] ?? new Float64Array(0);
      const ro = roundoff[c] ?? new Float64Array(0);
      for (let k = 0; k < m; k++) {
        const a = d1[k] ?? 0;
        const b = d2[k] ?? 0;
        const limit = TOLERANCES.kink * Math.max(Math.abs(a), Math.abs(b)) + 100 * (ro[k] ?? 0) + 1e-9 * scale;
        if (!(Math.abs(a - b) <= limit)) return `not smooth near the point (${all[cols[c] ?? 0]?.label ?? '?'})`;
      }
    }
    return { coords: all, cols, R, E, m, float32: single };
  }

  private read(args: readonly unknown[], c: Coord): number {
    const a = args[c.slot];
    return c.elem < 0 ? (a as number) : ((a as NumArray)[c.elem] ?? NaN);
  }

  /** Copy of `args` with coordinate c set to x + delta; returns the value actually stored. */
  private perturb(args: readonly unknown[], c: Coord, delta: number): { args: unknown[]; x: number } {
    const a = copyArgs(args);
    if (c.elem < 0) {
      const x = (a[c.slot] as number) + delta;
      a[c.slot] = x;
      return { args: a, x };
    }
    const arr = a[c.slot] as NumArray;
    arr[c.elem] = (arr[c.elem] ?? NaN) + delta;
    return { args: a, x: arr[c.elem] ?? NaN };
  }

  /** Central difference quotient along coordinate c with step h, over the steps actually taken. */
  private quotient(
    args: readonly unknown[],
    stops: readonly number[],
    c: Coord,
    h: number,
  ): { d: Float64Array; fmax: Float64Array; step: number } | string {
    const plus = this.perturb(args, c, h);
    const minus = this.perturb(args, c, -h);
    const fp = this.evalPrimal(plus.args, stops);
    if (typeof fp === 'string') return `primal ${fp}`;
    const fm = this.evalPrimal(minus.args, stops);
    if (typeof fm === 'string') return `primal ${fm}`;
    const step = plus.x - minus.x;
    const m = fp.y.length;
    if (fm.y.length !== m) return 'output length changed';
    const d = new Float64Array(m);
    const fmax = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      const a = fp.y[k] ?? NaN;
      const b = fm.y[k] ?? NaN;
      d[k] = (a - b) / step;
      fmax[k] = Math.max(Math.abs(a), Math.abs(b));
    }
    return { d, fmax, step };
  }

  /** Calls a generated function on a copy of the arguments; a thrown error is a FAIL. */
  private call(fn: AnyFn, suffix: string, args: readonly unknown[], extra: unknown[]): Record<string, unknown> {
    let r: unknown;
    try {
      r = fn(...copyArgs(args), ...extra);
    } catch (err) {
      throw new CheckFailure(`FAIL: ${this.unit.name}${suffix} threw: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (typeof r !== 'object' || r === null) {
      throw new CheckFailure(`FAIL: ${this.unit.name}${suffix} returned ${String(r)}, not an object`);
    }
    return r as Record<string, unknown>;
  }

  /** Flattens `grad: { a: number, x: Float64Array }` into coordinate order. */
  private flattenGrad(grad: unknown, coords: readonly Coord[], suffix: string, args: readonly unknown[]): Float64Array {
    const where = `${this.unit.name}${suffix}`;
    if (typeof grad !== 'object' || grad === null) throw new CheckFailure(`FAIL: ${where} returned no grad object`);
    const g = grad as Record<string, unknown>;
    const out = new Float64Array(coords.length);
    coords.forEach((c, j) => {
      const name = this.slots[c.slot]?.param.name ?? '';
      const v = g[name];
      if (c.elem < 0) {
        if (typeof v !== 'number') throw new CheckFailure(`FAIL: ${where}: grad.${name} is ${typeof v}, expected a number`);
        out[j] = v;
      } else {
        const len = (args[c.slot] as NumArray).length;
        if (!isNumArray(v) || v.length !== len) {
          throw new CheckFailure(`FAIL: ${where}: grad.${name} should be an array of length ${len}`);
        }
        out[j] = v[c.elem] ?? NaN;
      }
    });
    return out;
  }

  /** Flattens a value / tangent (number or array) and checks its length. */
  private flatOut(v: unknown, m: number, what: string): Float64Array {
    const f = this.flattenValue(v);
    if (typeof f === 'string') throw new CheckFailure(`FAIL: ${this.unit.name}${what} ${f}`);
    if (f.y.length !== m) throw new CheckFailure(`FAIL: ${this.unit.name}${what} has length ${f.y.length}, expected ${m}`);
    return f.y;
  }

  private checkValue(value: unknown, y0: Outputs, suffix: string): void {
    const v = this.flatOut(value, y0.y.length, `${suffix}: value`);
    let norm = 0;
    for (const y of y0.y) norm = Math.max(norm, Math.abs(y));
    const floor = Math.max(TOLERANCES.normFloor * norm, 1e-12);
    y0.y.forEach((y, k) => {
      const a = v[k] ?? NaN;
      const err = Math.abs(a - y) / Math.max(Math.abs(y), floor);
      this.worst.value.add(err, err, () => `${this.unit.name}${suffix}: value${y0.y.length > 1 ? `[${k}]` : ''} = ${fmt(a)}, primal ${fmt(y)}`);
    });
  }

  /** Compares AD components with FD references and error bounds; records the worst. */
  private compare(w: Worst, ad: ArrayLike<number>, fd: ArrayLike<number>, bound: ArrayLike<number>, label: (i: number) => string): void {
    let norm = 0;
    for (let i = 0; i < fd.length; i++) norm = Math.max(norm, Math.abs(fd[i] ?? 0));
    for (let i = 0; i < fd.length; i++) {
      const a = ad[i] ?? NaN;
      const d = fd[i] ?? NaN;
      const denom = Math.max(Math.abs(a), Math.abs(d), TOLERANCES.normFloor * norm, TOLERANCES.absFloor);
      const err = Number.isFinite(a) ? Math.abs(a - d) / denom : Infinity;
      const excess = Number.isFinite(a) ? Math.max(0, Math.abs(a - d) - (bound[i] ?? 0)) / denom : Infinity;
      w.add(err, excess, () => `${label(i)}: adgen ${fmt(a)}, finite differences ${fmt(d)}`);
    }
  }

  /** All comparisons at one valid point. */
  private comparePoint(args: unknown[], y0: Outputs, fd: FdJacobian, pointIndex: number): void {
    const { coords, cols, R, E, m } = fd;
    if (fd.float32) this.float32Outputs = true;
    const name = this.unit.name;
    const scalar = this.unit.returns.kind === 'number';
    const outLabel = (k: number): string => (m > 1 || !scalar ? `[${k}]` : '');
    const n = coords.length;

    // Reverse mode: fGrad (u = 1) and fVjp with a random cotangent u.
    const u = new Float64Array(m);
    for (let k = 0; k < m; k++) u[k] = this.rng.uniform(-1, 1);
    const cotangent: unknown = scalar ? u[0] : this.unit.returns.kind === 'tuple' ? Array.from(u) : Float64Array.from(u);
    const reverseRuns: [string, Float64Array, Float64Array][] = [];
    if (scalar && this.fns.grad) {
      const r = this.call(this.fns.grad, 'Grad', args, []);
      this.checkValue(r.value, y0, 'Grad');
      reverseRuns.push(['Grad', Float64Array.of(1), this.flattenGrad(r.grad, coords, 'Grad', args)]);
    }
    const rv = this.call(this.fns.vjp, 'Vjp', args, [cotangent]);
    this.checkValue(rv.value, y0, 'Vjp');
    const vjpGrad = this.flattenGrad(rv.grad, coords, 'Vjp', args);
    reverseRuns.push(['Vjp', u, vjpGrad]);
    for (const [suffix, weights, g] of reverseRuns) {
      const ad = cols.map((j) => g[j] ?? NaN);
      const ref = R.map((col) => col.reduce((s, v, k) => s + (weights[k] ?? 0) * v, 0));
      const bound = E.map((col) => col.reduce((s, v, k) => s + Math.abs(weights[k] ?? 0) * v, 0));
      this.compare(this.worst.reverse, ad, ref, bound, (c) => `${name}${suffix}: grad.${coords[cols[c] ?? 0]?.label}`);
    }

    // Forward mode: fJvp with a random tangent on the FD columns. At the second point the last
    // active parameter gets no tangent entry at all: the contract says a missing tangent is zero.
    const activeSlots = [...new Set(coords.map((c) => c.slot))];
    const omitted = pointIndex === 1 && activeSlots.length > 1 ? activeSlots[activeSlots.length - 1] : undefined;
    const v = new Float64Array(n);
    for (const j of cols) {
      const c = coords[j];
      if (c && c.slot !== omitted) v[j] = this.rng.uniform(-1, 1);
    }
    const tv = this.jvp(args, coords, v, omitted, y0);
    const refT = new Float64Array(m);
    const boundT = new Float64Array(m);
    cols.forEach((j, c) => {
      const vj = v[j] ?? 0;
      for (let k = 0; k < m; k++) {
        refT[k] = (refT[k] ?? 0) + (R[c]?.[k] ?? 0) * vj;
        boundT[k] = (boundT[k] ?? 0) + (E[c]?.[k] ?? 0) * Math.abs(vj);
      }
    });
    this.compare(this.worst.forward, tv, refT, boundT, (k) => `${name}Jvp: tangent${outLabel(k)}`);

    // Dot-product test ⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩ with a tangent on every coordinate.
    let full = v;
    let tFull = tv;
    if (cols.length < n) {
      full = new Float64Array(n);
      for (let j = 0; j < n; j++) full[j] = this.rng.uniform(-1, 1);
      tFull = this.jvp(args, coords, full, undefined, y0);
    }
    let lhs = 0;
    let rhs = 0;
    let mag = 0;
    for (let k = 0; k < m; k++) {
      const t = (tFull[k] ?? NaN) * (u[k] ?? 0);
      lhs += t;
      mag += Math.abs(t);
    }
    for (let j = 0; j < n; j++) {
      const t = (full[j] ?? 0) * (vjpGrad[j] ?? NaN);
      rhs += t;
      mag += Math.abs(t);
    }
    const residual = Math.abs(lhs - rhs) / Math.max(mag / 2, TOLERANCES.dotFloor);
    const dot = Number.isFinite(residual) ? residual : Infinity;
    this.worst.dot.add(dot, dot, () => `⟨J·v, u⟩ = ${fmt(lhs)}, ⟨v, Jᵀ·u⟩ = ${fmt(rhs)}`);

    // fJacobian: row per output, column per active coordinate.
    if (this.fns.jacobian) {
      const r = this.call(this.fns.jacobian, 'Jacobian', args, []);
      this.checkValue(r.value, y0, 'Jacobian');
      const rows = r.jacobian;
      if (!Array.isArray(rows) || rows.length !== m) {
        throw new CheckFailure(`FAIL: ${name}Jacobian: jacobian should have ${m} row(s)`);
      }
      for (let k = 0; k < m; k++) {
        const row: unknown = rows[k];
        if (!isNumArray(row) || row.length !== n) {
          throw new CheckFailure(`FAIL: ${name}Jacobian: row ${k} should be an array of length ${n}`);
        }
        const ad = cols.map((j) => row[j] ?? NaN);
        const ref = R.map((col) => col[k] ?? NaN);
        const bound = E.map((col) => col[k] ?? 0);
        this.compare(this.worst.jacobian, ad, ref, bound, (c) => `${name}Jacobian: row ${k}, ${coords[cols[c] ?? 0]?.label}`);
      }
    }
  }

  /** Calls fJvp with tangent v (coordinate order), leaving out parameter slot `omitted`. */
  private jvp(args: readonly unknown[], coords: readonly Coord[], v: Float64Array, omitted: number | undefined, y0: Outputs): Float64Array {
    const tangent: Record<string, number | Float64Array> = {};
    coords.forEach((c, j) => {
      if (c.slot === omitted) return;
      const name = this.slots[c.slot]?.param.name ?? '';
      if (c.elem < 0) tangent[name] = v[j] ?? 0;
      else {
        let arr = tangent[name];
        if (!(arr instanceof Float64Array)) {
          arr = new Float64Array((args[c.slot] as NumArray).length);
          tangent[name] = arr;
        }
        arr[c.elem] = v[j] ?? 0;
      }
    });
    const r = this.call(this.fns.jvp, 'Jvp', args, [tangent]);
    this.checkValue(r.value, y0, 'Jvp');
    return this.flatOut(r.tangent, y0.y.length, 'Jvp: tangent');
  }

  /** Turns the worst errors into the result fields and PASS/FAIL. */
  private finish(): void {
    const r = this.result;
    const w = this.worst;
    const f32 = this.slots.some((s) => s.kind === 'out' && s.param.type === 'Float32Array') || this.float32Outputs;
    const rtol = f32 ? TOLERANCES.rtolFloat32 : TOLERANCES.rtol;
    const vtol = f32 ? TOLERANCES.valueFloat32 : TOLERANCES.value;
    r.reverseError = w.reverse.value;
    r.forwardError = w.forward.value;
    r.jacobianError = w.jacobian.value;
    r.dotResidual = w.dot.value;
    r.valueError = w.value.value;
    const checks: [string, Worst, number][] = [
      ['reverse mode', w.reverse, rtol],
      ['forward mode', w.forward, rtol],
      ['Jacobian', w.jacobian, rtol],
      ['dot-product test', w.dot, TOLERANCES.dot],
      ['value', w.value, vtol],
    ];
    for (const [what, worst, tol] of checks) {
      if (worst.value !== null && worst.value > tol && worst.excess <= tol) {
        r.messages.push(`note: ${what} differs from finite differences by ${fmt(worst.value)}, within their own error estimate (strongly curved function)`);
      }
      if (worst.value !== null && !(worst.excess <= tol)) {
        r.messages.push(`FAIL: ${what} error ${fmt(worst.excess)} > ${tol.toExponential(0)} at ${worst.detail}`);
      }
    }
  }
}

/** Finite-difference Jacobian columns at one point. */
interface FdJacobian {
  coords: Coord[];
  /** indices into coords of the columns computed */
  cols: number[];
  /** R[c][k] = ∂y_k/∂x_{cols[c]} (central difference) */
  R: Float64Array[];
  /** error bound of R[c][k] */
  E: Float64Array[];
  m: number;
  float32: boolean;
}
