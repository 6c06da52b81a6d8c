/**
 * Causal attention through the paged KV cache (shaders/attention.wgsl), with grouped-query heads; the same
 * kernel serves prefill (m tokens of one or more sequences, whose K/V rope_kv has already stored) and
 * decode (one token per sequence). CPU twin: attention.cpu.ts.
 */
import ATTENTION_WGSL from '../../shaders/attention.wgsl?raw';
import { Kernel } from './pipelines.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';

/** Largest head dimension the kernel handles (MAX_HD in the shader). */
export const ATTENTION_MAX_HD = 256;

export interface AttentionArgs {
  q: Binding; // [m][nHead][hd] f32 (after RoPE)
  kCache: Binding; // [nPages][pageSize][nKvHead][hd] f16 (two per u32 word), or f32 with kvF32
  vCache: Binding; // [nPages][pageSize][nKvHead][hd] f16, or f32 with kvF32
  kvF32?: boolean; // the caches hold f32 (KvPoolShape.f32)
  pageTable: Binding; // u32 [rows][maxPages]: row r = the page table of one sequence, padded
  seqRow: Binding; // u32 [m]: the page-table row of token t
  pos: Binding; // u32 [m]: token t attends to keys 0..pos[t] of its own sequence
  out: Binding; // [m][nHead][hd] f32, may not alias q
  m: number; // tokens
  nHead: number;
  nKvHead: number; // divides nHead
  hd: number; // head dimension, 1..ATTENTION_MAX_HD
  pageSize: number; // tokens per page
  maxPages: number; // entries per page-table row
  scale: number; // 1/sqrt(hd) normally
  softcap?: number; // scores s -> softcap * tanh(s / softcap) (gemma2); 0 or absent: none
  window?: number; // sliding window: a query sees its last `window` keys (itself included); 0 or absent: all
}

export class AttentionKernel extends Kernel {
  constructor(device: GPUDevice, code: string = ATTENTION_WGSL) {
    super(device, 'attention', code, 64);
  }

  encode(rec: Recorder, a: AttentionArgs): void {
    if (!(a.hd >= 1 && a.hd <= ATTENTION_MAX_HD)) throw new Error(`attention: head dimension ${a.hd} is not within 1..${ATTENTION_MAX_HD}`);
    if (a.nKvHead < 1 || a.nHead % a.nKvHead !== 0) throw new Error(`attention: ${a.nHead} query heads are not a multiple of ${a.nKvHead} kv heads`);
    if (a.m === 0) return;
    const words = new ArrayBuffer(48);
    new Uint32Array(words, 0, 6).set([a.m, a.nHead, a.nKvHead, a.hd, a.pageSize, a.maxPages]);
    new Float32Array(words, 24, 2).set([a.scale, a.softcap ?? 0]);
    new Uint32Array(words, 32, 1)[0] = a.window ?? 0;
    this.pipelines.dispatch(rec, { WG: this.wg, KV_F16: a.kvF32 ? 0 : 1 }, words, [a.q, a.kCache, a.vCache, a.pageTable, a.seqRow, a.pos, a.out], dispatchSize(this.device, a.m * a.nHead));
  }
}
