/**
 * Logprobs requests on the GPU top-k path (generate.ts gpuLogprobsK) on a real device: greedy ones and those
 * with a top_k of at least top_logprobs read back the step's top entries and log-sum-exp instead of the whole
 * row, and their steps go ahead. Their tokens, logprobs and top_logprobs are those of the CPU sampler on the
 * whole row (the raw logits; log-sum-exp in f32 on the GPU, f64 on the host). Steps with an adjustment (bias,
 * bans: ignore_eos) keep the host path: the adjusted row has no raw logprobs.
 */
import { describe, expect, test } from 'vitest';
import { samplingParams, type SamplingParams } from '../sampling/params.ts';
import type { TokenLogprob } from '../sampling/sample.ts';
import { testEngine } from '../testing/engine.ts';
import { randomPrompt } from '../testing/models.ts';
import { generate, gpuLogprobsK } from './generate.ts';

const t = testEngine('ahead llama builtin');

interface Step {
  token: number;
  logprob?: number;
  top?: readonly TokenLogprob[];
}

async function steps(prompt: number[], p: SamplingParams, gpuTopk?: boolean): Promise<Step[]> {
  const out: Step[] = [];
  for await (const ev of generate(t.engine, { prompt, params: p, tokenizer: t.tok, gpuTopk })) {
    if (ev.kind === 'token') out.push({ token: ev.token, logprob: ev.logprob, top: ev.topLogprobs });
  }
  return out;
}

/** The same tokens and top ids; logprobs within f32 log-sum-exp's rounding. */
function expectSame(got: Step[], want: Step[]): void {
  expect(got.map((s) => s.token)).toEqual(want.map((s) => s.token));
  for (const [i, s] of got.entries()) {
    expect(s.logprob, `step ${i}`).toBeDefined();
    expect(Math.abs(s.logprob! - want[i].logprob!), `step ${i}`).toBeLessThan(1e-4);
    expect(s.top?.map((t) => t.token), `step ${i}`).toEqual(want[i].top?.map((t) => t.token));
    s.top?.forEach((t, j) => expect(Math.abs(t.logprob - want[i].top![j].logprob), `step ${i} entry ${j}`).toBeLessThan(1e-4));
  }
}

const stats = () => t.engine.schedulerStats();

describe('logprobs requests on the GPU top-k path', () => {
  test.each([
    { temperature: 0, logprobs: true },
    { temperature: 0, logprobs: true, top_logprobs: 5 },
    { temperature: 0, logprobs: true, top_logprobs: 20 },
    { temperature: 0.8, top_k: 40, logprobs: true, top_logprobs: 5, seed: 3 },
    { temperature: 1.2, top_k: 7, top_p: 0.9, logprobs: true, top_logprobs: 7, seed: 4 },
  ])('the CPU sampler\'s tokens and logprobs, from the top entries; steps go ahead: %j', async (sampling) => {
    const p = samplingParams({ ...sampling, max_tokens: 16 });
    expect(gpuLogprobsK(p)).toBeGreaterThan(0);
    const prompt = randomPrompt(t.engine.hp.nVocab, 12, 40 + (p.seed ?? 0), 1);
    const host = await steps(prompt, p, false);
    expect(host.length).toBeGreaterThan(8); // no early end of sequence
    const before = stats();
    const got = await steps(prompt, p);
    const after = stats();
    expectSame(got, host);
    expect(after.aheadSteps - before.aheadSteps).toBeGreaterThan(0);
    // greedy: none dropped; sampled, the pick kernel's f32 draw may part from the host's f64 one near a
    // boundary (the host's token stands and the step ahead is dropped), as on top_k's path without logprobs
    if (p.temperature === 0) expect(after.aheadDropped - before.aheadDropped).toBe(0);
    expect(t.engine.kvStats().freePages).toBe(t.engine.kvStats().totalPages);
  });

  test.each([
    { temperature: 0, logprobs: true, top_logprobs: 2, logit_bias: { 5: 2 } },
    { temperature: 0, logprobs: true, top_logprobs: 2, ignore_eos: true }, // the end tokens banned every step
  ])('a step with adjustments reads the whole row: the raw logprobs, nothing ahead: %j', async (sampling) => {
    const p = samplingParams({ ...sampling, max_tokens: 10 });
    const prompt = randomPrompt(t.engine.hp.nVocab, 12, 50, 1);
    const host = await steps(prompt, p, false);
    const before = stats();
    expectSame(await steps(prompt, p), host);
    expect(stats().aheadSteps - before.aheadSteps).toBe(0);
  });

  test('which requests take it: greedy, or a top_k with no fewer entries than top_logprobs', () => {
    expect(gpuLogprobsK(samplingParams({ temperature: 0, logprobs: true }))).toBe(1);
    expect(gpuLogprobsK(samplingParams({ temperature: 0, logprobs: true, top_logprobs: 20 }))).toBe(20);
    expect(gpuLogprobsK(samplingParams({ temperature: 1, top_k: 40, logprobs: true, top_logprobs: 5 }))).toBe(40);
    expect(gpuLogprobsK(samplingParams({ temperature: 1, top_k: 5, logprobs: true, top_logprobs: 10 }))).toBe(0); // ahead samples from all k
    expect(gpuLogprobsK(samplingParams({ temperature: 1, logprobs: true }))).toBe(0); // top_k 0: the host draws
    expect(gpuLogprobsK(samplingParams({ temperature: 0 }))).toBe(0); // no logprobs: gpuTopk's
    expect(gpuLogprobsK(samplingParams({ temperature: 1, top_k: 5, logprobs: true, logit_bias: { 3: 1 }, repetition_penalty: 1.1 }))).toBe(0);
  });
});
