/**
 * RoPE of q and k and the KV cache write of k and v in one dispatch (shaders/rope_kv.wgsl): q rotated in
 * place, k rotated on its way into the cache (k itself left as is), v copied; rounded to f16, or f32 where
 * the pool holds f32. The angles are rope.wgsl's (the same functions, shaders/rope_turns.wgsl). The forward's
 * only path for RoPE and the cache write: q, k and v are regions of one buffer. With `qkNorm`
 * (qwen3, gemma3) q and k are RMS-normalized per head first, as rms_norm.wgsl would, in the same dispatch.
 * CPU twin: rope_kv.cpu.ts.
 */
import ROPE_KV_WGSL from '../../shaders/rope_kv.wgsl?raw';
import ROPE_TURNS_WGSL from '../../shaders/rope_turns.wgsl?raw';
import type { RopeStyle } from '../model/hparams.ts';
import { Kernel } from './pipelines.ts';
import { TurnTables } from './rope.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';

export const ROPE_KV_CODE = ROPE_TURNS_WGSL + ROPE_KV_WGSL;

export interface RopeKvArgs {
  x: Binding; // f32: q [m][heads][hd] from element 0 (rotated in place), k and v [m][kvHeads][hd] from kAt and vAt
  kAt: number; // element of x where k starts (past q)
  vAt: number; // element of x where v starts (past k)
  m: number; // tokens
  heads: number; // q heads
  kvHeads: number; // k and v heads
  hd: number; // head dimension (even)
  nRot?: number; // leading dimensions of a head rotated: even, <= hd (default hd)
  base: number; // rope.freq_base
  scale?: number; // linear scaling (default 1)
  mscale?: number; // the rotated pairs multiplied by it (default 1)
  style: RopeStyle; // as RopeArgs.style
  freqFactors?: Binding; // as RopeArgs.freqFactors
  qkNorm?: QkNorm; // per-head RMSNorm of q and k before the rotation
  pos: Binding; // u32 [m]: position of token t in its sequence
  pageTable: Binding; // u32 [rows][maxPages]: row r = the page table of one sequence, padded
  seqRow: Binding; // u32 [m]: the page-table row of token t
  kCache: Binding; // [nPages][pageSize][kvHeads * hd] f16 (two per u32 word), or f32 with kvF32
  vCache: Binding;
  kvF32?: boolean; // the caches hold f32 (KvPoolShape.f32)
  pageSize: number; // tokens per page
  maxPages: number; // entries per page-table row
}

/** Per-head RMSNorm weights of q and k, read through the kernel's one spare binding. */
export interface QkNorm {
  w: Binding; // f32: q_norm [hd] from element `at`, k_norm [hd] right after; with freqFactors, the same binding
  at: number; // element of w where q_norm starts (past the factors when they share it)
  eps: number; // added to the mean square
}

/** Most q + k heads a token may have with qkNorm (the kernel's workgroup array of per-head factors). */
const MAX_NORM_HEADS = 256;

/** Why q and k heads of this shape cannot be normed in rope_kv on `device` (one workgroup a token), or undefined. */
export function qkNormProblem(device: GPUDevice, heads: number, kvHeads: number, hd: number): string | undefined {
  if (heads + kvHeads > MAX_NORM_HEADS) return `rope_kv: ${heads + kvHeads} q and k heads to normalize; at most ${MAX_NORM_HEADS}`;
  const { maxComputeWorkgroupSizeX: x, maxComputeInvocationsPerWorkgroup: inv } = device.limits;
  if (hd % 2 !== 0 || hd / 2 > Math.min(x, inv)) return `rope_kv: heads of ${hd} cannot be normalized in one workgroup of hd / 2 invocations (at most ${Math.min(x, inv)})`;
  return undefined;
}

export class RopeKvKernel extends Kernel {
  private readonly tables: TurnTables;

  constructor(device: GPUDevice, code: string = ROPE_KV_CODE) {
    super(device, 'rope_kv', code, 64);
    this.tables = new TurnTables(device);
  }

  encode(rec: Recorder, a: RopeKvArgs): void {
    const nRot = a.nRot ?? a.hd;
    if (a.hd % 2 !== 0) throw new Error(`rope_kv: head dimension ${a.hd} is not whole f16 pairs`);
    const turns = this.tables.get(nRot, a.hd, a.base, a.scale ?? 1, 'rope_kv');
    if (a.kAt < a.m * a.heads * a.hd || a.vAt < a.kAt + a.m * a.kvHeads * a.hd) throw new Error(`rope_kv: q, k and v overlap (k at ${a.kAt}, v at ${a.vAt})`);
    const n = a.qkNorm;
    if (n) {
      if (a.freqFactors && a.freqFactors !== n.w) throw new Error('rope_kv: the frequency factors and the q/k norms must share one binding');
      const problem = qkNormProblem(this.device, a.heads, a.kvHeads, a.hd);
      if (problem) throw new Error(problem);
    }
    const params = new Uint32Array([a.m, a.heads, a.kvHeads, a.hd, nRot, 0, a.kAt, a.vAt, a.pageSize, a.maxPages, 0, n?.at ?? 0]);
    const floats = new Float32Array(params.buffer);
    floats[5] = a.mscale ?? 1;
    floats[10] = n?.eps ?? 0;
    const wg = n ? a.hd / 2 : this.wg; // with qkNorm a workgroup is one token
    const constants = { WG: wg, STYLE: a.style === 'halves' ? 1 : 0, FACTORS: a.freqFactors ? 1 : 0, KV_F16: a.kvF32 ? 0 : 1, QK_NORM: n ? 1 : 0 };
    const groups = Math.ceil((a.m * a.hd) / 2 / wg);
    // without factors or norms the shader reads neither: any buffer fills the binding
    const buffers = [a.x, a.pos, turns, n?.w ?? a.freqFactors ?? turns, a.kCache, a.vCache, a.pageTable, a.seqRow];
    this.pipelines.dispatch(rec, constants, params.buffer, buffers, dispatchSize(this.device, groups));
  }

  /** Frees the turn tables (the kernel stays usable: they are rebuilt on demand). */
  destroy(): void {
    this.tables.destroy();
  }
}
