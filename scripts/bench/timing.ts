/**
 * Timing helpers. Every measured function is warmed up (so V8 has optimised it), then sampled
 * round-robin with the other variants of the same model, so slow drift of the machine affects all
 * variants alike. A sample runs the function enough times back to back to last at least
 * `minSampleMs`; we report per-call times. Garbage is collected (when possible) before each
 * sample, outside the timed region.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | undefined;
try {
  v8.setFlagsFromString('--expose-gc');
  gcFn = vm.runInNewContext('gc') as () => void;
} catch {
  gcFn = undefined;
}
export function collectGarbage(): void {
  gcFn?.();
}

/** Results go here so V8 cannot drop the calls as dead code. */
export let sink: unknown;

export interface Timing {
  /** median per-call time, ms */
  median: number;
  min: number;
  max: number;
  /** per-call time of each sample, ms */
  samples: number[];
  /** calls per sample */
  callsPerSample: number;
}

export interface TimingOptions {
  /** warm-up: at least this many calls … */
  warmupCalls: number;
  /** … and at least this much time, ms */
  warmupMs: number;
  /** samples per variant */
  reps: number;
  /** minimum duration of one sample, ms */
  minSampleMs: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

function warmUp(fn: () => unknown, o: TimingOptions): number {
  // returns an estimate of one call's time, ms
  const t0 = performance.now();
  let calls = 0;
  let last = 0;
  while (calls < o.warmupCalls || performance.now() - t0 < o.warmupMs) {
    const t = performance.now();
    sink = fn();
    last = performance.now() - t;
    calls++;
  }
  return Math.max(last, 1e-4);
}

/** Measure several variants of one model together (round-robin sampling). */
export function measureAll(
  fns: Record<string, () => unknown>,
  o: TimingOptions,
): Record<string, Timing> {
  const names = Object.keys(fns);
  const calls: Record<string, number> = {};
  for (const name of names) {
    const est = warmUp(fns[name], o);
    calls[name] = Math.max(1, Math.ceil(o.minSampleMs / est));
  }
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < o.reps; r++) {
    for (const name of names) {
      const fn = fns[name];
      const c = calls[name];
      collectGarbage();
      const t0 = performance.now();
      for (let i = 0; i < c; i++) sink = fn();
      samples[name].push((performance.now() - t0) / c);
    }
  }
  const out: Record<string, Timing> = {};
  for (const name of names) {
    const s = samples[name];
    out[name] = {
      median: median(s),
      min: Math.min(...s),
      max: Math.max(...s),
      samples: s,
      callsPerSample: calls[name],
    };
  }
  return out;
}

/** Measure one slow function on its own: `warmupCalls` untimed calls, then `reps` single calls. */
export function measureSlow(fn: () => unknown, warmupCalls: number, reps: number): Timing {
  for (let i = 0; i < warmupCalls; i++) sink = fn();
  const s: number[] = [];
  for (let r = 0; r < reps; r++) {
    collectGarbage();
    const t0 = performance.now();
    sink = fn();
    s.push(performance.now() - t0);
  }
  return {
    median: median(s),
    min: Math.min(...s),
    max: Math.max(...s),
    samples: s,
    callsPerSample: 1,
  };
}
