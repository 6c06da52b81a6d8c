/** CPU twin of shaders/embedding.wgsl: y[t] = W[ids[t]] * scale (f32 products) for the ids in [rowLo, rowLo+rows), W decoded from its GGUF type. */
import type { GgmlType } from '../gguf/ggml.ts';
import { dequantize } from '../gguf/quant.ts';

/**
 * `w` holds table rows rowLo .. rowLo+rows-1 (no offset). Tokens whose id is outside that range keep
 * their value from `yInit` ([m][n]; zeros when absent).
 */
export function embeddingCpu(type: GgmlType, w: Uint8Array, ids: Uint32Array, m: number, n: number, rowLo: number, rows: number, yInit?: Float32Array, scale = 1): Float32Array {
  const table = dequantize(type, w, rows * n);
  const y = yInit ? yInit.slice(0, m * n) : new Float32Array(m * n);
  for (let t = 0; t < m; t++) {
    const r = ids[t] - rowLo;
    if (r < 0 || r >= rows) continue;
    for (let i = 0; i < n; i++) y[t * n + i] = Math.fround(table[r * n + i] * scale);
  }
  return y;
}
