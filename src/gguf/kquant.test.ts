/**
 * Q4_1 / Q5_0 / Q5_1 and the K-quants (Q4_K, Q5_K, Q6_K): sizes, error on gaussian data, exact bit
 * placement on hand-made blocks, and that decoding what we encode is stable (encode(decode(q)) = q).
 * That llama.cpp reads our blocks as we do is proven in src/engine/kquants.gpu.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { GgmlType, TYPE_LAYOUT } from './ggml.ts';
import { f16BitsToF32, f32ToF16Bits } from './half.ts';
import { scaleMinK4 } from './kquant.ts';
import { dequantize, quantize } from './quant.ts';

const relRms = (x: Float32Array, y: Float32Array) => {
  let e = 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    e += (x[i] - y[i]) ** 2;
    s += x[i] ** 2;
  }
  return Math.sqrt(e / s);
};

describe('error on gaussian data (relative RMS)', () => {
  const x = fillNormal(new Float32Array(256 * 64), mulberry32(7), 0.02); // weight-sized values
  test.each([
    // bound: what the bits allow (a uniform quantizer over ~4.5 sigma with 2^bits levels: step / sqrt(12))
    ['Q4_1', GgmlType.Q4_1, 0.1],
    ['Q5_0', GgmlType.Q5_0, 0.06],
    ['Q5_1', GgmlType.Q5_1, 0.05],
    ['Q4_K', GgmlType.Q4_K, 0.08],
    ['Q5_K', GgmlType.Q5_K, 0.04],
    ['Q6_K', GgmlType.Q6_K, 0.02],
  ] as const)('%s: within its bound, and the size its layout says', (name, type, bound) => {
    const q = quantize(type, x);
    const layout = TYPE_LAYOUT[type]!;
    expect(q.byteLength).toBe((x.length / layout.blockElems) * layout.blockBytes);
    const err = relRms(x, dequantize(type, q, x.length));
    console.log(`${name}: relative RMS error ${(100 * err).toFixed(2)}%`);
    expect(err).toBeLessThan(bound);
  });

  test('a constant block, zeros and a block of one sign survive', () => {
    for (const type of [GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K]) {
      const v = new Float32Array(512);
      v.fill(0.5, 0, 256); // constant positive super-block
      for (let i = 256; i < 512; i++) v[i] = i % 7 === 0 ? 0 : 1 + (i % 13) / 13; // positive only
      const y = dequantize(type, quantize(type, v), v.length);
      expect(relRms(v, y), `type ${type}`).toBeLessThan(0.05);
      expect(dequantize(type, quantize(type, new Float32Array(256)), 256).every((t) => t === 0)).toBe(true);
    }
  });
});

test('encode(decode(q)) gives q back: the encoder lands on the values the decoder produces', () => {
  const x = fillNormal(new Float32Array(256 * 8), mulberry32(9), 1);
  for (const type of [GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K]) {
    const y = dequantize(type, quantize(type, x), x.length);
    const z = dequantize(type, quantize(type, y), y.length);
    expect(relRms(y, z), `type ${type}`).toBeLessThan(0.02);
  }
});

describe('bit placement', () => {
  test('K-quant six-bit scales and mins: 8 pairs packed in 12 bytes', () => {
    // sub-blocks 0..3 in bytes 0..7 low six bits; 4..7 split: low 4 bits in bytes 8..11, high 2 in bits 6..7
    const b = new Uint8Array([1 | (2 << 6), 2, 3, 4, 5, 6, 7, 8 | (3 << 6), 0x9a, 0, 0, 0xf5]);
    expect(scaleMinK4(b, 0, 0)).toEqual([1, 5]);
    expect(scaleMinK4(b, 0, 3)).toEqual([4, 8]);
    expect(scaleMinK4(b, 0, 4)).toEqual([0xa | (2 << 4), 0x9]); // sc high bits from byte 0, m's from byte 4 (0)
    expect(scaleMinK4(b, 0, 7)).toEqual([0x5, 0xf | (3 << 4)]);
  });

  test('Q4_K element 32 is the high nibble of qs[0] (sub-block 1), element 64 the low nibble of qs[32]', () => {
    const blk = new Uint8Array(144);
    const dv = new DataView(blk.buffer);
    dv.setUint16(0, f32ToF16Bits(1), true); // d
    dv.setUint16(2, f32ToF16Bits(0.5), true); // dmin
    blk.set([1, 2, 3, 1, 4, 0, 0, 0, 0, 0, 0, 0], 4); // sc = 1,2,3,1,0.. m = 4,0,0..
    blk[16] = 0x73; // element 0: q 3 (sub-block 0: 1*3 - 0.5*4 = 1); element 32: q 7 (sub-block 1: 2*7 = 14)
    blk[16 + 32] = 0x05; // element 64: q 5, sub-block 2: 3*5 = 15
    const y = dequantize(GgmlType.Q4_K, blk, 256);
    expect([y[0], y[32], y[64], y[1]]).toEqual([1, 14, 15, -2]);
  });

  test('Q5_K: bit s of qh[l] is the fifth bit of element 32s + l', () => {
    const blk = new Uint8Array(176);
    new DataView(blk.buffer).setUint16(0, f32ToF16Bits(1), true);
    blk.set([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1], 4); // sc = 1 everywhere, m = 0
    blk[16 + 3] = 1 << 5; // element 32*5 + 3 gets +16
    blk[48 + 64 + 3] = 0x20; // sub-block 5 = group 2, high nibble: q 2
    const y = dequantize(GgmlType.Q5_K, blk, 256);
    expect(y[32 * 5 + 3]).toBe(18);
    expect(y[32 * 4 + 3]).toBe(0);
  });

  test('Q6_K element 128n + 32c + l: ql nibble c >> 1 of byte 64n + 32(c & 1) + l, qh bits 2c of byte 32n + l', () => {
    const blk = new Uint8Array(210);
    new DataView(blk.buffer).setUint16(208, f32ToF16Bits(0.5), true);
    for (let s = 0; s < 16; s++) blk[192 + s] = s + 1; // scale of sub-block s (16 elements) = s + 1
    // element 128 + 64 + 5 (n 1, c 2, l 5): low nibble = high nibble of ql[64 + 0 + 5], high bits 4..5 of qh[32 + 5]
    blk[64 + 5] = 0x90;
    blk[128 + 32 + 5] = 0b10 << 4;
    const e = 128 + 64 + 5;
    const q = 9 | (2 << 4);
    expect(dequantize(GgmlType.Q6_K, blk, 256)[e]).toBe(0.5 * (Math.floor(e / 16) + 1) * (q - 32));
    expect(f16BitsToF32(blk[208] | (blk[209] << 8))).toBe(0.5);
  });

  test('Q5_0 / Q5_1: bit j of qh is the fifth bit of element j, elements j + 16 in the high nibbles', () => {
    const b0 = new Uint8Array(22);
    const dv0 = new DataView(b0.buffer);
    dv0.setUint16(0, f32ToF16Bits(2), true);
    dv0.setUint32(2, (1 << 20) | 1, true);
    b0[6] = 0x0f; // element 0: q 15 | 16 = 31; element 16: q 0
    b0[6 + 4] = 0x30; // element 20: q 3 | 16 = 19
    const y0 = dequantize(GgmlType.Q5_0, b0, 32);
    expect([y0[0], y0[16], y0[20]]).toEqual([2 * 15, 2 * -16, 2 * 3]);
    const b1 = new Uint8Array(24);
    const dv1 = new DataView(b1.buffer);
    dv1.setUint16(0, f32ToF16Bits(2), true);
    dv1.setUint16(2, f32ToF16Bits(-1), true);
    dv1.setUint32(4, 1 << 31, true);
    b1[8 + 15] = 0x10; // element 31: q 1 | 16 = 17
    expect(dequantize(GgmlType.Q5_1, b1, 32)[31]).toBe(2 * 17 - 1);
  });
});

test('K-quant rows must be whole super-blocks', () => {
  expect(() => quantize(GgmlType.Q4_K, new Float32Array(128))).toThrow(/multiple of the Q4_K block size 256/);
});
