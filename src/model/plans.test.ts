import { expect, test } from 'vitest';
import type { EncodedDispatch } from '../kernels/runtime.ts';
import { packTopkAdj, topkAdjSlots } from '../kernels/topk.ts';
import type { Chunk } from './chunk.ts';
import { Plans, planKey, samePlan, type Plan } from './plans.ts';

const chunk = (o: Partial<Chunk> = {}): Chunk => ({
  ids: Uint32Array.of(5),
  pos: Uint32Array.of(9),
  seqRow: Uint32Array.of(0),
  tables: [[3]],
  copies: [],
  logitRows: [0],
  ...o,
});

test('a chunk\'s plan key changes with what its dispatches depend on, not with buffer contents', () => {
  const base = planKey(chunk(), 1);
  // contents: ids, positions, page tables, which sequence, and the adjustments' values
  expect(planKey(chunk({ ids: Uint32Array.of(7), pos: Uint32Array.of(10), tables: [[4, 5]], seqRow: Uint32Array.of(1) }), 1)).toBe(base);
  const topk = { k: 1, invTemp: 1, adj: [{ row: 0, id: 3, r: 1, sub: 2 }] };
  expect(planKey(chunk({ topk }), 1)).toBe(planKey(chunk({ topk: { ...topk, adj: [{ row: 0, id: 9, r: 1.1, sub: 0 }] } }), 1));
  // counts within one power of two of slots (penalties over a history that grows by a token a step)
  const adj = (n: number) => Array.from({ length: n }, (_, id) => ({ row: 0, id, r: 1.1, sub: 0 }));
  expect(planKey(chunk({ topk: { ...topk, adj: adj(16) } }), 1)).toBe(planKey(chunk({ topk }), 1));
  expect(planKey(chunk({ topk: { ...topk, adj: adj(33) } }), 1)).toBe(planKey(chunk({ topk: { ...topk, adj: adj(64) } }), 1));
  expect(planKey(chunk({ topk: { ...topk, adj: adj(17) } }), 1)).not.toBe(planKey(chunk({ topk }), 1));
  const others = [
    planKey(chunk(), 2), // splits
    planKey(chunk({ ids: Uint32Array.of(5, 6), pos: Uint32Array.of(9, 10), seqRow: Uint32Array.of(0, 0) }), 1), // tokens
    planKey(chunk({ logitRows: [] }), 1),
    planKey(chunk({ topk }), 1),
    planKey(chunk({ topk: { ...topk, k: 2 } }), 1),
    planKey(chunk({ topk: { ...topk, invTemp: 2 } }), 1),
    planKey(chunk({ topk: { ...topk, adj: [] } }), 1),
    planKey(chunk({ topk: { ...topk, masks: { words: 4, bits: new Uint32Array(4) } } }), 1),
  ];
  expect(new Set([base, ...others]).size).toBe(others.length + 1);
});

test('plans keep the most recently used keys', () => {
  const plans = new Plans(2);
  const p = (n: number): Plan => ({ dispatches: [], params: new Uint8Array(n) });
  plans.set('a', p(1));
  plans.set('b', p(2));
  expect(plans.get('a')?.params.length).toBe(1); // a is now the most recent
  plans.set('c', p(3));
  expect([plans.get('a'), plans.get('b'), plans.get('c')].map((x) => x?.params.length)).toEqual([1, undefined, 3]);
  plans.clear();
  expect(plans.size).toBe(0);
});

test('samePlan names the first difference: pipeline, bind group, workgroups, Params', () => {
  const obj = (label: string) => ({ label }) as unknown as GPUComputePipeline & GPUBindGroup;
  const [p1, p2, b1, b2] = [obj('p1'), obj('p2'), obj('b1'), obj('b2')];
  const d = (pipeline: GPUComputePipeline, bind: GPUBindGroup, groups: [number, number?, number?]): EncodedDispatch => ({ pipeline, bind, groups });
  const plan = (ds: EncodedDispatch[], params = new Uint8Array(512)): Plan => ({ dispatches: ds, params });
  const a = plan([d(p1, b1, [4, 1, 1]), d(p2, b2, [1])]);
  expect(samePlan(a, plan([d(p1, b1, [4, 1, 1]), d(p2, b2, [1])]))).toBeUndefined();
  expect(samePlan(a, plan([d(p1, b1, [4, 1, 1])]))).toMatch(/2 dispatches, then 1/);
  expect(samePlan(a, plan([d(p1, b1, [4, 1, 1]), d(p1, b2, [1])]))).toMatch(/dispatch 1: pipeline p2, then p1/);
  expect(samePlan(a, plan([d(p1, b2, [4, 1, 1]), d(p2, b2, [1])]))).toMatch(/dispatch 0 .*bind group/);
  expect(samePlan(a, plan([d(p1, b1, [4, 2, 1]), d(p2, b2, [1])]))).toMatch(/workgroups 4,1,1, then 4,2,1/);
  const params = new Uint8Array(512);
  params[300] = 1;
  expect(samePlan(a, plan(a.dispatches, params))).toMatch(/byte 300 \(slot 1\)/);
});

test('adjustment slots: powers of two from 16; the slots past the adjustments hold a row no chunk has', () => {
  expect([0, 1, 16, 17, 100].map(topkAdjSlots)).toEqual([0, 16, 16, 32, 128]);
  const u = new Uint32Array(packTopkAdj([{ row: 0, id: 7, r: 2, sub: 1 }], 16));
  expect(u.length).toBe(16 * 4);
  expect([u[0], u[1], u[4], u[60]]).toEqual([0, 7, 0xffffffff, 0xffffffff]);
  expect(new Uint32Array(packTopkAdj([]))[0]).toBe(0xffffffff); // none: one entry, for the binding
});
