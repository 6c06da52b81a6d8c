/**
 * CPU twin of the split decode attention (shaders/attention_split.wgsl, then attention_merge.wgsl): each
 * split of SPLIT_KEYS keys' softmax share (max, sum of weights, weighted sum of values), then their merge.
 * f32 storage as on the GPU, f64 arithmetic.
 */
import { SPLIT_KEYS } from './attention_split.ts';
import type { AttentionShape } from './attention.cpu.ts';
import { cacheRow, type PagedTokens } from './kv_write.cpu.ts';

export interface SplitParts {
  partO: Float32Array; // [m][nHead][splits][hd]
  partMl: Float32Array; // [m][nHead][splits][2]: max score, sum of exp(score - max)
}

/** Keys first .. pos[t] that token t sees, and how many splits they make. */
function visibleKeys(pos: number, window?: number): { first: number; count: number; used: number } {
  const first = window ? Math.max(0, pos + 1 - window) : 0;
  const count = pos + 1 - first;
  return { first, count, used: Math.ceil(count / SPLIT_KEYS) };
}

export function attentionSplitCpu(q: Float32Array, kCache: Float32Array, vCache: Float32Array, g: PagedTokens, a: AttentionShape, splits: number): SplitParts {
  const { m, nHead, nKvHead, hd, scale } = a;
  const cap = a.softcap ?? 0;
  const width = nKvHead * hd;
  const partO = new Float32Array(m * nHead * splits * hd);
  const partMl = new Float32Array(m * nHead * splits * 2);
  for (let t = 0; t < m; t++) {
    const { first, count, used } = visibleKeys(g.pos[t], a.window);
    for (let h = 0; h < nHead; h++) {
      const kvh = Math.floor(h / (nHead / nKvHead));
      const qo = (t * nHead + h) * hd;
      for (let s = 0; s < used; s++) {
        const keys = Array.from({ length: Math.min(SPLIT_KEYS, count - s * SPLIT_KEYS) }, (_, i) => cacheRow(g, g.seqRow[t], first + s * SPLIT_KEYS + i, width) + kvh * hd);
        const sc = keys.map((r) => {
          let dot = 0;
          for (let d = 0; d < hd; d++) dot += q[qo + d] * kCache[r + d];
          return cap > 0 ? cap * Math.tanh(Math.max(-15, Math.min(15, (dot * scale) / cap))) : dot * scale;
        });
        const mx = Math.max(...sc);
        const w = sc.map((x) => Math.exp(x - mx));
        const at = (t * nHead + h) * splits + s;
        partMl[at * 2] = mx;
        partMl[at * 2 + 1] = w.reduce((x, y) => x + y, 0);
        for (let d = 0; d < hd; d++) partO[at * hd + d] = keys.reduce((acc, r, i) => acc + w[i] * vCache[r + d], 0);
      }
    }
  }
  return { partO, partMl };
}

export function attentionMergeCpu(p: SplitParts, pos: Uint32Array, a: AttentionShape, splits: number): Float32Array {
  const { m, nHead, hd } = a;
  const out = new Float32Array(m * nHead * hd);
  for (let t = 0; t < m; t++) {
    const { used } = visibleKeys(pos[t], a.window);
    for (let h = 0; h < nHead; h++) {
      const base = (t * nHead + h) * splits;
      const mxs = Array.from({ length: used }, (_, s) => p.partMl[(base + s) * 2]);
      const big = Math.max(...mxs);
      const f = mxs.map((x) => Math.exp(x - big));
      const den = f.reduce((acc, x, s) => acc + x * p.partMl[(base + s) * 2 + 1], 0);
      for (let d = 0; d < hd; d++) out[(t * nHead + h) * hd + d] = f.reduce((acc, x, s) => acc + x * p.partO[(base + s) * hd + d], 0) / den;
    }
  }
  return out;
}
