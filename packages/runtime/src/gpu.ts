/**
 * Helpers for the GPU code adgen generates for `@gpu` functions (SPEC §6): a per-instance cache
 * of gpu.js kernels, float64 summation of the single-precision rows kernels return, and the
 * host-side moves of those rows into adjoint arrays.
 *
 * This module never imports gpu.js: it talks to the `GPU` instance the caller passes in through
 * the few members it needs, so the runtime loads (and type-checks) without gpu.js installed.
 */

/** What a kernel result row is: gpu.js returns Float32Arrays (plain arrays on a few backends). */
export type KernelRow = ArrayLike<number>;

/** A kernel argument: a number, a boolean or a numeric array. */
export type KernelArg = number | boolean | ArrayLike<number>;

/** The members of a gpu.js kernel adgen uses. */
interface KernelLike {
  (...args: never[]): unknown;
  destroy?(removeCanvasReferences?: boolean): void;
}

/** The members of a gpu.js `GPU` instance adgen uses. */
export interface GpuLike {
  readonly mode?: string;
  createKernel(kernel: never, settings?: object): unknown;
}

/** Settings every adgen kernel is built with: single precision, no texture pipeline. */
const KERNEL_SETTINGS = {
  precision: 'single',
  tactic: 'precision',
  pipeline: false,
  // inner loops of a kernel may run up to this many iterations on the GL backends
  loopMaxIterations: 100_000,
} as const;

/** gpu.js kernel classes → the mode that selects them. */
const BACKEND_OF_CLASS: Record<string, string> = {
  CPUKernel: 'cpu',
  WebAssemblyKernel: 'webasm',
  HeadlessGLKernel: 'headlessgl',
  WebGLKernel: 'webgl',
  WebGL2Kernel: 'webgl2',
  WebGPUKernel: 'webgpu',
};

const EMPTY_STAND_IN = new Float32Array(1);

/** Most compiled shapes kept per kernel function; the least recently used one is destroyed. */
const SHAPES_PER_KERNEL = 8;

/**
 * The kernels of one `createFGpu(gpu)` call. gpu.js compiles a kernel for one output size and
 * one size of each array argument, so each kernel function is compiled once per shape it meets
 * and the compiled kernel is reused on every later call with that shape.
 */
export class GpuKernels {
  private readonly compiled = new Map<Function, Map<string, KernelLike>>();

  constructor(readonly gpu: GpuLike) {
    if (gpu.mode === 'async' || gpu.mode === 'webgpu') {
      throw new Error(
        `adgen GPU functions need a gpu.js mode whose kernels return their results directly; got mode '${gpu.mode}'. ` +
          `Use new GPU() or one of the modes 'gpu', 'headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu'.`,
      );
    }
  }

  /**
   * Runs a kernel over n iterations, one value each. Iteration x + width·y is thread (x, y) of a
   * width × height plane: one row (width n) on the JavaScript and WebAssembly backends, close to
   * square on the GL backends, whose textures are at most 16384 texels wide.
   */
  run(kernel: Function, n: number, args: KernelArg[]): KernelRow {
    const [width, height] = this.plane(n);
    return this.flatten(this.call(kernel, [width, height], args) as KernelRow[], n);
  }

  /** Runs a kernel with `rows` values per iteration (thread z is the row) and returns each row. */
  runRows(kernel: Function, n: number, rows: number, args: KernelArg[]): KernelRow[] {
    // no rows (an empty array read at other indices): gpu.js refuses an output dimension of 0
    if (rows <= 0) return [];
    const [width, height] = this.plane(n);
    const planes = this.call(kernel, [width, height, rows], args) as KernelRow[][];
    return planes.map((p) => this.flatten(p, n));
  }

  private plane(n: number): [number, number] {
    const mode = this.gpu.mode;
    if (mode === 'cpu' || mode === 'webasm' || mode === 'dev') return [n, 1];
    const width = Math.ceil(Math.sqrt(n));
    return [width, Math.ceil(n / width)];
  }

  /** The first n values of a plane, in iteration order. */
  private flatten(plane: KernelRow[], n: number): KernelRow {
    if (plane.length === 1 && plane[0]!.length === n) return plane[0]!;
    const out = new Float32Array(n);
    let k = 0;
    for (const row of plane) {
      const take = Math.min(row.length, n - k);
      if (take <= 0) break;
      if (row instanceof Float32Array) out.set(row.subarray(0, take), k);
      else for (let j = 0; j < take; j++) out[k + j] = row[j]!;
      k += take;
    }
    return out;
  }

