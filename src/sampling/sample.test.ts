import { describe, expect, test } from 'vitest';
import { endTokenMask } from './end_tokens.ts';
import { samplingParams, type SamplingParams } from './params.ts';
import { NoCandidatesError, sample, samplingDistribution } from './sample.ts';
import { fillNormal, mulberry32 } from '../util/rng.ts';

/** Logits whose softmax is exactly `weights` normalized: log(w). */
const logitsOf = (weights: number[]): Float32Array => Float32Array.from(weights, Math.log);

/** The final distribution as {id: probability}. */
function dist(logits: Float32Array, over: Partial<SamplingParams>, history: number[] = [], banned: number[] = []): Record<number, number> {
  const d = samplingDistribution(logits, history, samplingParams(over), banned);
  return Object.fromEntries(Array.from(d.ids, (id, j) => [id, d.probs[j]]));
}

/** `expected` weights normalized, as {id: probability}. */
function normalized(expected: Record<number, number>): Record<number, number> {
  const z = Object.values(expected).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(expected).map(([k, w]) => [k, w / z]));
}

function expectDist(got: Record<number, number>, expectedWeights: Record<number, number>): void {
  const want = normalized(expectedWeights);
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const k of Object.keys(want)) expect(got[Number(k)]).toBeCloseTo(want[Number(k)], 6);
}

// Base distribution: p = [0.1, 0.2, 0.3, 0.4] at temperature 1.
const P = logitsOf([1, 2, 3, 4]);

