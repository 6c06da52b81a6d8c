/**
 * CPU twin of shaders/attention.wgsl: plain causal attention (f64 accumulation) reading keys and values
 * through the same page table, and for the checks the size rounding error in each output grows with.
 */
import { cacheRow, type PagedTokens } from './kv_write.cpu.ts';

export interface AttentionShape {
  m: number;
  nHead: number;
  nKvHead: number;
  hd: number;
  scale: number;
  softcap?: number; // scores s -> softcap * tanh(s / softcap); 0 or absent: none
  window?: number; // a query sees its last `window` keys; 0 or absent: all
}

/**
 * out[t, h, :] = sum_j w_j V[j] / sum_j w_j with w_j = exp(s_j - max s), s_j = cap(scale * q . K[j]) over
 * first <= j <= pos[t] (first = pos[t] + 1 - window for a sliding window), cap(s) = c tanh(s / c) for softcap c.
 * errScale[t, h, d] = sum_j w_j (|V[j, d]| + (1 + S_j + |s_j - max s|) |V[j, d] - out[d]|) / sum_j w_j, where
 * S_j = scale * sum |q K[j]|: f32 rounding of a score moves it by ~eps S_j (and exp's error grows with
 * |s_j - max|), which moves the output by w_j (V[j] - out) per unit of score.
 */
export function attentionRef(q: Float32Array, kCache: Float32Array, vCache: Float32Array, g: PagedTokens, a: AttentionShape): { out: Float32Array; errScale: Float32Array } {
  const { m, nHead, nKvHead, hd, scale } = a;
  const cap = a.softcap ?? 0;
  const width = nKvHead * hd;
  const out = new Float32Array(m * nHead * hd);
  const errScale = new Float32Array(m * nHead * hd);
  for (let t = 0; t < m; t++) {
    const first = a.window ? Math.max(0, g.pos[t] + 1 - a.window) : 0;
    const nKeys = g.pos[t] + 1 - first; // keys first .. pos[t], indexed from 0 below
    const rows = Array.from({ length: nKeys }, (_, j) => cacheRow(g, g.seqRow[t], first + j, width));
    for (let h = 0; h < nHead; h++) {
      const kvh = Math.floor(h / (nHead / nKvHead));
      const qo = (t * nHead + h) * hd;
      const s = new Float64Array(nKeys);
      const sAbs = new Float64Array(nKeys);
      let max = -Infinity;
      for (let j = 0; j < nKeys; j++) {
        const r = rows[j] + kvh * hd;
        let dot = 0;
        let abs = 0;
        for (let d = 0; d < hd; d++) {
          dot += q[qo + d] * kCache[r + d];
          abs += Math.abs(q[qo + d] * kCache[r + d]);
        }
        s[j] = cap > 0 ? cap * Math.tanh((dot * scale) / cap) : dot * scale;
        sAbs[j] = abs * Math.abs(scale);
        max = Math.max(max, s[j]);
      }
      const w = s.map((x) => Math.exp(x - max));
      const sum = w.reduce((x, y) => x + y, 0);
      for (let d = 0; d < hd; d++) {
        let acc = 0;
        for (let j = 0; j < nKeys; j++) acc += w[j] * vCache[rows[j] + kvh * hd + d];
        const o = acc / sum;
        let e = 0;
        for (let j = 0; j < nKeys; j++) {
          const v = vCache[rows[j] + kvh * hd + d];
          e += w[j] * (Math.abs(v) + (1 + sAbs[j] + Math.abs(s[j] - max)) * Math.abs(v - o));
        }
        out[qo + d] = o;
        errScale[qo + d] = e / sum;
      }
    }
  }
  return { out, errScale };
}

export function attentionCpu(q: Float32Array, kCache: Float32Array, vCache: Float32Array, g: PagedTokens, a: AttentionShape): Float32Array {
  return attentionRef(q, kCache, vCache, g, a).out;
}
