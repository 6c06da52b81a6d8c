import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import RMS_NORM_WGSL from '../../shaders/rms_norm.wgsl?raw';
import { checkRmsNorm, rmsNormCases } from './rms_norm.check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await openTestGpu();
  console.log(`adapter: ${gpu.info.vendor} ${gpu.info.architecture} ${gpu.info.description} f16=${gpu.info.f16}`);
});
afterAll(() => gpu?.device.destroy());

describe('rms_norm kernel vs CPU twin', () => {
  const cases = rmsNormCases(42);
  test.each(cases.map((c, i) => [i, c] as const))('case %i', async (i, c) => {
    const [r] = await checkRmsNorm(gpu.device, [c], 42 + i);
    expect(r.mismatches, `${r.name}: max abs err ${r.maxAbsErr} at ${r.worstIndex}`).toBe(0);
  });
});

describe('a broken rms_norm kernel is caught', () => {
  // Each mutation is a plausible kernel bug; the same check must report mismatches for it.
  const mutations: [string, string, string][] = [
    ['weight not applied', 'x[base + i] * scale * w[i]', 'x[base + i] * scale'],
    ['eps ignored and mean over WG', 'partial[0] / f32(params.n) + params.eps', 'partial[0] / f32(WG)'],
    ['reduction misses a level', 'stride > 0u', 'stride > 1u'],
    ['strided loop skips elements', 'i < params.n; i += WG) {\n    let v', 'i < params.n; i += 2u * WG) {\n    let v'],
    ['row offset off by one', 'let base = row * params.n;', 'let base = row * params.n + 1u;'],
  ];
  test.each(mutations)('%s', async (_name, from, to) => {
    expect(RMS_NORM_WGSL).toContain(from);
    const broken = RMS_NORM_WGSL.replace(from, to);
    const results = await checkRmsNorm(gpu.device, rmsNormCases(42, 4), 42, broken);
    expect(results.some((r) => !r.ok)).toBe(true);
  });
});