describe('hand-computed distributions', () => {
  test('temperature 1 is the softmax; T scales log-probabilities: p^(1/T)', () => {
    expectDist(dist(P, {}), { 0: 1, 1: 2, 2: 3, 3: 4 });
    expectDist(dist(P, { temperature: 0.5 }), { 0: 1, 1: 4, 2: 9, 3: 16 });
    expectDist(dist(P, { temperature: 2 }), { 0: 1, 1: Math.SQRT2, 2: Math.sqrt(3), 3: 2 });
  });

  test('top_k keeps the k most likely, renormalized', () => {
    expectDist(dist(P, { top_k: 1 }), { 3: 1 });
    expectDist(dist(P, { top_k: 2 }), { 2: 3, 3: 4 });
    expectDist(dist(P, { top_k: 4 }), { 0: 1, 1: 2, 2: 3, 3: 4 });
    expectDist(dist(P, { top_k: 100 }), { 0: 1, 1: 2, 2: 3, 3: 4 });
  });

  test('top_p keeps the shortest most-likely prefix reaching top_p', () => {
    expectDist(dist(P, { top_p: 0.35 }), { 3: 1 }); // 0.4 >= 0.35
    expectDist(dist(P, { top_p: 0.45 }), { 2: 3, 3: 4 }); // 0.4 < 0.45 <= 0.7
    expectDist(dist(P, { top_p: 0.75 }), { 1: 2, 2: 3, 3: 4 }); // 0.7 < 0.75 <= 0.9
    expectDist(dist(P, { top_p: 0.95 }), { 0: 1, 1: 2, 2: 3, 3: 4 });
  });

  test('top_p acts on the tempered distribution (temperature first, as OpenAI/vLLM)', () => {
    // T=2: p ∝ [1, 1.414, 1.732, 2] / 6.146 = [.163, .230, .282, .325]; .325 + .282 = .607 < 0.65.
    expectDist(dist(P, { temperature: 2, top_p: 0.65 }), { 1: Math.SQRT2, 2: Math.sqrt(3), 3: 2 });
    // T=1: .4 + .3 = .7 >= 0.65.
    expectDist(dist(P, { top_p: 0.65 }), { 2: 3, 3: 4 });
  });

  test('min_p keeps p >= min_p * p_max, on the tempered distribution', () => {
    expectDist(dist(P, { min_p: 0.6 }), { 2: 3, 3: 4 }); // keep p >= 0.24
    expectDist(dist(P, { min_p: 0.45 }), { 1: 2, 2: 3, 3: 4 }); // keep p >= 0.18
    expectDist(dist(P, { temperature: 0.5, min_p: 0.3 }), { 2: 9, 3: 16 }); // p ∝ [1,4,9,16]: keep >= 4.8
  });

  test('top_k, then top_p on the renormalized rest, then min_p', () => {
    // top_k 3: [.2,.3,.4]/.9 = [.222,.333,.444]; top_p 0.6: .444 < .6 <= .777 -> {2, 3}.
    expectDist(dist(P, { top_k: 3, top_p: 0.6 }), { 2: 3, 3: 4 });
    // Without top_k, top_p 0.6 over [.1,.2,.3,.4] also ends at {2, 3}; with top_p 0.75 it keeps {1,2,3},
    // which min_p 0.6 (p >= .24) then cuts to {2, 3}.
    expectDist(dist(P, { top_p: 0.75, min_p: 0.6 }), { 2: 3, 3: 4 });
    // T=0.5: [1,4,9,16]/30; top_k 3 -> [4,9,16]/29; top_p 0.5: 16/29 = .552 -> {3}.
    expectDist(dist(P, { temperature: 0.5, top_k: 3, top_p: 0.5 }), { 3: 1 });
  });

  test('repetition_penalty divides positive and multiplies negative logits of tokens in the window', () => {
    const l = Float32Array.of(2, -1, 0.5, 1);
    // tokens 0 and 1 are in the history: 2 -> 1, -1 -> -2; 0.5 and 1 untouched.
    expectDist(dist(l, { repetition_penalty: 2 }, [0, 1, 1]), { 0: Math.exp(1), 1: Math.exp(-2), 2: Math.exp(0.5), 3: Math.exp(1) });
    // Counting does not matter for repetition_penalty: once per distinct token.
    expectDist(dist(l, { repetition_penalty: 2 }, [1, 1, 1, 1, 0]), { 0: Math.exp(1), 1: Math.exp(-2), 2: Math.exp(0.5), 3: Math.exp(1) });
  });

  test('frequency and presence penalties: logit -= count * frequency + presence, within penalty_last_n', () => {
    const l = Float32Array.of(1, 1, 1, 1);
    const h = [2, 2, 0];
    const p = { frequency_penalty: 0.5, presence_penalty: 0.25 };
    // Whole history: token 2 seen twice: 1 - 1 - .25 = -.25; token 0 once: 1 - .5 - .25 = .25.
    expectDist(dist(l, { ...p, penalty_last_n: -1 }, h), { 0: Math.exp(0.25), 1: Math.E, 2: Math.exp(-0.25), 3: Math.E });
    expectDist(dist(l, { ...p, penalty_last_n: 3 }, h), { 0: Math.exp(0.25), 1: Math.E, 2: Math.exp(-0.25), 3: Math.E });
    // Last 2 tokens [2, 0]: each seen once.
    expectDist(dist(l, { ...p, penalty_last_n: 2 }, h), { 0: Math.exp(0.25), 1: Math.E, 2: Math.exp(0.25), 3: Math.E });
    // Last token only [0].
    expectDist(dist(l, { ...p, penalty_last_n: 1 }, h), { 0: Math.exp(0.25), 1: Math.E, 2: Math.E, 3: Math.E });
    // 0 = penalties off.
    expectDist(dist(l, { ...p, penalty_last_n: 0 }, h), { 0: 1, 1: 1, 2: 1, 3: 1 });
    // Negative penalties encourage repeats: presence -1 on token 3.
    expectDist(dist(l, { presence_penalty: -1 }, [3]), { 0: Math.E, 1: Math.E, 2: Math.E, 3: Math.exp(2) });
  });

  test('repetition then frequency/presence on the same token', () => {
    // token 0: logit 3 -> 3 / 1.5 = 2 -> 2 - 2*0.5 - 0.5 = 0.5.
    expectDist(dist(Float32Array.of(3, 0), { repetition_penalty: 1.5, frequency_penalty: 0.5, presence_penalty: 0.5 }, [0, 0]), { 0: Math.exp(0.5), 1: 1 });
  });

  test('logit_bias is added to the logits before everything else', () => {
    const l = Float32Array.of(0, 0, 0, 0);
    expectDist(dist(l, { logit_bias: { 1: Math.log(3) } }), { 0: 1, 1: 3, 2: 1, 3: 1 });
    expectDist(dist(l, { logit_bias: { 1: Math.log(3) }, temperature: 0.5 }), { 0: 1, 1: 9, 2: 1, 3: 1 });
    const banned = dist(P, { logit_bias: { 3: -100 } });
    expect(banned[3]).toBeLessThan(1e-40);
    expect(sample(P, [], samplingParams({ temperature: 0, logit_bias: { 0: 100 } }), 0).token).toBe(0);
    // The bias applies before top_k: token 0 (p .1, times e^2 ~ .74 relative) enters the top 2.
    expectDist(dist(P, { logit_bias: { 0: 2 }, top_k: 2 }), { 0: Math.exp(2), 3: 4 });
  });

  test('min_tokens masks EOS/EOT and stop_token_ids until enough tokens were generated', () => {
    const params = samplingParams({ min_tokens: 2, stop_token_ids: [2] });
    const eog = [3];
    for (const n of [0, 1]) expectDist(dist(P, params, [], endTokenMask(params, eog, n)), { 0: 1, 1: 2 });
    expectDist(dist(P, params, [], endTokenMask(params, eog, 2)), { 0: 1, 1: 2, 2: 3, 3: 4 });
  });

  test('ignore_eos masks EOS/EOT always, but not stop_token_ids', () => {
    const params = samplingParams({ ignore_eos: true, stop_token_ids: [2] });
    for (const n of [0, 5, 1000]) expectDist(dist(P, params, [], endTokenMask(params, [3], n)), { 0: 1, 1: 2, 2: 3 });
    expect(sample(P, [], samplingParams({ ...params, temperature: 0 }), 0, endTokenMask(params, [3], 0)).token).toBe(2);
  });
});

