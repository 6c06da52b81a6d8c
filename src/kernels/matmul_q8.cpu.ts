/**
 * CPU twin of shaders/matmul_q8.wgsl: y[t, o] = sum_b dx[t, b] (dw[o, b] sum_i n[o, b, i] q[t, b, i] - mw[o, b] sumq[t, b]),
 * from a Q8_0, Q4_0, Q4_K or Q6_K matrix in the GGUF layout and x quantized by quantizeQ8Cpu: Q8_0 n = the
 * int8, Q4_0 n = nibble - 8 (mw = 0); Q4_K n = nibble, dw = d sc_b, mw = dmin m_b of block b's super-block;
 * Q6_K n = q6 - 32, dw = d times the scale of the element's 16 (elements 16..31 of a block: dw2).
 * The integer sums are exact; the sum over blocks is in f64.
 */
import { GgmlType } from '../gguf/ggml.ts';
import { q6kPlace } from '../gguf/kquant.ts';
import { f16BitsToF32 } from '../gguf/quant.ts';
import type { Q8Blocks } from './quantize_q8.cpu.ts';

/** Q4_K's six-bit (scale, min) of sub-block s from the 12 scale bytes at sc[0..12) (as ggml's get_scale_min_k4). */
function scaleMinK4(sc: Uint8Array, s: number): [number, number] {
  if (s < 4) return [sc[s] & 63, sc[s + 4] & 63];
  return [(sc[s + 4] & 15) | ((sc[s - 4] >> 6) << 4), (sc[s + 4] >> 4) | ((sc[s] >> 6) << 4)];
}

/** The integers and scales of one GGUF row's blocks of 32: n[k], dw[k / 32] (d2: of elements 16..31), mw[k / 32]. */
function rowInts(type: GgmlType, w: Uint8Array, row: number, k: number): { n: Int8Array; d: Float64Array; d2: Float64Array; m: Float64Array } {
  const nb = k / 32;
  const n = new Int8Array(k);
  const d = new Float64Array(nb);
  const m = new Float64Array(nb);
  if (type === GgmlType.Q6_K) {
    const d2 = new Float64Array(nb);
    for (let sb = 0; sb < k / 256; sb++) {
      const p = row * (k / 256) * 210 + sb * 210;
      const dd = f16BitsToF32(w[p + 208] | (w[p + 209] << 8));
      const scale = (s: number) => dd * ((w[p + 192 + s] << 24) >> 24);
      for (let s = 0; s < 8; s++) [d[sb * 8 + s], d2[sb * 8 + s]] = [scale(2 * s), scale(2 * s + 1)];
      for (let e = 0; e < 256; e++) {
        const at = q6kPlace(e);
        n[sb * 256 + e] = (((w[p + at.lo] >> at.loShift) & 15) | (((w[p + at.hi] >> at.hiShift) & 3) << 4)) - 32;
      }
    }
    return { n, d, d2, m };
  }
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
    return { n, d, d2: d, m };
  }
  const size = type === GgmlType.Q8_0 ? 34 : 18;
  for (let b = 0; b < nb; b++) {
    const p = (row * nb + b) * size;
    d[b] = f16BitsToF32(w[p] | (w[p + 1] << 8));
    for (let i = 0; i < 32; i++) {
      n[32 * b + i] = type === GgmlType.Q8_0 ? (w[p + 2 + i] << 24) >> 24 : ((w[p + 2 + (i % 16)] >> (i < 16 ? 0 : 4)) & 15) - 8;
    }
  }
  return { n, d, d2: d, m };
}

/** Also the bound the kernel's f32 rounding is judged against: sum_b |dx dw isum| + |dx mw sumq| per output. */
export function matmulQ8Cpu(type: GgmlType, w: Uint8Array, x: Q8Blocks, m: number, k: number, n: number): { y: Float32Array; abs: Float32Array } {
  if (![GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K].includes(type)) throw new Error(`matmulQ8Cpu: type ${type} is not Q8_0, Q4_0, Q4_K or Q6_K`);
  const nb = k / 32;
  const y = new Float32Array(m * n);
  const abs = new Float32Array(m * n);
  for (let o = 0; o < n; o++) {
    const r = rowInts(type, w, o, k);
    for (let t = 0; t < m; t++) {
      let s = 0;
      let sa = 0;
      for (let b = 0; b < nb; b++) {
        let [i0, i1, sumq] = [0, 0, 0]; // i0, i1: the integer sums of elements 0..15 and 16..31
        for (let i = 32 * b; i < 32 * b + 32; i++) {
          if (i < 32 * b + 16) i0 += r.n[i] * x.q[t * k + i];
          else i1 += r.n[i] * x.q[t * k + i];
          sumq += x.q[t * k + i];
        }
        const dx = x.d[t * nb + b];
        const [scaled, offset] = [dx * (r.d[b] * i0 + r.d2[b] * i1), dx * r.m[b] * sumq];
        s += scaled - offset;
        sa += Math.abs(scaled) + Math.abs(offset);
      }
      y[t * n + o] = s;
      abs[t * n + o] = sa;
    }
  }
  return { y, abs };
}
