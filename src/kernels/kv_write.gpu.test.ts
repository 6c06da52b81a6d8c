import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import KV_WRITE_WGSL from '../../shaders/kv_write.wgsl?raw';
import { checkKvWrite, kvWriteCases } from './kv_write.check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await openTestGpu();
});
afterAll(() => gpu?.device.destroy());

describe('kv_write kernel vs CPU twin', () => {
  const cases = kvWriteCases(5);
  test.each(cases.map((c, i) => [i, c] as const))('case %i', async (i, c) => {
    const [r] = await checkKvWrite(gpu.device, [c], 5 + i);
    expect(r.mismatches, `${r.name}: max abs err ${r.maxAbsErr} at ${r.worstIndex}${r.gpuError ? `, ${r.gpuError}` : ''}`).toBe(0);
  });
});

describe('a broken kv_write kernel is caught', () => {
  const mutations: [string, string, string][] = [
    ['page-table row ignored', 'page_table[seq_row[t] * params.max_pages', 'page_table[0u * params.max_pages'],
    ['slot from the wrong page size', 'p % params.page_size', 'p % 16u'],
    ['page index rounded up', 'p / params.page_size]', '(p + 1u) / params.page_size]'],
    ['values written to the key cache', 'v_cache[dst] = v[i];', 'k_cache[dst] = v[i];'],
    ['last workgroup dropped', 'if (i >= params.m * params.width)', 'if (i + WG >= params.m * params.width)'],
  ];
  test.each(mutations)('%s', async (_name, from, to) => {
    expect(KV_WRITE_WGSL).toContain(from);
    const results = await checkKvWrite(gpu.device, kvWriteCases(5, 2), 5, KV_WRITE_WGSL.replace(from, to));
    expect(results.some((r) => !r.ok)).toBe(true);
  });
});
