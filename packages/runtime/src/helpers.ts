/**
 * Small numeric helpers shared by the examples and tests: vector arithmetic on typed arrays,
 * finite differences, and Python-style number formatting (so examples print what the course
 * notebooks print).
 */

/** Concatenate scalars and arrays into one fresh Float64Array (e.g. to pack a gradient). */
export function flatten(...parts: ReadonlyArray<number | ArrayLike<number>>): Float64Array {
  let n = 0;
  for (const p of parts) n += typeof p === 'number' ? 1 : p.length;
  const out = new Float64Array(n);
  let k = 0;
  for (const p of parts) {
    if (typeof p === 'number') {
      out[k++] = p;
    } else {
      for (let i = 0; i < p.length; i++) out[k++] = p[i]!;
    }
  }
  return out;
}

/** n evenly spaced values from a to b inclusive (NumPy `linspace`). */
export function linspace(a: number, b: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = a;
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = a + ((b - a) * i) / (n - 1);
  return out;
}

/** 0, 1, …, n−1 as a Float64Array (NumPy `arange`). */
export function arange(n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/** The standard basis vector eₖ of length n. */
export function basis(n: number, k: number): Float64Array {
  const out = new Float64Array(n);
  out[k] = 1;
  return out;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Euclidean norm ‖a‖₂. */
export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

/** max |aᵢ − bᵢ|; Infinity when the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** NumPy `allclose`: |aᵢ − bᵢ| ≤ atol + rtol·|bᵢ| for every i. */
export function allClose(a: ArrayLike<number>, b: ArrayLike<number>, rtol = 1e-9, atol = 1e-12): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i]! - b[i]!) <= atol + rtol * Math.abs(b[i]!))) return false;
  }
  return true;
}

/** Forward difference (f(x+h) − f(x)) / h: truncation error O(h). */
export function forwardDifference(f: (x: number) => number, x: number, h: number): number {
  return (f(x + h) - f(x)) / h;
}

/** Central difference (f(x+h) − f(x−h)) / 2h: truncation error O(h²). */
export function centralDifference(f: (x: number) => number, x: number, h: number): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}

/**
 * Python's `'%.{digits}g' % x`: `digits` significant digits, trailing zeros dropped, exponent
 * notation (`1.23e-05`) when the exponent is below −4 or at least `digits`.
 */
export function formatG(x: number, digits = 6): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const p = Math.max(1, digits);
  const exp = Number(x.toExponential(p - 1).split('e')[1]);
  if (exp < -4 || exp >= p) {
    const [mantissa, e] = x.toExponential(p - 1).split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    const digitsOfE = e.replace(/^[+-]/, '').padStart(2, '0');
    return `${stripZeros(mantissa)}e${sign}${digitsOfE}`;
  }
  return stripZeros(x.toFixed(Math.max(0, p - 1 - exp)));
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * Format numbers the way PyTorch prints a 1-D tensor: `tensor([1.0240e+02, 1.0240e+03])` in
 * scientific notation with 4 decimals, or fixed with 4 decimals when that is exact enough.
 */
export function formatTensor(a: ArrayLike<number> | number): string {
  if (typeof a === 'number') return `tensor(${formatTensorEntry(a, useScientific([a]))})`;
  const xs = Array.from(a);
  const sci = useScientific(xs);
  return `tensor([${xs.map((x) => formatTensorEntry(x, sci)).join(', ')}])`;
}

function useScientific(xs: number[]): boolean {
  const mags = xs.filter((x) => x !== 0 && Number.isFinite(x)).map((x) => Math.abs(x));
  if (mags.length === 0) return false;
  const max = Math.max(...mags);
  const min = Math.min(...mags);
  // PyTorch switches to scientific notation for a large dynamic range or extreme magnitudes.
  return max / min > 1000 || max > 1e8 || min < 1e-4;
}

function formatTensorEntry(x: number, sci: boolean): string {
  if (sci) return x.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
  return x.toFixed(4);
}

/**
 * True when the module whose `import.meta.url` is given is the program's entry point
 * (`tsx examples/x/main.ts`), false when it is imported (by a test or scripts/run-example.ts).
 * Uses no Node module, so the runtime stays importable in a browser (where it returns false).
 */
export function isMain(importMetaUrl: string): boolean {
  const entry = globalThis.process?.argv?.[1];
  if (entry === undefined || !importMetaUrl.startsWith('file:')) return false;
  const modulePath = decodeURIComponent(new URL(importMetaUrl).pathname);
  const normalise = (p: string): string => p.replace(/\\/g, '/').replace(/^\/([A-Za-z]:)/, '$1').replace(/\.[cm]?[jt]s$/, '');
  return normalise(modulePath) === normalise(entry);
}
