/**
 * Logprobs requests on the GPU top-k path (generate.ts gpuLogprobsK) on a real device: greedy ones, top_k 0
 * draws and those with a top_k of at least top_logprobs read back the step's top entries and log-sum-exp (and
 * a drawn token's logit) instead of the whole row, and their steps go ahead. Greedy and top_k: the tokens,
 * logprobs and top_logprobs of the CPU sampler on the whole row (the raw logits; log-sum-exp in f32 on the
 * GPU, f64 on the host). Draws: the tokens of the same request without logprobs (a seed gives the same
 * tokens either way), with the logprobs of each step's raw row. Steps with an adjustment (bias, bans:
 * ignore_eos) keep the host path: the adjusted row has no raw logprobs.
 */
import { describe, expect, test } from 'vitest';
import { samplingParams, type SamplingParams } from '../sampling/params.ts';
import { sample, type TokenLogprob } from '../sampling/sample.ts';
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
    { temperature: 1, logprobs: true, seed: 6 }, // OpenAI's defaults
    { temperature: 0.7, top_p: 0.95, logprobs: true, top_logprobs: 4, seed: 7 }, // the chat app's
  ])('a draw: the tokens of the same request without logprobs, the logprobs of each step\'s raw row: %j', async (sampling) => {
    const p = samplingParams({ ...sampling, max_tokens: 16 });
    expect(gpuLogprobsK(p)).toBeGreaterThan(0);
    const prompt = randomPrompt(t.engine.hp.nVocab, 12, 60 + p.seed!, 1);
    const before = stats();
    const got = await steps(prompt, p);
    const after = stats();
    expect(got.length).toBeGreaterThan(8);
    expect(got.map((s) => s.token)).toEqual((await steps(prompt, { ...p, logprobs: false, top_logprobs: 0 })).map((s) => s.token));
    expect(after.aheadSteps - before.aheadSteps).toBeGreaterThan(0);
    expect(after.aheadDropped - before.aheadDropped).toBe(0); // the host takes the drawn token
    // each step's raw row again, one token a step as generate fed them: the host's logprobs of it
    const probe = samplingParams({ temperature: 0, logprobs: true, top_logprobs: p.top_logprobs });
    const seq = t.engine.createSequence();
    try {
      let feed = prompt;
      for (const [i, s] of got.entries()) {
        const raw = await t.engine.prefill(seq, feed);
        const best = sample(raw, [], probe, 0);
        const lse = raw[best.token] - best.logprob!;
        expect(Math.abs(s.logprob! - (raw[s.token] - lse)), `step ${i}`).toBeLessThan(1e-4);
        expect(s.top?.map((e) => e.token), `step ${i}`).toEqual(best.topLogprobs?.map((e) => e.token));
        s.top?.forEach((e, j) => expect(Math.abs(e.logprob - best.topLogprobs![j].logprob), `step ${i} entry ${j}`).toBeLessThan(1e-4));
        feed = [s.token];
      }
    } finally {
      t.engine.free(seq);
    }
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
    expect(gpuLogprobsK(samplingParams({ temperature: 1, logprobs: true }))).toBe(1); // top_k 0: the GPU draws
    expect(gpuLogprobsK(samplingParams({ temperature: 0.7, top_p: 0.95, logprobs: true, top_logprobs: 4 }))).toBe(4);
    expect(gpuLogprobsK(samplingParams({ temperature: 2 ** 53 + 1, logprobs: true }))).toBe(0); // past topk's temperatures
    expect(gpuLogprobsK(samplingParams({ temperature: 0 }))).toBe(0); // no logprobs: gpuTopk's
    expect(gpuLogprobsK(samplingParams({ temperature: 1, top_k: 5, logprobs: true, logit_bias: { 3: 1 }, repetition_penalty: 1.1 }))).toBe(0);
  });
});
