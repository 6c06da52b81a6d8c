// Statistical and large-vocabulary checks of the sampler: chi-square goodness of fit of the draws, the
// partial-selection paths against a naive full-sort reference, and seeded reproducibility.
import { describe, expect, test } from 'vitest';
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { samplingParams, type SamplingParams } from './params.ts';
import { requestRng } from './rng.ts';
import { sample, samplingDistribution } from './sample.ts';

// chi-square critical values at p = 0.001 by degrees of freedom (scipy.stats.chi2.ppf(0.999, df)).
const CHI2_999: Record<number, number> = { 1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467, 5: 20.515, 6: 22.458, 7: 24.322, 8: 26.124, 9: 27.877, 10: 29.588, 39: 72.055 };

/** Draws n tokens with u from requestRng(seed); returns the chi-square statistic against samplingDistribution. */
function chiSquare(logits: Float32Array, params: SamplingParams, n: number, seed: number): { stat: number; df: number } {
  const d = samplingDistribution(logits, [], params);
  const expected = new Map(Array.from(d.ids, (id, j) => [id, n * d.probs[j]]));
  const counts = new Map<number, number>();
  const rng = requestRng(seed);
  for (let i = 0; i < n; i++) {
    const t = sample(logits, [], params, rng()).token;
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  for (const t of counts.keys()) expect(expected.has(t), `token ${t} is outside the distribution`).toBe(true);
  let stat = 0;
  for (const [id, e] of expected) {
    expect(e).toBeGreaterThanOrEqual(5); // the chi-square approximation needs >= 5 expected per cell
    stat += ((counts.get(id) ?? 0) - e) ** 2 / e;
  }
  return { stat, df: expected.size - 1 };
}

describe('chi-square: draws follow the target distribution (p = 0.001, fixed seeds)', () => {
  const L6 = Float32Array.of(2.0, 1.5, 0.3, -0.4, 1.1, 0.0);
  const L40 = fillNormal(new Float32Array(40), mulberry32(5), 1);
  const cases: [string, Float32Array, Partial<SamplingParams>, number][] = [
    ['T=1', L6, {}, 6],
    ['T=0.7', L6, { temperature: 0.7 }, 6],
    ['T=0.7 top_p=0.9', L6, { temperature: 0.7, top_p: 0.9 }, 3],
    ['T=1.5 top_p=0.8', L6, { temperature: 1.5, top_p: 0.8 }, 4],
    ['T=1.3 top_k=4 min_p=0.3', L6, { temperature: 1.3, top_k: 4, min_p: 0.3 }, 3],
    ['V=40 T=1.2', L40, { temperature: 1.2 }, 40],
  ];
  test.each(cases)('%s', (_, logits, over, support) => {
    for (const seed of [1, 2, 3]) {
      const { stat, df } = chiSquare(logits, samplingParams(over), 20_000, seed);
      expect(df + 1).toBe(support);
      expect(stat).toBeLessThan(CHI2_999[df]);
    }
  });

  test('the test has power: draws from T=1 fail against T=0.7', () => {
    const n = 20_000;
    const rng = requestRng(1);
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const t = sample(L6, [], samplingParams(), rng()).token;
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    const d = samplingDistribution(L6, [], samplingParams({ temperature: 0.7 }));
    let stat = 0;
    d.ids.forEach((id, j) => (stat += ((counts.get(id) ?? 0) - n * d.probs[j]) ** 2 / (n * d.probs[j])));
    expect(stat).toBeGreaterThan(CHI2_999[5]);
  });
});

/** The sampling chain written the obvious way: full sort by (logit desc, id asc), then cut. */
function reference(logits: Float32Array, history: number[], p: SamplingParams): Map<number, number> {
  const w = logits.slice(); // float32, rounded like the sampler's working copy
  for (const [k, b] of Object.entries(p.logit_bias)) w[Number(k)] += b;
  const window = p.penalty_last_n < 0 ? history : history.slice(Math.max(0, history.length - p.penalty_last_n));
  const counts = new Map<number, number>();
  if (p.penalty_last_n !== 0) for (const t of window) counts.set(t, (counts.get(t) ?? 0) + 1);
  for (const [t, c] of counts) {
    const l = w[t] > 0 ? w[t] / p.repetition_penalty : w[t] * p.repetition_penalty;
    w[t] = l - c * p.frequency_penalty - p.presence_penalty;
  }
  let order = Array.from(w.keys()).sort((a, b) => w[b] - w[a] || a - b);
  if (p.temperature === 0) return new Map([[order[0], 1]]);
  if (p.top_k > 0) order = order.slice(0, p.top_k);
  const e = order.map((t) => Math.exp((w[t] - w[order[0]]) / p.temperature));
  const z = e.reduce((a, b) => a + b, 0);
  let keep = e.length;
  if (p.top_p < 1) {
    let cum = 0;
    keep = e.findIndex((x) => (cum += x) >= p.top_p * z) + 1 || e.length;
  }
  const kept = order.slice(0, keep).map((t, j) => [t, e[j]] as const).filter(([, x]) => x >= p.min_p && x > 0);
  const zk = kept.reduce((a, [, x]) => a + x, 0);
  return new Map(kept.map(([t, x]) => [t, x / zk]));
}

describe('large vocabularies: partial selection equals the full-sort reference', () => {
  const configs: Partial<SamplingParams>[] = [
    { temperature: 0 },
    { temperature: 1 },
    { temperature: 0.8, top_k: 40 },
    { temperature: 0.8, top_k: 1000, top_p: 0.95 },
    { temperature: 0.7, top_p: 0.9 },
    { temperature: 1.5, top_p: 0.5 },
    { temperature: 2.5, top_p: 0.99 },
    { temperature: 1, min_p: 0.05 },
    { temperature: 0.6, top_p: 0.8, min_p: 0.02 },
    { temperature: 1.1, top_k: 300, top_p: 0.7, min_p: 0.001, repetition_penalty: 1.3, frequency_penalty: 0.4, presence_penalty: 0.2, logit_bias: { 17: 5, 4000: -3 } },
  ];
  const shapes: [string, number, (l: Float32Array) => void][] = [
    ['gaussian', 5000, (l) => fillNormal(l, mulberry32(11), 2)],
    ['peaked with ties', 5000, (l) => {
      fillNormal(l, mulberry32(12), 2);
      for (let i = 0; i < l.length; i++) l[i] = Math.round(l[i] * 4) / 4; // many exact ties
      for (let i = 0; i < 30; i++) l[(i * 977) % l.length] = 12 - Math.floor(i / 3); // ties in the head too
    }],
    ['qwen-sized', 151936, (l) => {
      fillNormal(l, mulberry32(13), 3);
      for (let i = 0; i < 50; i++) l[(i * 2971) % l.length] = 20 - i * 0.3;
    }],
  ];
  const history = Array.from({ length: 300 }, (_, i) => (i * 7919) % 5000);
  for (const [name, v, fill] of shapes) {
    const logits = new Float32Array(v);
    fill(logits);
    test.each(configs.map((c) => [JSON.stringify(c), c] as const))(`${name} V=${v}: %s`, (_, over) => {
      const p = samplingParams(over);
      const want = reference(logits, history, p);
      const got = samplingDistribution(logits, history, p);
      expect(new Set(got.ids)).toEqual(new Set(want.keys()));
      got.ids.forEach((id, j) => expect(Math.abs(got.probs[j] - (want.get(id) ?? 0))).toBeLessThan(1e-12));
      // The draw agrees: a u grid lands on each token as often as its probability says (exactly, up to
      // rounding, for any grid size; a coarse grid keeps the 150k-vocabulary cases fast).
      if (got.ids.length > 1 && got.ids.length < 2000) {
        const n = v > 10_000 ? 300 : 3000;
        const counts = new Map<number, number>();
        for (let i = 0; i < n; i++) {
          const t = sample(logits, history, p, (i + 0.5) / n).token;
          counts.set(t, (counts.get(t) ?? 0) + 1);
        }
        for (const [id, q] of want) expect(Math.abs((counts.get(id) ?? 0) - n * q)).toBeLessThanOrEqual(1);
      }
    });
  }
});

describe('seeded generation', () => {
  // A toy autoregressive "model": logits depend on the last token, so one different draw changes the rest.
  const V = 2000;
  const table = Array.from({ length: 16 }, (_, k) => fillNormal(new Float32Array(V), mulberry32(100 + k), 2));
  function generate(seed: number, over: Partial<SamplingParams>): number[] {
    const p = samplingParams({ ...over, seed });
    const rng = requestRng(p.seed);
    const out = [1];
    for (let i = 0; i < 100; i++) out.push(sample(table[out[out.length - 1] % 16], out, p, rng()).token);
    return out;
  }
  const settings: Partial<SamplingParams>[] = [{}, { temperature: 0.8, top_p: 0.9 }, { top_k: 20, repetition_penalty: 1.2, frequency_penalty: 0.3 }];

  test.each(settings.map((s) => [JSON.stringify(s), s] as const))('same seed, same tokens; different seeds differ: %s', (_, over) => {
    const a = generate(42, over);
    expect(generate(42, over)).toEqual(a);
    expect(generate(43, over)).not.toEqual(a);
    expect(generate(-42, over)).not.toEqual(a);
  });
});
