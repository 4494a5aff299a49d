/**
 * The only place that runs the phases in order:
 *   parse (ts-morph) → lower to IR → normalise → activity → forward / reverse → emit → write.
 * It stops before emitting anything when a phase reported an error, so a file with errors never
 * gets a half-written derivative file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GeneratedFile, GenerateOptions, GenerateResult, UnitInfo } from './api-types.ts';
import { DiagnosticBag } from './diagnostics/diagnostic.ts';
import { createProject, userSettings, isExportedTopLevel, isTagged, nameOf, parseProject, readUnit, taggedFunctions, taggedMembers, taggedNonFunctions, tagsInPlainComments, reportTypeErrors, type FunctionUnit, type ParsedProject } from './parse/index.ts';
import { lowerFunction, type CalleeRef } from './analyze/lower/index.ts';
import { hasArrayCalls, inlineArrayCalls, writesBeforeExit } from './analyze/inline.ts';
import { paramWriteRegions } from './analyze/regions.ts';
import { privatizeLoopLocals } from './analyze/privatize.ts';
import { scalarizeSmallArrays } from './analyze/scalarize.ts';
import { conditionalWritingCalls, aliasedWritingCalls, normalizeFunction, readsOutBeforeWriting } from './analyze/normalize.ts';
import { analyzeActivity, writtenParams, type KernelFor, type WriteMap } from './analyze/activity.ts';
import { names } from './analyze/names.ts';
import { extraParam, gradTypeText, primalStmts, returnTypeText, tangentArgTypeText, userParams } from './analyze/shared.ts';
import { Namer } from './ir/namer.ts';
import { parseCheckTags } from './check/check-tag.ts';
import { someExpr, visitStmts, writtenIn } from './ir/walk.ts';
import * as b from './ir/builders.ts';
import { apiName, isArrayType, type Expr, type FunctionIR, type Stmt } from './ir/nodes.ts';
import type { TargetFunction } from './ir/target.ts';
import { optimizeFunction } from './optimize/index.ts';
import { reuseScratchArrays } from './optimize/scratch.ts';
import { shareTables } from './optimize/tables.ts';
import { paramUses, type ParamUse } from './analyze/incoming.ts';
import { forwardKernel, forwardPublic, kernelCalls } from './forward/index.ts';
import { reverseKernel, reversePublic } from './reverse/index.ts';
import { UnsupportedReturn } from './analyze/jumps.ts';
import { emitFile, HEADER_MARK, prepareEmit, type FilePlan } from './emit/index.ts';
import { lowerGpu } from './lower-gpu/index.ts';

/** Expands files, directories and simple globs (`*`, `**`, `?`) into `.ts` sources. */
export function expandInputs(inputs: string[], bag: DiagnosticBag): string[] {
  const out: string[] = [];
  // every source extension adgen reads when named (OUTPUT_EXTENSION), not adgen's own outputs or declarations
  const isSource = (p: string) => path.extname(p) in OUTPUT_EXTENSION && !/\.(ad|d)\.[mc]?tsx?$/.test(p) && !/\.d\.[^.]+\.ts$/.test(p);
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
      if (d.name === 'node_modules' || d.name.startsWith('.')) return [];
      const full = path.join(dir, d.name);
      return d.isDirectory() ? walk(full) : isSource(full) ? [full] : [];
    });
  for (const input of inputs) {
    if (/[*?]/.test(input)) {
      const base = input.slice(0, input.search(/[*?]/)).replace(/[^/]*$/, '') || '.';
      const re = globToRegExp(path.resolve(input));
      const found = fs.existsSync(base) ? walk(base).filter((p) => re.test(path.resolve(p))) : [];
      if (found.length === 0) bag.add('AD2002', { file: input, line: 0, column: 0 }, input);
      out.push(...found.sort());
    } else if (fs.existsSync(input) && fs.statSync(input).isDirectory()) {
      const found = walk(input).sort();
      if (found.length === 0) bag.add('AD2002', { file: input, line: 0, column: 0 }, input);
      out.push(...found);
    } else if (fs.existsSync(input) && !(path.extname(input) in OUTPUT_EXTENSION)) {
      bag.add('AD2006', { file: input, line: 0, column: 0 }, input);
    } else out.push(input);
  }
  return [...new Set(out.map((p) => path.resolve(p)))];
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

interface Lowered {
  unit: FunctionUnit;
  ir: FunctionIR;
  callees: CalleeRef[];
}

/** TypeScript sources adgen reads, and the extension of what it writes for each. */
const OUTPUT_EXTENSION: Record<string, string> = { '.ts': '.ad.ts', '.mts': '.ad.mts', '.cts': '.ad.cts', '.tsx': '.ad.ts' };

function outPathFor(source: string, outDir: string | undefined): string {
  const ext = path.extname(source);
  const base = path.basename(source, ext) + (OUTPUT_EXTENSION[ext] ?? '.ad.ts');
  return outDir ? path.resolve(outDir, base) : path.join(path.dirname(source), base);
}

/** A private copy of the primal (`_f`), called where no derivative flows. */
function primalCopy(fn: FunctionIR): TargetFunction {
  return {
    name: names.primal(fn.name),
    exported: true,
    doc: `The primal \`${fn.name}\` (${fn.fileBase}:${fn.line}), for derivative code that calls it.`,
    params: userParams(fn),
    returnType: fn.returns.kind === 'number' ? 'number' : fn.returns.kind === 'void' ? 'void' : returnTypeText(fn),
    body: primalStmts(fn.body),
  };
}

/**
 * The module specifier of a callee's derivative file, in the style the user imports the callee:
 * './lib.ts' → './lib.ad.ts', './lib.js' → './lib.ad.js', './lib' → './lib.ad' (a file that
 * type-checks with nodenext resolution keeps doing so).
 */
function derivativeSpecifier(specifier: string): string {
  for (const ext of ['.ts', '.js', '.mts', '.mjs', '.cts', '.cjs']) {
    if (specifier.endsWith(ext)) return `${specifier.slice(0, -ext.length)}.ad${ext}`;
  }
  return `${specifier}.ad`;
}

