import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import ADD_WGSL from '../../shaders/add.wgsl?raw';
import { addCases, checkAdd, type AddCase } from './add.check.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await openTestGpu();
});
afterAll(() => gpu?.device.destroy());

describe('add kernel vs CPU twin', () => {
  const cases = addCases(9);
  test.each(cases.map((c, i) => [i, c] as const))('case %i', async (i, c) => {
    const [r] = await checkAdd(gpu.device, [c], 9 + i);
    expect(r.mismatches, `${r.name}: max abs err ${r.maxAbsErr} at ${r.worstIndex}${r.gpuError ? `, ${r.gpuError}` : ''}`).toBe(0);
  });
});

describe('a broken add kernel is caught', () => {
  const small = addCases(9, 2).filter((c) => c.count < 1e6);
  const spill = addCases(9, 0).filter((c) => c.count > 1e6);
  const mutations: [string, AddCase[], string, string][] = [
    ['b not repeated', small, 'b[i % params.period]', 'b[i]'],
    ['b indexed by row instead of column', small, 'b[i % params.period]', 'b[i / params.period]'],
    ['y overwritten instead of added to', small, 'y[i] += b[i % params.period];', 'y[i] = b[i % params.period];'],
    ['last elements skipped', small, 'if (i >= params.count) {', 'if (i + 1u >= params.count) {'],
    ['spilled workgroups recompute the wrong index', spill, 'let i = (wg.x + wg.y * nwg.x) * WG + lid;', 'let i = wg.x * WG + lid;'],
  ];
  test.each(mutations)('%s', async (_name, cases, from, to) => {
    expect(ADD_WGSL).toContain(from);
    expect(ADD_WGSL.split(from).length, 'the mutated text occurs once').toBe(2);
    const results = await checkAdd(gpu.device, cases, 9, ADD_WGSL.replace(from, to));
    expect(results.map((r) => r.gpuError).filter(Boolean)).toEqual([]); // a mismatch, not a shader that fails to build
    expect(results.some((r) => !r.ok)).toBe(true);
  });
});
