/**
 * GPU-only row layouts, rearranged at upload so that the kernels read whole 16-byte words. A GGUF row of
 * Q8_0 / Q4_0 is blocks of [f16 scale][payload] (34 or 18 bytes), so every other block's payload starts 2
 * bytes off a word; a Q6_K row is super-blocks of [ql 128][qh 64][16 int8 scales][f16 d] (210 bytes), so
 * every other one starts 2 bytes off. A repacked row holds each field of all its blocks together, field after
 * field, each field's run padded to 16 bytes:
 *   Q8_0_R, Q4_0_R: [d_0 .. d_{nb-1} (f16), padding][qs_0][qs_1] .. [qs_{nb-1}]   (qs: 32 int8 / 16 bytes of nibbles)
 *   Q6_K_R:         [d_0 .. d_{nb-1} (f16), padding][scales_0 .. scales_{nb-1} (16 int8 each)][ql_0 qh_0] .. [ql_{nb-1} qh_{nb-1}]
 * so every payload starts on a 16-byte boundary, and rows are 16-byte multiples too (a row of a part starts
 * on one). The values are the same bytes; the CPU twins and llama.cpp read the GGUF layout, so a test of a
 * kernel on repacked rows checks the repacking as well.
 */
import { GgmlType, ggmlTypeName, tensorBytes } from '../gguf/ggml.ts';

/** Type ids of repacked rows (not GGML ids: the kernels' WTYPE), by the GGML type they hold. */
export const Q8_0_R = 1008;
export const Q4_0_R = 1002;
export const Q6_K_R = 1014;
export type RepackedType = typeof Q8_0_R | typeof Q4_0_R | typeof Q6_K_R;
/** What a kernel reads: a GGML type as stored in the file, or a repacked one. */
export type WeightType = GgmlType | RepackedType;

/** A repacked type's source blocks: elements per block, and its fields (byte ranges of a file block) in the row's order. */
interface Layout {
  source: GgmlType;
  elems: number;
  fields: readonly { at: number; bytes: number }[];
}
const LAYOUT: Record<RepackedType, Layout> = {
  [Q8_0_R]: { source: GgmlType.Q8_0, elems: 32, fields: [{ at: 0, bytes: 2 }, { at: 2, bytes: 32 }] },
  [Q4_0_R]: { source: GgmlType.Q4_0, elems: 32, fields: [{ at: 0, bytes: 2 }, { at: 2, bytes: 16 }] },
  [Q6_K_R]: { source: GgmlType.Q6_K, elems: 256, fields: [{ at: 208, bytes: 2 }, { at: 192, bytes: 16 }, { at: 0, bytes: 192 }] },
};
const FROM: Partial<Record<GgmlType, RepackedType>> = { [GgmlType.Q8_0]: Q8_0_R, [GgmlType.Q4_0]: Q4_0_R, [GgmlType.Q6_K]: Q6_K_R };

const pad16 = (n: number) => Math.ceil(n / 16) * 16;

export function isRepacked(t: WeightType): t is RepackedType {
  return t in LAYOUT;
}

/** The repacked type a matrix of GGML type `t` is uploaded as, if any. */
export function repackedType(t: GgmlType): RepackedType | undefined {
  return FROM[t];
}

/** The GGML type whose values a weight type holds (itself, or what was repacked). */
export function sourceType(t: WeightType): GgmlType {
  return isRepacked(t) ? LAYOUT[t].source : t;
}

/** GGUF rows as a weight type wants them on the GPU: repacked, or the same bytes. */
export function gpuRows(t: WeightType, src: Uint8Array, k: number, rows: number): Uint8Array {
  return isRepacked(t) ? repackRows(t, src, k, rows) : src;
}

/** Where each field's run starts in a repacked row of nb blocks, and the row's bytes. */
function fieldRuns(t: RepackedType, nb: number): { starts: number[]; bytes: number } {
  const starts: number[] = [];
  let at = 0;
  for (const f of LAYOUT[t].fields) {
    starts.push(at);
    at += pad16(f.bytes * nb);
  }
  return { starts, bytes: at };
}

/** Blocks in a row of k elements of a repacked type (throws on a partial block). */
function blocksOf(t: RepackedType, k: number): number {
  const { elems } = LAYOUT[t];
  if (k % elems !== 0) throw new Error(`${k} elements is not a multiple of the block size ${elems}`);
  return k / elems;
}

/** Bytes of one row of `k` elements on the GPU. */
export function weightRowBytes(t: WeightType, k: number): number {
  return isRepacked(t) ? fieldRuns(t, blocksOf(t, k)).bytes : tensorBytes(t, k);
}

export function weightTypeName(t: WeightType): string {
  return isRepacked(t) ? `${ggmlTypeName(LAYOUT[t].source)} (repacked rows)` : ggmlTypeName(t);
}

/** `rows` GGUF rows of `k` elements (bytes of type sourceType(t)) -> the same rows repacked as `t`. */
export function repackRows(t: RepackedType, src: Uint8Array, k: number, rows: number): Uint8Array {
  const nb = blocksOf(t, k);
  const { fields } = LAYOUT[t];
  const block = fields.reduce((n, f) => n + f.bytes, 0);
  const inRow = nb * block;
  const { starts, bytes: outRow } = fieldRuns(t, nb);
  if (src.length < rows * inRow) throw new Error(`repack: ${src.length} bytes hold fewer than ${rows} rows of ${inRow}`);
  const out = new Uint8Array(rows * outRow);
  // blocks and fields are all 2-byte multiples: copy 16-bit words (plain loops: cheaper than a subarray and
  // set() per field, and this runs on every repacked byte at load)
  const s16 = src.byteOffset % 2 === 0 ? new Uint16Array(src.buffer, src.byteOffset, (rows * inRow) / 2) : new Uint16Array(src.slice(0, rows * inRow).buffer);
  const o16 = new Uint16Array(out.buffer);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < fields.length; f++) {
      const words = fields[f].bytes / 2;
      let i = (r * inRow + fields[f].at) / 2; // the field in the file's next block
      let o = (r * outRow + starts[f]) / 2; // its place in the field's run
      for (let b = 0; b < nb; b++, i += block / 2) {
        for (let j = 0; j < words; j++) o16[o++] = s16[i + j];
      }
    }
  }
  return out;
}
