/**
 * CPU twin of shaders/topk.wgsl. Adjustments in f32 as the kernel (each operation correctly rounded:
 * an f64 result of two f32 operands rounded to f32), an exact top k by (logit descending, lower id;
 * -0 = +0), and the log-sum-exps in f64.
 */
import type { TopkAdj, TopkRow } from './topk.ts';

/** Applies the adjustments to a copy of logits, as PASS 0 does in place. */
export function topkAdjustCpu(logits: Float32Array, adj: readonly TopkAdj[], rows: number, V: number): Float32Array {
  const out = logits.slice(0, rows * V);
  for (const a of adj) {
    if (a.row >= rows || a.id >= V) continue;
    const at = a.row * V + a.id;
    const l = out[at];
    const r = Math.fround(a.r);
    const scaled = Math.fround(l > 0 ? l / r : l * r);
    out[at] = scaled - Math.fround(a.sub);
  }
  return out;
}

export function topkCpu(logits: Float32Array, adj: readonly TopkAdj[], rows: number, V: number, k: number, invTemp: number): { adjusted: Float32Array; rows: TopkRow[] } {
  const adjusted = topkAdjustCpu(logits, adj, rows, V);
  const it = Math.fround(invTemp); // the kernel sees the f32 value
  const result: TopkRow[] = [];
  for (let r = 0; r < rows; r++) {
    const l = adjusted.subarray(r * V, (r + 1) * V);
    const ids = topIds(l, k);
    let max = -Infinity;
    for (const x of l) if (x > max) max = x;
    let s1 = 0;
    let sT = 0;
    if (max > -Infinity) {
      for (const x of l) {
        s1 += Math.exp(x - max);
        sT += Math.exp((x - max) * it);
      }
    }
    const lseT = max > -Infinity ? max * it + Math.log(sT) : -Infinity;
    result.push({
      max,
      lse1: max > -Infinity ? max + Math.log(s1) : -Infinity,
      lseT,
      drawn: 0,
      drawnLogit: lseT, // the same word (topk.ts): nothing drawn here
      ids: Int32Array.from({ length: k }, (_, i) => (i < ids.length ? ids[i] : -1)),
      logits: Float32Array.from({ length: k }, (_, i) => (i < ids.length ? l[ids[i]] : -Infinity)),
    });
  }
  return { adjusted, rows: result };
}

/** The ids of the k largest of l, largest first, ties to the lower id (+0 and -0 tie). */
function topIds(l: Float32Array, k: number): number[] {
  // insertion into the sorted best k: most logits lose to the k-th at once
  const best: number[] = []; // sorted, at most k
  const ranksBefore = (a: number, b: number) => l[a] > l[b] || (l[a] === l[b] && a < b);
  for (let i = 0; i < l.length; i++) {
    if (best.length === k && !ranksBefore(i, best[k - 1])) continue;
    let at = best.length === k ? k - 1 : best.length;
    while (at > 0 && ranksBefore(i, best[at - 1])) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}
