/**
 * CPU twin of shaders/rope_kv.wgsl: with norms, cpu_ops.ts rmsNorm per head of q and of k first; then
 * rope.cpu.ts on q and on k, then kv_write.cpu.ts with the rotated k.
 */
import { rmsNorm, type RopeOptions } from '../reference/cpu_ops.ts';
import { kvWriteCpu, type PagedTokens } from './kv_write.cpu.ts';
import { ropeCpu } from './rope.cpu.ts';

/** Per-head RMSNorm weights of q and k ([hd] each) and eps. */
export interface QkNormCpu {
  q: Float32Array;
  k: Float32Array;
  eps: number;
}

/** q rotated ([m][heads][hd]) and copies of the caches with the rotated k and v written at their slots. */
export function ropeKvCpu(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  kCache: Float32Array,
  vCache: Float32Array,
  g: PagedTokens,
  s: { m: number; heads: number; kvHeads: number; hd: number; f32?: boolean },
  o: RopeOptions,
  norm?: QkNormCpu,
): { q: Float32Array; kCache: Float32Array; vCache: Float32Array } {
  const [qn, kn] = norm ? [rmsNorm(q, norm.q, norm.eps, s.hd), rmsNorm(k, norm.k, norm.eps, s.hd)] : [q, k];
  const kr = ropeCpu(kn, g.pos, s.m, s.kvHeads, s.hd, o);
  return { q: ropeCpu(qn, g.pos, s.m, s.heads, s.hd, o), ...kvWriteCpu(kr, v, kCache, vCache, g, s.m, s.kvHeads * s.hd, s.f32) };
}
