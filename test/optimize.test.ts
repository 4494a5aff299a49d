/**
 * The optimisation passes over generated code (packages/adgen/src/optimize): what each rewrites,
 * what it must leave alone (arrays another name may reach, indices the loop changes), and that
 * generated code stays exact when the caller passes the same array twice.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as b from '../packages/adgen/src/ir/builders.ts';
import type { Expr, Stmt } from '../packages/adgen/src/ir/nodes.ts';
import type { TargetFunction } from '../packages/adgen/src/ir/target.ts';
import { hoistLoopLengths } from '../packages/adgen/src/optimize/loop-lengths.ts';
import * as prelude from '../packages/adgen/src/emit/prelude.ts';
import { RESERVED } from '../packages/adgen/src/analyze/names.ts';
import { reuseLoads } from '../packages/adgen/src/optimize/loads.ts';
import { promoteLoopSums } from '../packages/adgen/src/optimize/scalar-promotion.ts';
import { useKnownZeros } from '../packages/adgen/src/optimize/known-zero.ts';
import { fuseLoops } from '../packages/adgen/src/optimize/fusion.ts';
import { forwardStores } from '../packages/adgen/src/optimize/forwarding.ts';
import { dropWriteOnlyArrays, overwriteZeroedArrays } from '../packages/adgen/src/optimize/zeroed-arrays.ts';
import { removeDeadVariables } from '../packages/adgen/src/optimize/dead-variables.ts';
import { reuseKernelValues } from '../packages/adgen/src/optimize/kernel-values.ts';
import { reuseScratchArrays } from '../packages/adgen/src/optimize/scratch.ts';
import { assertElementReads, parsedPiece, withoutUnusedHelpers } from '../packages/adgen/src/emit/index.ts';
import { functionDeclaration, printNode } from '../packages/adgen/src/emit/printer.ts';
import { compile } from './support/harness.ts';

const fn = (body: Stmt[], params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }]): TargetFunction => ({ name: 'f', exported: false, doc: '', params, returnType: null, body });
const print = (f: TargetFunction) => printNode(functionDeclaration(f)).replace(/\s+/g, ' ');
const countingLoop = (i: string, bound: ReturnType<typeof b.len> | ReturnType<typeof b.v>, body: Stmt[]): Stmt => ({ k: 'loop', init: [b.decl(i, 'number', b.ZERO)], test: b.op('<', b.v(i), bound), update: [b.assign(i, b.ONE, '+=')], body, doWhile: false });
const alloc = (name: string) => b.decl(name, 'Float64Array', { k: 'alloc', ctor: 'Float64Array', len: b.num(4) }, false);

test("one kernel call gives a helper's value and adjoint where the seed is known at the primal call", () => {
  const slot = (k: number) => b.decl(`_b${k}`, 'number', b.ext(`_hVjpBar[${k}]`), false);
  const body: Stmt[] = [
    b.decl('t_bar', 'number', b.ZERO, true),
    b.decl('t', 'number', b.xcall('_h', b.v('a'), b.idx('x', b.v('i'))), false),
    b.assign('s', b.add(b.v('s'), b.v('t'))),
    b.assign('t_bar', b.v('u')),
    b.exprStmt(b.xcall('_hVjp', b.v('a'), b.idx('x', b.v('i')), b.v('t_bar'))),
    b.assign('t_bar', b.ZERO),
    slot(0),
    b.assign('a_bar', b.v('_b0'), '+='),
  ];
  const params = [{ name: 'x', type: 'Float64Array' }, { name: 'a', type: 'number' }, { name: 'u', type: 'number' }];
  const out = print(reuseKernelValues(fn(body, params)));
  assert.match(out, 'const t = _hVjp(a, x[i], u); const _b0 = _hVjpBar[0]; s = s + t;');
  assert.not.match(out, '_h(a');
  // the seed read through an assignment after the primal call; one that needs the value: left alone
  const constant = [...body.slice(0, 3), b.assign('u', b.num(2)), ...body.slice(3)];
  assert.match(print(reuseKernelValues(fn(constant, params))), 'const t = _hVjp(a, x[i], 2);');
  const late = [...body.slice(0, 3), b.assign('u', b.v('t')), ...body.slice(3)];
  assert.match(print(reuseKernelValues(fn(late, params))), 'const t = _h(a, x[i]);');
  // an argument's array written in between, or a tape pointer in the list: left alone
  const stored = [...body.slice(0, 3), b.store('x', b.v('i'), b.ZERO), ...body.slice(3)];
  assert.match(print(reuseKernelValues(fn(stored, params))), 'const t = _h(a, x[i]);');
  const taped = [...body.slice(0, 3), b.assign('_sp0', b.ZERO), ...body.slice(3)];
  assert.match(print(reuseKernelValues(fn(taped, params))), 'const t = _h(a, x[i]);');
  // a read of the helper's scratch values in between belongs to an earlier call
  const earlier = [...body.slice(0, 3), slot(1), ...body.slice(3)];
  assert.match(print(reuseKernelValues(fn(earlier, params))), 'const t = _h(a, x[i]);');
});

test('a typed array length in a loop test is read once before the loop', () => {
  const out = print(hoistLoopLengths(fn([countingLoop('i', b.len('x'), [b.store('x', b.v('i'), b.ZERO)])])));
  assert.match(out, 'const _xLength = x.length; for (let i = 0; i < _xLength; i++)');
});

test('a number[] length stays in the test when the loop stores into the array', () => {
  const out = print(hoistLoopLengths(fn([countingLoop('i', b.len('x'), [b.store('x', b.v('i'), b.ZERO)])], [{ name: 'x', type: 'number[]' }])));
  assert.match(out, 'i < x.length');
  assert.not.match(out, '_xLength');
});

test('a sum into an owned array at a loop-invariant index is kept in a local', () => {
  const body = [alloc('acc'), countingLoop('j', b.v('n'), b.accumulateAt('acc', b.v('k'), b.idx('x', b.v('j')))), { k: 'return', e: { k: 'obj', props: [['acc', b.v('acc')]] } } as Stmt];
  const out = print(promoteLoopSums(fn(body, [{ name: 'x', type: 'Float64Array' }, { name: 'n', type: 'number' }, { name: 'k', type: 'number' }])));
  assert.match(out, 'let _accAt = acc[k];');
  assert.match(out, '_accAt += x[j];');
  assert.match(out, 'acc[k] = _accAt;');
});

test('no promotion for a parameter array, an escaping array, an array made in the loop, or an index the loop changes', () => {
  const params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }, { name: 'n', type: 'number' }, { name: 'k', type: 'number' }];
  const param = print(promoteLoopSums(fn([countingLoop('j', b.v('n'), b.accumulateAt('x', b.v('k'), b.ONE))], params)));
  assert.not.match(param, '_xAt');
  const escaping = print(promoteLoopSums(fn([alloc('acc'), b.exprStmt(b.xcall('_pushArray', b.v('acc'))), countingLoop('j', b.v('n'), b.accumulateAt('acc', b.v('k'), b.ONE))], params)));
  assert.not.match(escaping, '_accAt');
  const fresh = print(promoteLoopSums(fn([countingLoop('j', b.v('n'), [alloc('acc'), ...b.accumulateAt('acc', b.v('k'), b.ONE)])], params)));
  assert.not.match(fresh, '_accAt');
  const moving = print(promoteLoopSums(fn([alloc('acc'), countingLoop('j', b.v('n'), [...b.accumulateAt('acc', b.v('k'), b.ONE), b.assign('k', b.ONE, '+=')])], params)));
  assert.not.match(moving, '_accAt');
});

test('an invariant load leaves the loop only when no store in it may reach the same array', () => {
  const params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }, { name: 'y', type: 'Float64Array' }, { name: 'n', type: 'number' }, { name: 'k', type: 'number' }];
  const ownedStore = print(reuseLoads(fn([alloc('g'), countingLoop('j', b.v('n'), b.accumulateAt('g', b.v('j'), b.idx('x', b.v('k'))))], params)));
  assert.match(ownedStore, 'const _xAt = x[k]; for');
  // y may be the same array as x
  const paramStore = print(reuseLoads(fn([countingLoop('j', b.v('n'), b.accumulateAt('y', b.v('j'), b.idx('x', b.v('k'))))], params)));
  assert.not.match(paramStore, '_xAt');
});

test('a load repeated across statements is shared until a store that may alias it', () => {
  const params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }, { name: 'y', type: 'Float64Array' }];
  const shared = print(reuseLoads(fn([alloc('g'), ...b.accumulateAt('g', b.ZERO, b.idx('x', b.ONE)), ...b.accumulateAt('g', b.ONE, b.idx('x', b.ONE))], params)));
  assert.match(shared, 'const _xAt = x[1];');
  const killed = print(reuseLoads(fn([...b.accumulateAt('y', b.ZERO, b.idx('x', b.ONE)), ...b.accumulateAt('y', b.ONE, b.idx('x', b.ONE))], params)));
  assert.not.match(killed, '_xAt');
});

test('a sum into a scalar that every iteration resets to 0 becomes an assignment', () => {
  const params: TargetFunction['params'] = [{ name: 'n', type: 'number' }, { name: 'w', type: 'number' }];
  const reset = print(useKnownZeros(fn([b.decl('g_bar', 'number', b.ZERO), b.decl('t_bar', 'number', b.ZERO), countingLoop('i', b.v('n'), [b.assign('g_bar', b.v('w'), '+='), b.assign('t_bar', b.v('g_bar'), '-='), b.assign('g_bar', b.ZERO)])], params)));
  assert.match(reset, 'g_bar = w;');
  // t is not reset in the loop: only its first sum could be an assignment, and the loop repeats it
  assert.match(reset, 't_bar -= g_bar;');
  // the counter itself (i += 1 after i = 0) is never zero at the update
  assert.match(reset, 'i++');
  const oneBranch = print(useKnownZeros(fn([b.decl('g_bar', 'number', b.ZERO), countingLoop('i', b.v('n'), [b.assign('g_bar', b.v('w'), '+='), b.ifs(b.op('>', b.v('w'), b.ZERO), [b.assign('g_bar', b.ZERO)])])], params)));
  assert.match(oneBranch, 'g_bar += w;');
  // a primal local keeps its sum: `let s = 0; s -= x` is +0 at x = 0, `s = -x` would be −0
  const primal = print(useKnownZeros(fn([b.decl('s', 'number', b.ZERO), b.assign('s', b.v('w'), '-='), { k: 'return', e: b.v('s') }], params)));
  assert.match(primal, 's -= w;');
});

test('a zero declared in a nested scope says nothing about the same name outside it', () => {
  const out = print(useKnownZeros(fn([b.decl('g_bar', 'number', b.num(5)), { k: 'block', body: [b.decl('g_bar', 'number', b.ZERO)] }, b.assign('g_bar', b.ONE, '+=')], [])));
  assert.match(out, '} g_bar++;');
  const inLoop = print(useKnownZeros(fn([b.decl('g_bar', 'number', b.num(5)), countingLoop('i', b.num(3), [b.decl('g_bar', 'number', b.ZERO), b.assign('g_bar', b.ONE, '+=')]), b.assign('g_bar', b.ONE, '+=')], [])));
  assert.match(inLoop, 'let g_bar = 0; g_bar = 1;');
  assert.match(inLoop, '} g_bar++;');
});

test('adjacent loops with the same header fuse when each touches the arrays of the other only at its own index', () => {
  const params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }, { name: 'n', type: 'number' }, { name: 'o', type: 'number' }];
  const at = (arr: string) => b.idx(arr, b.op('+', b.v('o'), b.v('i')));
  const body = [alloc('xc'), alloc('qx'), b.comment('m.ts:3'), countingLoop('i', b.v('n'), [b.store('xc', b.op('+', b.v('o'), b.v('i')), b.op('-', b.idx('x', b.v('i')), b.ONE))]), b.comment('m.ts:4'), countingLoop('i', b.v('n'), [b.decl('t', 'number', at('xc'), false), b.store('qx', b.v('i'), b.op('*', b.v('t'), b.v('t')))])];
  const out = print(fuseLoops(fn(body, params)));
  assert.match(out, 'for (let i = 0; i < n; i++) { xc[o + i] = x[i] - 1; // m.ts:4 const t = xc[o + i]; qx[i] = t * t; }');
  // the second loop's counter takes the first one's name
  const renamed = print(fuseLoops(fn([alloc('a'), countingLoop('i', b.v('n'), [b.store('a', b.v('i'), b.ONE)]), countingLoop('j', b.v('n'), [b.store('x', b.v('j'), b.idx('a', b.v('j')))])], params)));
  assert.match(renamed, 'for (let i = 0; i < n; i++) { a[i] = 1; x[i] = a[i]; }');
  // … unless that name means something else there
  const taken = print(fuseLoops(fn([alloc('a'), countingLoop('i', b.v('n'), [b.store('a', b.v('i'), b.ONE)]), countingLoop('j', b.v('n'), [b.store('x', b.v('j'), b.op('+', b.idx('a', b.v('j')), b.v('i')))])], params)));
  assert.match(taken, 'for (let j = 0;');
});

test('no fusion across iterations, through a scalar, past a break or call, or between arrays that may be one', () => {
  const params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }, { name: 'y', type: 'Float64Array' }, { name: 'n', type: 'number' }];
  const loops = (first: Stmt[], second: Stmt[]) => print(fuseLoops(fn([alloc('a'), b.decl('s', 'number', b.ZERO), countingLoop('i', b.v('n'), first), countingLoop('i', b.v('n'), second)], params)));
  const fused = (out: string) => (out.match(/for \(/g) ?? []).length === 1;
  assert.ok(fused(loops([b.store('a', b.v('i'), b.ONE)], [b.store('x', b.v('i'), b.idx('a', b.v('i')))])));
  // iteration i of the second loop reads what iteration i + 1 of the first writes
  assert.not.ok(fused(loops([b.store('a', b.v('i'), b.ONE)], [b.store('x', b.v('i'), b.idx('a', b.op('+', b.v('i'), b.ONE)))])));
  // the same fixed element in every iteration
  assert.not.ok(fused(loops([b.store('a', b.ZERO, b.v('i'))], [b.store('x', b.v('i'), b.idx('a', b.ZERO))])));
  // a sum the second loop reads before the first has finished it
  assert.not.ok(fused(loops([b.assign('s', b.idx('x', b.v('i')), '+=')], [b.store('a', b.v('i'), b.v('s'))])));
  // x and y may be the same array
  assert.not.ok(fused(loops([b.store('x', b.v('i'), b.ONE)], [b.store('a', b.v('i'), b.idx('y', b.v('i')))])));
  assert.not.ok(fused(loops([b.store('a', b.v('i'), b.ONE), b.ifs(b.op('>', b.v('i'), b.num(2)), [{ k: 'break' }])], [b.store('x', b.v('i'), b.idx('a', b.v('i')))])));
  assert.not.ok(fused(loops([b.store('a', b.v('i'), b.ONE)], [b.exprStmt(b.call('g', b.v('a')))])));
  // the first loop gives the name another array
  assert.not.ok(fused(loops([b.assign('a', { k: 'alloc', ctor: 'Float64Array', len: b.num(4) }), b.store('a', b.v('i'), b.ONE)], [b.store('x', b.v('i'), b.idx('a', b.v('i')))])));
  // the second loop's bound is what the first one changes
  const bound = print(fuseLoops(fn([countingLoop('i', b.v('n'), [b.assign('n', b.ONE, '-=')]), countingLoop('i', b.v('n'), [])], params)));
  assert.not.ok(fused(bound));
});

test('an adjoint array zeroed after each use and added into at the next one is overwritten instead, and its zeroing goes', () => {
  const params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }, { name: 'n', type: 'number' }, { name: 'm', type: 'number' }];
  const down = (i: string, bound: string, body: Stmt[]): Stmt => ({ k: 'loop', init: [b.decl(i, 'number', b.op('-', b.v(bound), b.ONE))], test: b.op('>=', b.v(i), b.ZERO), update: [b.assign(i, b.ONE, '-=')], body, doWhile: false });
  const addInto = down('j', 'n', [b.store('a_bar', b.v('j'), b.idx('x', b.v('j')), '+=')]);
  const readOthers = down('j', 'n', [b.store('x', b.v('j'), b.idx('a_bar', b.op('-', b.v('n'), b.v('j'))))]);
  const useAndZero = down('k', 'n', [b.decl('t', 'number', b.idx('a_bar', b.v('k')), false), b.store('a_bar', b.v('k'), b.ZERO), b.store('x', b.v('k'), b.v('t'), '+=')]);
  const window = (middle: Stmt[], first = addInto, last = useAndZero, extra: Stmt[] = []) =>
    print(overwriteZeroedArrays(fn([alloc('a_bar'), countingLoop('i', b.v('m'), [first, ...middle, last]), ...extra], params)));
  const out = window([readOthers]);
  assert.match(out, 'a_bar[j] = x[j];');
  assert.not.match(out, 'a_bar[j] +=');
  assert.not.match(out, 'a_bar[k] = 0');
  // a primal array keeps its zeroing: `0 + e` is e but for the sign of a zero, which it may show
  const rename = (stmts: Stmt[]) => JSON.parse(JSON.stringify(stmts).replaceAll('"a_bar"', '"a"')) as Stmt[];
  const primal = print(overwriteZeroedArrays(fn([alloc('a'), countingLoop('i', b.v('m'), rename([addInto, readOthers, useAndZero]))], params)));
  assert.match(primal, 'a[k] = 0');
  // one loop that first loads element k (a zero) and last zeroes it: the load is 0
  const loadStoreZero = down('k', 'n', [b.decl('t', 'number', b.idx('a_bar', b.v('k')), false), b.store('a_bar', b.v('k'), b.op('+', b.v('t'), b.idx('x', b.v('k')))), b.store('x', b.v('k'), b.idx('a_bar', b.v('k')), '+='), b.store('a_bar', b.v('k'), b.ZERO)]);
  const single = print(overwriteZeroedArrays(fn([alloc('a_bar'), countingLoop('i', b.v('m'), [loadStoreZero])], params)));
  assert.match(single, 'const t = 0;');
  assert.not.match(single, 'a_bar[k] = 0');
  // … but not when only a branch writes the element: the next window would read what it left
  const branchOnly = down('k', 'n', [b.decl('t', 'number', b.idx('a_bar', b.v('k')), false), b.ifs(b.v('c'), [b.store('a_bar', b.v('k'), b.op('+', b.v('t'), b.ONE))]), b.store('x', b.v('k'), b.idx('a_bar', b.v('k')), '+='), b.store('a_bar', b.v('k'), b.ZERO)]);
  assert.match(print(overwriteZeroedArrays(fn([alloc('a_bar'), countingLoop('i', b.v('m'), [branchOnly])], params))), 'a_bar[k] = 0');
  const kept = (o: string) => o.includes('a_bar[k] = 0') && o.includes('a_bar[j] +=');
  // A reading another element, a store or a break between, another header, a bound that changes
  assert.ok(kept(window([], down('j', 'n', [b.store('a_bar', b.v('j'), b.idx('a_bar', b.op('+', b.v('j'), b.ONE)), '+=')]))));
  assert.ok(kept(window([b.store('a_bar', b.ZERO, b.ONE)])));
  assert.ok(kept(window([b.ifs(b.v('c'), [{ k: 'break' }])])));
  assert.ok(kept(window([], down('j', 'm', [b.store('a_bar', b.v('j'), b.idx('x', b.v('j')), '+=')]))));
  assert.ok(kept(window([b.assign('n', b.ONE, '-=')])));
  // the zeros are read after the loop, or the array is returned
  assert.ok(kept(window([], addInto, useAndZero, [b.store('x', b.ZERO, b.idx('a_bar', b.ZERO))])));
  assert.ok(kept(window([], addInto, useAndZero, [{ k: 'return', e: b.v('a_bar') }])));
  // a bound declared anew in each iteration (`const m = d - k`): the windows cover different elements
  const perIteration = (body: Stmt[]) => print(overwriteZeroedArrays(fn([alloc('a_bar'), countingLoop('i', b.v('m'), [b.decl('w', 'number', b.op('-', b.v('n'), b.v('i')), false), ...body])], params)));
  const addW = down('j', 'w', [b.store('a_bar', b.v('j'), b.idx('x', b.v('j')), '+=')]);
  const zeroW = down('k', 'w', [b.decl('t', 'number', b.idx('a_bar', b.v('k')), false), b.store('a_bar', b.v('k'), b.ZERO), b.store('x', b.v('k'), b.v('t'), '+=')]);
  assert.ok(kept(perIteration([addW, readOthers, zeroW])));
  // a parameter array may hold anything on entry
  assert.ok(kept(print(overwriteZeroedArrays(fn([countingLoop('i', b.v('m'), [addInto, useAndZero])], [...params, { name: 'a_bar', type: 'Float64Array' }])))));
});

test('a stored value added into next is stored once, and an array nothing reads loses its stores', () => {
  const params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }, { name: 'k', type: 'number' }];
  const added = print(forwardStores(fn([alloc('g'), b.decl('t', 'number', b.idx('x', b.ZERO), false), b.store('g', b.v('k'), b.v('t')), b.store('g', b.v('k'), b.idx('x', b.ONE), '+='), b.store('x', b.ZERO, b.idx('g', b.v('k')))], params)));
  assert.match(added, 'const t = x[0]; const _gAt = t + x[1]; g[k] = _gAt; x[0] = _gAt;');
  const writeOnly = print(dropWriteOnlyArrays(fn([alloc('g'), alloc('h'), b.store('g', b.v('k'), b.ONE), b.store('h', b.v('k'), b.ONE), b.store('x', b.ZERO, b.idx('h', b.v('k')))], params)));
  assert.not.match(writeOnly, 'g[k]');
  assert.match(writeOnly, 'h[k] = 1;');
});

test('a stored element read back is kept in a local, and a store overwritten before any read is dropped', () => {
  const params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }, { name: 'y', type: 'Float64Array' }, { name: 'f', type: 'Float32Array' }, { name: 'k', type: 'number' }];
  const out = print(forwardStores(fn([alloc('g'), b.store('g', b.v('k'), b.idx('x', b.ZERO), '+='), b.decl('t', 'number', b.idx('g', b.v('k')), false), b.store('g', b.v('k'), b.ZERO), b.store('y', b.ZERO, b.v('t'))], params)));
  assert.match(out, 'const _gAt = g[k] + x[0]; const t = _gAt; g[k] = 0;');
  // a read of an array that may be y keeps the first store
  const read = print(forwardStores(fn([b.store('y', b.ZERO, b.ONE), b.decl('t', 'number', b.idx('x', b.ONE), false), b.store('y', b.ZERO, b.v('t'))], params)));
  assert.match(read, 'y[0] = 1; const t = x[1]; y[0] = t;');
  const other = print(forwardStores(fn([alloc('g'), b.store('g', b.ZERO, b.ONE), b.decl('t', 'number', b.idx('x', b.ONE), false), b.store('g', b.ZERO, b.v('t'))], params)));
  assert.match(other, 'const t = x[1]; g[0] = t;');
  // a Float32Array rounds what it stores: read it back
  const single = print(forwardStores(fn([b.store('f', b.ZERO, b.idx('x', b.ZERO)), b.decl('t', 'number', b.idx('f', b.ZERO), false), b.store('y', b.ZERO, b.v('t'))], params)));
  assert.match(single, 'const t = f[0];');
  // a store between the two may change the element
  const between = print(forwardStores(fn([b.store('x', b.ZERO, b.ONE), b.store('y', b.v('k'), b.num(2)), b.decl('t', 'number', b.idx('x', b.ZERO), false), b.store('y', b.ONE, b.v('t'))], params)));
  assert.match(between, 'const t = x[0];');
});

test('generated code gives the primal value when the caller passes one array twice', async () => {
  const source = `
/**
 * @differentiable
 * @wrt x
 * @out out
 */
