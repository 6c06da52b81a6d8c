import { describe, expect, test } from 'vitest';
import { GgmlType } from '../gguf/ggml.ts';
import { dequantize, quantize } from '../gguf/quant.ts';
import { matvec } from '../reference/cpu_ops.ts';
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { matmulQ8Cpu } from './matmul_q8.cpu.ts';
import { packQ8, quantizeQ8Cpu, roundEven } from './quantize_q8.cpu.ts';

describe('8-bit activation blocks (CPU twins)', () => {
  test('roundEven rounds halfway cases to the even neighbour and others to the nearest', () => {
    expect([2.5, 3.5, -2.5, -3.5, 0.5, -0.5, 1.4999, 1.5001, -7.2].map(roundEven)).toEqual([2, 4, -2, -4, 0, -0, 1, 2, -7]);
  });

  test('a block maps its largest magnitude to +-127, a zero block to d = 0, and sums its q', () => {
    const x = new Float32Array(64);
    x[3] = -2.54;
    x[4] = 1.27; // half of the largest: 63.5 -> 64 (even)
    x[5] = 0.01;
    const b = quantizeQ8Cpu(x);
    expect(b.d[0]).toBeCloseTo(0.02, 7);
    expect([b.q[3], b.q[4], b.q[5], b.q[6]]).toEqual([-127, 64, 0, 0]);
    expect(b.sum[0]).toBe(-63);
    expect([b.d[1], b.sum[1]]).toEqual([0, 0]);
    const { xq, xd } = packQ8(b);
    expect(xq[0] >>> 24).toBe(0x81); // byte 3 of word 0: -127
    expect(xq[1] & 0xff).toBe(64); // byte 4 = word 1's lowest
    expect(Array.from(xd.subarray(0, 2))).toEqual([b.d[0], -63]);
  });

  test.each([GgmlType.Q8_0, GgmlType.Q4_0])('integer-dot twin of type %i equals the f32 dot of the dequantized weights and inputs', (type) => {
    const rng = mulberry32(5);
    const [m, k, n] = [3, 96, 7];
    const w = quantize(type, fillNormal(new Float32Array(n * k), rng, 0.2));
    const x = quantizeQ8Cpu(fillNormal(new Float32Array(m * k), rng, 1));
    const xr = Float32Array.from(x.q, (q, i) => q * x.d[i >> 5]);
    const { y } = matmulQ8Cpu(type, w, x, m, k, n);
    const wf = dequantize(type, w, n * k);
    for (let t = 0; t < m; t++) {
      const want = matvec(wf, xr.subarray(t * k, (t + 1) * k), n);
      want.forEach((v, o) => expect(y[t * n + o]).toBeCloseTo(v, 4));
    }
  });
});
