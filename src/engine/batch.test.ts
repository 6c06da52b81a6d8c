import { expect, test } from 'vitest';
import { logitRows, planBatch, tokenMasks, type Want, type WorkItem } from './batch.ts';

let arrival = 0;
const item = (seq: number, n: number, want: Want = { kind: 'last' }, fed = 0): WorkItem => ({ seq, ids: Array.from({ length: n }, (_, i) => i), fed, want, arrival: arrival++ });
const greedy: Want = { kind: 'topk', k: 1, invTemp: 1, adj: [] };
const shape = (p: ReturnType<typeof planBatch>) => p.slices.map((s) => [s.item.seq, s.from, s.to, s.final]);

test('decode steps go first, then prompts in arrival order, sliced to the budget', () => {
  const prompt = item(1, 100, greedy);
  const d1 = item(2, 1, greedy);
  const d2 = item(3, 1, greedy);
  const plan = planBatch([prompt, d1, d2], 64);
  expect(shape(plan)).toEqual([[2, 0, 1, true], [3, 0, 1, true], [1, 0, 62, false]]);
  expect(plan.readBack).toEqual({ kind: 'topk', k: 1, invTemp: 1 });
  expect(logitRows(plan)).toEqual([0, 1]);
  prompt.fed = 62;
  expect(shape(planBatch([prompt], 64))).toEqual([[1, 62, 100, true]]);
});

test('one chunk reads back one kind: an item of the other kind feeds all but its last token, a single token waits', () => {
  const a = item(1, 1, greedy);
  const b = item(2, 5, { kind: 'last' }); // whole logits
  const c = item(3, 1, { kind: 'topk', k: 1, invTemp: 2, adj: [] }); // another temperature
  const plan = planBatch([a, b, c], 64);
  expect(shape(plan)).toEqual([[1, 0, 1, true], [2, 0, 4, false]]);
  expect(logitRows(plan)).toEqual([0]);
});

test('k is the largest of the final topk items; the first final item sets the kind', () => {
  const plan = planBatch([item(1, 1, { kind: 'topk', k: 3, invTemp: 0.5, adj: [] }), item(2, 1, { kind: 'topk', k: 40, invTemp: 0.5, adj: [] })], 8);
  expect(plan.readBack).toEqual({ kind: 'topk', k: 40, invTemp: 0.5 });
  expect(planBatch([item(1, 3), item(2, 1, greedy)], 8).readBack).toEqual({ kind: 'topk', k: 1, invTemp: 1 }); // the decode comes first
});

test("a sequence's second item waits; 'all' items return every row and only in logits chunks", () => {
  const first = item(1, 3, { kind: 'all' });
  const second = item(1, 1);
  const plan = planBatch([first, second, item(2, 2, { kind: 'all' })], 64);
  expect(shape(plan)).toEqual([[1, 0, 3, true], [2, 0, 2, true]]);
  expect(logitRows(plan)).toEqual([0, 1, 2, 3, 4]);
  expect(shape(planBatch([item(3, 1, greedy), item(4, 4, { kind: 'all' })], 64))).toEqual([[3, 0, 1, true]]);
});

test('an empty queue or no budget plans nothing', () => {
  expect(planBatch([], 64).slices).toEqual([]);
  expect(planBatch([item(1, 5)], 0).slices).toEqual([]);
});

test('at most maxSeqs sequences go into one chunk; the others wait their turn in order', () => {
  const items = [1, 2, 3, 4].map((seq) => item(seq, 1, greedy));
  expect(planBatch(items, 64, 2).slices.map((s) => s.item.seq)).toEqual([1, 2]);
});

test('token masks: rows without a grammar allow everything; a short mask masks the ids past it', () => {
  expect(tokenMasks([], 3, 100)).toBeUndefined();
  const allowed = Int32Array.from([0b101, -1]); // ids 0, 2 and 32..63; the grammar knows 64 tokens
  const m = tokenMasks([{ row: 1, allowed }], 3, 100)!;
  expect(m.words).toBe(4); // ceil(100 / 32)
  expect([...m.bits]).toEqual([~0 >>> 0, ~0 >>> 0, ~0 >>> 0, ~0 >>> 0, 0b101, 0xffffffff, 0, 0, ~0 >>> 0, ~0 >>> 0, ~0 >>> 0, ~0 >>> 0]);
});