/** `roundsToFloat32`: the function or a helper it calls rounds values to single precision. */
function unitInfo(l: Lowered, roundsToFloat32: boolean): UnitInfo {
  const fn = l.ir;
  return {
    name: fn.name,
    file: fn.file,
    line: fn.line,
    params: fn.params.map((p) => ({ name: apiName(p), type: p.type, active: p.active, out: p.out, ...(p.init?.k === 'num' ? { default: p.init.v } : {}) })),
    returns: fn.returns,
    ...(fn.params.find((p) => p.out) ? { out: apiName(fn.params.find((p) => p.out)!) } : {}),
    checkTags: fn.checkTags,
    gpu: fn.gpu,
    tagged: fn.tagged,
    roundsToFloat32,
  };
}

/** A Float32Array local, or parameter the function stores into and may read back, rounds what it holds; so does Math.fround. */
function roundsOwnValues(fn: FunctionIR): boolean {
  const written = writtenIn(fn.body);
  return [...fn.locals].some(([name, type]) => type === 'Float32Array' && (!fn.params.some((p) => p.name === name) || written.has(name))) || someExpr(fn.body, (e) => e.k === 'op' && e.op === 'Math.fround');
}

/** Generates derivative files for the given inputs; writes them unless `write: false`. */
type Project = ReturnType<typeof createProject>;

/**
 * A generator that keeps its TypeScript project between runs (for --watch): each run re-reads
 * the files from disk, and the type checker reuses what did not change.
 */
export interface Session {
  generate: (inputs: string[], opts?: GenerateOptions) => Promise<GenerateResult>;
  /**
   * The files among `watched` to regenerate after `changed` changed: those, and every watched
   * file that imports one of them, directly or not (its generated code imports their kernels).
   */
  affected: (changed: string[], watched: string[]) => string[];
  /** Sources the runs so far generated files for (the inputs and the callees they import), and the files those import (constants, tables) */
  sources: () => string[];
}

/** A compiler that keeps its TypeScript project between runs (`--watch`). */
export function createSession(): Session {
  const project = createProject();
  const sources = new Set<string>();
  return {
    generate: async (inputs, opts = {}) => {
      // files loaded only because an input imports them are not among getSourceFiles()
      const loaded = project.getProgram().compilerObject.getSourceFiles().map((f) => f.fileName);
      const known = new Set([...project.getSourceFiles(), ...[...sources, ...loaded].flatMap((f) => project.getSourceFile(f) ?? [])]);
      for (const sf of known) {
        if (!sf.getFilePath().includes('/node_modules/')) sf.refreshFromFileSystemSync();
      }
      const result = await generate(inputs, opts, project);
      for (const f of result.files) sources.add(f.sourcePath);
      // and the files they import that get no derivatives of their own: the constants and tables
      // generated code copies from them go stale when they change
      const stack = result.files.map((f) => f.sourcePath);
      const seen = new Set(stack);
      while (stack.length > 0) {
        for (const r of project.getSourceFile(stack.pop()!)?.getReferencedSourceFiles() ?? []) {
          const p = r.getFilePath() as string;
          if (seen.has(p) || p.includes('/node_modules/') || p.endsWith('.d.ts') || /\.ad\.[cm]?tsx?$/.test(p)) continue;
          seen.add(p);
          sources.add(p);
          stack.push(p);
        }
      }
      return result;
    },
    sources: () => [...sources],
    affected: (changed, watched) => {
      const watchedSet = new Set(watched.map((f) => path.resolve(f)));
      const out = new Set(changed.map((f) => path.resolve(f)).filter((f) => watchedSet.has(f)));
      const stack = [...out];
      while (stack.length > 0) {
        const sf = project.getSourceFile(stack.pop()!);
        for (const r of sf?.getReferencingSourceFiles() ?? []) {
          const p = r.getFilePath() as string;
          if (watchedSet.has(p) && !out.has(p)) {
            out.add(p);
            stack.push(p);
          }
        }
      }
      return [...out];
    },
  };
}

export async function generate(inputs: string[], opts: GenerateOptions = {}, project?: Project): Promise<GenerateResult> {
  const result = await generateUnsorted(inputs, opts, project);
  // diagnostics in file and position order, like tsc
  result.diagnostics.sort((a, c) => a.file.localeCompare(c.file) || a.line - c.line || a.column - c.column);
  return result;
}

