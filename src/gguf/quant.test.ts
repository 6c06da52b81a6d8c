import { describe, expect, test } from 'vitest';
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { GgmlType } from './ggml.ts';
import { bf16BitsToF32, dequantize, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, quantize } from './quant.ts';

describe('f16', () => {
  test('exact values and specials', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(1e6)).toBe(0x7c00); // overflow -> inf
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(f32ToF16Bits(2 ** -26)).toBe(0x0000);
    expect(f16BitsToF32(0x3555)).toBeCloseTo(0.33325, 5);
    expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN)))).toBe(true);
  });
  test('round to nearest even', () => {
    // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties go to the even mantissa (1)
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });
  test('every half value round-trips', () => {
    for (let h = 0; h < 0x7c00; h++) expect(f32ToF16Bits(f16BitsToF32(h))).toBe(h);
  });
});

test('bf16 round trip and rounding', () => {
  expect(bf16BitsToF32(f32ToBf16Bits(1.5))).toBe(1.5);
  expect(bf16BitsToF32(f32ToBf16Bits(1 + 2 ** -9))).toBe(1); // tie to even
  expect(Math.abs(bf16BitsToF32(f32ToBf16Bits(3.14159)) - 3.14159)).toBeLessThan(0.01);
});

describe('block quantization', () => {
  const x = fillNormal(new Float32Array(32 * 64), mulberry32(3), 1.5);
  test.each([
    // Q8_0 rounds to the nearest of +-127 steps: half a step of error. Q4_0 maps the largest magnitude
    // to -8 and clips the other sign at +7: up to one whole step of error there.
    ['Q8_0', GgmlType.Q8_0, 34, 0.5 / 127],
    ['Q4_0', GgmlType.Q4_0, 18, 1 / 8],
  ] as const)('%s: size, and error within the bound of its block scale', (_n, type, blockBytes, bound) => {
    const q = quantize(type, x);
    expect(q.byteLength).toBe((x.length / 32) * blockBytes);
    const y = dequantize(type, q, x.length);
    for (let b = 0; b < x.length / 32; b++) {
      const block = x.subarray(b * 32, b * 32 + 32);
      const amax = Math.max(...block.map(Math.abs));
      for (let j = 0; j < 32; j++) expect(Math.abs(y[b * 32 + j] - block[j])).toBeLessThanOrEqual(amax * bound * 1.01 + 1e-3 * amax);
    }
  });
  test('Q4_0 packs element j in the low nibble and j+16 in the high nibble', () => {
    const v = new Float32Array(32);
    v[0] = -8; // the largest magnitude: d = -8 / -8 = 1, q = -8 -> stored 0
    v[16] = 7; // stored 15
    const q = quantize(GgmlType.Q4_0, v);
    expect(f16BitsToF32(q[0] | (q[1] << 8))).toBe(1);
    expect(q[2]).toBe(0 | (15 << 4));
    expect(dequantize(GgmlType.Q4_0, q, 32)[16]).toBe(7);
  });
  test('a short buffer is an error, not garbage', () => {
    expect(() => dequantize(GgmlType.Q8_0, new Uint8Array(33), 32)).toThrow(/34 needed/);
  });
});
