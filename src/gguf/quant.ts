/**
 * CPU conversions between f32 and the GGUF weight types tabserve writes and reads:
 * F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 here, and the K-quants Q4_K, Q5_K, Q6_K in kquant.ts.
 * Decoders follow ggml's block layouts so that a file we quantize is read by llama.cpp exactly as we
 * read it back, and they are the CPU twins the GPU dequantizing kernels are checked against.
 * F16/BF16/Q8_0/Q4_0 encode as ggml's reference routines do; the others use our own encoders.
 */
import { GgmlType, ggmlTypeName, tensorBytes } from './ggml.ts';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from './half.ts';
import { dequantizeQ45K, dequantizeQ6K, quantizeQ45K, quantizeQ6K } from './kquant.ts';

export { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from './half.ts';

/** Round half away from zero, as C's roundf. */
const roundf = (v: number) => Math.sign(v) * Math.round(Math.abs(v));

/** Encodes `src` (length a multiple of the block size) as `type`. */
export function quantize(type: GgmlType, src: Float32Array): Uint8Array {
  const out = new Uint8Array(tensorBytes(type, src.length));
  const view = new DataView(out.buffer);
  switch (type) {
    case GgmlType.F32:
      out.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
      return out;
    case GgmlType.F16:
      for (let i = 0; i < src.length; i++) view.setUint16(2 * i, f32ToF16Bits(src[i]), true);
      return out;
    case GgmlType.BF16:
      for (let i = 0; i < src.length; i++) view.setUint16(2 * i, f32ToBf16Bits(src[i]), true);
      return out;
    case GgmlType.Q8_0:
      // block: d (f16) = amax / 127, then 32 x int8 q = round(x / d)
      for (let b = 0; b < src.length / 32; b++) {
        let amax = 0;
        for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(src[b * 32 + j]));
        const d = Math.fround(amax / 127);
        const id = d ? Math.fround(1 / d) : 0;
        view.setUint16(b * 34, f32ToF16Bits(d), true);
        for (let j = 0; j < 32; j++) view.setInt8(b * 34 + 2 + j, roundf(Math.fround(src[b * 32 + j] * id)));
      }
      return out;
    case GgmlType.Q4_0:
      // block: d (f16) = (value of largest magnitude) / -8, then 16 bytes: low nibble = element j,
      // high nibble = element j + 16, each stored as q + 8 in 0..15
      for (let b = 0; b < src.length / 32; b++) {
        let amax = 0;
        let max = 0;
        for (let j = 0; j < 32; j++) {
          const v = src[b * 32 + j];
          if (amax < Math.abs(v)) {
            amax = Math.abs(v);
            max = v;
          }
        }
        const d = Math.fround(max / -8);
        const id = d ? Math.fround(1 / d) : 0;
        view.setUint16(b * 18, f32ToF16Bits(d), true);
        for (let j = 0; j < 16; j++) {
          const x0 = Math.min(15, Math.trunc(Math.fround(Math.fround(src[b * 32 + j] * id) + 8.5)));
          const x1 = Math.min(15, Math.trunc(Math.fround(Math.fround(src[b * 32 + 16 + j] * id) + 8.5)));
          out[b * 18 + 2 + j] = x0 | (x1 << 4);
        }
      }
      return out;
    case GgmlType.Q4_1:
    case GgmlType.Q5_0:
    case GgmlType.Q5_1:
      quantizeLegacy(type, src, out);
      return out;
    case GgmlType.Q4_K:
      return quantizeQ45K(src, 15);
    case GgmlType.Q5_K:
      return quantizeQ45K(src, 31);
    case GgmlType.Q6_K:
      return quantizeQ6K(src);
    default:
      throw new Error(`cannot quantize to ${ggmlTypeName(type)}`);
  }
}

