/**
 * Front end, part 1: load source files into a ts-morph Project (with the type checker) and find
 * the functions to differentiate.
 *
 * Input: paths of `.ts` files. Output: the Project and, per file, its `@differentiable` functions
 * with their JSDoc tags read (`@wrt`, `@out`, `@gpu`, `@check`). Refuses (with diagnostics): files
 * that do not exist and files with TypeScript syntax errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Node, Project, ts, type ArrowFunction, type CommentRange, type FunctionDeclaration, type FunctionExpression, type JSDoc, type JSDocTag, type SourceFile } from 'ts-morph';
import type { Diagnostic } from '../api-types.ts';
import type { DiagnosticBag } from '../diagnostics/diagnostic.ts';

/**
 * A differentiable function: a function declaration, or (stretch goal of SPEC §1) an arrow
 * function or function expression assigned to a `const`.
 */
export type FunctionLike = FunctionDeclaration | ArrowFunction | FunctionExpression;

/** A function the user marked (or one found on demand), before lowering. */
export interface FunctionUnit {
  name: string;
  node: FunctionLike;
  file: string;
  tagged: boolean;
  wrt: string[] | null;
  out: string | null;
  /** every name the `@out` tags give (more than one is AD1023) */
  outNames: string[];
  gpu: boolean;
  checkTags: string[];
  /** position of each tag, for diagnostics */
  tagPos: Map<string, { line: number; column: number }>;
}

export interface ParsedProject {
  project: Project;
  files: SourceFile[];
}

export function createProject(): Project {
  return new Project({
    compilerOptions: {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Preserve,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      allowImportingTsExtensions: true,
      noEmit: true,
      skipLibCheck: true,
      lib: ['lib.es2022.d.ts'],
    },
    skipAddingFilesFromTsConfig: true,
  });
}

/** What the user's own TypeScript settings ask of code placed beside a source file. */
export interface UserSettings {
  /** `noUncheckedIndexedAccess`: element reads are `number | undefined` and need `a[i]!` */
  noUncheckedIndexedAccess: boolean;
  /** module resolution the imports between the user's files rely on: `paths` aliases and their base */
  resolution: Pick<ts.CompilerOptions, 'paths' | 'baseUrl'> & { pathsBasePath?: string };
}

const settingsByConfig = new Map<string, UserSettings>();

/**
 * The settings of the nearest tsconfig.json above `file` (its `extends` chain included), so the
 * generated file type-checks in the user's project; none found: TypeScript's defaults.
 */
