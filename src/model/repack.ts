/**
 * GPU-only row layouts for Q8_0 and Q4_0 matrices, rearranged at upload so that the kernels read whole
 * 16-byte words. A GGUF row of these types is blocks of [f16 scale][payload] (34 or 18 bytes), so every
 * other block's payload starts 2 bytes off a word. A repacked row is the row's scales first, padded to 16
 * bytes, then the payloads back to back, each 16-byte aligned (Q8_0: 32 int8, Q4_0: 16 bytes of nibbles):
 *   [d_0 .. d_{nb-1} (f16), zero padding to 16 bytes][qs_0][qs_1] .. [qs_{nb-1}]
 * Rows are 16-byte multiples too, so a row of a part starts on a 16-byte boundary. The values are the same
 * bytes; the CPU twins and llama.cpp read the GGUF layout, so a test of a kernel on repacked rows checks the
 * repacking as well.
 */
import { GgmlType, ggmlTypeName, tensorBytes } from '../gguf/ggml.ts';

/** Type ids of repacked rows (not GGML ids: the kernels' WTYPE), by the GGML type they hold. */
export const Q8_0_R = 1008;
export const Q4_0_R = 1002;
export type RepackedType = typeof Q8_0_R | typeof Q4_0_R;
/** What a kernel reads: a GGML type as stored in the file, or a repacked one. */
export type WeightType = GgmlType | RepackedType;

const PAYLOAD: Record<RepackedType, number> = { [Q8_0_R]: 32, [Q4_0_R]: 16 }; // bytes per block after the scale
const FROM: Partial<Record<GgmlType, RepackedType>> = { [GgmlType.Q8_0]: Q8_0_R, [GgmlType.Q4_0]: Q4_0_R };

const pad16 = (n: number) => Math.ceil(n / 16) * 16;

export function isRepacked(t: WeightType): t is RepackedType {
  return t === Q8_0_R || t === Q4_0_R;
}

/** The repacked type a matrix of GGML type `t` is uploaded as, if any. */
export function repackedType(t: GgmlType): RepackedType | undefined {
  return FROM[t];
}

/** The GGML type whose values a weight type holds (itself, or what was repacked). */
export function sourceType(t: WeightType): GgmlType {
  return t === Q8_0_R ? GgmlType.Q8_0 : t === Q4_0_R ? GgmlType.Q4_0 : t;
}

/** GGUF rows as a weight type wants them on the GPU: repacked, or the same bytes. */
export function gpuRows(t: WeightType, src: Uint8Array, k: number, rows: number): Uint8Array {
  return isRepacked(t) ? repackRows(t, src, k, rows) : src;
}

/** Bytes of one row of `k` elements on the GPU. */
export function weightRowBytes(t: WeightType, k: number): number {
  if (!isRepacked(t)) return tensorBytes(t, k);
  if (k % 32 !== 0) throw new Error(`${k} elements is not a multiple of the block size 32`);
  const nb = k / 32;
  return pad16(2 * nb) + PAYLOAD[t] * nb;
}

export function weightTypeName(t: WeightType): string {
  return isRepacked(t) ? `${t === Q8_0_R ? 'Q8_0' : 'Q4_0'} (repacked rows)` : ggmlTypeName(t);
}

/** `rows` GGUF rows of `k` elements (bytes of type repackedFrom(t)) -> the same rows repacked as `t`. */
export function repackRows(t: RepackedType, src: Uint8Array, k: number, rows: number): Uint8Array {
  const nb = k / 32;
  const payload = PAYLOAD[t];
  const block = 2 + payload;
  const inRow = nb * block;
  const outRow = weightRowBytes(t, k);
  const qsAt = pad16(2 * nb);
  if (src.length < rows * inRow) throw new Error(`repack: ${src.length} bytes hold fewer than ${rows} rows of ${inRow}`);
  const out = new Uint8Array(rows * outRow);
  // blocks, scales and payloads are all 2-byte multiples: copy 16-bit words (plain loops: cheaper than a
  // subarray and set() per block, and this runs on every Q8_0 / Q4_0 byte at load)
  const s16 = src.byteOffset % 2 === 0 ? new Uint16Array(src.buffer, src.byteOffset, (rows * inRow) / 2) : new Uint16Array(src.slice(0, rows * inRow).buffer);
  const o16 = new Uint16Array(out.buffer);
  const words = block / 2;
  for (let r = 0; r < rows; r++) {
    let i = (r * inRow) / 2; // next word of the file's row
    const o = (r * outRow) / 2;
    let q = o + qsAt / 2; // next payload word of the repacked row
    for (let b = 0; b < nb; b++) {
      o16[o + b] = s16[i];
      for (let j = 1; j < words; j++) o16[q++] = s16[i + j];
      i += words;
    }
  }
  return out;
}
