/**
 * K-quants: Q4_K, Q5_K and Q6_K super-blocks of 256 elements, encoded and decoded on the CPU.
 * Layouts (byte offsets within one super-block; f16 little-endian):
 *
 * Q4_K, 144 bytes: d f16 @0, dmin f16 @2, scales[12] @4, qs[128] @16.
 *   Element e = 64g + 32h + l (g 0..3, h 0..1, l 0..31) is nibble h (0 low, 1 high) of qs[32g + l] and
 *   belongs to sub-block s = e / 32 = 2g + h:  x = (d * sc[s]) * q - dmin * m[s],  q in 0..15.
 * Q5_K, 176 bytes: d @0, dmin @2, scales[12] @4, qh[32] @16, qs[128] @48.
 *   As Q4_K, plus a fifth bit: bit s of qh[l] adds 16 to q (q in 0..31).
 * The 12 scale bytes hold 8 six-bit scales sc[s] and 8 six-bit mins m[s]:
 *   bytes 0..3:  sc[0..3] in bits 0..5, bits 4..5 of sc[4..7] in bits 6..7
 *   bytes 4..7:  m[0..3]  in bits 0..5, bits 4..5 of m[4..7]  in bits 6..7
 *   bytes 8..11: bits 0..3 of sc[4..7] in the low nibble, bits 0..3 of m[4..7] in the high nibble
 * Q6_K, 210 bytes: ql[128] @0, qh[64] @128, scales int8[16] @192, d f16 @208.
 *   Element e = 128n + 32c + l (n 0..1, c 0..3, l 0..31): low 4 bits are nibble c >> 1 of
 *   ql[64n + 32(c & 1) + l], high 2 bits are bits 2c..2c+1 of qh[32n + l];  x = (d * scales[e / 16]) * (q - 32).
 *
 * Decoding is exact in f32 whatever the order of operations (f16 has 11 significant bits, the scales
 * at most 7 and the quants at most 5, so every product is exact), so this decoder, llama.cpp's and
 * the WGSL one in shaders/ggml_types.wgsl agree bit for bit.
 * The encoders are our own: a small search per sub-block for the step and offset with the least squared
 * error, then the sub-block scales quantized against the super-block's, then every element rounded
 * with the scales as decoded. They do not reproduce llama.cpp's quantizer bit for bit; they need not.
 */
import { f16BitsToF32, f32ToF16Bits } from './half.ts';

export const QK_K = 256; // elements per super-block

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Sub-block s's (scale, min) six-bit pair from the 12 scale bytes starting at `at`. */
export function scaleMinK4(b: Uint8Array, at: number, s: number): [number, number] {
  if (s < 4) return [b[at + s] & 63, b[at + s + 4] & 63];
  return [(b[at + s + 4] & 15) | ((b[at + s - 4] >> 6) << 4), (b[at + s + 4] >> 4) | ((b[at + s] >> 6) << 4)];
}

export function packScaleMinK4(sc: ArrayLike<number>, m: ArrayLike<number>, b: Uint8Array, at: number): void {
  for (let s = 0; s < 4; s++) {
    b[at + s] = (sc[s] & 63) | ((sc[s + 4] >> 4) << 6);
    b[at + s + 4] = (m[s] & 63) | ((m[s + 4] >> 4) << 6);
    b[at + s + 8] = (sc[s + 4] & 15) | ((m[s + 4] & 15) << 4);
  }
}

/**
 * The best affine fit x ~ step * q - offset, q in 0..nmax, for one sub-block: tries steps a little
 * finer and coarser than range / nmax (a finer step clips the extremes), refits step and offset by least
 * squares on each rounding, and keeps the fit with the least squared error. K-quant offsets are
 * subtracted and never negative (the format cannot shift a sub-block up), so the offset is held >= 0.
 */
function fitAffine(x: Float32Array, nmax: number): [step: number, offset: number] {
  const n = x.length;
  let lo = 0; // lowest value, at most 0
  let hi = -Infinity;
  for (const v of x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(hi > lo)) return [0, -lo];
  let best: [number, number] = [(hi - lo) / nmax, -lo];
  let bestErr = Infinity;
  let sx = 0, sxx = 0;
  for (const v of x) {
    sx += v;
    sxx += v * v;
  }
  for (let c = -4; c <= 12; c++) {
    const step = (hi - lo) / (nmax + 0.1 * c);
    let sq = 0, sqq = 0, sqx = 0;
    for (const v of x) {
      const q = clamp(Math.round((v - lo) / step), 0, nmax);
      sq += q;
      sqq += q * q;
      sqx += q * v;
    }
    // least squares x ~ a + b q over this rounding; a = -offset
    const det = n * sqq - sq * sq;
    let b = det > 0 ? (n * sqx - sq * sx) / det : step;
    let a = det > 0 ? (sx - b * sq) / n : lo;
    if (a > 0) {
      a = 0;
      b = sqq > 0 ? sqx / sqq : 0;
    }
    if (!(b > 0)) continue;
    // sum of (a + b q - x)^2, expanded over the sums
    const err = n * a * a + b * b * sqq + sxx + 2 * a * b * sq - 2 * a * sx - 2 * b * sqx;
    if (err < bestErr) {
      bestErr = err;
      best = [b, -a];
    }
  }
  return best;
}

