import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { GgmlType } from '../gguf/ggml.ts';
import { checkEmbedding, embeddingCases } from './embedding.check.ts';
import { EMBEDDING_CODE } from './embedding.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await openTestGpu();
});
afterAll(() => gpu?.device.destroy());

describe('embedding kernel vs CPU twin', () => {
  const cases = embeddingCases(5);
  test.each(cases.map((c, i) => [i, c] as const))('case %i', async (i, c) => {
    const [r] = await checkEmbedding(gpu.device, [c], 5 + i);
    expect(r.mismatches, `${r.name}: max abs err ${r.maxAbsErr} at ${r.worstIndex}${r.gpuError ? `, ${r.gpuError}` : ''}`).toBe(0);
  });
});

describe('a broken embedding kernel is caught', () => {
  // the small cases of one type (the spill case only where the mutation needs it)
  const typeCases = (t: GgmlType) => embeddingCases(5, 0).filter((c) => c.type === t && c.m * c.n < 1e6);
  const spillCase = embeddingCases(5, 0).filter((c) => c.m * c.n > 1e6);
  const mutations: [string, ReturnType<typeof embeddingCases>, string, string][] = [
    ['ids outside the part overwrite y', typeCases(GgmlType.F16), 'if (id < params.row_lo || id >= params.row_lo + params.rows) {', 'if (false) {'],
    ['part start ignored (row_lo taken as 0)', typeCases(GgmlType.Q8_0), 'let row = params.w_offset + (id - params.row_lo) * params.row_bytes;', 'let row = params.w_offset + id * params.row_bytes;'],
    ['table offset ignored', typeCases(GgmlType.BF16), 'let row = params.w_offset + (id - params.row_lo)', 'let row = 0u + (id - params.row_lo)'],
    ['token taken from the element index', typeCases(GgmlType.F32), 'let id = ids[t];', 'let id = ids[i % params.m];'],
    ['spilled workgroups recompute the wrong index', spillCase, 'let e = (wg.x + wg.y * nwg.x) * WG + lid;', 'let e = wg.x * WG + lid;'],
  ];
  test.each(mutations)('%s', async (_name, cases, from, to) => {
    expect(EMBEDDING_CODE).toContain(from);
    expect(EMBEDDING_CODE.split(from).length, 'the mutated text occurs once').toBe(2);
    const results = await checkEmbedding(gpu.device, cases, 5, EMBEDDING_CODE.replace(from, to));
    expect(results.map((r) => r.gpuError).filter(Boolean)).toEqual([]); // a mismatch, not a shader that fails to build
    expect(results.some((r) => !r.ok)).toBe(true);
  });
});
