import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import ATTENTION_WGSL from '../../shaders/attention.wgsl?raw';
import { attentionCases, checkAttention } from './attention.check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await openTestGpu();
});
afterAll(() => gpu?.device.destroy());

describe('attention kernel vs CPU twin', () => {
  const cases = attentionCases(3);
  test.each(cases.map((c, i) => [i, c] as const))('case %i', async (i, c) => {
    const [r] = await checkAttention(gpu.device, [c], 3 + i);
    expect(r.mismatches, `${r.name}: max abs err ${r.maxAbsErr} at ${r.worstIndex}${r.gpuError ? `, ${r.gpuError}` : ''}`).toBe(0);
  });
});

describe('a broken attention kernel is caught', () => {
  const mutations: [string, string, string][] = [
    ['output not rescaled when the max grows', 'var a = acc[d] * corr;', 'var a = acc[d];'],
    ['causal mask lets in the next key', 'let n_keys = pos[t] + 1u;', 'let n_keys = pos[t] + 2u;'],
    ['GQA heads interleaved instead of grouped', 'let g = h / (params.n_head / params.n_kv_head);', 'let g = h % params.n_kv_head;'],
    ['token index used as page-table row', 'let table = seq_row[t] * params.max_pages;', 'let table = t * params.max_pages;'],
    ['softmax without max subtraction', 'let new_max = max(run_max, red_max[0]);', 'let new_max = 0.0;'],
  ];
  test.each(mutations)('%s', async (_name, from, to) => {
    expect(ATTENTION_WGSL).toContain(from);
    const results = await checkAttention(gpu.device, attentionCases(3, 0), 3, ATTENTION_WGSL.replace(from, to));
    expect(results.some((r) => !r.ok)).toBe(true);
  });
});