async function generateUnsorted(inputs: string[], opts: GenerateOptions, project?: Project): Promise<GenerateResult> {
  const bag = new DiagnosticBag();
  const files = expandInputs(inputs, bag);
  prepareEmit();
  const parsed = parseProject(files, bag, project ?? createProject());
  // collect tagged functions and, transitively, the functions they call
  const lowered = new Map<string, Lowered>(); // key: file#name
  const key = (file: string, name: string) => `${file}#${name}`;
  const queue: FunctionUnit[] = [];
  const sourceFiles = new Set(parsed.files.map((f) => f.getFilePath() as string));
  // every tagged function of a file whose derivatives are written, inputs and imported files alike
  const enqueueFile = (sf: ParsedProject['files'][number]) => {
    for (const fn of taggedFunctions(sf)) {
      if (!nameOf(fn) || !isExportedTopLevel(fn)) {
        const pos = sf.getLineAndColumnAtPos(fn.getStart());
        bag.add('AD1012', { file: sf.getFilePath(), ...pos }, nameOf(fn) ?? '(anonymous)', !nameOf(fn) ? 'anonymous' : 'not an exported top-level function');
        continue;
      }
      queue.push(readUnit(fn, true));
    }
    for (const member of [...taggedMembers(sf), ...taggedNonFunctions(sf)]) {
      const pos = sf.getLineAndColumnAtPos(member.node.getStart());
      bag.add('AD1012', { file: sf.getFilePath(), ...pos }, member.name, member.what);
    }
    for (const { node, name } of tagsInPlainComments(sf)) bag.add('AD1024', { file: sf.getFilePath(), ...sf.getLineAndColumnAtPos(node.getStart()) }, name);
  };
  for (const sf of parsed.files) enqueueFile(sf);
  const failed = new Set<string>();
  while (queue.length > 0) {
    const unit = queue.shift()!;
    const k = key(unit.file, unit.name);
    if (lowered.has(k) || failed.has(k)) continue;
    if (reportTypeErrors(unit.node, bag)) {
      failed.add(k);
      continue;
    }
    const r = lowerFunction(unit, bag);
    // a function with errors still has its callees lowered: their errors belong to this run's report
    if (r.ir) lowered.set(k, { unit, ir: r.ir, callees: r.callees });
    else failed.add(k);
    for (const c of r.callees) {
      const file = c.decl.getSourceFile().getFilePath() as string;
      if (c.specifier) {
        // another file: its derivatives come from its own generated file
        const tagged = readUnit(c.decl, true);
        // a package's files are not ours to write next to (its derivatives would have to ship with it)
        if (!isTagged(c.decl) || !isExportedTopLevel(c.decl) || file.includes('/node_modules/')) {
          const sf = unit.node.getSourceFile();
          bag.add('AD1002', { file: unit.file, ...(c.at ?? sf.getLineAndColumnAtPos(unit.node.getStart())) }, c.name);
          continue;
        }
        if (!sourceFiles.has(file)) {
          sourceFiles.add(file);
          parsed.files.push(c.decl.getSourceFile());
          enqueueFile(c.decl.getSourceFile());
        }
        queue.push(tagged);
      } else {
        queue.push(readUnit(c.decl, isTagged(c.decl)));
      }
    }
  }
  // recursion (direct or mutual) is outside the language
  const byName = (file: string, name: string) => lowered.get(key(file, name));
  const calleeOf = (l: Lowered, c: CalleeRef) => byName(c.decl.getSourceFile().getFilePath() as string, c.name);
  for (const l of lowered.values()) {
    const seen = new Set<Lowered>();
    const stack = l.callees.map((c) => calleeOf(l, c)).filter((x): x is Lowered => !!x);
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (x === l) {
        const sf = l.unit.node.getSourceFile();
        bag.add('AD1007', { file: l.unit.file, ...sf.getLineAndColumnAtPos(l.unit.node.getStart()) }, l.ir.name);
        break;
      }
      if (seen.has(x)) continue;
      seen.add(x);
      stack.push(...x.callees.map((c) => calleeOf(x, c)).filter((y): y is Lowered => !!y));
    }
  }
  // calls that return an array get the helper's body in their place (analyze/inline.ts), the
  // helper's own such calls first; a callee that failed stays listed, so the caller gets no output
  const inlineState = new Map<Lowered, 'busy' | 'done'>();
  // a void helper storing into an array parameter at places its own code does not bound (a
  // `while` with a data-dependent exit), or in a loop it may leave early: calls of it in loops
  // are inlined too (inline.ts)
  const unboundedWriters = new Map<Lowered, boolean>();
  const unboundedWriter = (x: Lowered): boolean => {
    let r = unboundedWriters.get(x);
    if (r === undefined) {
      unboundedWriters.set(x, false);
      // its calls count as writing nothing here: its own stores decide, or a call of such a
      // writer it makes (a wrapper: `delegate(a, i) { sift(a, i); }`)
      const none: WriteMap = new Map(x.ir.callees.map((c) => [c, new Set<number>()]));
      const refs = new Map(x.callees.map((c) => [c.name, c] as const));
      let callsWriter = false;
      visitStmts(x.ir.body, (s) => {
        const ref = s.k === 'expr' && s.e.k === 'call' ? refs.get(s.e.fn) : undefined;
        const y = ref && calleeOf(x, ref);
        callsWriter ||= !!y && unboundedWriter(y);
      });
      r = x.ir.returns.kind === 'void' && (x.ir.params.some((p, i) => isArrayType(p.type) && paramWriteRegions(x.ir, i, none) === null) || writesBeforeExit(x.ir) || callsWriter);
      unboundedWriters.set(x, r);
    }
    return r;
  };
  const inlineInto = (l: Lowered): void => {
    if (inlineState.has(l)) return;
    inlineState.set(l, 'busy');
    const refs = new Map(l.callees.map((c) => [c.name, c] as const));
    const returnsArray = (name: string) => { const ref = refs.get(name); const k = ref && calleeOf(l, ref)?.ir.returns.kind; return k === 'array' || k === 'tuple'; };
    const writesUnbounded = (name: string) => { const ref = refs.get(name); const x = ref && calleeOf(l, ref); return !!x && unboundedWriter(x); };
    if (hasArrayCalls(l.ir, (name) => returnsArray(name) || writesUnbounded(name))) {
      const failed = new Set<string>();
      const r = inlineArrayCalls(l.ir, new Namer(new Set(l.ir.locals.keys())), (name) => {
        const ref = refs.get(name);
        const x = ref && calleeOf(l, ref);
        if (x) inlineInto(x);
        if (!x || inlineState.get(x) !== 'done') {
          failed.add(name);
          return undefined;
        }
        // the helper's own callees become the caller's (same file: the same references hold)
        for (const c of x.callees) if (!refs.has(c.name)) refs.set(c.name, c);
        return { fn: x.ir, sameFile: x.unit.file === l.unit.file };
      }, writesUnbounded);
      for (const p of r.problems) bag.add('AD1025', { file: l.unit.file, line: p.loc?.line ?? l.ir.line, column: p.loc?.column ?? 1 }, p.callee, p.reason);
      l.ir = r.fn;
      l.callees = [...refs.values()].filter((c) => r.fn.callees.includes(c.name) || failed.has(c.name) || r.problems.some((p) => p.callee === c.name));
    }
    inlineState.set(l, 'done');
  };
  for (const l of lowered.values()) inlineInto(l);
  // tuples and other small arrays used at constant indices become scalars (analyze/scalarize.ts)
  for (const l of lowered.values()) l.ir = scalarizeSmallArrays(l.ir, new Namer(new Set(l.ir.locals.keys())));
  // temporaries declared before a loop but used within its iterations only move into it (analyze/privatize.ts)
  for (const l of lowered.values()) l.ir = privatizeLoopLocals(l.ir, new Namer(new Set(l.ir.locals.keys())));
  // which parameters each function writes into, to a fixpoint over calls; two files may each
  // have a function of the same name, so the map a unit sees names its own callees only
  const writtenBy = new Map<Lowered, Set<number>>();
  const writesSeenBy = (l: Lowered): WriteMap => {
    const view: WriteMap = new Map([[l.ir.name, writtenBy.get(l) ?? new Set()]]);
    for (const c of l.callees) {
      const x = calleeOf(l, c);
      if (x) view.set(c.name, writtenBy.get(x) ?? new Set());
    }
    return view;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const l of lowered.values()) {
      const w = writtenParams(l.ir, writesSeenBy(l));
      if ((writtenBy.get(l)?.size ?? -1) !== w.size) {
        writtenBy.set(l, w);
        changed = true;
      }
    }
  }
  // where each function reads what its array parameters held when it was called (analyze/incoming.ts)
  const usesBy = new Map<Lowered, (ParamUse | null)[]>();
  /** the function a call by name in l reaches (its own file's, or an imported one) */
  const calleeNamed = (l: Lowered, name: string): Lowered | undefined => {
    const c = l.callees.find((x) => x.name === name);
    return c && calleeOf(l, c);
  };
  const paramUsesOf = (l: Lowered): (ParamUse | null)[] => {
    const known = usesBy.get(l);
    if (known) return known;
    // (recursion, refused elsewhere, reads as unknown)
    usesBy.set(l, l.ir.params.map(() => null));
    const uses = paramUses(l.ir, (name) => {
      const x = calleeNamed(l, name);
      return x ? { fn: x.ir, uses: paramUsesOf(x) } : undefined;
    });
    usesBy.set(l, uses);
    return uses;
  };
  const incomingSeenBy = (l: Lowered) => (name: string) => {
    const x = calleeNamed(l, name);
    return x ? paramUsesOf(x) : undefined;
  };
  // functions other derivative code calls need kernels
  // (a call of a function returning an array or tuple was inlined above, or reported: AD1025)
  const called = new Set<Lowered>();
  for (const l of lowered.values()) for (const c of l.callees) { const x = calleeOf(l, c); if (x && (x.ir.returns.kind === 'number' || x.ir.returns.kind === 'void')) called.add(x); }
  // kernels for every function another file may import too: a generated file then holds the same
  // whichever importers were part of the run (`adgen a.ts` then `adgen lib.ts` leaves a.ad.ts whole)
  const withKernels = new Set<Lowered>(called);
  for (const l of lowered.values()) if (l.unit.tagged && l.ir.exported && (l.ir.returns.kind === 'number' || l.ir.returns.kind === 'void')) withKernels.add(l);
  // (adgen check widens its steps and tolerance for functions that round to single precision)
  const rounding = new Map<Lowered, boolean>();
  const roundsToFloat32 = (l: Lowered): boolean => {
    const known = rounding.get(l);
    if (known !== undefined) return known;
    rounding.set(l, false);
    const r = roundsOwnValues(l.ir) || l.callees.some((c) => { const x = calleeOf(l, c); return !!x && roundsToFloat32(x); });
    rounding.set(l, r);
    return r;
  };
  const info = (l: Lowered) => unitInfo(l, roundsToFloat32(l));
  const calleeIRs = (l: Lowered) => new Map(l.callees.flatMap((c) => { const x = calleeOf(l, c); return x ? [[c.name, x.ir] as const] : []; }));
  // calls that write arrays where they may or may not run: no statement of their own is possible
  for (const l of lowered.values()) {
    for (const { callee, loc } of conditionalWritingCalls(l.ir, writesSeenBy(l))) {
      // at the call when its (first) call site is on the statement's line, else at the statement
      const at = l.callees.find((c) => c.name === callee)?.at;
      const where = at && loc && at.line === loc.line && at.column >= loc.column ? at : loc;
      bag.add('AD1019', { file: l.unit.file, line: where?.line ?? l.ir.line, column: where?.column ?? 1 }, callee);
    }
    const inPlace = l.unit.tagged ? readsOutBeforeWriting(l.ir) : null;
    if (inPlace) bag.add('AD1022', { file: l.unit.file, line: inPlace.line, column: inPlace.column }, l.ir.params.find((p) => p.out)!.name);
    for (const { callee, array, loc } of aliasedWritingCalls(l.ir, writesSeenBy(l), calleeIRs(l))) {
      bag.add('AD1020', { file: l.unit.file, line: loc?.line ?? l.ir.line, column: loc?.column ?? 1 }, callee, array);
    }
  }
  // Forward kernels specialised to the arguments that carry a tangent at some call site
  // (forward/index.ts `tangentMask`), found from the public functions down through the kernels.
  // Only for callers in the callee's own file: a file's output then depends on that file alone
  // (`adgen b.ts`, or --watch regenerating a.ts, never leaves a.ad.ts wanting a variant that
  // b.ad.ts lacks); a call into another file uses the full kernel.
  // each function normalised once, for the variants below and for generation; later passes
  // clone it and fork its namer, which leaves both as they are
  const normalisedFns = new Map<Lowered, { fn: FunctionIR; namer: Namer }>();
  const normalised = (l: Lowered) => {
    let n = normalisedFns.get(l);
    if (!n) {
      const namer = new Namer(new Set(l.ir.locals.keys()));
      n = { fn: normalizeFunction(structuredCloneIR(l.ir), namer, calleeIRs(l), writesSeenBy(l)), namer };
      normalisedFns.set(l, n);
    }
    return n;
  };
  // per callee: its specialised kernels by active parameters (`x,y`), each with the tag of its
  // names (`_hJvpWrt_x_y`, `_hVjpWrt_x_y`); a tag another set already has (`h(x, y, x_y)`) gets a number
  const variants = new Map<Lowered, Map<string, { params: string[]; tag: string }>>();
  const variantOf = (l: Lowered, callee: string, mask: boolean[]): { x: Lowered; key: string; params: string[] } | null => {
    const ref = l.callees.find((c) => c.name === callee);
    const x = ref && calleeOf(l, ref);
    if (!x || x.unit.file !== l.unit.file) return null;
    const numeric = x.ir.params.filter((p) => p.type !== 'boolean');
    const params = x.ir.params.filter((p, i) => p.type !== 'boolean' && mask[i] === true).map((p) => p.name);
    return params.length === numeric.length ? null : { x, key: params.join(','), params };
  };
  const specialisedKernel = (l: Lowered, wrt: (f: string, tag: string) => string, all: (f: string) => string): KernelFor => (callee, mask) => {
    const v = variantOf(l, callee, mask);
    const found = v && variants.get(v.x)?.get(v.key);
    return found ? wrt(callee, found.tag) : all(callee);
  };
  const kernelFor = (l: Lowered) => specialisedKernel(l, names.jvpKernelWrt, names.jvpKernel);
  // reverse mode calls the same specialisations: an argument carries an adjoint where it would carry a tangent
  const vjpKernelFor = (l: Lowered) => specialisedKernel(l, names.vjpKernelWrt, names.vjpKernel);
  const kernelWork: { l: Lowered; active: Set<string> }[] = [];
  for (const l of lowered.values()) {
    if (l.unit.tagged && l.ir.exported) kernelWork.push({ l, active: new Set(l.ir.params.filter((p) => p.active).map((p) => p.name)) });
    if (withKernels.has(l)) kernelWork.push({ l, active: new Set(l.ir.params.filter((p) => p.type !== 'boolean').map((p) => p.name)) });
  }
  for (let job = kernelWork.shift(); job; job = kernelWork.shift()) {
    const { fn } = normalised(job.l);
    for (const { callee, mask } of kernelCalls(fn, analyzeActivity(fn, job.active, writesSeenBy(job.l)))) {
      const v = variantOf(job.l, callee, mask);
      if (!v) continue;
      const known = variants.get(v.x) ?? new Map<string, { params: string[]; tag: string }>();
      if (known.has(v.key)) continue;
      const tags = new Set([...known.values()].map((k) => k.tag));
      let tag = v.params.join('_');
      for (let n = 1; tags.has(tag); n++) tag = `${v.params.join('_')}_${n}`;
      variants.set(v.x, known.set(v.key, { params: v.params, tag }));
      kernelWork.push({ l: v.x, active: new Set(v.params) });
    }
  }
  // a file with errors gets no output, nor does a file whose functions call into one
  reportNameClashes(lowered.values(), bag);
  const badFiles = new Set(bag.items.filter((d) => d.category === 'error').map((d) => path.resolve(d.file)));
  for (let changed = true; changed; ) {
    changed = false;
    for (const l of lowered.values()) {
      if (badFiles.has(l.unit.file)) continue;
      const bad = l.callees.find((c) => badFiles.has(c.decl.getSourceFile().getFilePath() as string) || !calleeOf(l, c));
      if (bad) {
        // a callee in another file: say why this file is skipped too (the same file has its own error)
        const file = bad.decl.getSourceFile().getFilePath() as string;
        if (file !== l.unit.file) {
          const at = bad.at ?? l.unit.node.getSourceFile().getLineAndColumnAtPos(l.unit.node.getStart());
          bag.add('AD1026', { file: l.unit.file, ...at }, l.ir.name, bad.name, path.basename(file));
        }
        badFiles.add(l.unit.file);
        changed = true;
      }
    }
  }

  const formatted: Promise<GeneratedFile>[] = [];
  for (const sf of parsed.files) {
    const file = sf.getFilePath() as string;
    if (badFiles.has(file)) continue;
    const units = [...lowered.values()].filter((l) => l.unit.file === file);
    if (units.length === 0) continue;
    const plan: FilePlan = {
      sourceBase: path.basename(file),
      imports: [],
      globals: [],
      functions: [],
      prelude: [],
      uses: { tape: false, refs: false, copies: false, tangentArray: false, jacobian: false },
    };
    const importMap = new Map<string, Set<string>>();
    /** functions only derivative code calls (their scratch arrays are reused, optimize/scratch.ts) */
    const kernelNames = new Set<string>();
    const dependsOn = new Set<string>();
    try {
      for (const l of units) {
        const callees = calleeIRs(l);
        for (const c of l.callees) {
          const x = calleeOf(l, c);
          if (x && c.specifier) {
            dependsOn.add(x.unit.file);
            // under --out-dir every generated file sits in one folder
            const from = opts.outDir ? `./${path.posix.basename(derivativeSpecifier(c.specifier))}` : derivativeSpecifier(c.specifier);
            const set = importMap.get(from) ?? new Set();
            // the tangent of a callee's value exists only when it returns a number
            const slots = [...(x.ir.returns.kind === 'number' ? [names.jvpKernelDot(c.name)] : []), names.vjpKernelBar(c.name)];
            for (const n of [names.primal(c.name), names.jvpKernel(c.name), names.vjpKernel(c.name)]) set.add(n);
            for (const n of slots) set.add(`${names.sharedSlot(n)} as ${n}`);
            importMap.set(from, set);
          }
        }
        const writes = writesSeenBy(l);
        const { fn, namer } = normalised(l);
        const reverseOpts = { writes, callees, kernelFor: vjpKernelFor(l), incoming: incomingSeenBy(l) };
        // the reverse kernel other files call (built first: fVjp may only call it, and then empties its tapes)
        const kernelParams = new Set(fn.params.filter((p) => p.type !== 'boolean').map((p) => p.name));
        const kernelActivity = withKernels.has(l) ? analyzeActivity(fn, kernelParams, writes) : null;
        const kr = kernelActivity ? reverseKernel(structuredCloneIR(fn), kernelActivity, namer.fork(), reverseOpts) : null;
        if (l.unit.tagged && l.ir.exported) {
          const publicInputs = new Set(fn.params.filter((p) => p.active).map((p) => p.name));
          const act = analyzeActivity(fn, publicInputs, writes);
          // every input active, a number result, no array written: the kernels other files call
          // compute exactly what fVjp and fJvp do, which then only call them
          const throughKernels = withKernels.has(l) && fn.returns.kind === 'number' && (writes.get(fn.name)?.size ?? 0) === 0 && fn.params.every((p) => p.type === 'boolean' || p.active);
          const jvp = throughKernels ? jvpThroughKernel(fn) : forwardPublic(structuredCloneIR(fn), act, namer.fork(), kernelFor(l));
          const vjp = throughKernels ? { ...vjpThroughKernel(fn, kr!.usesTape), usesTape: { values: false, refs: false, copies: false } } : reversePublic(structuredCloneIR(fn), act, namer.fork(), reverseOpts);
          plan.uses.tape ||= vjp.usesTape.values;
          plan.uses.refs ||= vjp.usesTape.refs;
          plan.uses.copies ||= vjp.usesTape.copies;
          plan.uses.tangentArray ||= fn.params.some((p) => p.active && p.type !== 'number');
          plan.uses.jacobian = true;
          if (fn.returns.kind === 'number') plan.functions.push(gradWrapper(fn));
          plan.functions.push(stripTape(vjp), jvp, jacobianWrapper(fn, jvp, writes.get(fn.name) ?? new Set()));
          if (fn.gpu) {
            const gpu = lowerGpu(structuredCloneIR(fn), { bag, namer: namer.fork(), activity: act, ...reverseOpts });
            plan.uses.tape ||= gpu.usesTape.values;
            plan.uses.refs ||= gpu.usesTape.refs;
            plan.uses.copies ||= gpu.usesTape.copies;
            plan.functions.push(...gpu.functions);
            plan.globals.push(...gpu.globals);
            for (const imp of gpu.imports) importMap.set(imp.from, new Set([...(importMap.get(imp.from) ?? []), ...imp.names]));
            plan.prelude.push(...gpu.prelude.filter((p) => !plan.prelude.includes(p)));
          }
        }
        if (kr && kernelActivity) {
          const kf = forwardKernel(structuredCloneIR(fn), kernelActivity, namer.fork(), kernelFor(l));
          const specialised = [...(variants.get(l)?.values() ?? [])];
          const forwardVariants = specialised.map(({ params, tag }) => forwardKernel(structuredCloneIR(fn), analyzeActivity(fn, new Set(params), writes), namer.fork(), kernelFor(l), names.jvpKernelWrt(fn.name, tag)));
          const reverseVariants = specialised.map(({ params, tag }) => reverseKernel(structuredCloneIR(fn), analyzeActivity(fn, new Set(params), writes), namer.fork(), reverseOpts, names.vjpKernelWrt(fn.name, tag)));
          for (const k of [kr, ...reverseVariants]) {
            plan.uses.tape ||= k.usesTape.values;
            plan.uses.refs ||= k.usesTape.refs;
            plan.uses.copies ||= k.usesTape.copies;
          }
          const kernels = [primalCopy(fn), kf, ...forwardVariants, stripTape(kr), ...reverseVariants.map(stripTape)];
          for (const k of kernels) kernelNames.add(k.name);
          plan.functions.push(...kernels);
          if (fn.returns.kind === 'number') plan.globals.push({ name: names.jvpKernelDot(fn.name), type: 'Float64Array', init: { k: 'alloc', ctor: 'Float64Array', len: b.ONE }, mutable: false });
          const scalars = fn.params.filter((p) => p.type === 'number').length;
          plan.globals.push({ name: names.vjpKernelBar(fn.name), type: 'Float64Array', init: { k: 'alloc', ctor: 'Float64Array', len: b.num(scalars) }, mutable: false });
        }
      }
    } catch (err) {
      if (err instanceof UnsupportedReturn) {
        bag.add('AD1001', { file, line: err.loc?.line ?? 1, column: err.loc?.column ?? 1 }, `A function that ${err.message}`, 'Return arrays everywhere, or tuples of one length everywhere.');
        continue;
      }
      throw err;
    }
    // a helper no other file can import keeps its full forward kernel only if a call here uses it
    // (callers in this file may all use specialised kernels)
    // (to a fixpoint: dropping one kernel may leave another unused)
    for (let dropped = true; dropped; ) {
      dropped = false;
      for (const l of units) {
        const full = names.jvpKernel(l.ir.name);
        if (!withKernels.has(l) || l.ir.exported || !plan.functions.some((f) => f.name === full)) continue;
        const used = plan.functions.some((f) => f.name !== full && someExpr(f.body, (e) => e.k === 'xcall' && e.callee === full));
        if (!used) {
          plan.functions = plan.functions.filter((f) => f.name !== full);
          dropped = true;
        }
      }
    }
    plan.imports = [...importMap].map(([from, set]) => ({ from, names: [...set] }));
    // user names can make two generated names meet (`f` and `_f`: both have a `_fJvp`)
    const declared = new Map<string, number>();
    // (an exported slot has a second binding; `A as B` imports bring B)
    const globalNames = plan.globals.flatMap((g) => (g.exported === false ? [g.name] : [g.name, names.sharedSlot(g.name)]));
    const importedNames = plan.imports.flatMap((i) => i.names.map((n) => n.split(' as ').pop()!));
    for (const n of [...plan.functions.map((f) => f.name), ...globalNames, ...importedNames]) declared.set(n, (declared.get(n) ?? 0) + 1);
    const clash = [...declared].find(([, count]) => count > 1)?.[0];
    if (clash !== undefined) {
      const first = units[0]!;
      bag.add('AD1021', { file, ...first.unit.node.getSourceFile().getLineAndColumnAtPos(first.unit.node.getStart()) }, clash);
      continue;
    }
    plan.functions = plan.functions.map(optimizeFunction);
    // constant tables: one module-level copy each (optimize/tables.ts)
    const tables = new Map<string, string>();
    plan.functions = plan.functions.map((f) => {
      const shared = shareTables(f, tables, declared);
      plan.globals.push(...shared.globals);
      return shared.fn;
    });
    plan.functions = plan.functions.map((f) => {
      if (!kernelNames.has(f.name)) return f;
      const reused = reuseScratchArrays(f, declared);
      plan.globals.push(...reused.globals);
      return reused.fn;
    });
    plan.checkedIndexing = userSettings(file).noUncheckedIndexedAccess;
    // formatted on a worker while the next file is generated (emit/format.ts)
    const text = emitFile(plan);
    const publicUnits = units.filter((l) => l.unit.tagged && l.ir.exported);
    // a @check tag adgen check cannot read is a warning now, not a surprise at check time
    for (const l of publicUnits) {
      const { checkTags, params } = info(l);
      for (const problem of parseCheckTags(checkTags, params).errors) {
        bag.add('AD1018', { file, ...(l.unit.tagPos.get('check') ?? l.unit.node.getSourceFile().getLineAndColumnAtPos(l.unit.node.getStart())) }, l.ir.name, problem);
      }
    }
    formatted.push(text.then((t) => ({ sourcePath: file, outPath: outPathFor(file, opts.outDir), text: t, units: publicUnits.map(info), dependsOn: [...dependsOn] })));
  }
  const generated = await Promise.all(formatted);
  const written = opts.write !== false ? writeFiles(generated, bag) : generated;
  return { files: written, diagnostics: bag.items };
}

