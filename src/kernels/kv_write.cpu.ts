/** The KV cache write of shaders/rope_kv.wgsl on the CPU (rope_kv.cpu.ts): k and v rows scattered, rounded to f16 (or as f32), into copies of the paged caches. */
import { f16BitsToF32, f32ToF16Bits } from '../gguf/half.ts';

/** The KV cache's element type: `a` rounded to f16 (nearest even), as bits (to upload) and as values. */
export function toF16(a: Float32Array): { bits: Uint16Array; values: Float32Array } {
  const bits = Uint16Array.from(a, f32ToF16Bits);
  return { bits, values: Float32Array.from(bits, f16BitsToF32) };
}

export interface PagedTokens {
  pageTable: Uint32Array; // [rows][maxPages]
  seqRow: Uint32Array; // [m]
  pos: Uint32Array; // [m]
  pageSize: number;
  maxPages: number;
}

/** Element offset of the row (all kv heads) of position `p` of page-table row `row` in a [nPages][pageSize][width] cache. */
export function cacheRow(g: PagedTokens, row: number, p: number, width: number): number {
  const page = g.pageTable[row * g.maxPages + Math.floor(p / g.pageSize)];
  return (page * g.pageSize + (p % g.pageSize)) * width;
}

export function kvWriteCpu(
  k: Float32Array,
  v: Float32Array,
  kCache: Float32Array,
  vCache: Float32Array,
  g: PagedTokens,
  m: number,
  width: number,
  f32 = false, // the caches hold f32 (else f16)
): { kCache: Float32Array; vCache: Float32Array } {
  const kc = kCache.slice();
  const vc = vCache.slice();
  const stored = (a: Float32Array) => (f32 ? a : toF16(a).values);
  for (let t = 0; t < m; t++) {
    const dst = cacheRow(g, g.seqRow[t], g.pos[t], width);
    kc.set(stored(k.subarray(t * width, (t + 1) * width)), dst);
    vc.set(stored(v.subarray(t * width, (t + 1) * width)), dst);
  }
  return { kCache: kc, vCache: vc };
}
