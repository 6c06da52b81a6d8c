import { describe, expect, test } from 'vitest';
import { mulberry32 } from '../util/rng.ts';
import { GgmlType, ggmlTypeName } from './ggml.ts';
import { dequantize } from './quant.ts';
import { randomBlocks } from './random_blocks.ts';

const stats = (x: Float32Array) => {
  let s = 0, ss = 0;
  for (const v of x) [s, ss] = [s + v, ss + v * v];
  const mean = s / x.length;
  return { mean, std: Math.sqrt(ss / x.length - mean * mean) };
};

// |mean| / std allowed: the integer parts' own lean, half a step low (Q4_0 0.107, Q6_K 0.027, Q8_0 0.007), and noise
const LEAN: Partial<Record<GgmlType, number>> = { [GgmlType.Q8_0]: 0.012, [GgmlType.Q4_0]: 0.115, [GgmlType.Q4_K]: 0.01, [GgmlType.Q6_K]: 0.032 };

describe('random quantized blocks decode to the asked spread', () => {
  const elems = 256 * 512;
  test.each([GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K].map((t) => [ggmlTypeName(t), t] as const))('%s', (_n, type) => {
    for (const std of [1, 0.02]) {
      const bytes = randomBlocks(type, elems, std, mulberry32(7))!;
      const x = dequantize(type, bytes, elems);
      const s = stats(x);
      expect(s.std / std).toBeGreaterThan(0.97);
      expect(s.std / std).toBeLessThan(1.03);
      expect(Math.abs(s.mean) / std).toBeLessThan(LEAN[type]!);
      expect(new Set(x.slice(0, 4096)).size).toBeGreaterThan(100); // not one value repeated
      expect(x.every(Number.isFinite)).toBe(true);
    }
  });
  test('a seed gives the same bytes, another seed others', () => {
    const a = randomBlocks(GgmlType.Q4_K, 1024, 1, mulberry32(1))!;
    expect(randomBlocks(GgmlType.Q4_K, 1024, 1, mulberry32(1))).toEqual(a);
    expect(randomBlocks(GgmlType.Q4_K, 1024, 1, mulberry32(2))).not.toEqual(a);
  });
  test('types it does not write, and counts that are not whole blocks', () => {
    expect(randomBlocks(GgmlType.Q5_K, 256, 1, mulberry32(1))).toBeUndefined();
    expect(() => randomBlocks(GgmlType.Q4_K, 100, 1, mulberry32(1))).toThrow();
  });
});
