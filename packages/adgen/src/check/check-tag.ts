/**
 * The `@check` JSDoc tag: how `adgen check` draws the random points of one function.
 *
 * Grammar (one or more clauses separated by commas; several `@check` tags are merged, a later
 * clause overriding an earlier one for the same parameter and field):
 *
 * ```text
 * @check <clause>, <clause>, …
 * clause := target [':' size] ['in' '[' lo ',' hi ']']     size and/or range
 *         | target '=' value                              a fixed value
 * target := a parameter name | '*' (every parameter without a clause of its own)
 * size   := a non-negative integer
 * lo, hi, value := a number: 1, -0.5, 1e-3, PI, Math.PI, E, 2*PI, PI/2, -PI …
 * ```
 *
 * Meaning per parameter kind:
 * - array (`number[]`, `Float64Array`, `Float32Array`): `x: 100` is its length (default 5, or
 *   the size of another array if you give every array one), `x in [0, 2]` the range of its
 *   elements, `x = 1` sets every element.
 * - `@out` array: `out: 10` is its length (default: the default array length).
 * - active `number`: `w in [-1, 1]` its range; `w = 0.5` (or `w: 0.5`) a fixed value — it is
 *   still differentiated, only not drawn at random.
 * - inactive `number` (excluded by `@wrt`, typically a size, count or index): `n: 10` or
 *   `n = 10` fixes it (default 3); `n in [1, 8]` draws it at random, as an integer when both
 *   bounds are integers.
 *
 * Defaults: values are uniform in [-1, 1]. A point where the function returns NaN or ±Infinity
 * or throws (a logarithm or square root of a negative draw, say) is drawn again, first in
 * [-1, 1], then in [0.1, 1], then in [1.1, 2] for parameters without a range of their own.
 * Arrays without a size have 5 elements; when no point is valid with that, the check retries
 * with matrix-shaped defaults, where an array whose name starts with a capital letter (A, W, X)
 * has n² elements and the others n, for n = 3 (the default of a size parameter) and n = 5, and
 * then with 9 and 3 elements for every array. Only when every draw fails does the check report
 * "no valid point".
 *
 * Examples (tag lines of a function's JSDoc):
 * ```text
 * @check x: 100, y: 100                two data arrays of 100 points
 * @check w in [-1, 1], x: 50 in [0, 2]
 * @check n = 4, A: 16                  with `@wrt A, b`: a 4×4 matrix in a flat array
 * @check * in [0.5, 2]                 positive inputs everywhere
 * ```
 */

import type { ParamInfo } from '../api-types.ts';

/** What `@check` says about one parameter. Every field is optional. */
export interface ParamSpec {
  /** array length (arrays, `@out` arrays) or fixed value (inactive numbers given `n: 10`) */
  size?: number;
  /** [lo, hi] range to draw values from */
  range?: [number, number];
  /** fixed value (scalars) or fill value (arrays) */
  value?: number;
}

/** The parsed `@check` tags of one function. */
export interface CheckSpec {
  /** per parameter name; '*' holds the defaults for parameters without a clause */
  params: Map<string, ParamSpec>;
  /** problems found while parsing, as messages for the user */
  errors: string[];
}

type Token = { t: 'word' | 'num' | 'punct'; s: string };

/** Splits one tag's text into words (names, `in`, `PI`), numbers and punctuation. */
function tokenize(text: string): Token[] | string {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?)|([:=,[\]()*/+-]))/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return `unexpected '${text.slice(pos).trim().slice(0, 12)}'`;
    if (m[1] !== undefined) tokens.push({ t: 'num', s: m[1] });
    else if (m[2] !== undefined) tokens.push({ t: 'word', s: m[2] });
    else tokens.push({ t: 'punct', s: m[3] ?? '' });
    pos = re.lastIndex;
  }
  return tokens;
}

const CONSTANTS: Record<string, number> = { PI: Math.PI, 'Math.PI': Math.PI, E: Math.E, 'Math.E': Math.E };