/** The best symmetric scale for x ~ scale * q, q in -32..31 (either sign: the extreme may take -32). */
function fitSymmetric(x: Float32Array): number {
  let v = 0; // the value of largest magnitude
  for (const t of x) if (Math.abs(t) > Math.abs(v)) v = t;
  if (v === 0) return 0;
  let best = 0;
  let bestErr = Infinity;
  for (const sign of [-1, 1]) {
    for (let c = 0; c <= 12; c++) {
      const s0 = (sign * v) / (30 + 0.5 * c); // v maps to -(30..36) or +(30..36), clipped to -32 / 31
      let sqq = 0, sqx = 0;
      for (const t of x) {
        const q = clamp(Math.round(t / s0), -32, 31);
        sqq += q * q;
        sqx += q * t;
      }
      if (!(sqq > 0)) continue;
      const s = sqx / sqq; // least squares scale for this rounding
      const err = -sqx * s; // sum of (s q - x)^2 less the constant sum of x^2
      if (err < bestErr) {
        bestErr = err;
        best = s;
      }
    }
  }
  return best;
}

/** Squared error of x rounded to step * q - offset, q in 0..nmax. */
function affineError(x: Float32Array, step: number, offset: number, nmax: number): number {
  let err = 0;
  for (const v of x) {
    const q = step > 0 ? clamp(Math.round((v + offset) / step), 0, nmax) : 0;
    err += (step * q - offset - v) ** 2;
  }
  return err;
}

/** Q4_K (nmax 15) or Q5_K (nmax 31) super-blocks: `src.length` a multiple of 256. */
export function quantizeQ45K(src: Float32Array, nmax: 15 | 31): Uint8Array {
  const bytes = nmax === 15 ? 144 : 176;
  const qsAt = nmax === 15 ? 16 : 48;
  const out = new Uint8Array((src.length / QK_K) * bytes);
  const view = new DataView(out.buffer);
  const steps = new Float64Array(8);
  const offs = new Float64Array(8);
  const sc = new Uint8Array(8);
  const m = new Uint8Array(8);
  for (let b = 0; b < src.length / QK_K; b++) {
    const x = src.subarray(b * QK_K, (b + 1) * QK_K);
    const p = b * bytes;
    for (let s = 0; s < 8; s++) [steps[s], offs[s]] = fitAffine(x.subarray(32 * s, 32 * s + 32), nmax);
    // six-bit scales and mins relative to the super-block's largest, which d and dmin carry (f16)
    const dBits = f32ToF16Bits(Math.max(...steps) / 63);
    const dminBits = f32ToF16Bits(Math.max(...offs) / 63);
    const d = f16BitsToF32(dBits);
    const dmin = f16BitsToF32(dminBits);
    for (let s = 0; s < 8; s++) {
      // the nearest six-bit pair and its neighbours: keep the one whose rounded sub-block errs least
      const sc0 = d > 0 ? Math.round(steps[s] / d) : 0;
      const m0 = dmin > 0 ? Math.round(offs[s] / dmin) : 0;
      let bestErr = Infinity;
      for (let i = sc0 - 1; i <= sc0 + 1; i++) {
        for (let j = m0 - 1; j <= m0 + 1; j++) {
          const [ci, mj] = [clamp(i, 0, 63), clamp(j, 0, 63)];
          const err = affineError(x.subarray(32 * s, 32 * s + 32), Math.fround(d * ci), Math.fround(dmin * mj), nmax);
          if (err < bestErr) [bestErr, sc[s], m[s]] = [err, ci, mj];
        }
      }
    }
    view.setUint16(p, dBits, true);
    view.setUint16(p + 2, dminBits, true);
    packScaleMinK4(sc, m, out, p + 4);
    // every element rounded with its sub-block's step and offset as the decoder will see them
    for (let e = 0; e < QK_K; e++) {
      const s = e >> 5;
      const step = Math.fround(d * sc[s]);
      const q = step > 0 ? clamp(Math.round((x[e] + Math.fround(dmin * m[s])) / step), 0, nmax) : 0;
      const l = e & 31;
      out[p + qsAt + 32 * (s >> 1) + l] |= (q & 15) << (4 * (s & 1));
      if (nmax === 31) out[p + 16 + l] |= (q >> 4) << s;
    }
  }
  return out;
}

