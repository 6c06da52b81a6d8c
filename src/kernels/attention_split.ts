/**
 * Decode attention split across workgroups (flash-decoding): shaders/attention_split.wgsl computes each
 * split of 128 keys' share of the softmax for all query heads of a kv head, shaders/attention_merge.wgsl
 * combines the splits. For the few tokens of a decode step this spreads the keys over many workgroups and
 * reads each key and value once per kv head (not once per query head), as vec4s. Tokens go in groups of
 * what the scratch holds, one split and one merge dispatch per group. CPU twin: attention_split.cpu.ts.
 */
import SPLIT_WGSL from '../../shaders/attention_split.wgsl?raw';
import MERGE_WGSL from '../../shaders/attention_merge.wgsl?raw';
import { PipelineCache } from './pipelines.ts';
import { dispatchSize, workgroupSize, type Binding, type Recorder } from './runtime.ts';
import type { AttentionArgs } from './attention.ts';
import { Q8_BLOCK_WGSL, q8StandIn, type Q8Out } from './quantize_q8.ts';

/** Keys per split (C in both shaders). */
export const SPLIT_KEYS = 128;
/** Most query heads per kv head (MAX_G in attention_split.wgsl). */
export const SPLIT_MAX_GROUP = 8;

export interface SplitAttentionArgs extends AttentionArgs {
  splits: number; // splits per (token, head): at least ceil(visible keys / SPLIT_KEYS) of every token
  groupTokens: number; // tokens per dispatch pair: what the scratch holds (the m tokens go in groups of these)
  partO: Binding; // scratch, [groupTokens][nHead][splits][hd] f32
  partMl: Binding; // scratch, [groupTokens][nHead][splits][2] f32
  q8?: Q8Out; // the output quantized too (hd a multiple of 32), for the output projection's integer dots
  mergePairs?: number; // (token, head) pairs per merge workgroup (PAIRS); default: the kernel's choice for the adapter
}

/** The shaders' code; tests replace it to prove a broken kernel is caught. */
export interface SplitAttentionCode {
  split: string;
  merge: string;
}

export class SplitAttentionKernel {
  private readonly split: PipelineCache;
  private readonly merge: PipelineCache;
  private readonly wg: number;
  private readonly standIn: Q8Out; // bound when the output is not quantized
  private readonly mergePairs: number;

  /**
   * `cpuAdapter`: on a software adapter (lavapipe, SwiftShader) each merge workgroup takes 8 (token, head)
   * pairs, since there a workgroup's setup costs more than merging one head (smollm2-shaped prefill chunks:
   * the merge 4.0 -> 1.6 ms per layer); on a GPU one pair, for the parallelism.
   */
  constructor(
    private readonly device: GPUDevice,
    code: SplitAttentionCode = { split: SPLIT_WGSL, merge: Q8_BLOCK_WGSL + MERGE_WGSL },
    o: { cpuAdapter?: boolean } = {},
  ) {
    this.split = new PipelineCache(device, 'attention_split', code.split);
    this.merge = new PipelineCache(device, 'attention_merge', code.merge);
    this.wg = workgroupSize(device, 64);
    this.standIn = q8StandIn(device, 'attention_merge');
    this.mergePairs = o.cpuAdapter ? 8 : 1;
  }

  /** Whether the kernel takes this head layout (else attention.wgsl does). */
  supports(nHead: number, nKvHead: number, hd: number): boolean {
    return nKvHead >= 1 && nHead % nKvHead === 0 && nHead / nKvHead <= SPLIT_MAX_GROUP && hd % 4 === 0 && hd >= 4 && hd <= 4 * this.wg;
  }

  /** Splits for a batch whose tokens see at most `keys` keys. */
  static splitsFor(keys: number): number {
    return Math.max(1, Math.ceil(keys / SPLIT_KEYS));
  }

  encode(rec: Recorder, a: SplitAttentionArgs): void {
    if (!this.supports(a.nHead, a.nKvHead, a.hd)) throw new Error(`split attention: ${a.nHead}/${a.nKvHead} heads of ${a.hd} are not supported`);
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (a.splits > max) throw new Error(`split attention: ${a.splits} splits`);
    const group = Math.min(a.groupTokens, max);
    if (!(group >= 1)) throw new Error(`split attention: ${a.groupTokens} tokens per dispatch`);
    if (a.q8 && a.hd % 32 !== 0) throw new Error(`split attention: heads of ${a.hd} cannot be quantized in 32-element blocks`);
    const pairs = a.mergePairs ?? this.mergePairs;
    if (!(Number.isInteger(pairs) && pairs >= 1)) throw new Error(`split attention: ${a.mergePairs} pairs per merge workgroup`);
    const q8 = a.q8 ?? this.standIn;
    const inputs = [a.q, a.kCache, a.vCache, a.pageTable, a.seqRow, a.pos];
    // every token's result is the same whichever group it falls in: nothing is shared between tokens
    for (let t0 = 0; t0 < a.m; t0 += group) {
      const m = Math.min(group, a.m - t0);
      const words = new ArrayBuffer(48);
      new Uint32Array(words, 0, 6).set([m, a.nHead, a.nKvHead, a.hd, a.pageSize, a.maxPages]);
      new Float32Array(words, 24, 2).set([a.scale, a.softcap ?? 0]);
      new Uint32Array(words, 32, 3).set([a.window ?? 0, a.splits, t0]);
      this.split.dispatch(rec, { WG: this.wg, G: a.nHead / a.nKvHead, KV_F16: a.kvF32 ? 0 : 1 }, words, [...inputs, a.partO, a.partMl], [a.splits, a.nKvHead, m]);
      const mergeWords = new Uint32Array([m, a.nHead, a.hd, a.window ?? 0, a.splits, t0, 0, 0]);
      const mergeBindings = [a.partO, a.partMl, a.pos, a.out, q8.xq, q8.xd];
      const mergeGroups = dispatchSize(this.device, Math.ceil((m * a.nHead) / pairs));
      this.merge.dispatch(rec, { WG: this.wg, QUANT: a.q8 ? 1 : 0, PAIRS: pairs }, mergeWords.buffer, mergeBindings, mergeGroups);
    }
  }
}
