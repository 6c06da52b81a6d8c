/** CPU twin of shaders/rope.wgsl: the reference `rope` (f64 angles) applied to each token at its position. */
import { rope, type RopeOptions } from '../reference/cpu_ops.ts';

/** Returns a rotated copy of x ([m][heads][hd]). */
export function ropeCpu(x: Float32Array, pos: Uint32Array, m: number, heads: number, hd: number, o: RopeOptions): Float32Array {
  const y = x.slice(0, m * heads * hd);
  for (let t = 0; t < m; t++) rope(y.subarray(t * heads * hd, (t + 1) * heads * hd), hd, pos[t], o);
  return y;
}
