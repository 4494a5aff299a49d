/**
 * Helper code that generated files carry inline (generated code never imports adgen, SPEC §2).
 * Each piece is constant TypeScript, included only when the file uses it.
 */

/** The typed-array tape of reverse mode (Tapenade's PUSH/POP), shared by the file's functions. */
export const TAPE = `
/** The tape: values the adjoint sweep reads after the forward sweep overwrote them. */
let _tape = new Float64Array(1024);
let _sp = 0;
let _tapePeak = 0;

function _push(v: number): void {
  if (_sp === _tape.length) {
    const grown = new Float64Array(_tape.length * 2);
    grown.set(_tape);
    _tape = grown;
  }
  _tape[_sp++] = v;
}

/** Makes room for n more values (loops with a known trip count push without checks). */
function _reserve(n: number): void {
  if (_sp + n > _tape.length) {
    const grown = new Float64Array(Math.max(_tape.length * 2, _sp + n));
    grown.set(_tape);
    _tape = grown;
  }
}

function _pop(): number {
  return _tape[--_sp];
}

/** Called at the end of each forward sweep, where the tape is at its highest. */
function _notePeak(): void {
  if (_sp > _tapePeak) _tapePeak = _sp;
}

/** The most bytes the value tape of this file has held (for benchmarks and tests). */
export function adgenTapePeakBytes(): number {
  return _tapePeak * 8;
}
`;

/** Whole scratch arrays on the value tape: snapshots of loop iterations (reverse/snapshot.ts). */
export const TAPE_ARRAYS = `
/** Pushes every element of a scratch array (a snapshot of one loop iteration). */
function _pushArray(a: ArrayLike<number>): void {
  _reserve(a.length);
  for (let i = 0; i < a.length; i++) _tape[_sp + i] = a[i]!;
  _sp += a.length;
}

/** Pops a snapshot pushed by _pushArray back into the array. */
function _popArray(a: { [i: number]: number; length: number }): void {
  _sp -= a.length;
  for (let i = 0; i < a.length; i++) a[i] = _tape[_sp + i]!;
}

/**
 * Copies a snapshot that ends at tape position q back into the array, leaving it on the tape (a
 * kernel re-runs a call from it; the snapshot is popped after). Returns where it starts.
 */
function _peekArray(a: { [i: number]: number; length: number }, q: number): number {
  q -= a.length;
  for (let i = 0; i < a.length; i++) a[i] = _tape[q + i]!;
  return q;
}
`;

/** Slices of arrays on the value tape: what a helper called in a loop overwrites (analyze/regions.ts). */
export const TAPE_SLICES = `
/** Pushes a[lo..hi) (clamped to the array), then the bounds. */
function _pushSlice(a: ArrayLike<number>, lo: number, hi: number): void {
  const from = lo > 0 ? Math.floor(lo) : 0;
  const to = Math.max(from, hi < a.length ? Math.ceil(hi) : a.length);
  _reserve(to - from + 2);
  for (let i = from; i < to; i++) _tape[_sp++] = a[i]!;
  _tape[_sp++] = from;
  _tape[_sp++] = to;
}

/** Pops a slice pushed by _pushSlice back into the array. */
function _popSlice(a: { [i: number]: number; length: number }): void {
  const to = _tape[--_sp]!;
  const from = _tape[--_sp]!;
  _sp -= to - from;
  for (let i = from; i < to; i++) a[i] = _tape[_sp + i - from]!;
}

/** _peekArray for a slice: copies the one ending at tape position q back; returns where it starts. */
function _peekSlice(a: { [i: number]: number; length: number }, q: number): number {
  const to = _tape[q - 1]!;
  const from = _tape[q - 2]!;
  q -= 2 + to - from;
  for (let i = from; i < to; i++) a[i] = _tape[q + i - from]!;
  return q;
}
`;

/** Arrays allocated inside loops, kept for the adjoint sweep. */
export const REF_TAPE = `
const _refs: ArrayLike<number>[] = [];

function _pushRef(a: ArrayLike<number>): void {
  _refs.push(a);
}

function _popRef<T extends ArrayLike<number>>(): T {
  return _refs.pop() as T;
}
`;

export const TANGENT_ARRAY = `
/**
 * A tangent array of the given length: a copy of the one passed, or zeros. A tangent the kernel
 * only reads is the caller's own Float64Array, not a copy.
 */
function _tangentArray(given: ArrayLike<number> | undefined, length: number, name: string, readOnly = false): Float64Array {
  if (given && given.length !== length) throw new RangeError(\`tangent.\${name} has length \${given.length}; \${name} has length \${length}\`);
  if (readOnly && given instanceof Float64Array) return given;
  const t = new Float64Array(length);
  if (given) t.set(given);
  return t;
}
`;

/** The length check of fVjp's cotangent (array, tuple and @out results). */
export const CHECK_COTANGENT = `
/** A cotangent has one element per element of the value. */
function _checkCotangent(cotangent: ArrayLike<number>, length: number): void {
  if (cotangent.length !== length) {
    throw new RangeError(\`cotangent has length \${cotangent.length}; the value has length \${length}\`);
  }
}
`;