  private call(kernel: Function, output: number[], args: KernelArg[]): unknown {
    const key = [...output, ...args.map((a) => (typeof a === 'object' ? a.length : '·'))].join(',');
    let shapes = this.compiled.get(kernel);
    if (!shapes) this.compiled.set(kernel, (shapes = new Map()));
    let k = shapes.get(key);
    if (k) {
      // most recently used last
      shapes.delete(key);
    } else {
      k = this.gpu.createKernel(kernel as never, { ...KERNEL_SETTINGS, output }) as KernelLike;
      if (shapes.size >= SHAPES_PER_KERNEL) {
        const [oldest, old] = shapes.entries().next().value as [string, KernelLike];
        shapes.delete(oldest);
        old.destroy?.();
      }
    }
    shapes.set(key, k);
    // gpu.js cannot size an empty array argument (webasm throws); kernels read array lengths from
    // their own number arguments, never from the array, so a one-element stand-in is never read
    const given = args.map((a) => (typeof a === 'object' && a.length === 0 ? EMPTY_STAND_IN : a));
    const result = (k as (...a: KernelArg[]) => unknown)(...given);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      throw new Error('adgen GPU functions need kernels that return their results directly (not asyncMode).');
    }
    return result;
  }

  /** How many compiled kernels the cache holds (each kernel function once per shape it met). */
  get size(): number {
    let n = 0;
    for (const shapes of this.compiled.values()) n += shapes.size;
    return n;
  }

  /** The gpu.js backends the compiled kernels run on ('cpu', 'webasm', 'headlessgl' …), after any fallback. */
  get backends(): string[] {
    const modes = new Set<string>();
    for (const shapes of this.compiled.values()) {
      for (const k of shapes.values()) {
        const kind = (k as { kernel?: { constructor?: { name?: string; mode?: string } } }).kernel?.constructor;
        // the GL kernels all report mode 'gpu'; their class says which
        const mode = BACKEND_OF_CLASS[kind?.name ?? ''] ?? kind?.mode;
        if (mode) modes.add(mode);
      }
    }
    return [...modes].sort();
  }

  /** Releases every compiled kernel. */
  destroy(): void {
    for (const shapes of this.compiled.values()) for (const k of shapes.values()) k.destroy?.();
    this.compiled.clear();
  }
}

/** The kernel cache of one `createFGpu(gpu)` call. */
export function createKernels(gpu: GpuLike): GpuKernels {
  return new GpuKernels(gpu);
}

/**
 * Binds a generated host function to its kernels and makes it async, for the object
 * `createFGpu(gpu)` returns: `bindKernels(_lossGpu, kernels)(w, b)` is `_lossGpu(kernels, w, b)`.
 */
export function bindKernels<A extends unknown[], R>(f: (kernels: GpuKernels, ...args: A) => R, kernels: GpuKernels): (...args: A) => Promise<R> {
  return async (...args: A) => f(kernels, ...args);
}

/** Below this many terms pairwise summation adds sequentially. */
const PAIRWISE_BLOCK = 128;

/**
 * Σ row[from…to) in float64 by pairwise summation: the rounding error grows like log n, so the
 * sum of a kernel's single-precision terms loses nothing beyond their own rounding.
 */
export function sumRow(row: KernelRow, from = 0, to = row.length): number {
  if (to - from <= PAIRWISE_BLOCK) {
    let s = 0;
    for (let k = from; k < to; k++) s += row[k]!;
    return s;
  }
  const mid = from + Math.floor((to - from) / 2);
  return sumRow(row, from, mid) + sumRow(row, mid, to);
}

/** target[offset + k] = row[k]: the results of a map kernel, stored where the loop stores them. */
export function storeRow(target: { [k: number]: number; length: number }, row: KernelRow, offset: number): void {
  for (let k = 0; k < row.length; k++) target[offset + k] = row[k]!;
}

/** target[offset + k] += row[k]: per-iteration adjoints of the elements a loop reads at i + c. */
export function addRow(target: { [k: number]: number; length: number }, row: KernelRow, offset: number): void {
  for (let k = 0; k < row.length; k++) target[offset + k] = target[offset + k]! + row[k]!;
}

/** target[e] += Σ rows[first + e]: adjoints of an array every iteration reads (summed over iterations). */
export function addRowSums(target: { [k: number]: number; length: number }, rows: KernelRow[], first: number): void {
  for (let e = 0; e < target.length; e++) target[e] = target[e]! + sumRow(rows[first + e]!);
}
