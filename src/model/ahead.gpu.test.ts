/**
 * Commands encoded ahead (model/plans.ts Ahead): after each run the forward replays its plan into the next
 * run's command buffer. A run takes it only when it fits (the same plan, no KV page copies, the same
 * read-back buffer); the logits must be exactly those of runs encoded afresh (checkPlans).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { fileSource } from '../gguf/node_source.ts';
import { Engine } from '../engine/engine.ts';
import type { TopkRow } from '../kernels/topk.ts';
import { argmax, makeModel, randomPrompt } from '../testing/models.ts';

let gpu: Gpu;
const path = () => makeModel({ name: 'ahead llama GQA', args: ['--arch', 'llama', '--type', 'q8_0', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--ff', '256'] });

beforeAll(async () => {
  gpu = await openTestGpu();
});
afterAll(() => gpu?.device.destroy());

const topkRow = (t: TopkRow) => Float32Array.from([...t.ids, ...t.logits, t.max, t.lse1, t.lseT]);

/**
 * Every logits row a mix of runs gives: a prompt in two chunks, decode steps (the same key run after run), a
 * fork whose first step copies a shared page (a key the step before had, with copies), the original again,
 * then topk steps (another read-back), decode steps once more, and decode and topk steps in turn.
 */
async function scenario(e: Engine): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const s = e.createSequence();
  let logits = await e.prefill(s, randomPrompt(e.hp.nVocab, 21, 7)); // chunks of 16 + 5 tokens
  out.push(logits);
  for (let i = 0; i < 6; i++) out.push((logits = await e.decode(s, argmax(logits))));
  const f = e.fork(s); // 27 tokens: the fork shares a partly filled page
  out.push(await e.decode(f, 5)); // copies the shared page first
  out.push(await e.decode(s, 6));
  out.push(await e.decode(f, 7));
  for (let i = 0; i < 3; i++) {
    out.push(topkRow(await e.step(s, [8 + i], { k: 4, invTemp: 1, adj: [] })));
  }
  for (let i = 0; i < 3; i++) out.push((logits = await e.decode(s, argmax(logits))));
  for (let i = 0; i < 3; i++) {
    // alternating keys that both have plans: each run's commands encoded ahead are the other key's
    out.push((logits = await e.decode(s, argmax(logits))));
    out.push(topkRow(await e.step(s, [argmax(logits)], { k: 4, invTemp: 1, adj: [] })));
  }
  e.free(f);
  e.free(s);
  return out;
}

test('runs on commands encoded ahead give exactly the logits of runs encoded afresh, and most decode steps take them', async () => {
  const fresh = await Engine.load(gpu, await fileSource(path()), { contextTokens: 128, chunkTokens: 16, checkPlans: true });
  const ahead = await Engine.load(gpu, await fileSource(path()), { contextTokens: 128, chunkTokens: 16 });
  try {
    const want = await scenario(fresh);
    const got = await scenario(ahead);
    expect(got.length).toBe(want.length);
    got.forEach((row, i) => expect(row, `row ${i}`).toEqual(want[i]));
    expect(fresh.forwardTiming().aheadRuns).toBe(0); // checkPlans encodes every run afresh
    // decode steps after the first of a key, but not the fork's copying step nor a key's first step
    const t = ahead.forwardTiming();
    expect(t.aheadRuns).toBeGreaterThanOrEqual(8);
    expect(t.aheadRuns).toBeLessThan(t.runs - 4);
  } finally {
    fresh.unload();
    ahead.unload();
  }
});
