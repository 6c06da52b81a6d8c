/**
 * CPU twin of shaders/matmul_q8.wgsl: y[t, o] = sum_b dx[t, b] (dw[o, b] sum_i n[o, b, i] q[t, b, i] - mw[o, b] sumq[t, b]),
 * from a Q8_0, Q4_0 or Q4_K matrix in the GGUF layout and x quantized by quantizeQ8Cpu: Q8_0 n = the int8,
 * Q4_0 n = nibble - 8 (mw = 0); Q4_K n = nibble, dw = d sc_b, mw = dmin m_b of block b's super-block.
 * The integer sums are exact; the sum over blocks is in f64.
 */
import { GgmlType } from '../gguf/ggml.ts';
import { f16BitsToF32 } from '../gguf/quant.ts';
import type { Q8Blocks } from './quantize_q8.cpu.ts';

/** Q4_K's six-bit (scale, min) of sub-block s from the 12 scale bytes at sc[0..12) (as ggml's get_scale_min_k4). */
function scaleMinK4(sc: Uint8Array, s: number): [number, number] {
  if (s < 4) return [sc[s] & 63, sc[s + 4] & 63];
  return [(sc[s + 4] & 15) | ((sc[s - 4] >> 6) << 4), (sc[s + 4] >> 4) | ((sc[s] >> 6) << 4)];
}

/** The integers and scales of one GGUF row's blocks of 32: n[k], dw[k / 32], mw[k / 32]. */
function rowInts(type: GgmlType, w: Uint8Array, row: number, k: number): { n: Int8Array; d: Float64Array; m: Float64Array } {
  const nb = k / 32;
  const n = new Int8Array(k);
  const d = new Float64Array(nb);
  const m = new Float64Array(nb);
  if (type === GgmlType.Q4_K) {
    for (let sb = 0; sb < k / 256; sb++) {
      const p = row * (k / 256) * 144 + sb * 144;
      const [dd, dmin] = [f16BitsToF32(w[p] | (w[p + 1] << 8)), f16BitsToF32(w[p + 2] | (w[p + 3] << 8))];
      for (let s = 0; s < 8; s++) {
        const [sc, mn] = scaleMinK4(w.subarray(p + 4, p + 16), s);
        d[sb * 8 + s] = dd * sc;
        m[sb * 8 + s] = dmin * mn;
        const qs = p + 16 + 32 * (s >> 1);
        for (let i = 0; i < 32; i++) n[sb * 256 + s * 32 + i] = (w[qs + i] >> (4 * (s & 1))) & 15;
      }
    }
    return { n, d, m };
  }
  const size = type === GgmlType.Q8_0 ? 34 : 18;
  for (let b = 0; b < nb; b++) {
    const p = (row * nb + b) * size;
    d[b] = f16BitsToF32(w[p] | (w[p + 1] << 8));
    for (let i = 0; i < 32; i++) {
      n[32 * b + i] = type === GgmlType.Q8_0 ? (w[p + 2 + i] << 24) >> 24 : ((w[p + 2 + (i % 16)] >> (i < 16 ? 0 : 4)) & 15) - 8;
    }
  }
  return { n, d, m };
}

/** Also the bound the kernel's f32 rounding is judged against: sum_b |dx dw isum| + |dx mw sumq| per output. */
export function matmulQ8Cpu(type: GgmlType, w: Uint8Array, x: Q8Blocks, m: number, k: number, n: number): { y: Float32Array; abs: Float32Array } {
  if (type !== GgmlType.Q8_0 && type !== GgmlType.Q4_0 && type !== GgmlType.Q4_K) throw new Error(`matmulQ8Cpu: type ${type} is not Q8_0, Q4_0 or Q4_K`);
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
        let sumq = 0;
        for (let i = 32 * b; i < 32 * b + 32; i++) {
          isum += r.n[i] * x.q[t * k + i];
          sumq += x.q[t * k + i];
        }
        const dx = x.d[t * nb + b];
        const [scaled, offset] = [dx * r.d[b] * isum, dx * r.m[b] * sumq];
        s += scaled - offset;
        sa += Math.abs(scaled) + Math.abs(offset);
      }
      y[t * n + o] = s;
      abs[t * n + o] = sa;
    }
  }
  return { y, abs };
}