export const JACOBIAN = `
type _Column = [name: string, length: number];

/**
 * The Jacobian, row per output and column per input element (arrays expanded), built with
 * reverse mode when there are fewer outputs than inputs and with forward mode otherwise.
 */
function _jacobian<R extends number | ArrayLike<number>>(
  columns: _Column[],
  jvp: (tangent: Record<string, number | Float64Array>) => { value: R; tangent: number | ArrayLike<number> },
  vjp: (cotangent: number | Float64Array) => { value: R; grad: Record<string, number | Float64Array> },
  reset: () => void = () => {},
): { value: R; jacobian: Float64Array[] } {
  const n = columns.reduce((sum, [, length]) => sum + (length < 0 ? 1 : length), 0);
  reset();
  const value = jvp({}).value;
  const m = typeof value === 'number' ? 1 : value.length;
  const jacobian = Array.from({ length: m }, () => new Float64Array(n));
  if (m <= n) {
    for (let r = 0; r < m; r++) {
      let cotangent: number | Float64Array = 1;
      if (typeof value !== 'number') {
        cotangent = new Float64Array(m);
        cotangent[r] = 1;
      }
      reset();
      const grad = vjp(cotangent).grad;
      let c = 0;
      for (const [name, length] of columns) {
        const g = grad[name]!;
        if (typeof g === 'number') jacobian[r]![c++] = g;
        else for (let j = 0; j < length; j++) jacobian[r]![c++] = g[j]!;
      }
    }
  } else {
    let c = 0;
    for (const [name, length] of columns) {
      for (let j = 0; j < (length < 0 ? 1 : length); j++, c++) {
        let seed: number | Float64Array = 1;
        if (length >= 0) {
          seed = new Float64Array(length);
          seed[j] = 1;
        }
        reset();
        const t = jvp({ [name]: seed }).tangent;
        for (let r = 0; r < m; r++) jacobian[r]![c] = typeof t === 'number' ? t : t[r]!;
      }
    }
  }
  return { value, jacobian };
}
`;

/** The run-time check before a store that may grow a number[] (analyze/bounds.ts). */
export const CHECK_INDEX = `
/** A number[] grows when written past its end; its derivative arrays cannot, so such a write stops here. */
function _checkIndex(i: number, length: number, where: string): void {
  if (!(i >= 0 && i < length)) {
    throw new RangeError(\`\${where}[\${i}]: outside the array (length \${length}); adgen's derivative arrays cannot grow with it: create the array with its full length\`);
  }
}
`;

/** Copies saved contents back into several arrays. */
export const COPY_EACH = `
function _copyEach(dsts: { [i: number]: number; length: number }[], srcs: ArrayLike<number>[]): void {
  for (let k = 0; k < dsts.length; k++) {
    const dst = dsts[k]!;
    const src = srcs[k]!;
    for (let i = 0; i < src.length; i++) dst[i] = src[i]!;
  }
}
`;

/**
 * Strided runs of arrays on the value tape: a column `A[i * n + j]` over i (analyze/regions.ts).
 * Only whole-number indices inside the array are saved; the run's bounds in m follow its values.
 */
export const TAPE_STRIDED = `
/** The m in [0, count) for which start + m·stride is an index of an array of length len. */
function _stridedRange(len: number, start: number, stride: number, count: number): [number, number] {
  if (!Number.isInteger(start) || !Number.isInteger(stride) || !(count > 0)) return [0, 0];
  if (stride === 0) return start >= 0 && start < len ? [0, 1] : [0, 0];
  const lo = Math.max(0, Math.ceil(stride > 0 ? -start / stride : (len - 1 - start) / stride));
  const hi = Math.min(count, Math.floor(stride > 0 ? (len - 1 - start) / stride : -start / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Pushes a[start + m·stride] for the m of _stridedRange, then start, stride and that range. A run
 * whose start or stride is not a whole number (\`A[1.5 * i + j]\` still lands on whole indices
 * at even i) is saved as every element between its ends.
 */
function _pushStrided(a: ArrayLike<number>, start: number, stride: number, count: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(stride)) {
    const last = start + (count - 1) * stride;
    const from = Math.floor(Math.min(start, last));
    const to = Math.ceil(Math.max(start, last));
    start = from >= 0 ? from : 0;
    count = (to < a.length ? to : a.length - 1) - start + 1;
    stride = 1;
  }
  const [lo, hi] = _stridedRange(a.length, start, stride, count);
  _reserve(hi - lo + 4);
  for (let m = lo; m < hi; m++) _tape[_sp++] = a[start + m * stride]!;
  _tape[_sp++] = start;
  _tape[_sp++] = stride;
  _tape[_sp++] = lo;
  _tape[_sp++] = hi;
}

/** Pops a run pushed by _pushStrided back into the array. */
function _popStrided(a: { [i: number]: number; length: number }): void {
  _sp = _peekStrided(a, _sp);
}

/** _peekArray for a strided run: copies the one ending at tape position q back; returns where it starts. */
function _peekStrided(a: { [i: number]: number; length: number }, q: number): number {
  const hi = _tape[q - 1]!;
  const lo = _tape[q - 2]!;
  const stride = _tape[q - 3]!;
  const start = _tape[q - 4]!;
  q -= 4 + hi - lo;
  for (let m = lo; m < hi; m++) a[start + m * stride] = _tape[q + m - lo]!;
  return q;
}
`;

/** A kernel's copy of an array, in module-level storage it reuses (optimize/scratch.ts). */
export const SCRATCH_COPY = `
function _scratchCopy(storage: Float64Array[], a: ArrayLike<number>): Float64Array {
  let s = storage[0]!;
  if (s.length !== a.length) storage[0] = s = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) s[i] = a[i]!;
  return s;
}
`;

/**
 * A reverse kernel called with a zero seed: its number arguments' adjoints are 0 and only the
 * value is computed. Out of line, so that small kernels stay within V8's inlining budget.
 */
export const ZERO_SEED = `
function _zeroSeed(slots: Float64Array, value: number): number {
  slots.fill(0);
  return value;
}
`;

/** Copies saved contents back into an array (typed or number[]). */
export const COPY_INTO = `
function _copyInto(dst: { [i: number]: number; length: number }, src: ArrayLike<number>): void {
  for (let i = 0; i < src.length; i++) dst[i] = src[i]!;
}
`;
