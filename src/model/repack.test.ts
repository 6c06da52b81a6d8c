import { describe, expect, test } from 'vitest';
import { GgmlType, tensorBytes } from '../gguf/ggml.ts';
import { quantize } from '../gguf/quant.ts';
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { Q4_0_R, Q6_K_R, Q8_0_R, repackRows, repackedType, sourceType, weightRowBytes } from './repack.ts';

describe('repacked Q8_0 / Q4_0 / Q6_K rows', () => {
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

  test('Q6_K: the super-blocks\' d first, then their scales, then their ql and qh, each run 16-byte aligned', () => {
    expect(repackedType(GgmlType.Q6_K)).toBe(Q6_K_R);
    expect(sourceType(Q6_K_R)).toBe(GgmlType.Q6_K);
    for (const k of [256, 768, 2048, 8192]) {
      const rows = 3;
      const nb = k / 256;
      const file = quantize(GgmlType.Q6_K, fillNormal(new Float32Array(rows * k), mulberry32(k), 1));
      const out = repackRows(Q6_K_R, file, k, rows);
      const row = weightRowBytes(Q6_K_R, k);
      const scales = Math.ceil((2 * nb) / 16) * 16;
      expect(row).toBe(scales + 208 * nb); // the file's 210 bytes a super-block, less the padding of the d's
      expect(out.length).toBe(rows * row);
      for (let r = 0; r < rows; r++) {
        for (let b = 0; b < nb; b++) {
          const f = (r * nb + b) * 210;
          const o = r * row;
          expect(out.subarray(o + 2 * b, o + 2 * b + 2)).toEqual(file.subarray(f + 208, f + 210)); // d
          expect(out.subarray(o + scales + 16 * b, o + scales + 16 * b + 16)).toEqual(file.subarray(f + 192, f + 208));
          const q = o + scales + 16 * nb + 192 * b; // ql, then qh
          expect(q % 16).toBe(0);
          expect(out.subarray(q, q + 192)).toEqual(file.subarray(f, f + 192));
        }
        expect(out.subarray(r * row + 2 * nb, r * row + scales).every((x) => x === 0)).toBe(true);
      }
    }
  });

  test('other types are not repacked, and rows of a partial block are refused', () => {
    expect(repackedType(GgmlType.Q4_K)).toBeUndefined();
    expect(repackedType(GgmlType.F16)).toBeUndefined();
    expect(() => weightRowBytes(Q8_0_R, 40)).toThrow(/multiple of the block size 32/);
    expect(() => weightRowBytes(Q6_K_R, 512 + 32)).toThrow(/multiple of the block size 256/);
  });
});