/** Recursive-descent parser over the tokens of one tag. */
class TagParser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  done(): boolean {
    return this.i >= this.tokens.length;
  }
  peek(): Token | undefined {
    return this.tokens[this.i];
  }
  eat(s: string): boolean {
    const tok = this.tokens[this.i];
    if (tok && tok.s === s) {
      this.i++;
      return true;
    }
    return false;
  }
  expect(s: string): void {
    if (!this.eat(s)) throw new TagError(`expected '${s}'${this.where()}`);
  }
  where(): string {
    const tok = this.peek();
    return tok ? ` before '${tok.s}'` : ' at the end';
  }

  /** number := ['-'|'+'] factor (('*'|'/') factor)*  where factor is a literal or a constant */
  number(): number {
    let sign = 1;
    if (this.eat('-')) sign = -1;
    else this.eat('+');
    let v = this.factor();
    for (;;) {
      if (this.eat('*')) v *= this.factor();
      else if (this.eat('/')) v /= this.factor();
      else break;
    }
    return sign * v;
  }
  private factor(): number {
    const tok = this.peek();
    if (tok?.t === 'num') {
      this.i++;
      return Number(tok.s);
    }
    if (tok?.t === 'word' && tok.s in CONSTANTS) {
      this.i++;
      return CONSTANTS[tok.s] ?? NaN;
    }
    throw new TagError(`expected a number${this.where()}`);
  }

  /** clause := target [':' size] ['in' range] | target '=' value */
  clause(): [string, ParamSpec] {
    const tok = this.peek();
    let target: string;
    if (tok?.t === 'word' && tok.s !== 'in') target = tok.s;
    else if (tok?.s === '*') target = '*';
    else throw new TagError(`expected a parameter name or '*'${this.where()}`);
    this.i++;
    const spec: ParamSpec = {};
    if (this.eat('=')) {
      spec.value = this.number();
      return [target, spec];
    }
    if (this.eat(':')) {
      const size = this.number();
      if (!Number.isFinite(size)) throw new TagError(`size of '${target}' must be a number`);
      spec.size = size;
    }
    if (this.eat('in')) {
      this.expect('[');
      const lo = this.number();
      this.expect(',');
      const hi = this.number();
      this.expect(']');
      if (!(lo <= hi)) throw new TagError(`range of '${target}' is empty: [${lo}, ${hi}]`);
      spec.range = [lo, hi];
    }
    if (spec.size === undefined && spec.range === undefined) {
      throw new TagError(`'${target}' needs ': size', 'in [lo, hi]' or '= value'`);
    }
    return [target, spec];
  }
}

class TagError extends Error {}

/** Removes the `@check` tag name and JSDoc decoration (leading `*`) from a tag's raw text. */
function tagBody(raw: string): string {
  return raw
    .split('\n')
    .map((line, i) => (i === 0 ? line : line.replace(/^\s*\*/, '')))
    .join(' ')
    .replace(/^\s*@check\b/, '')
    .replace(/\*\/\s*$/, '')
    .trim();
}

/**
 * Parses the raw `@check` tag texts of a function against its parameter list. Never throws:
 * problems come back in `errors` (a misspelt parameter name must not pass silently).
 */
export function parseCheckTags(tags: readonly string[], params: readonly ParamInfo[]): CheckSpec {
  const spec: CheckSpec = { params: new Map(), errors: [] };
  const names = new Set(params.map((p) => p.name));
  for (const raw of tags) {
    const body = tagBody(raw);
    if (body === '') continue;
    const tokens = tokenize(body);
    if (typeof tokens === 'string') {
      spec.errors.push(`@check ${body}: ${tokens}`);
      continue;
    }
    const parser = new TagParser(tokens);
    try {
      while (!parser.done()) {
        const [target, clause] = parser.clause();
        if (target !== '*' && !names.has(target)) {
          spec.errors.push(`@check names '${target}', which is not a parameter`);
        } else {
          const old = spec.params.get(target) ?? {};
          spec.params.set(target, { ...old, ...clause });
          const param = params.find((p) => p.name === target);
          const isArray = param !== undefined && param.type !== 'number';
          if (clause.size !== undefined && isArray && !(Number.isInteger(clause.size) && clause.size >= 0)) {
            spec.errors.push(`@check ${target}: ${clause.size}: an array length must be a non-negative integer`);
          }
          // `w: 1 in [0, 2]` on a number: the value would win and the range be dropped unseen
          if (clause.size !== undefined && clause.range !== undefined && param !== undefined && !isArray) {
            spec.errors.push(`@check ${target}: ${clause.size} in [${clause.range.join(', ')}]: '${target}' is a number; give it a value ('${target} = ${clause.size}') or a range ('${target} in [${clause.range.join(', ')}]'), not both`);
          }
        }
        if (!parser.done()) parser.expect(',');
      }
    } catch (err) {
      if (!(err instanceof TagError)) throw err;
      spec.errors.push(`@check ${body}: ${err.message}`);
    }
  }
  return spec;
}

/** The clause for `name`, filled in field by field from the `*` defaults. */
export function specFor(spec: CheckSpec, name: string): ParamSpec {
  const own = spec.params.get(name) ?? {};
  const star = spec.params.get('*') ?? {};
  return { ...star, ...own };
}