/** Drops the bookkeeping field the emitter does not need. */
function stripTape(t: TargetFunction & { usesTape: unknown }): TargetFunction {
  const { usesTape: _unused, ...rest } = t;
  return rest;
}

/**
 * Two different functions by one name among those a generated file defines or calls (`U.g` and
 * `V.g` through namespace imports, `g as gu` and `g as gv`): derivative code is named after the
 * function (`_gVjp`), so both would be one. AD1001 at the second one's call, once per name.
 */
function reportNameClashes(units: Iterable<Lowered>, bag: DiagnosticBag): void {
  const seen = new Map<string, Map<string, { node: object; file: string }>>();
  const reported = new Set<string>();
  for (const l of units) {
    const names = seen.get(l.unit.file) ?? new Map<string, { node: object; file: string }>();
    seen.set(l.unit.file, names);
    const start = l.unit.node.getSourceFile().getLineAndColumnAtPos(l.unit.node.getStart());
    for (const { name, decl, at } of [{ name: l.ir.name, decl: l.unit.node, at: start }, ...l.callees]) {
      const prev = names.get(name);
      const file = decl.getSourceFile().getFilePath() as string;
      if (!prev) names.set(name, { node: decl.compilerNode, file });
      else if (prev.node !== decl.compilerNode && !reported.has(`${l.unit.file}#${name}`)) {
        reported.add(`${l.unit.file}#${name}`);
        const files = [prev.file, file].map((f) => path.basename(f));
        bag.add('AD1001', { file: l.unit.file, ...(at ?? start) }, `Two different functions named '${name}' (${files[0] === files[1] ? files[0] : files.join(' and ')}) in the derivatives of one file`, `Rename one of them: the derivative code of a function is named after it (_${name}Vjp).`);
      }
    }
  }
}

