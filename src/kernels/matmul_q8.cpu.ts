/**
 * CPU twin of shaders/matmul_q8.wgsl: y[t, o] = sum_b dw[o, b] dx[t, b] sum_i n[o, b, i] q[t, b, i], from a
 * Q8_0 or Q4_0 matrix in the GGUF layout (n = the int8, or nibble - 8) and x quantized by quantizeQ8Cpu.
 * The integer sums are exact; the sum over blocks is in f64.
 */
import { GgmlType } from '../gguf/ggml.ts';
import { f16BitsToF32 } from '../gguf/quant.ts';
import type { Q8Blocks } from './quantize_q8.cpu.ts';

/** The integers and scales of one GGUF row's blocks: n[k], d[k / 32]. */
function rowInts(type: GgmlType, w: Uint8Array, row: number, k: number): { n: Int8Array; d: Float64Array } {
  const nb = k / 32;
  const size = type === GgmlType.Q8_0 ? 34 : 18;
  const n = new Int8Array(k);
  const d = new Float64Array(nb);
  for (let b = 0; b < nb; b++) {
    const p = (row * nb + b) * size;
    d[b] = f16BitsToF32(w[p] | (w[p + 1] << 8));
    for (let i = 0; i < 32; i++) {
      n[32 * b + i] = type === GgmlType.Q8_0 ? (w[p + 2 + i] << 24) >> 24 : ((w[p + 2 + (i % 16)] >> (i < 16 ? 0 : 4)) & 15) - 8;
    }
  }
  return { n, d };
}

/** Also the bound the kernel's f32 rounding is judged against: sum_b |dw dx isum| per output. */
export function matmulQ8Cpu(type: GgmlType, w: Uint8Array, x: Q8Blocks, m: number, k: number, n: number): { y: Float32Array; abs: Float32Array } {
  if (type !== GgmlType.Q8_0 && type !== GgmlType.Q4_0) throw new Error(`matmulQ8Cpu: type ${type} is not Q8_0 or Q4_0`);
  const nb = k / 32;
  const y = new Float32Array(m * n);
  const abs = new Float32Array(m * n);
  for (let o = 0; o < n; o++) {
    const r = rowInts(type, w, o, k);
    for (let t = 0; t < m; t++) {
      let s = 0;
      let sa = 0;
      for (let b = 0; b < nb; b++) {
        let isum = 0;
        for (let i = 32 * b; i < 32 * b + 32; i++) isum += r.n[i] * x.q[t * k + i];
        const term = r.d[b] * x.d[t * nb + b] * isum;
        s += term;
        sa += Math.abs(term);
      }
      y[t * n + o] = s;
      abs[t * n + o] = sa;
    }
  }
  return { y, abs };
}
