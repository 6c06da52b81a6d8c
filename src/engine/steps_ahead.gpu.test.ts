/**
 * Decode steps run ahead (engine/steps_ahead.ts) on a real device: a stream's every next step is submitted
 * before the step before is read, fed the GPU's pick, and claimed by the stream's next feed, with exactly the
 * tokens of the path that runs every step after reading the last (the CPU sampler's), greedy or sampled; streams that stop, cancel, feed another
 * token or run side by side leave the KV cache as if nothing had run ahead.
 */
import { describe, expect, test } from 'vitest';
import { fileSource } from '../gguf/node_source.ts';
import { samplingParams, type SamplingParams } from '../sampling/params.ts';
import { testEngine } from '../testing/engine.ts';
import { randomPrompt } from '../testing/models.ts';
import { Engine } from './engine.ts';
import { generate } from './generate.ts';

const t = testEngine('ahead llama builtin');

const greedyPick = { u: 0, invTemp: 0, topP: 1, minP: 0 };
const greedy = (max: number): Partial<SamplingParams> => ({ temperature: 0, max_tokens: max, ignore_eos: true });

async function tokens(prompt: number[], params: Partial<SamplingParams>, o: { gpuTopk?: boolean; signal?: AbortSignal; cancelAfter?: number; cache?: boolean } = {}) {
  const ac = new AbortController();
  const out: number[] = [];
  for await (const ev of generate(t.engine, { prompt, params: samplingParams(params), tokenizer: t.tok, gpuTopk: o.gpuTopk, signal: ac.signal, cache: o.cache })) {
    if (ev.kind === 'token') out.push(ev.token);
    if (out.length === o.cancelAfter) ac.abort();
  }
  return out;
}

function stats() {
  const s = t.engine.schedulerStats();
  return { steps: s.aheadSteps, dropped: s.aheadDropped, chunks: s.chunks };
}

