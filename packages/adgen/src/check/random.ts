/**
 * A small seeded pseudo-random generator (mulberry32) so that `adgen check` draws the same points
 * on every run: a failure can be reproduced with the seed printed in the report.
 */

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** uniform in [0, 1) */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** uniform in [lo, hi] */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** uniform integer in [lo, hi] (both inclusive) */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

/** FNV-1a hash of a string, to give each function its own random stream from one seed. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
