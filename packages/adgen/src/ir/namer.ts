/**
 * Deterministic names for compiler-made variables: counters per prefix (`_t0`, `_t1` …), and
 * every name starts with `_` so it cannot clash with a user name (the front end renames user
 * names that start with `_`).
 */
export class Namer {
  private counters = new Map<string, number>();
  constructor(private readonly taken: Set<string> = new Set()) {}

  /** A copy that continues from the same counters (for a second pass that must name alike). */
  fork(): Namer {
    const copy = new Namer(new Set(this.taken));
    for (const [k, v] of this.counters) copy.counters.set(k, v);
    return copy;
  }

  fresh(prefix: string): string {
    for (;;) {
      const n = this.counters.get(prefix) ?? 0;
      this.counters.set(prefix, n + 1);
      const name = `${prefix}${n}`;
      if (!this.taken.has(name)) {
        this.taken.add(name);
        return name;
      }
    }
  }
}