describe('greedy and the draw', () => {
  test('temperature 0 is argmax, ties to the lowest id, after bias and penalties', () => {
    const greedy = samplingParams({ temperature: 0 });
    expect(sample(Float32Array.of(1, 3, 3, 2), [], greedy, 0.99).token).toBe(1);
    expect(sample(Float32Array.of(-5, Number.NaN, -7), [], greedy, 0).token).toBe(0);
    expect(sample(Float32Array.of(1, 3, 3, 2), [1], samplingParams({ temperature: 0, repetition_penalty: 2 }), 0).token).toBe(2);
    expect(samplingDistribution(Float32Array.of(1, 3, 3, 2), [], greedy)).toEqual({ ids: Int32Array.of(1), probs: Float64Array.of(1) });
  });

  test('top_k ties go to the lower id', () => {
    expectDist(dist(Float32Array.of(1, 2, 2, 2, 0), { top_k: 2 }), { 1: 1, 2: 1 });
  });

  test('the draw maps a grid of u onto the distribution exactly (inverse CDF)', () => {
    const params = samplingParams({ temperature: 0.8, top_p: 0.9 });
    const want = dist(P, params);
    const n = 100_000;
    const counts: Record<number, number> = {};
    for (let i = 0; i < n; i++) {
      const t = sample(P, [], params, (i + 0.5) / n).token;
      counts[t] = (counts[t] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(Object.keys(want).sort());
    for (const k of Object.keys(want)) expect(Math.abs(counts[Number(k)] - n * want[Number(k)])).toBeLessThanOrEqual(1);
    expect(sample(P, [], params, 0.999999999).token).toBeGreaterThanOrEqual(0);
  });

  test('the draw goes over the nucleus in ascending id order, from a few candidates to most of a flat vocabulary', () => {
    // an independent reference: the nucleus as the most likely prefix (sorted by probability), then the
    // inverse CDF over its members by id
    const reference = (logits: Float32Array, t: number, topP: number, u: number): number => {
      const max = Math.max(...logits);
      const e = Array.from(logits, (l) => Math.exp((l - max) / t));
      const z = e.reduce((a, b) => a + b, 0);
      const order = e.map((_, i) => i).sort((a, b) => e[b] - e[a] || a - b);
      const nucleus: number[] = [];
      for (let acc = 0, j = 0; acc < topP * z; j++) {
        nucleus.push(order[j]);
        acc += e[order[j]];
      }
      nucleus.sort((a, b) => a - b);
      const mass = nucleus.reduce((a, i) => a + e[i], 0);
      let acc = 0;
      for (const i of nucleus) if (u * mass < (acc += e[i])) return i;
      return nucleus[nucleus.length - 1];
    };
    const rng = mulberry32(9);
    for (const [std, t, topP] of [[0.3, 1, 0.95], [1, 0.7, 0.9], [4, 0.8, 0.6]]) { // nucleus: most of 4096, ~half, a few
      const logits = fillNormal(new Float32Array(4096), rng, std);
      const params = samplingParams({ temperature: t, top_p: topP });
      for (let i = 0; i < 50; i++) {
        const u = rng();
        expect(sample(logits, [], params, u).token, `std ${std}, u ${u}`).toBe(reference(logits, t, topP, u));
      }
    }
  });

  test('logits are not modified', () => {
    const l = Float32Array.of(0.5, -1, 2, 3);
    const copy = l.slice();
    sample(l, [0, 1, 2, 3], samplingParams({ repetition_penalty: 1.3, frequency_penalty: 1, logit_bias: { 0: 5 }, top_k: 2 }), 0.5, [3]);
    expect(l).toEqual(copy);
  });

  test('an infinite logit takes all the mass; all-NaN logits are an error; bans that leave nothing fall back to the raw argmax', () => {
    expectDist(dist(Float32Array.of(1, Infinity, 2, Infinity), {}), { 1: 1, 3: 1 });
    expect(() => sample(Float32Array.of(Number.NaN, Number.NaN), [], samplingParams(), 0.5)).toThrow(NoCandidatesError);
    expect(sample(Float32Array.of(1, 2), [], samplingParams(), 0.5, [0, 1]).token).toBe(1);
  });
});

describe('logprobs', () => {
  const l = Float32Array.of(2, -1, 0.5, 3, 3, -2);
  const lse = Math.log(Array.from(l).reduce((s, x) => s + Math.exp(x), 0));

  test('only when asked', () => {
    expect(sample(l, [], samplingParams(), 0.3)).toEqual({ token: expect.any(Number) });
    expect(sample(l, [], samplingParams({ logprobs: true }), 0.3).topLogprobs).toBeUndefined();
  });

  test('the chosen token and the top alternatives under the model distribution, sorted, ties to the lower id', () => {
    const r = sample(l, [], samplingParams({ logprobs: true, top_logprobs: 4, temperature: 0 }), 0);
    expect(r.token).toBe(3);
    expect(r.logprob).toBeCloseTo(3 - lse, 6);
    expect(r.topLogprobs?.map((t) => t.token)).toEqual([3, 4, 0, 2]);
    r.topLogprobs?.forEach((t) => expect(t.logprob).toBeCloseTo(l[t.token] - lse, 6));
    const lp = r.topLogprobs?.map((t) => t.logprob) ?? [];
    expect(lp).toEqual([...lp].sort((a, b) => b - a));
    expect(lp.reduce((s, x) => s + Math.exp(x), 0)).toBeLessThanOrEqual(1);
    expect(lp).toContain(r.logprob);
  });

  test('controls do not change the reported values (model distribution, not the sampling one)', () => {
    const base = sample(l, [], samplingParams({ logprobs: true, top_logprobs: 20, temperature: 0 }), 0);
    expect(base.topLogprobs).toHaveLength(6);
    expect(base.topLogprobs?.reduce((s, t) => s + Math.exp(t.logprob), 0)).toBeCloseTo(1, 6);
    const tweaked = sample(l, [0, 3], samplingParams({ logprobs: true, top_logprobs: 20, temperature: 0.3, top_k: 2, repetition_penalty: 1.5, logit_bias: { 5: 10 } }), 0.5);
    expect(tweaked.token).toBe(5); // bias 10 makes token 5 the likeliest to sample...
    expect(tweaked.logprob).toBeCloseTo(-2 - lse, 6); // ...but its reported logprob stays the model's
    expect(tweaked.topLogprobs).toEqual(base.topLogprobs);
  });
});