function structuredCloneIR(fn: FunctionIR): FunctionIR {
  return { ...fn, locals: new Map(fn.locals), params: fn.params.map((p) => ({ ...p })), body: structuredClone(fn.body), importFrom: new Map(fn.importFrom) };
}

function args(fn: FunctionIR) {
  return fn.params.map((p) => b.v(p.name));
}

function gradWrapper(fn: FunctionIR): TargetFunction {
  const gradType = gradTypeText(fn);
  return {
    name: names.grad(fn.name),
    exported: true,
    doc: `Gradient of \`${fn.name}\` (${fn.fileBase}:${fn.line}) by reverse mode: the value and ∂${fn.name}/∂input for each active input.`,
    params: userParams(fn),
    returnType: `{ value: number; grad: ${gradType} }`,
    body: [{ k: 'return', e: b.xcall(names.vjp(fn.name), ...args(fn), b.ONE) }],
  };
}

/** `fVjp` as a call of the reverse kernel `_fVjp` (all inputs active, number result, no writes). */
function vjpThroughKernel(fn: FunctionIR, kernelTape: { values: boolean; refs: boolean }): TargetFunction {
  const cotangent = extraParam(fn, 'cotangent');
  const body: Stmt[] = [];
  // an entry point starts with empty tapes (the kernel does not: its caller's values are on them)
  if (kernelTape.values) body.push(b.assign('_sp', b.ZERO));
  if (kernelTape.refs) body.push(b.exprStmt(b.xcall('_refs.splice', b.ZERO)));
  if (body.length > 0) body.unshift(b.comment('empty tapes (a call that threw leaves its pushes behind)'));
  const kernelArgs: Expr[] = [];
  for (const p of fn.params) {
    kernelArgs.push(b.v(p.name));
    if (p.type === 'boolean' || p.type === 'number') continue;
    body.push(b.decl(names.adjointOf(p.name), 'Float64Array', { k: 'alloc', ctor: 'Float64Array', len: b.len(p.name) }, false));
    kernelArgs.push(b.v(names.adjointOf(p.name)));
  }
  body.push(b.decl('_value', 'number', b.xcall(names.vjpKernel(fn.name), ...kernelArgs, b.v(cotangent)), false));
  const scalars = fn.params.filter((p) => p.type === 'number');
  const grad = fn.params.filter((p) => p.type !== 'boolean').map((p): [string, Expr] => [apiName(p), p.type === 'number' ? b.ext(`${names.vjpKernelBar(fn.name)}[${scalars.indexOf(p)}]`) : b.v(names.adjointOf(p.name))]);
  body.push({ k: 'return', e: { k: 'obj', props: [['value', b.v('_value')], ['grad', { k: 'obj', props: grad }]] } });
  const gradType = gradTypeText(fn);
  return {
    name: names.vjp(fn.name),
    exported: true,
    doc: `Reverse mode (vector–Jacobian product) of \`${fn.name}\` (${fn.fileBase}:${fn.line}): the value and \`cotangentᵀ·J\` for each active input, by its kernel \`${names.vjpKernel(fn.name)}\`.`,
    params: [...userParams(fn), { name: cotangent, type: 'number' }],
    returnType: `{ value: number; grad: ${gradType} }`,
    body,
  };
}

