// The split decode attention's CPU twin (split, then merge) against the reference attention: the split is
// only a regrouping of the same sums, so they agree to f64 rounding.
import { describe, expect, test } from 'vitest';
import { mulberry32 } from '../util/rng.ts';
import { attentionRef } from './attention.cpu.ts';
import { attentionMergeCpu, attentionSplitCpu } from './attention_split.cpu.ts';
import { attentionSplitCases } from './attention_split.check.ts';
import { SplitAttentionKernel } from './attention_split.ts';
import { attentionInputs } from './attention.check.ts';

describe('split attention CPU twin', () => {
  test.each(attentionSplitCases(7, 2).map((c, i) => [i, c] as const))('case %i equals the reference', (i, c) => {
    const { g, q, kCache, vCache, shape } = attentionInputs(c, mulberry32(100 + i));
    const splits = SplitAttentionKernel.splitsFor(Math.max(...g.pos) + 1);
    const got = attentionMergeCpu(attentionSplitCpu(q, kCache, vCache, g, shape, splits), g.pos, shape, splits);
    const { out: want } = attentionRef(q, kCache, vCache, g, shape);
    let worst = 0;
    for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(got[j] - want[j]) / (1 + Math.abs(want[j])));
    expect(worst).toBeLessThan(1e-5);
  });
});
