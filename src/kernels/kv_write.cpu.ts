/** CPU twin of shaders/kv_write.wgsl: scatters k and v rows into copies of the paged caches. */

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
): { kCache: Float32Array; vCache: Float32Array } {
  const kc = kCache.slice();
  const vc = vCache.slice();
  for (let t = 0; t < m; t++) {
    const dst = cacheRow(g, g.seqRow[t], g.pos[t], width);
    kc.set(k.subarray(t * width, (t + 1) * width), dst);
    vc.set(v.subarray(t * width, (t + 1) * width), dst);
  }
  return { kCache: kc, vCache: vc };
}