/** `fJvp` as a call of the forward kernel `_fJvp` (all inputs active, number result, no writes). */
function jvpThroughKernel(fn: FunctionIR): TargetFunction {
  const tangent = extraParam(fn, 'tangent');
  const body: Stmt[] = [];
  const kernelArgs: Expr[] = [];
  for (const p of fn.params) {
    kernelArgs.push(b.v(p.name));
    if (p.type === 'boolean') continue;
    const given = b.ext(`${tangent}.${apiName(p)}`);
    if (p.type === 'number') kernelArgs.push({ k: 'op', op: '??', args: [given, b.ZERO] });
    else {
      // the function writes no array: the kernel only reads the tangents
      body.push(b.decl(names.tangentOf(p.name), 'Float64Array', b.xcall('_tangentArray', given, b.len(p.name), b.ext(`'${apiName(p)}'`), { k: 'bool', v: true }), false));
      kernelArgs.push(b.v(names.tangentOf(p.name)));
    }
  }
  body.push(b.decl('_value', 'number', b.xcall(names.jvpKernel(fn.name), ...kernelArgs), false));
  body.push({ k: 'return', e: { k: 'obj', props: [['value', b.v('_value')], ['tangent', b.ext(`${names.jvpKernelDot(fn.name)}[0]`)]] } });
  const tangentType = tangentArgTypeText(fn);
  return {
    name: names.jvp(fn.name),
    exported: true,
    doc: `Forward mode (Jacobian–vector product) of \`${fn.name}\` (${fn.fileBase}:${fn.line}): the value and its directional derivative along \`tangent\`, by its kernel \`${names.jvpKernel(fn.name)}\`; a missing tangent is zero.`,
    params: [...userParams(fn), { name: tangent, type: tangentType }],
    returnType: '{ value: number; tangent: number }',
    body,
  };
}