export function smooth(x: Float64Array, out: Float64Array, w: number): void {
  for (let i = 1; i < x.length; i++) {
    for (let j = 0; j < 3; j++) out[i] += w * x[i - 1]! * x[i]!;
    out[i - 1] = Math.sin(out[i]! + x[i - 1]!);
  }
}
`;
  const compiled = await compile({ 'alias.ts': source });
  const gen = compiled.modules['alias.ts']!;
  const src = compiled.sources['alias.ts']!;
  const start = [0.3, -0.2, 0.5, 0.1, 0.7];
  const expected = Float64Array.from(start);
  src.smooth!(expected, expected, 0.8);
  const viaJvp = Float64Array.from(start);
  const jvp = gen.smoothJvp!(viaJvp, viaJvp, 0.8, { x: new Float64Array(5) });
  assert.equal(Array.from(jvp.value as Float64Array), Array.from(expected));
  const viaVjp = Float64Array.from(start);
  const vjp = gen.smoothVjp!(viaVjp, viaVjp, 0.8, new Float64Array(5));
  assert.equal(Array.from(vjp.value as Float64Array), Array.from(expected));
});

test('dead variables go with their assignments; effects, outputs, shadowed names and parameters that are read stay', () => {
  const params: TargetFunction['params'] = [{ name: 'x', type: 'number' }, { name: 'x_dot', type: 'number' }, { name: 'a', type: 'Float64Array' }];
  const body: Stmt[] = [
    // y feeds only z, z feeds nothing: both dead
    b.decl('y', 'number', b.mul(b.v('x_dot'), b.num(2))),
    b.decl('z', 'number', b.add(b.v('y'), b.ONE)),
    b.assign('z', b.v('y'), '+='),
    // a tape pop must run even though nothing reads p (it stays as a statement, p goes)
    b.decl('p', 'number', b.xcall('_pop')),
    // an assignment to a module-level output
    b.assign('_fJvpDot', b.v('x')),
    // the outer j is dead, the inner j (another declaration) is read
    b.decl('j', 'number', b.num(3)),
    countingLoop('i', b.len('a'), [b.decl('j', 'number', b.v('i')), b.store('a', b.v('j'), b.ZERO)]),
    { k: 'if', c: b.op('>', b.v('x'), b.ZERO), then: [b.assign('z', b.ONE)], else: [] },
    { k: 'return', e: b.v('x') },
  ];
  const out = print(removeDeadVariables(fn(body, params)));
  assert.not.match(out, /\b[yz]\b/);
  assert.not.match(out, 'if (');
  assert.match(out, '_pop();');
  assert.not.match(out, /\bp\b/);
  assert.match(out, '_fJvpDot = x;');
  assert.not.match(out, 'j = 3');
  assert.match(out, 'let j = i; a[j] = 0;');
  // x_dot was read only by dead code: renamed for noUnusedParameters, position kept
  assert.match(out, 'function f(x: number, _x_dot: number, a: Float64Array)');
  // a number parameter assigned and never read again: the assignment goes (the caller cannot see it)
  const reset = print(removeDeadVariables(fn([b.assign('x_dot', b.ZERO), b.assign('x', b.idx('a', b.ZERO)), b.store('a', b.ONE, b.v('x'))], params)));
  assert.match(reset, 'function f(x: number, _x_dot: number, a: Float64Array) { x = a[0]; a[1] = x; }');
  assert.not.match(reset, 'x_dot = 0');
  // a counting loop left empty goes; a while loop with an empty body may never end, so it stays
  const loops = print(removeDeadVariables(fn([countingLoop('i', b.len('a'), [b.comment('dropped')]), { k: 'loop', init: [], test: b.op('<', b.v('x'), b.ONE), update: [], body: [], doWhile: false }, b.store('a', b.ZERO, b.v('x'))], params)));
  assert.not.match(loops, 'for (');
  assert.match(loops, 'while (x < 1)');
});

test('fixed-size locals of a kernel reuse module-level arrays; returned, per-iteration, run-time sized, reassigned or referenced ones do not', () => {
  const sized = (name: string, len: Parameters<typeof b.decl>[2]) => b.decl(name, 'Float64Array', { k: 'alloc', ctor: 'Float64Array', len: len! }, false);
  const params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }, { name: 'n', type: 'number' }];
  const body: Stmt[] = [
    alloc('v'),
    sized('v_bar', b.len('v')),
    sized('w', b.v('n')),
    alloc('kept'),
    b.exprStmt(b.xcall('_pushRef', b.v('kept'))),
    alloc('aliased'),
    b.decl('other', 'Float64Array', b.v('aliased'), false),
    countingLoop('i', b.num(3), [alloc('each'), b.exprStmt(b.call('g', b.v('each')))]),
    b.decl('c', 'Float64Array', b.xcall('Float64Array.from', b.v('x')), false),
    b.exprStmt(b.call('g', b.v('v'), b.v('v_bar'), b.v('w'), b.v('c'))),
    { k: 'return', e: b.idx('v', b.ZERO) },
  ];
  const declared = new Map([['_scratch_f_v', 1]]);
  const { fn: out, globals } = reuseScratchArrays({ ...fn(body, params), returnType: 'number' }, declared);
  assert.equal(globals.map((g) => [g.name, g.exported, g.type]), [['_scratch_f_v1', false, 'Float64Array'], ['_scratch_f_v_bar', false, 'Float64Array'], ['_scratch_f_c', false, 'Float64Array[]']]);
  const text = print(out);
  assert.match(text, 'const v = _scratch_f_v1.fill(0); const v_bar = _scratch_f_v_bar.fill(0);');
  // a copy whose length is known at run time only: storage replaced when the length changes
  assert.match(text, 'const c = _scratchCopy(_scratch_f_c, x);');
  for (const local of ['w', 'kept', 'aliased', 'each']) assert.not.match(text, `_scratch_f_${local}`);
  // a kernel that returns an array keeps every allocation
  const returning = reuseScratchArrays({ ...fn([alloc('v'), { k: 'return', e: b.v('v') }], params), returnType: 'Float64Array' }, new Map());
  assert.equal(returning.globals, []);
});

test('an array reverse mode declares empty and allocates in a branch reuses a module-level array; one allocated in a loop or twice does not', () => {
  const empty = (name: string) => b.decl(name, 'Float64Array', { k: 'alloc', ctor: 'Float64Array', len: b.ZERO }, true);
  const allocate = (name: string, len: Expr) => b.assign(name, { k: 'alloc', ctor: 'Float64Array', len });
  const params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }, { name: 'c', type: 'number' }];
  const body: Stmt[] = [
    empty('w'),
    empty('w_bar'),
    empty('twice'),
    empty('looped'),
    b.ifs(b.op('>', b.v('c'), b.ZERO), [allocate('w', b.num(2)), allocate('w_bar', b.len('w')), allocate('twice', b.num(2)), b.exprStmt(b.call('g', b.v('w'), b.v('w_bar')))], [allocate('twice', b.num(3))]),
    countingLoop('i', b.num(3), [allocate('looped', b.num(2)), b.exprStmt(b.call('g', b.v('looped')))]),
    b.exprStmt(b.call('g', b.v('twice'))),
  ];
  const { fn: out, globals } = reuseScratchArrays({ ...fn(body, params), returnType: 'void' }, new Map());
  assert.equal(globals.map((g) => g.name), ['_scratch_f_empty', '_scratch_f_w', '_scratch_f_w_bar']);
  const text = print(out);
  assert.match(text, 'let w = _scratch_f_empty; let w_bar = _scratch_f_empty;');
  assert.match(text, 'w = _scratch_f_w.fill(0); w_bar = _scratch_f_w_bar.fill(0);');
  assert.match(text, 'looped = new Float64Array(2)');
  assert.match(text, 'twice = new Float64Array(3)');
});

test('unused helpers leave the file; element reads get ! for noUncheckedIndexedAccess, writes do not', () => {
  const text = 'let _sp = 0;\nfunction _push(v: number): void { _sp++; }\nfunction _used(): number { return 1; }\nexport function f(a: Float64Array): number { a[0] += a[1] * _used(); a[2]++; return a[a[0]]; }\n';
  const kept = withoutUnusedHelpers([parsedPiece(text, false)]);
  assert.not.match(kept, '_push');
  assert.not.match(kept, '_sp');
  assert.match(kept, 'function _used()');
  const checked = assertElementReads(kept);
  assert.match(checked, 'a[0] = a[0]! + (a[1]! * _used());');
  assert.match(checked, 'a[2]++;');
  assert.match(checked, 'return a[a[0]!]!;');
});

test("every module-level name of the prelude is reserved, so a user function's private copy never meets it", () => {
  const declared = (Object.values(prelude) as unknown[])
    .filter((v): v is string => typeof v === 'string')
    .flatMap((text) => [...text.matchAll(/^(?:function|let|const|type) (_\w+)/gm)].map((m) => m[1]!));
  assert.ok(declared.length >= 15, declared.join(', '));
  assert.equal(declared.filter((name) => !RESERVED.has(name)), []);
});

test('a module-level table is one module-level copy that every function of the file names; a small one read at constant indices becomes scalars with its values', async () => {
  const table = Array.from({ length: 500 }, (_, i) => Math.round(Math.sin(i / 50) * 1e6) / 1e6);
  const source = [
    `const TABLE = [${table.join(', ')}];`,
    'const C4 = new Float64Array([0.5, -1.25, 2, 3.5]);',
    'function lookup(x: number): number {',
    '  const t = x * 50;',
    '  const i = Math.max(0, Math.min(TABLE.length - 2, Math.floor(t)));',
    '  const w = t - i;',
    '  return (1 - w) * TABLE[i] + w * TABLE[i + 1];',
    '}',
    '/** @differentiable */',
    'export function smoothed(x: Float64Array): number {',
    '  let s = C4[0] + C4[3];',
    '  for (let i = 0; i < x.length; i++) s += lookup(x[i]) * x[i] * C4[1] + TABLE[3];',
    '  return s;',
    '}',
  ].join('\n');
  const { files, modules, sources } = await compile({ 'tbl.ts': source });
  const text = files[0]!.text;
  // the 500 values appear once, in one module-level constant; functions name it
  assert.is(text.split(String(table[123])).length - 1, 1);
  assert.match(text, /^const _TABLETable: number\[\] = \[/m);
  assert.ok((text.match(/const TABLE = _TABLETable;/g) ?? []).length >= 3);
  // C4 is four scalars starting at its values
  const code = text.split('\n').filter((line) => !line.trim().startsWith('//')).join('\n');
  assert.not.match(code, /C4Table|C4\[/);
  assert.match(code, /let _C4_\d+ = -1\.25;/);
  const x = Float64Array.from({ length: 50 }, (_, i) => 0.1307 + i * 0.1703);
  const m = modules['tbl.ts']!;
  const g = m['smoothedGrad']!(x);
  assert.is(g.value, sources['tbl.ts']!['smoothed']!(x));
  const h = 1e-7;
  for (const k of [0, 17, 49]) {
    const xp = x.slice();
    xp[k]! += h;
    const xm = x.slice();
    xm[k]! -= h;
    const fd = (sources['tbl.ts']!['smoothed']!(xp) - sources['tbl.ts']!['smoothed']!(xm)) / (2 * h);
    assert.ok(Math.abs(g.grad.x[k] - fd) < 1e-5 * Math.max(1, Math.abs(fd)), `x[${k}]: ${g.grad.x[k]} vs ${fd}`);
  }
});

test.run();