export function dequantizeQ45K(bytes: Uint8Array, elems: number, nmax: 15 | 31): Float32Array {
  const size = nmax === 15 ? 144 : 176;
  const qsAt = nmax === 15 ? 16 : 48;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(elems);
  for (let b = 0; b < elems / QK_K; b++) {
    const p = b * size;
    const d = f16BitsToF32(view.getUint16(p, true));
    const dmin = f16BitsToF32(view.getUint16(p + 2, true));
    for (let s = 0; s < 8; s++) {
      const [sc, m] = scaleMinK4(bytes, p + 4, s);
      const step = d * sc;
      const off = dmin * m;
      for (let l = 0; l < 32; l++) {
        let q = (bytes[p + qsAt + 32 * (s >> 1) + l] >> (4 * (s & 1))) & 15;
        if (nmax === 31) q |= ((bytes[p + 16 + l] >> s) & 1) << 4;
        out[b * QK_K + 32 * s + l] = step * q - off;
      }
    }
  }
  return out;
}

/** Byte offsets of element e's low and high bits within a Q6_K super-block, and their shifts. */
export function q6kPlace(e: number): { lo: number; loShift: number; hi: number; hiShift: number } {
  const n = e >> 7;
  const c = (e >> 5) & 3;
  const l = e & 31;
  return { lo: 64 * n + 32 * (c & 1) + l, loShift: 4 * (c >> 1), hi: 128 + 32 * n + l, hiShift: 2 * c };
}

export function quantizeQ6K(src: Float32Array): Uint8Array {
  const out = new Uint8Array((src.length / QK_K) * 210);
  const view = new DataView(out.buffer);
  const scales = new Float64Array(16);
  for (let b = 0; b < src.length / QK_K; b++) {
    const x = src.subarray(b * QK_K, (b + 1) * QK_K);
    const p = b * 210;
    let amax = 0;
    for (let s = 0; s < 16; s++) {
      scales[s] = fitSymmetric(x.subarray(16 * s, 16 * s + 16));
      amax = Math.max(amax, Math.abs(scales[s]));
    }
    const dBits = f32ToF16Bits(amax / 127); // eight-bit signed sub-block scales relative to d
    const d = f16BitsToF32(dBits);
    view.setUint16(p + 208, dBits, true);
    for (let s = 0; s < 16; s++) {
      // the nearest eight-bit scale and its neighbours: keep the one whose rounded sub-block errs least
      const c0 = d > 0 ? Math.round(scales[s] / d) : 0;
      let [best, bestErr] = [0, Infinity];
      for (let c = Math.max(-128, c0 - 1); c <= Math.min(127, c0 + 1); c++) {
        const step = Math.fround(d * c);
        let err = 0;
        for (let e = 16 * s; e < 16 * s + 16; e++) err += (step * (step !== 0 ? clamp(Math.round(x[e] / step), -32, 31) : 0) - x[e]) ** 2;
        if (err < bestErr) [best, bestErr] = [c, err];
      }
      view.setInt8(p + 192 + s, best);
    }
    for (let e = 0; e < QK_K; e++) {
      const step = Math.fround(d * view.getInt8(p + 192 + (e >> 4)));
      const q = (step !== 0 ? clamp(Math.round(x[e] / step), -32, 31) : 0) + 32;
      const at = q6kPlace(e);
      out[p + at.lo] |= (q & 15) << at.loShift;
      out[p + at.hi] |= (q >> 4) << at.hiShift;
    }
  }
  return out;
}

export function dequantizeQ6K(bytes: Uint8Array, elems: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(elems);
  for (let b = 0; b < elems / QK_K; b++) {
    const p = b * 210;
    const d = f16BitsToF32(view.getUint16(p + 208, true));
    for (let e = 0; e < QK_K; e++) {
      const at = q6kPlace(e);
      const q = ((bytes[p + at.lo] >> at.loShift) & 15) | (((bytes[p + at.hi] >> at.hiShift) & 3) << 4);
      out[b * QK_K + e] = d * view.getInt8(p + 192 + (e >> 4)) * (q - 32);
    }
  }
  return out;
}