/** Decodes `elems` elements of `type` from `bytes` into f32. */
export function dequantize(type: GgmlType, bytes: Uint8Array, elems: number): Float32Array {
  const need = tensorBytes(type, elems);
  if (bytes.byteLength < need) throw new Error(`${ggmlTypeName(type)} data has ${bytes.byteLength} bytes, ${need} needed`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(elems);
  switch (type) {
    case GgmlType.F32:
      for (let i = 0; i < elems; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    case GgmlType.F16:
      for (let i = 0; i < elems; i++) out[i] = f16BitsToF32(view.getUint16(2 * i, true));
      return out;
    case GgmlType.BF16:
      for (let i = 0; i < elems; i++) out[i] = bf16BitsToF32(view.getUint16(2 * i, true));
      return out;
    case GgmlType.Q8_0:
      for (let b = 0; b < elems / 32; b++) {
        const d = f16BitsToF32(view.getUint16(b * 34, true));
        for (let j = 0; j < 32; j++) out[b * 32 + j] = d * view.getInt8(b * 34 + 2 + j);
      }
      return out;
    case GgmlType.Q4_0:
      for (let b = 0; b < elems / 32; b++) {
        const d = f16BitsToF32(view.getUint16(b * 18, true));
        for (let j = 0; j < 16; j++) {
          const q = bytes[b * 18 + 2 + j];
          out[b * 32 + j] = d * ((q & 0x0f) - 8);
          out[b * 32 + 16 + j] = d * ((q >>> 4) - 8);
        }
      }
      return out;
    case GgmlType.Q4_1:
    case GgmlType.Q5_0:
    case GgmlType.Q5_1:
      dequantizeLegacy(type, bytes, out);
      return out;
    case GgmlType.Q4_K:
      return dequantizeQ45K(bytes, elems, 15);
    case GgmlType.Q5_K:
      return dequantizeQ45K(bytes, elems, 31);
    case GgmlType.Q6_K:
      return dequantizeQ6K(bytes, elems);
    default:
      throw new Error(`cannot dequantize ${ggmlTypeName(type)}`);
  }
}

/**
 * Q4_1, Q5_0, Q5_1: blocks of 32 elements; element j (0..15) sits in the low nibble of qs[j] and element
 * j + 16 in its high nibble; Q5 types keep the fifth bit of element i in bit i of a u32 qh.
 *   Q4_1, 20 bytes: d f16 @0, m f16 @2, qs[16] @4;           x = d * q + m,   q in 0..15
 *   Q5_0, 22 bytes: d f16 @0, qh u32 @2, qs[16] @6;          x = d * (q - 16), q in 0..31
 *   Q5_1, 24 bytes: d f16 @0, m f16 @2, qh u32 @4, qs[16] @8; x = d * q + m,   q in 0..31
 */
const LEGACY = {
  [GgmlType.Q4_1]: { bytes: 20, qh: -1, qs: 4, nmax: 15, min: true },
  [GgmlType.Q5_0]: { bytes: 22, qh: 2, qs: 6, nmax: 31, min: false },
  [GgmlType.Q5_1]: { bytes: 24, qh: 4, qs: 8, nmax: 31, min: true },
} as const;

/** Our encoder: with a min, d spans min..max; without, the value of largest magnitude takes q = 0 (-16 d). */
function quantizeLegacy(type: keyof typeof LEGACY, src: Float32Array, out: Uint8Array): void {
  const L = LEGACY[type];
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let b = 0; b < src.length / 32; b++) {
    const x = src.subarray(b * 32, b * 32 + 32);
    const p = b * L.bytes;
    let lo = Infinity;
    let hi = -Infinity;
    let vmax = 0; // value of largest magnitude
    for (const v of x) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      if (Math.abs(v) > Math.abs(vmax)) vmax = v;
    }
    const dBits = f32ToF16Bits(L.min ? (hi - lo) / L.nmax : vmax / -16);
    const d = f16BitsToF32(dBits);
    const mBits = f32ToF16Bits(lo);
    const base = L.min ? f16BitsToF32(mBits) : -16 * d; // the value q = 0 decodes to
    view.setUint16(p, dBits, true);
    if (L.min) view.setUint16(p + 2, mBits, true);
    let qh = 0;
    for (let j = 0; j < 32; j++) {
      const q = d !== 0 ? Math.min(L.nmax, Math.max(0, Math.round((x[j] - base) / d))) : L.min ? 0 : 16;
      out[p + L.qs + (j & 15)] |= (q & 15) << (j < 16 ? 0 : 4);
      qh |= (q >> 4) << j;
    }
    if (L.qh >= 0) view.setUint32(p + L.qh, qh >>> 0, true);
  }
}

function dequantizeLegacy(type: keyof typeof LEGACY, bytes: Uint8Array, out: Float32Array): void {
  const L = LEGACY[type];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < out.length / 32; b++) {
    const p = b * L.bytes;
    const d = f16BitsToF32(view.getUint16(p, true));
    const m = L.min ? f16BitsToF32(view.getUint16(p + 2, true)) : 0;
    const qh = L.qh >= 0 ? view.getUint32(p + L.qh, true) : 0;
    for (let j = 0; j < 32; j++) {
      const q = ((bytes[p + L.qs + (j & 15)] >> (j < 16 ? 0 : 4)) & 15) | (((qh >>> j) & 1) << 4);
      out[b * 32 + j] = L.min ? d * q + m : d * (q - 16);
    }
  }
}
