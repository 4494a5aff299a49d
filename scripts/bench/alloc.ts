/**
 * Counts the typed-array memory a call allocates, by wrapping the global typed-array
 * constructors in a Proxy for the duration of one (untimed) call. Generated code names
 * `Float64Array` etc. as globals, so its tape buffers are seen; buffers allocated once at module
 * load, or plain JS arrays used as stacks, are not (the static scan below reports those).
 */
const KINDS = [
  'Float64Array',
  'Float32Array',
  'Int32Array',
  'Uint32Array',
  'Int16Array',
  'Uint16Array',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
] as const;

export interface AllocReport {
  bytes: number;
  count: number;
  largest: number;
}

export function countTypedArrayAllocations(fn: () => unknown): AllocReport {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = KINDS.map((k) => g[k]);
  const rep: AllocReport = { bytes: 0, count: 0, largest: 0 };
  try {
    for (const k of KINDS) {
      const orig = g[k] as new (...a: unknown[]) => ArrayBufferView;
      g[k] = new Proxy(orig, {
        construct(target, args, newTarget) {
          const r = Reflect.construct(target, args, newTarget) as ArrayBufferView;
          // a view on an existing buffer allocates nothing new
          if (!(args[0] instanceof ArrayBuffer) && !(args[0] instanceof SharedArrayBuffer)) {
            rep.bytes += r.byteLength;
            rep.count++;
            rep.largest = Math.max(rep.largest, r.byteLength);
          }
          return r;
        },
      });
    }
    fn();
  } finally {
    KINDS.forEach((k, i) => (g[k] = saved[i]));
  }
  return rep;
}

/**
 * What a generated file's tape is made of, read from its source: each function's lines that
 * push/pop or allocate arrays (prefixed by the function's name), and the file's top-level buffers.
 */
export function scanTape(source: string): string[] {
  const hits: string[] = [];
  const re =
    /_push\w*\(|_pop\w*\(|\.push\(|\.pop\(|new (Float64|Float32|Int32|Uint32|Int16|Uint16|Int8|Uint8)Array|new Array\b/;
  let fn = '(top level)';
  for (const line of source.split('\n')) {
    const m = /^(?:export )?function (\w+)/.exec(line);
    if (m) fn = m[1];
    const inHelper = fn.startsWith('_'); // the prelude's own helpers (_push, _jacobian, …)
    if (line.trim().startsWith('//')) continue;
    if (
      !inHelper &&
      (re.test(line) || (fn === '(top level)' && /^(let|const|var) .*(Array|\[\])/.test(line)))
    ) {
      hits.push(`${fn}: ${line.trim()}`);
    }
    if (line === '}') fn = '(top level)';
  }
  return hits;
}