export function userSettings(file: string): UserSettings {
  const config = ts.findConfigFile(path.dirname(path.resolve(file)), ts.sys.fileExists);
  if (!config) return { noUncheckedIndexedAccess: false, resolution: {} };
  let settings = settingsByConfig.get(config);
  if (!settings) {
    // an unreadable or broken tsconfig is the user's tsc's business: fall back to the defaults
    const parsed = ts.getParsedCommandLineOfConfigFile(config, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
    const options: ts.CompilerOptions = parsed?.options ?? {};
    const resolution: UserSettings['resolution'] = {};
    if (options.paths) {
      resolution.paths = options.paths;
      // relative to baseUrl, or (TypeScript ≥ 4.1, no baseUrl) to the tsconfig that declares them
      if (options.baseUrl) resolution.baseUrl = options.baseUrl;
      else if (typeof options['pathsBasePath'] === 'string') resolution.pathsBasePath = options['pathsBasePath'];
    }
    settings = { noUncheckedIndexedAccess: options.noUncheckedIndexedAccess === true, resolution };
    settingsByConfig.set(config, settings);
  }
  return settings;
}

/** Loads the files; reports missing files and syntax errors like tsc does. */
export function parseProject(paths: string[], bag: DiagnosticBag, project: Project = createProject()): ParsedProject {
  // imports through the user's `paths` aliases resolve as their tsc resolves them (the first
  // input's tsconfig decides, as one program holds all inputs)
  const first = paths.find((p) => fs.existsSync(p));
  const resolution = first ? userSettings(first).resolution : {};
  if (resolution.paths && JSON.stringify(project.compilerOptions.get().paths) !== JSON.stringify(resolution.paths)) project.compilerOptions.set(resolution);
  const added: { abs: string; sf: SourceFile }[] = [];
  for (const p of paths) {
    const abs = path.resolve(p);
    if (!fs.existsSync(abs)) {
      bag.add('AD2001', { file: p, line: 0, column: 0 }, p);
      continue;
    }
    // a file that never mentions the tag has nothing to generate (a directory's main.ts, its
    // plots): left out of the program, with everything it alone imports
    // (`@Differentiable` and a lone `@gpu` are read too, to say why nothing is generated)
    const text = fs.readFileSync(abs, 'utf8');
    if (!text.toLowerCase().includes('@differentiable') && !text.includes('@gpu')) continue;
    added.push({ abs, sf: project.getSourceFile(abs) ?? project.addSourceFileAtPath(abs) });
  }
  // one program for all files (each added file would otherwise rebuild it)
  const program = added.length > 0 ? project.getProgram().compilerObject : null;
  const files: SourceFile[] = [];
  for (const { abs, sf } of added) {
    const syntax = program!.getSyntacticDiagnostics(sf.compilerNode);
    if (syntax.length > 0) {
      for (const d of syntax) bag.push(fromTsDiagnostic(d, abs));
      continue;
    }
    files.push(sf);
  }
  return { project, files };
}

/**
 * Reports the type errors inside a function adgen is about to differentiate (an extra argument,
 * a `return;` where a number is due, a `const` assigned): like tsc would, and instead of
 * generating from code that does not mean what it says. Errors elsewhere in the file are the
 * user's own tsc's business (adgen does not read their tsconfig). True when there were any.
 */
export function reportTypeErrors(fn: FunctionLike, bag: DiagnosticBag): boolean {
  const sf = fn.getSourceFile();
  const program = fn.getProject().getProgram().compilerObject;
  // an imported file with a syntax error: reported as tsc does for inputs (parseProject)
  const syntax = program.getSyntacticDiagnostics(sf.compilerNode);
  for (const d of syntax) bag.push(fromTsDiagnostic(d, sf.getFilePath()));
  if (syntax.length > 0) return true;
  return reportTypeErrorsIn(fn, bag);
}

/** Reports the TypeScript errors inside one node (a function, an import declaration); true when there were any. */
/**
 * "Cannot find name 'console'. Do you need to change your target library?" and the like: adgen's
 * program has no DOM or Node types, so these say nothing about the user's project; the construct
 * itself gets an adgen diagnostic instead.
 */
const ENVIRONMENT_ERRORS = new Set([2580, 2581, 2582, 2583, 2584, 2591, 2592, 2593]);

export function reportTypeErrorsIn(node: Node, bag: DiagnosticBag): boolean {
  const sf = node.getSourceFile();
  const program = node.getProject().getProgram().compilerObject;
  const [start, end] = [node.getStart(), node.getEnd()];
  const errors = program
    .getSemanticDiagnostics(sf.compilerNode)
    .filter((d) => d.category === ts.DiagnosticCategory.Error && d.start !== undefined && d.start >= start && d.start < end && !ENVIRONMENT_ERRORS.has(d.code));
  for (const d of errors) bag.push(fromTsDiagnostic(d, sf.getFilePath()));
  return errors.length > 0;
}

function fromTsDiagnostic(d: ts.DiagnosticWithLocation | ts.Diagnostic, file: string): Diagnostic {
  let line = 0;
  let column = 0;
  if (d.file && d.start !== undefined) {
    const pos = d.file.getLineAndCharacterOfPosition(d.start);
    line = pos.line + 1;
    column = pos.character + 1;
  }
  return {
    code: `TS${d.code}`,
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    file,
    line,
    column,
    category: 'error',
  };
}

/** The `const` an arrow function or function expression is assigned to. */
function holder(fn: FunctionLike) {
  if (Node.isFunctionDeclaration(fn)) return undefined;
  const decl = fn.getParent();
  return Node.isVariableDeclaration(decl) ? decl : undefined;
}

/** The JSDoc comments of a function (for an arrow function: of its `const` statement). */
export function docsOf(fn: FunctionLike): JSDoc[] {
  if (Node.isFunctionDeclaration(fn)) return fn.getJsDocs();
  return holder(fn)?.getVariableStatement()?.getJsDocs() ?? [];
}

export function nameOf(fn: FunctionLike): string | undefined {
  return Node.isFunctionDeclaration(fn) ? fn.getName() : holder(fn)?.getName();
}

/** Exported, and declared at the top level of its file. */
export function isExportedTopLevel(fn: FunctionLike): boolean {
  if (Node.isFunctionDeclaration(fn)) return fn.isExported() && fn.getParent() === fn.getSourceFile();
  const stmt = holder(fn)?.getVariableStatement();
  return !!stmt && stmt.isExported() && stmt.getParent() === fn.getSourceFile();
}

/**
 * The tags of a JSDoc, without an `@out` or `@wrt` that TypeScript reads as a tag in the middle
 * of a sentence (`A number[] @out array: …`, `a dense layer as @out helper` are prose): those two
 * count at the start of a line or after other tags. `/** Loss. @differentiable *\/` is a tag.
 */
function tagsOf(doc: JSDoc): JSDocTag[] {
  const text = doc.getSourceFile().getFullText();
  const tags = doc.getTags();
  const lineOf = (pos: number) => text.lastIndexOf('\n', pos - 1);
  const kept: JSDocTag[] = [];
  for (const tag of tags) {
    const name = tag.getTagName();
    const start = tag.getStart();
    const before = text.slice(lineOf(start) + 1, start).replace(/^\s*(\/\*\*|\*)?\s*/, '');
    // the first thing on its line, or after a tag on that line (`/** Fit. @differentiable @wrt a */`),
    // or a flag ending a sentence (`/** Fit. @differentiable */`); not a word in a sentence
    // (`writes the @out array`, `not @differentiable (it draws random numbers)`)
    const previous = kept[kept.length - 1];
    const afterTag = previous !== undefined && lineOf(previous.getStart()) === lineOf(start);
    const endsSentence = (name === 'differentiable' || name === 'gpu') && (tag.getCommentText() ?? '').trim() === '';
    if (!ADGEN_TAGS.has(name) || before === '' || before.startsWith('@') || afterTag || endsSentence) kept.push(tag);
  }
  return kept;
}

/** The tags adgen reads; a mention of one inside a sentence is prose. */
const ADGEN_TAGS = new Set(['differentiable', 'wrt', 'out', 'check', 'gpu']);

/** Whether a function's JSDoc carries `@differentiable`. */
export function isTagged(fn: FunctionLike): boolean {
  return docsOf(fn).some((doc) => tagsOf(doc).some((t) => t.getTagName() === 'differentiable'));
}

/** Reads the adgen tags of a function. */
export function readUnit(fn: FunctionLike, tagged: boolean): FunctionUnit {
  const sf = fn.getSourceFile();
  const unit: FunctionUnit = {
    name: nameOf(fn) ?? '<anonymous>',
    node: fn,
    file: sf.getFilePath(),
    tagged,
    wrt: null,
    out: null,
    outNames: [],
    gpu: false,
    checkTags: [],
    tagPos: new Map(),
  };
  for (const doc of docsOf(fn)) {
    for (const tag of tagsOf(doc)) {
      const name = tag.getTagName();
      const text = (tag.getCommentText() ?? '').trim();
      const pos = sf.getLineAndColumnAtPos(tag.getStart());
      unit.tagPos.set(name, pos);
      if (name === 'wrt') unit.wrt = [...(unit.wrt ?? []), ...splitNames(text)];
      else if (name === 'out') {
        unit.outNames.push(...splitNames(text));
        unit.out = unit.outNames[0] ?? '';
      }
      else if (name === 'gpu') unit.gpu = true;
      else if (name === 'check') unit.checkTags.push(text);
    }
  }
  return unit;
}

/** The names a `@wrt` / `@out` tag lists; a JSDoc-style description after ` - ` is not one of them. */
function splitNames(text: string): string[] {
  const names = text.split(/\s+[-–—]\s/)[0] ?? '';
  return names.split(/[\s,]+/).filter((s) => s.length > 0);
}

/** Class members and non-function variables tagged `@differentiable`: not units, so only diagnosed. */
export function taggedMembers(sf: SourceFile): { node: Node; name: string; what: string }[] {
  const found: { node: Node; name: string; what: string }[] = [];
  const candidates = findNodes(sf, (n) => ts.isMethodDeclaration(n) || ts.isConstructorDeclaration(n) || ts.isGetAccessorDeclaration(n) || ts.isSetAccessorDeclaration(n) || ts.isVariableStatement(n));
  candidates.forEach((node) => {
    const member = Node.isMethodDeclaration(node) || Node.isConstructorDeclaration(node) || Node.isGetAccessorDeclaration(node) || Node.isSetAccessorDeclaration(node);
    // a tagged `const x = 5` (or any variable whose value is not a function) is no unit either
    const variable = Node.isVariableStatement(node)
      ? node.getDeclarations().find((d) => {
          const init = d.getInitializer();
          return !init || !(Node.isArrowFunction(init) || Node.isFunctionExpression(init));
        })
      : undefined;
    if (!(member || variable) || !Node.isJSDocable(node) || !node.getJsDocs().some((doc) => tagsOf(doc).some((t) => t.getTagName() === 'differentiable'))) return;
    if (variable) found.push({ node, name: variable.getName(), what: 'a variable, not a function' });
    else found.push({ node, name: node.getSymbol()?.getName() ?? '(anonymous)', what: 'a class member' });
  });
  return found;
}

/**
 * Top-level declarations whose JSDoc has `@differentiable` but that are no function (a class, a
 * type, `export default (x) => …`), and any with the tag in other letter case
 * (`@Differentiable`): nothing would be generated for them, and the user should hear why.
 */
export function taggedNonFunctions(sf: SourceFile): { node: Node; name: string; what: string }[] {
  const found: { node: Node; name: string; what: string }[] = [];
  for (const st of sf.getStatements()) {
    // (tags as adgen reads them: `excluded by @wrt` in a file's header comment is prose)
    const tags = Node.isJSDocable(st) ? st.getJsDocs().flatMap((d) => tagsOf(d).map((t) => t.getTagName())) : [];
    const name = Node.isExportAssignment(st) ? 'default' : (st.getSymbol()?.getName() ?? '(anonymous)');
    const miscased = tags.find((t) => t !== 'differentiable' && t.toLowerCase() === 'differentiable');
    if (miscased) {
      found.push({ node: st, name, what: `tagged '@${miscased}' (tag names are case-sensitive: write '@differentiable')` });
      continue;
    }
    if (!tags.includes('differentiable')) {
      // `@gpu` (or `@wrt`, `@out`) alone: the user meant a differentiable function
      const other = tags.find((t) => t === 'gpu' || t === 'wrt' || t === 'out');
      if (other) found.push({ node: st, name, what: `tagged '@${other}' without '@differentiable' (add '@differentiable' for derivatives)` });
      continue;
    }
    const what = Node.isClassDeclaration(st)
      ? 'a class (tag a function; methods are outside the differentiable language)'
      : Node.isInterfaceDeclaration(st) || Node.isTypeAliasDeclaration(st)
        ? 'a type'
        : Node.isEnumDeclaration(st)
          ? 'an enum'
          : Node.isExportAssignment(st)
            ? "an exported expression (name the function: 'export default function f(…)')"
            : Node.isModuleDeclaration(st)
              ? 'a namespace'
              : null;
    if (what) found.push({ node: st, name, what });
  }
  return found;
}

/**
 * Top-level functions with `@differentiable` in a comment that is not JSDoc (`// @differentiable`,
 * `/* @differentiable *\/`): the user meant the tag, which TypeScript does not see there.
 */
export function tagsInPlainComments(sf: SourceFile): { node: Node; name: string }[] {
  const found: { node: Node; name: string }[] = [];
  const text = sf.getFullText();
  for (const st of sf.getStatements()) {
    const fn = Node.isFunctionDeclaration(st) ? st : Node.isVariableStatement(st) ? st.getDeclarations()[0]?.getInitializer() : undefined;
    if (!fn || !(Node.isFunctionDeclaration(fn) || Node.isArrowFunction(fn) || Node.isFunctionExpression(fn)) || isTagged(fn)) continue;
    // the comments right above the function (no blank line between), with a line that starts
    // with the tag: `// @differentiable`, not a file header or a sentence that mentions it
    const adjacent: CommentRange[] = [];
    let next = st.getStart();
    for (const c of [...st.getLeadingCommentRanges()].reverse()) {
      if (/\n[ \t]*\r?\n/.test(text.slice(c.getEnd(), next))) break;
      adjacent.push(c);
      next = c.getPos();
    }
    const plain = adjacent.some((c) => !c.getText().startsWith('/**') && c.getText().split('\n').some((line) => /^\s*(\/\/+|\/\*+|\*)?\s*@differentiable\b/.test(line)));
    if (plain) found.push({ node: st, name: nameOf(fn) ?? '(anonymous)' });
  }
  return found;
}

/** The `@differentiable` functions of a file (also non-exported ones, to diagnose). */
export function taggedFunctions(sf: SourceFile): FunctionLike[] {
  const fns = findNodes(sf, (n) => ts.isFunctionDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n));
  return fns.filter((fn): fn is FunctionLike => (Node.isFunctionDeclaration(fn) || Node.isArrowFunction(fn) || Node.isFunctionExpression(fn)) && isTagged(fn));
}

/**
 * The nodes under `root` (in source order) whose compiler node passes `test`, found with an
 * explicit stack: ts-morph's own walks recurse, and a long sum (`x * 0 + x * 1 + …`, 2000 terms)
 * is a tree that deep. Only the nodes found are wrapped.
 */
export function findNodes(root: Node, test: (n: ts.Node) => boolean): Node[] {
  const stack: ts.Node[] = [root.compilerNode];
  const hits: ts.Node[] = [];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (test(node)) hits.push(node);
    ts.forEachChild(node, (child) => {
      stack.push(child);
    });
  }
  hits.sort((a, b) => a.pos - b.pos || b.end - a.end);
  const sf = root.getSourceFile();
  return hits.flatMap((h) => {
    const start = h.getStart(sf.compilerNode);
    const found = sf.getDescendantAtStartWithWidth(start, h.getEnd() - start);
    const node = found && [found, ...found.getAncestors()].find((x) => x.compilerNode === h);
    return node ? [node] : [];
  });
}
