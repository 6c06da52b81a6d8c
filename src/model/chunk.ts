/** What one forward pass takes and gives (model/forward.ts). */
import type { PageCopy } from '../kv/pages.ts';
import type { DrawRow } from '../kernels/draw.ts';
import type { PickRow } from '../kernels/pick.ts';
import type { TopkAdj, TopkRow } from '../kernels/topk.ts';

/** One chunk: token t has id ids[t], position pos[t] in the sequence whose page table is tables[seqRow[t]]. */
export interface Chunk {
  ids: Uint32Array;
  pos: Uint32Array;
  seqRow: Uint32Array;
  tables: readonly (readonly number[])[];
  copies: readonly PageCopy[]; // copy-on-write page copies to do first
  logitRows: readonly number[]; // chunk rows whose logits are computed, in this order
  /**
   * Sampling prep on the GPU: read back only the top k of each logit row (after the adjustments), not the rows;
   * with `draws` ([logitRows.length], null for a row that does not), a row's token drawn from the whole row
   * too (kernels/draw.ts, TopkRow.drawn; invTemp > 0).
   */
  topk?: { k: number; invTemp: number; adj: readonly TopkAdj[]; masks?: TokenMasks; draws?: readonly (DrawRow | null)[] };
}

/** Grammar token masks of the logit rows, applied before topk: bits [logitRows.length][words] u32, 1 = allowed. */
export interface TokenMasks {
  words: number;
  bits: Uint32Array;
}

/**
 * A decode chunk's ids as picked on the GPU from the run before's top k: token t's id is what rows[t] picks
 * from `from`, that run's top-k output (topk.wgsl's layout, at k; kernels/pick.ts).
 */
export interface ChosenIds {
  from: GPUBuffer;
  k: number;
  rows: readonly PickRow[];
}

/** A submitted run: its result (read back when the GPU is done), and its top-k output buffer and k, if any. */
export interface Started {
  result: Promise<ForwardResult>;
  topkOut?: GPUBuffer;
  topkK?: number;
}

/** How the forward runs on its adapter. */
export interface ForwardOptions extends MatmulLayout {
  cpuAdapter?: boolean; // a software adapter (lavapipe, SwiftShader): matmuls with one invocation per row
  sleepBeforeRead?: boolean; // see OutBuffers.mapRead
  int8Dot?: boolean; // WGSL has dot4I8Packed: Q8_0 / Q4_0 / Q4_K matmuls quantize x to 8 bits and take integer dots
  subgroupLanes?: number; // GpuInfo.subgroupLanes: matmuls sum a row's lanes by subgroup shuffles
  checkPlans?: boolean; // encode every run afresh and throw where it differs from the plan it would replay (tests)
}

/** How the matmuls lay out their work where the adapter's default is not wanted (Forward.setLayout; model/tune.ts). */
export interface MatmulLayout {
  matmulLanes?: number; // lanes per row of every matmul, prefill and decode alike (bench --lanes; tuning)
  prefillRows?: number; // rows per invocation of multi-token integer-dot matmuls (bench --prefill-rows); no bit changes
  decodeRows?: number; // and of one-token ones (bench --decode-rows; tuning)
}

export interface ForwardResult {
  logits: Float32Array[]; // [logitRows.length][V], empty when topk was asked for
  topk: TopkRow[]; // [logitRows.length] when topk was asked for
  chosen?: Uint32Array; // the ids a run with chosen ids (Forward.start) was fed, as picked on the GPU
}
