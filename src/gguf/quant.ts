/**
 * CPU conversions between f32 and the GGUF weight types tabserve writes and reads:
 * F16, BF16, Q8_0 and Q4_0. These follow ggml's reference (non-SIMD) routines so that a file we
 * quantize is read by llama.cpp exactly as we read it back, and they are the CPU twins the GPU
 * dequantizing kernels are checked against.
 */
import { GgmlType, ggmlTypeName, tensorBytes } from './ggml.ts';

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** f32 -> IEEE half bits, round to nearest even (overflow to inf, underflow through subnormals). */
export function f32ToF16Bits(v: number): number {
  scratchF32[0] = v;
  const x = scratchU32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15; // rebiased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000; // make the implicit bit explicit
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // a carry into the exponent is correct
  return sign | half;
}

let f16Table: Float32Array | undefined;
/** IEEE half bits -> f32 (table of all 65536 values, built on first use). */
export function f16BitsToF32(h: number): number {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) {
      const s = i & 0x8000 ? -1 : 1;
      const e = (i >>> 10) & 0x1f;
      const m = i & 0x3ff;
      f16Table[i] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
    }
  }
  return f16Table[h & 0xffff];
}

/** f32 -> bfloat16 bits, round to nearest even (as ggml_compute_fp32_to_bf16). */
export function f32ToBf16Bits(v: number): number {
  scratchF32[0] = v;
  const u = scratchU32[0];
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 64) & 0xffff; // quiet NaN
  return ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16) & 0xffff;
}

export function bf16BitsToF32(b: number): number {
  scratchU32[0] = (b & 0xffff) << 16;
  return scratchF32[0];
}

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
    default:
      throw new Error(`cannot dequantize ${ggmlTypeName(type)}`);
  }
}
