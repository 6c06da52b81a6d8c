/**
 * Requests with top_k 0 have their tokens drawn from the whole row on the GPU (kernels/draw.ts) on a real
 * device: every token is the one the CPU sampler draws from that step's logits (after the step's bias,
 * penalties and bans), within f32 rounding (draw.cpu.ts `accepts`); steps go ahead, fed the drawn token, and
 * none is dropped (the host takes the GPU's token); a seed gives the same tokens again.
 */
import { describe, expect, test } from 'vitest';
import { accepts } from '../kernels/draw.cpu.ts';
import { topkAdjustCpu } from '../kernels/topk.cpu.ts';
import { endTokenMask } from '../sampling/end_tokens.ts';
import { samplingParams, type SamplingParams } from '../sampling/params.ts';
import { requestRng } from '../sampling/rng.ts';
import { testEngine } from '../testing/engine.ts';
import { randomPrompt } from '../testing/models.ts';
import { generate, gpuDraw, gpuTopk, stepAdjustments } from './generate.ts';

const t = testEngine('ahead llama builtin');

async function tokens(prompt: number[], p: SamplingParams): Promise<number[]> {
  const out: number[] = [];
  for await (const ev of generate(t.engine, { prompt, params: p, tokenizer: t.tok })) if (ev.kind === 'token') out.push(ev.token);
  return out;
}

/** Which of a generation's tokens the CPU sampler would not draw from the logits its steps saw. */
async function rejected(prompt: number[], p: SamplingParams, got: number[]): Promise<number[]> {
  const rng = requestRng(p.seed);
  const seq = t.engine.createSequence();
  const bad: number[] = [];
  try {
    let feed = prompt;
    for (let i = 0; i < got.length; i++) {
      const raw = await t.engine.prefill(seq, feed); // one token a step after the prompt, as generate feeds
      const adj = stepAdjustments(p, got.slice(0, i), endTokenMask(p, [...t.tok.eog], i));
      const row = topkAdjustCpu(raw, adj, 1, raw.length);
      if (!accepts(row, { u: rng(), topP: p.top_p, minP: p.min_p }, 1 / p.temperature, got[i])) bad.push(i);
      feed = [got[i]];
    }
  } finally {
    t.engine.free(seq);
  }
  return bad;
}

const stats = () => t.engine.schedulerStats();

describe('top_k 0 draws on the GPU', () => {
  test.each([
    { temperature: 1, seed: 6 }, // OpenAI's defaults
    { temperature: 0.7, top_p: 0.95, seed: 7 }, // the chat app's
    { temperature: 1.3, top_p: 0.5, min_p: 0.02, seed: 8, logit_bias: { 5: 3, 9: -100 } },
  ])('each token is the sampler\'s draw from its step\'s row; steps go ahead, none dropped: %j', async (sampling) => {
    const p = samplingParams({ ...sampling, max_tokens: 24, ignore_eos: true });
    expect(gpuDraw(p)).toBe(true);
    const prompt = randomPrompt(t.engine.hp.nVocab, 12, p.seed!, 1);
    const before = stats();
    const got = await tokens(prompt, p);
    const after = stats();
    expect(got).toHaveLength(24);
    // steps went ahead (all 23 when the host keeps up: a feed that comes before its step was chained goes the
    // usual way), and none was dropped: the host takes the token the GPU drew and fed
    expect(after.aheadSteps - before.aheadSteps).toBeGreaterThan(0);
    expect(after.aheadDropped - before.aheadDropped).toBe(0);
    expect(await rejected(prompt, p, got)).toEqual([]);
    expect(new Set(got).size).toBeGreaterThan(1); // sampled, not stuck on one token
    expect(await tokens(prompt, p)).toEqual(got); // the seed gives them again
    expect(t.engine.kvStats().freePages).toBe(t.engine.kvStats().totalPages);
  });

  test('with penalties from the history nothing goes ahead, and the draw sees the penalized row', async () => {
    const p = samplingParams({ temperature: 0.9, frequency_penalty: 1.5, presence_penalty: 0.5, seed: 9, max_tokens: 16, ignore_eos: true });
    expect(gpuDraw(p)).toBe(true);
    const prompt = randomPrompt(t.engine.hp.nVocab, 10, 9, 1);
    const before = stats();
    const got = await tokens(prompt, p);
    expect(stats().aheadSteps - before.aheadSteps).toBe(0);
    expect(await rejected(prompt, p, got)).toEqual([]);
  });

  test('a greedy request, top_k within 64 and temperatures past topk\'s range keep their own paths; logprobs draw too', () => {
    expect(gpuDraw(samplingParams({ temperature: 1, logprobs: true, top_logprobs: 3 }))).toBe(true); // logprobs.gpu.test.ts
    expect(gpuDraw(samplingParams({ temperature: 0 }))).toBe(false);
    expect(gpuDraw(samplingParams({ temperature: 1, top_k: 40 }))).toBe(false);
    expect(gpuDraw(samplingParams({ temperature: 1, logit_bias: { 3: 1 }, repetition_penalty: 1.1 }))).toBe(false);
    expect(gpuDraw(samplingParams({ temperature: 2 ** 53 + 1 }))).toBe(false); // valid, but past topk's temperatures
    expect(gpuTopk(samplingParams({ temperature: 1e-7, top_k: 5 }))).toBe(0);
  });
});
