/**
 * The shape every kernel's gpu test file has, written once: a device for the file, each case against the
 * CPU twin, then mutations (a plausible bug string-replaced into the shader) that the check must catch.
 * Test-only: imported by src/kernels/*.gpu.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import type { CaseResult } from './check.ts';

export type Check<C> = (device: GPUDevice, cases: C[], seed: number, code?: string) => Promise<CaseResult[]>;

/** [name, cases to run it on, text in the shader (exactly once), its replacement] */
export type Mutation<C> = [string, C[], string, string];

/** Opens a device before the file's tests and destroys it after; the getter returns it. */
export function suiteGpu(): () => Gpu {
  let gpu: Gpu;
  beforeAll(async () => {
    gpu = await openTestGpu();
  });
  afterAll(() => gpu?.device.destroy());
  return () => gpu;
}

export function kernelSuite<C>(kernel: string, o: { code: string; cases: C[]; seed: number; check: Check<C>; mutations: Mutation<C>[] }): () => Gpu {
  const gpu = suiteGpu();
  describe(`${kernel} kernel vs CPU twin`, () => {
    test.each(o.cases.map((c, i) => [i, c] as const))('case %i', async (i, c) => {
      const [r] = await o.check(gpu().device, [c], o.seed + i);
      expect(r.mismatches, `${r.name}: max abs err ${r.maxAbsErr} at ${r.worstIndex}${r.gpuError ? `, ${r.gpuError}` : ''}`).toBe(0);
    });
  });
  describe(`a broken ${kernel} kernel is caught`, () => {
    test.each(o.mutations)('%s', async (_name, cases, from, to) => {
      expect(cases.length, 'the mutation has cases to run on').toBeGreaterThan(0);
      expect(o.code.split(from).length, 'the mutated text occurs exactly once').toBe(2);
      const results = await o.check(gpu().device, cases, o.seed, o.code.replace(from, to));
      expect(results.map((r) => r.gpuError).filter(Boolean)).toEqual([]); // a mismatch, not a shader that fails to build
      expect(results.some((r) => !r.ok)).toBe(true);
    });
  });
  return gpu;
}
