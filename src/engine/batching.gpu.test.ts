/**
 * Continuous batching and preemption on a real device, through the generate loop: concurrent requests
 * share forward chunks (the scheduler's counts show it) and each gets exactly the tokens it gets alone;
 * with a KV pool too small for all of them at once, they wait or are preempted and recomputed, and all
 * still finish with the same tokens.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { fileSource } from '../gguf/node_source.ts';
import { samplingParams, type SamplingParams } from '../sampling/params.ts';
import { makeModel, randomPrompt } from '../testing/models.ts';
import { tokenizerFromGguf, type Tokenizer } from '../tokenizer/tokenizer.ts';
import { Engine } from './engine.ts';
import { generate } from './generate.ts';

let gpu: Gpu;
let path: string;
let tok: Tokenizer;
beforeAll(async () => {
  gpu = await openTestGpu();
  path = makeModel({ name: 'batching llama spm', vocab: 'llama-spm', args: ['--arch', 'llama', '--type', 'q8_0', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--ff', '256'] });
});
afterAll(() => gpu?.device.destroy());

async function tokens(engine: Engine, prompt: number[], params: Partial<SamplingParams>): Promise<number[]> {
  const out: number[] = [];
  for await (const ev of generate(engine, { prompt, params: samplingParams({ ignore_eos: true, ...params }), tokenizer: tok })) if (ev.kind === 'token') out.push(ev.token);
  return out;
}

/** 16 prompts of 3..33 tokens, BOS first. */
const prompts = (nVocab: number) => Array.from({ length: 16 }, (_, i) => randomPrompt(nVocab, 3 + ((i * 37) % 31), 100 + i, 1));

test('16 concurrent greedy requests share chunks and each gets the tokens it gets alone', async () => {
  const engine = await Engine.load(gpu, await fileSource(path), { contextTokens: 128, chunkTokens: 64, checkPlans: true }); // each run encoded afresh, compared with its plan
  tok = tokenizerFromGguf(engine.metadata);
  try {
    const ps = prompts(engine.hp.nVocab);
    const alone: number[][] = [];
    for (const p of ps) alone.push(await tokens(engine, p, { temperature: 0, max_tokens: 12 }));
    const before = engine.schedulerStats();
    const together = await Promise.all(ps.map((p) => tokens(engine, p, { temperature: 0, max_tokens: 12 })));
    const after = engine.schedulerStats();
    console.log(`16 streams: ${after.chunks - before.chunks} chunks for ${after.tokens - before.tokens} tokens, up to ${after.maxSeqs} sequences per chunk`);
    expect(together).toEqual(alone);
    expect(after.maxSeqs).toBeGreaterThanOrEqual(8); // decode steps (and prompt slices) of many streams in one chunk
    expect(after.chunks - before.chunks).toBeLessThan((after.tokens - before.tokens) / 8);
    expect(engine.kvStats().freePages + engine.kvStats().cachedPages).toBe(engine.kvStats().totalPages);
  } finally {
    engine.unload();
  }
});

test('sampled requests at different temperatures batch apart and reproduce their seeds', async () => {
  const engine = await Engine.load(gpu, await fileSource(path), { contextTokens: 128, chunkTokens: 32 });
  try {
    const ps = prompts(engine.hp.nVocab).slice(0, 6);
    const params = ps.map((_, i): Partial<SamplingParams> => ({ temperature: [0, 0.7, 1.3][i % 3], top_k: 40, seed: i, max_tokens: 12 }));
    const alone: number[][] = [];
    for (const [i, p] of ps.entries()) alone.push(await tokens(engine, p, params[i]));
    expect(await Promise.all(ps.map((p, i) => tokens(engine, p, params[i])))).toEqual(alone);
  } finally {
    engine.unload();
  }
});

test('a KV pool too small for all requests at once: they wait or are preempted, and all finish with their own tokens', async () => {
  // 8 pages of 16 tokens; each of 8 requests grows to 2-4 pages (3..33 prompt tokens + 24): ~24 pages at once
  const engine = await Engine.load(gpu, await fileSource(path), { contextTokens: 128, kvTokens: 128, chunkTokens: 32, checkPlans: true });
  try {
    const ps = prompts(engine.hp.nVocab).slice(0, 8);
    const alone: number[][] = [];
    for (const p of ps) alone.push(await tokens(engine, p, { temperature: 0, max_tokens: 24 }));
    const before = engine.schedulerStats().preemptions;
    const together = await Promise.all(ps.map((p) => tokens(engine, p, { temperature: 0, max_tokens: 24 })));
    const preempted = engine.schedulerStats().preemptions - before;
    console.log(`8 streams in 8 pages: ${preempted} preemptions`);
    expect(together).toEqual(alone);
    expect(preempted).toBeGreaterThan(0);
    expect(engine.kvStats().freePages + engine.kvStats().cachedPages).toBe(engine.kvStats().totalPages);
  } finally {
    engine.unload();
  }
});

test('past maxRequests running generations a new one is refused as busy; once one ends, the next is admitted', async () => {
  const engine = await Engine.load(gpu, await fileSource(path), { contextTokens: 64, maxRequests: 2 });
  tok = tokenizerFromGguf(engine.metadata);
  try {
    const run = (seed: number) => generate(engine, { prompt: randomPrompt(engine.hp.nVocab, 5, seed, 1), params: samplingParams({ temperature: 0, max_tokens: 4, ignore_eos: true }), tokenizer: tok });
    const a = run(1);
    const b = run(2);
    await a.next();
    await b.next();
    await expect(run(3).next()).rejects.toMatchObject({ code: 'busy' });
    await a.return(undefined); // the consumer stops: the generation ends and is released
    expect((await run(4).next()).done).toBe(false);
    await b.return(undefined);
  } finally {
    engine.unload();
  }
});
