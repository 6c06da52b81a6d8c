import { describe, expect, test } from 'vitest';
import { GgmlType, tensorBytes } from '../gguf/ggml.ts';
import { quantize } from '../gguf/quant.ts';
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { Q4_0_R, Q8_0_R, repackRows, repackedType, sourceType, weightRowBytes } from './repack.ts';

describe('repacked Q8_0 / Q4_0 rows', () => {
  test.each([
    [Q8_0_R, GgmlType.Q8_0, 34],
    [Q4_0_R, GgmlType.Q4_0, 18],
  ] as const)('type %i: scales first (padded to 16 bytes), then the blocks, every byte of the file kept', (t, src, block) => {
    expect(repackedType(src)).toBe(t);
    expect(sourceType(t)).toBe(src);
    for (const k of [32, 96, 576, 896, 2048]) {
      const rows = 3;
      const nb = k / 32;
      const file = quantize(src, fillNormal(new Float32Array(rows * k), mulberry32(k), 1));
      const out = repackRows(t, file, k, rows);
      const row = weightRowBytes(t, k);
      expect(row % 16).toBe(0);
      expect(row - tensorBytes(src, k)).toBeLessThan(16);
      expect(out.length).toBe(rows * row);
      const qs = Math.ceil((2 * nb) / 16) * 16;
      for (let r = 0; r < rows; r++) {
        for (let b = 0; b < nb; b++) {
          const f = r * nb * block + b * block;
          expect([out[r * row + 2 * b], out[r * row + 2 * b + 1]]).toEqual([file[f], file[f + 1]]);
          expect(out.subarray(r * row + qs + b * (block - 2), r * row + qs + (b + 1) * (block - 2))).toEqual(file.subarray(f + 2, f + block));
        }
        expect(out.subarray(r * row + 2 * nb, r * row + qs).every((x) => x === 0)).toBe(true); // padding
      }
    }
  });

  test('other types are not repacked, and rows of a partial block are refused', () => {
    expect(repackedType(GgmlType.Q4_K)).toBeUndefined();
    expect(repackedType(GgmlType.F16)).toBeUndefined();
    expect(() => weightRowBytes(Q8_0_R, 40)).toThrow(/multiple of the block size 32/);
  });
});
