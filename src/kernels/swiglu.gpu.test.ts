import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import SWIGLU_WGSL from '../../shaders/swiglu.wgsl?raw';
import { checkSwiglu, swigluCases, type SwigluCase } from './swiglu.check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await openTestGpu();
});
afterAll(() => gpu?.device.destroy());

describe('swiglu kernel vs CPU twin', () => {
  const cases = swigluCases(3);
  test.each(cases.map((c, i) => [i, c] as const))('case %i', async (i, c) => {
    const [r] = await checkSwiglu(gpu.device, [c], 3 + i);
    expect(r.mismatches, `${r.name}: max abs err ${r.maxAbsErr} at ${r.worstIndex}${r.gpuError ? `, ${r.gpuError}` : ''}`).toBe(0);
  });
});

describe('a broken swiglu kernel is caught', () => {
  const small = swigluCases(3, 2).filter((c) => c.count < 1e6);
  const spill = swigluCases(3, 0).filter((c) => c.count > 1e6);
  const mutations: [string, SwigluCase[], string, string][] = [
    ['sigmoid overflows for large gates', small, 'let sigmoid = select(e, 1.0, v >= 0.0) / (1.0 + e);', 'let sigmoid = exp(v) / (1.0 + exp(v));'],
    ['sigmoid branches swapped', small, 'select(e, 1.0, v >= 0.0)', 'select(1.0, e, v >= 0.0)'],
    ['up added instead of multiplied', small, 'v * sigmoid * u[i]', 'v * sigmoid + u[i]'],
    ['in place reads the unused gate binding', small.filter((c) => c.inPlace), 'v = y[i];', 'v = g[i];'],
    ['spilled workgroups recompute the wrong index', spill, 'let i = (wg.x + wg.y * nwg.x) * WG + lid;', 'let i = wg.x * WG + lid;'],
  ];
  test.each(mutations)('%s', async (_name, cases, from, to) => {
    expect(SWIGLU_WGSL).toContain(from);
    expect(SWIGLU_WGSL.split(from).length, 'the mutated text occurs once').toBe(2);
    const results = await checkSwiglu(gpu.device, cases, 3, SWIGLU_WGSL.replace(from, to));
    expect(results.map((r) => r.gpuError).filter(Boolean)).toEqual([]); // a mismatch, not a shader that fails to build
    expect(results.some((r) => !r.ok)).toBe(true);
  });
});