function jacobianWrapper(fn: FunctionIR, jvp: TargetFunction, written: Set<number>): TargetFunction {
  const columns = fn.params.filter((p) => p.active).map((p) => ({ k: 'arr' as const, elems: [{ k: 'ext' as const, text: `'${apiName(p)}'` }, p.type === 'number' ? b.num(-1) : b.len(p.name)] }));
  const tangentType = jvp.params[jvp.params.length - 1]!.type;
  const cotType = fn.returns.kind === 'number' ? 'number' : fn.returns.kind === 'tuple' ? returnTypeText(fn) : 'Float64Array';
  const r = returnTypeText(fn);
  // arrays the function writes are put back before every evaluation, so each sees the caller's contents
  const arrays = fn.params.filter((_, i) => written.has(i));
  const body: Stmt[] = arrays.map((p) => b.decl(`_saved_${p.name}`, 'Float64Array', b.xcall('Float64Array.from', b.v(p.name)), false));
  const reset: Expr[] = arrays.length === 0 ? [] : [{ k: 'lambda', params: [], body: b.xcall('_copyEach', { k: 'arr', elems: arrays.map((p) => b.v(p.name)) }, { k: 'arr', elems: arrays.map((p) => b.v(`_saved_${p.name}`)) }) }];
  const cot: Expr = { k: 'as', e: b.v('_cotangent'), type: fn.returns.kind === 'tuple' ? 'Float64Array' : cotType };
  body.push({
    k: 'return',
    e: b.xcall(
      '_jacobian',
      { k: 'arr', elems: columns },
      { k: 'lambda', params: ['_tangent'], body: b.xcall(names.jvp(fn.name), ...args(fn), { k: 'as', e: b.v('_tangent'), type: tangentType }) },
      { k: 'lambda', params: ['_cotangent'], body: b.xcall(names.vjp(fn.name), ...args(fn), fn.returns.kind === 'tuple' ? { k: 'as', e: b.xcall('Array.from', cot), type: cotType } : cot) },
      ...reset,
    ),
  });
  return {
    name: names.jacobian(fn.name),
    exported: true,
    doc: `Full Jacobian of \`${fn.name}\` (${fn.fileBase}:${fn.line}): a row per output, a column per active input element, built by reverse mode when there are fewer outputs than inputs and by forward mode otherwise.`,
    params: userParams(fn),
    returnType: `{ value: ${r}; jacobian: Float64Array[] }`,
    body,
  };
}

