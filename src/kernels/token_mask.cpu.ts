/** CPU twin of shaders/token_mask.wgsl: a copy of logits [rows][V] with disallowed ids set to -inf. */

export function tokenMaskCpu(logits: Float32Array, mask: Uint32Array, rows: number, V: number, words: number): Float32Array {
  const out = logits.slice(0, rows * V);
  for (let r = 0; r < rows; r++) {
    for (let id = 0; id < V; id++) {
      const w = id >>> 5;
      const allowed = w < words && ((mask[r * words + w] >>> (id & 31)) & 1) === 1;
      if (!allowed) out[r * V + id] = -Infinity;
    }
  }
  return out;
}
