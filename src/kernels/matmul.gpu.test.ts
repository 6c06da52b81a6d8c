import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { GgmlType } from '../gguf/ggml.ts';
import { checkMatmul, matmulCases } from './matmul.check.ts';
import { MATMUL_CODE } from './matmul.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await openTestGpu();
});
afterAll(() => gpu?.device.destroy());

describe('matmul kernel vs CPU twin', () => {
  const cases = matmulCases(11);
  test.each(cases.map((c, i) => [i, c] as const))('case %i', async (i, c) => {
    const [r] = await checkMatmul(gpu.device, [c], 11 + i);
    expect(r.mismatches, `${r.name}: max abs err ${r.maxAbsErr} at ${r.worstIndex}${r.gpuError ? `, ${r.gpuError}` : ''}`).toBe(0);
  });
});

describe('a broken matmul kernel is caught', () => {
  const typeCases = (t: GgmlType) => matmulCases(11, 1).filter((c) => c.type === t);
  const mutations: [string, GgmlType, string, string][] = [
    ['Q4_0 nibbles swapped', GgmlType.Q4_0, '(f32(q & 15u) - 8.0) * x[xb + i0 + j] + (f32(q >> 4u) - 8.0)', '(f32(q >> 4u) - 8.0) * x[xb + i0 + j] + (f32(q & 15u) - 8.0)'],
    ['Q8_0 not sign-extended', GgmlType.Q8_0, 'bitcast<i32>(byte_at(p) << 24u) >> 24u', 'i32(byte_at(p))'],
    ['Q8_0 scale read from the wrong half', GgmlType.Q8_0, '[(p >> 1u) & 1u]', '[0u]'],
    ['BF16 reads the low half of the word', GgmlType.BF16, '(p & 2u) * 8u', '(p & 2u) * 0u'],
    ['F16 element index off by one', GgmlType.F16, 'f16_at(row + 2u * (i0 + j))', 'f16_at(row + 2u * (i0 + j + 1u))'],
    ['F32 ignores the weight offset', GgmlType.F32, 'let row = params.w_offset + o * params.row_bytes;', 'let row = o * params.row_bytes;'],
    ['partial sums not reduced', GgmlType.F32, 'stride > 0u', 'stride > 1u'],
  ];
  test.each(mutations)('%s', async (_name, type, from, to) => {
    expect(MATMUL_CODE).toContain(from);
    const results = await checkMatmul(gpu.device, typeCases(type), 11, MATMUL_CODE.replace(from, to));
    expect(results.some((r) => !r.ok)).toBe(true);
  });
});