describe('decode steps run ahead', () => {
  test('every step of a greedy stream but its first goes ahead, with the tokens of the step-by-step path', async () => {
    const prompt = randomPrompt(t.engine.hp.nVocab, 12, 11, 1);
    const reference = await tokens(prompt, greedy(24), { gpuTopk: false }); // whole rows, CPU sampler, nothing ahead
    const before = stats();
    const fast = await tokens(prompt, greedy(24));
    const after = stats();
    expect(fast).toEqual(reference);
    // 24 tokens: the prompt's chunk, then 23 feeds, each of which a step run ahead holds; none is wasted
    expect(after.steps - before.steps).toBe(23);
    expect(after.dropped - before.dropped).toBe(0);
    expect(after.chunks - before.chunks).toBe(24);
    expect(t.engine.kvStats().freePages).toBe(t.engine.kvStats().totalPages);
  });

  test.each([
    { temperature: 0.8, top_k: 40, top_p: 0.9, seed: 3 },
    { temperature: 1.5, top_k: 64, min_p: 0.05, seed: 4, logit_bias: { 7: 2, 9: -100 } },
    { temperature: 1, top_k: 5, seed: 5 },
  ])('a sampled stream\'s steps go ahead fed the GPU\'s pick, with the tokens of the step-by-step path: %j', async (sampling) => {
    const prompt = randomPrompt(t.engine.hp.nVocab, 12, 31, 1);
    const params = { ...sampling, max_tokens: 24, ignore_eos: true };
    const reference = await tokens(prompt, params, { gpuTopk: false });
    const before = stats();
    const fast = await tokens(prompt, params);
    expect(fast).toEqual(reference);
    expect(stats().steps - before.steps).toBe(23);
    expect(stats().dropped - before.dropped).toBe(0); // the GPU picked what the host did, every step
  });

  test('a stream that ends early drops the step it ran ahead: the KV cache and the prompt cache hold what was fed', async () => {
    const prompt = randomPrompt(t.engine.hp.nVocab, 20, 12, 1);
    const before = stats();
    const got = await tokens(prompt, greedy(40), { cancelAfter: 5 });
    expect(got).toHaveLength(5);
    expect(stats().dropped - before.dropped).toBe(1);
    expect(t.engine.kvStats().freePages).toBe(t.engine.kvStats().totalPages);
    // kept in the prompt cache: its pages hold exactly prompt + the tokens fed back, so a continuation of
    // that text takes the cached prefix and gives what a fresh sequence gives
    const kept = await tokens(prompt, greedy(40), { cancelAfter: 7, cache: true });
    expect(kept.slice(0, 5)).toEqual(got);
    const { cachedPages, pageSize } = t.engine.kvStats();
    expect(cachedPages).toBe(Math.ceil((prompt.length + 6) / pageSize));
    const next = [...prompt, ...kept, 5];
    const cont = await tokens(next, greedy(8));
    t.engine.promptCache.clear();
    expect(await tokens(next, greedy(8))).toEqual(cont);
    expect(t.engine.kvStats().freePages).toBe(t.engine.kvStats().totalPages);
  });

  test('a feed other than the token chosen ahead drops that step and gets its own logits', async () => {
    const prompt = randomPrompt(t.engine.hp.nVocab, 9, 13, 1);
    const want = { k: 1, invTemp: 1, adj: [] };
    const a = t.engine.createSequence();
    const row = await t.engine.step(a, prompt, { ...want, ahead: greedyPick });
    const other = (row.ids[0] + 1) % t.engine.hp.nVocab;
    const before = stats();
    const viaAhead = await t.engine.step(a, [other], { ...want, ahead: greedyPick });
    // the step it claimed was fed another token: dropped, with the step that went ahead of it, if one did
    const dropped = stats().dropped - before.dropped;
    expect(dropped).toBeGreaterThanOrEqual(1);
    expect(dropped).toBeLessThanOrEqual(2);
    expect(t.engine.length(a)).toBe(prompt.length + 1);
    const b = t.engine.createSequence();
    const plain = await t.engine.step(b, [...prompt, other], want);
    expect(viaAhead.ids).toEqual(plain.ids);
    expect(viaAhead.max).toBeCloseTo(plain.max, 4);
    // and a claim with other adjustments than the step ahead ran with is not a claim either
    const chosen = viaAhead.ids[0];
    const d0 = stats().dropped;
    const biased = await t.engine.step(a, [chosen], { ...want, adj: [{ row: 0, id: 3, r: 1, sub: -50 }] });
    expect(stats().dropped - d0).toBe(1);
    expect(biased.ids[0]).toBe(3);
    t.engine.free(a);
    t.engine.free(b);
    expect(t.engine.kvStats().freePages).toBe(t.engine.kvStats().totalPages);
  });

  test('streams side by side, one joining late, each get their own tokens', async () => {
    const prompts = [21, 22, 23].map((s) => randomPrompt(t.engine.hp.nVocab, 10 + s - 20, s, 1));
    const alone = [];
    for (const p of prompts) alone.push(await tokens(p, greedy(16), { gpuTopk: false }));
    const before = stats();
    const late = new Promise<number[]>((resolve) => setTimeout(() => resolve(tokens(prompts[2], greedy(16))), 30));
    const together = await Promise.all([tokens(prompts[0], greedy(16)), tokens(prompts[1], greedy(16)), late]);
    expect(together).toEqual(alone);
    expect(stats().steps - before.steps).toBeGreaterThan(0);
    expect(t.engine.kvStats().freePages).toBe(t.engine.kvStats().totalPages);
  });

  test('unloading the t.engine while a step is ahead ends the stream with a typed error, not a hang', async () => {
    const other = await Engine.load(t.gpu, await fileSource(t.path), { contextTokens: 128 });
    const events: string[] = [];
    const run = async () => {
      for await (const ev of generate(other, { prompt: randomPrompt(other.hp.nVocab, 8, 41, 1), params: samplingParams(greedy(30)), tokenizer: t.tok })) {
        events.push(ev.kind);
        if (events.length === 3) other.unload();
      }
    };
    await expect(run()).rejects.toMatchObject({ code: 'unloaded' });
    expect(events).toEqual(['token', 'token', 'token']);
  });
});