/**
 * Writes each file through a temporary file and a rename; refuses to overwrite files adgen did
 * not write. Returns the files written (or already up to date).
 */
function writeFiles(files: GeneratedFile[], bag: DiagnosticBag): GeneratedFile[] {
  const done: GeneratedFile[] = [];
  const sourceOf = new Map<string, string>();
  /** sources whose generated file is not written */
  const refused = new Set<string>();
  for (const f of files) {
    // two sources with one output (the same file name under --out-dir): neither is written
    const other = sourceOf.get(f.outPath);
    if (other !== undefined) {
      bag.add('AD2005', { file: f.sourcePath, line: 0, column: 0 }, other, f.sourcePath, f.outPath);
      continue;
    }
    sourceOf.set(f.outPath, f.sourcePath);
  }
  for (const f of files) {
    if (files.some((g) => g !== f && g.outPath === f.outPath)) refused.add(f.sourcePath);
    else if (fs.existsSync(f.outPath)) {
      // only a file whose first line is adgen's header (a source that mentions it is still a source)
      const head = fs.readFileSync(f.outPath, 'utf8').slice(0, 200);
      if (!head.startsWith(`// ${HEADER_MARK} `) || f.outPath === f.sourcePath) {
        bag.add('AD2003', { file: f.outPath, line: 0, column: 0 }, f.outPath);
        refused.add(f.sourcePath);
      }
    }
  }
  // a file importing derivatives that are not written would not compile: not written either
  for (let grew = true; grew; ) {
    grew = false;
    for (const f of files) {
      const missing = refused.has(f.sourcePath) ? undefined : f.dependsOn?.find((d) => refused.has(d));
      if (missing === undefined) continue;
      bag.add('AD2007', { file: f.sourcePath, line: 0, column: 0 }, f.outPath, missing);
      refused.add(f.sourcePath);
      grew = true;
    }
  }
  for (const f of files) {
    if (refused.has(f.sourcePath)) continue;
    const tmp = `${f.outPath}.adgen-tmp`;
    try {
      fs.mkdirSync(path.dirname(f.outPath), { recursive: true });
      if (!(fs.existsSync(f.outPath) && fs.readFileSync(f.outPath, 'utf8') === f.text)) {
        fs.writeFileSync(tmp, f.text);
        fs.renameSync(tmp, f.outPath);
      }
      done.push(f);
    } catch (err) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        /* nothing left to clean */
      }
      bag.add('AD2004', { file: f.outPath, line: 0, column: 0 }, f.outPath, (err as Error).message);
    }
  }
  return done;
}

