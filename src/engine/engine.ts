/**
 * The engine API everything above it uses, the same in Node (Dawn) and in a browser Worker:
 *   const engine = await Engine.load(gpu, source, { onProgress });
 *   const s = engine.createSequence();
 *   const logits = await engine.prefill(s, promptIds);   // last position's logits [V]
 *   const next = await engine.decode(s, tokenId);        // one more token
 *   engine.fork(s) / engine.free(s) / engine.unload()
 * Continuous batching: feeds and steps of different sequences issued concurrently are queued and run
 * together, one forward chunk of at most `chunkTokens` tokens at a time (decode steps first, then prompt
 * slices; planned by batch.ts). Each row computes exactly what it would alone (the kernels give every
 * (token, output) its own workgroup), so batching never changes a result.
 */
import type { Gpu } from '../gpu/device.ts';
import { GgufError } from '../gguf/errors.ts';
import { parseGguf, type ByteSource, type GgufHeader, type TensorInfo } from '../gguf/source.ts';
import type { MetaEntry } from '../gguf/writer.ts';
import { planKvPool } from '../kv/budget.ts';
import { KvPool } from '../kv/pool.ts';
import { Forward, type ForwardResult, type MatmulLayout } from '../model/forward.ts';
import type { Plan } from '../model/plans.ts';
import { fuseProjections, stepMatrixNames } from '../model/fuse.ts';
import { TUNE_LAYOUTS, tuneAtLoad, type LayoutTuning } from '../model/tune.ts';
import type { TopkAdj, TopkRow } from '../kernels/topk.ts';
import { readHParams, type HParams } from '../model/hparams.ts';
import { checkTensors } from '../model/tensors.ts';
import { destroyTensor, gpuBytes, uploadTensor, type GpuTensor, type LoadProgress } from '../model/upload.ts';
import type { AheadPick, DrawWant, Want } from './batch.ts';
import { EngineError } from './errors.ts';
import { PromptCache } from './prompt_cache.ts';
import { Scheduler, type SchedulerStats } from './scheduler.ts';

export type { LoadProgress } from '../model/upload.ts';
export type SeqId = number;

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  contextTokens?: number; // longest sequence, in tokens (default: the model's context length, at most 4096)
  kvTokens?: number; // KV pool capacity, in tokens over all sequences (default: 2 x contextTokens)
  kvBudgetBytes?: number; // cap on KV pool bytes
  kvF32?: boolean; // keys and values cached as f32 (default f16, half the bytes, as llama.cpp's default)
  pageSize?: number; // tokens per KV page (default 16)
  chunkTokens?: number; // prompt tokens per forward chunk (default 64)
  maxBatch?: number; // most sequences in one forward chunk (default 32); the rest wait their turn
  maxRequests?: number; // most generations admitted at once (default 64); more are refused as 'busy'
  /**
   * Q8_0, Q4_0 and Q4_K matmuls quantize their input to 8-bit blocks and take integer dot products, as llama.cpp
   * does (2-4x faster on a software adapter). Default: where WGSL has dot4I8Packed; false keeps f32 inputs.
   */
  int8Dot?: boolean;
  /** Encode every forward run afresh and throw where a replayed step plan would differ (model/plans.ts; tests). */
  checkPlans?: boolean;
  /** Lanes per row of the matmuls (a power of two, 1..64), prefill and decode, instead of the adapter's default (bench --lanes). */
  matmulLanes?: number;
  /**
   * Rows of W per invocation of multi-token (prefill) integer-dot matmuls, 1..4, instead of the adapter's
   * default: each x block read serves that many rows; no logit changes by a bit. Tuning (bench --prefill-rows).
   */
  prefillRows?: number;
  /** As prefillRows, for one-token (decode) matmuls: each lane's loads of that many rows in flight at once (bench --decode-rows). */
  decodeRows?: number;
  /**
   * Time matmul layouts on this adapter at load and keep the fastest for decode (model/tune.ts; expected 0.1-1 s on a GPU).
   * Default: on a GPU (not a fallback adapter) when none of matmulLanes, prefillRows and decodeRows is given.
   * A list: these candidates, the first the reference that stays unless another is faster by 3%.
   */
  tune?: boolean | readonly MatmulLayout[];
}

/** A LoadOptions.matmulLanes the matmul kernels take: a power of two from 1 to 64. */
export const isMatmulLanes = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 64 && (n & (n - 1)) === 0;

/** A LoadOptions.prefillRows or decodeRows the integer-dot matmul takes: 1 to 4. */
export const isMatmulRows = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 4;

export interface ModelHeader {
  file: GgufHeader;
  hp: HParams;
  tensors: TensorInfo[]; // the ones the model uses, in load order
}

export interface MemoryReport {
  weightsBytes: number;
  kvBytes: number;
  scratchBytes: number;
}

export interface KvStats {
  pageSize: number;
  totalPages: number;
  freePages: number;
  cachedPages: number; // held only by the prompt cache: freed first when pages run out (idle: free + cached = total)
}

export class Engine {
  private lostReason?: string;
  private unloaded = false;
  private readonly sched: Scheduler;
  private running = 0; // admitted generations
  /** Finished requests' sequences, reused by prompts that start the same way (prompt_cache.ts). */
  readonly promptCache: PromptCache;

  private constructor(
    readonly gpu: Gpu,
    readonly hp: HParams,
    readonly metadata: Record<string, MetaEntry>,
    private readonly weights: Map<string, GpuTensor>,
    private readonly kv: KvPool,
    private readonly fwd: Forward,
    readonly contextTokens: number,
    private readonly limits: { maxBatch: number; maxRequests: number },
  ) {
    this.promptCache = new PromptCache(this);
    this.sched = new Scheduler({ kv, fwd, device: gpu.device, maxBatch: limits.maxBatch, check: () => this.check(), relieve: () => this.promptCache.dropOne() });
    gpu.device.lost.then((info) => {
      if (!this.unloaded) this.lostReason = `${info.reason}: ${info.message}`;
    });
  }

  /** Reads and checks a model's header without touching the GPU: throws GgufError for a file it cannot run. */
  static async inspect(source: ByteSource): Promise<ModelHeader> {
    const file = await parseGguf(source);
    const hp = readHParams(source.name, file.metadata);
    const tensors = checkTensors(file, hp);
    return { file, hp, tensors };
  }

  static async load(gpu: Gpu, source: ByteSource, o: LoadOptions = {}): Promise<Engine> {
    const { device, info } = gpu;
    if (o.matmulLanes !== undefined && !isMatmulLanes(o.matmulLanes)) throw new RangeError(`matmulLanes must be a power of two from 1 to 64, got ${o.matmulLanes}`);
    for (const [name, n] of [['prefillRows', o.prefillRows], ['decodeRows', o.decodeRows]] as const) {
      if (n !== undefined && !isMatmulRows(n)) throw new RangeError(`${name} must be an integer from 1 to 4, got ${n}`);
    }
    const { file, hp, tensors: infos } = await Engine.inspect(source);
    const totalBytes = infos.reduce((s, t) => s + t.bytes, 0);
    const maxPartBytes = Math.min(info.maxStorageBufferBindingSize, info.maxBufferSize);
    const contextTokens = Math.min(o.contextTokens ?? Math.min(hp.nCtx, 4096), hp.nCtx);
    const pageSize = o.pageSize ?? 16;
    let plan;
    try {
      plan = planKvPool({
        nLayer: hp.nLayer,
        nKvHead: hp.nHeadKv,
        headDim: hp.headDim,
        pageSize,
        maxTokens: o.kvTokens ?? 2 * contextTokens,
        maxBindingBytes: info.maxStorageBufferBindingSize,
        maxBufferBytes: info.maxBufferSize,
        budgetBytes: o.kvBudgetBytes,
        f32: o.kvF32,
      });
    } catch (e) {
      throw new EngineError('too-large', `${source.name}: the KV cache does not fit this adapter: ${(e as Error).message}`);
    }

    const weights = new Map<string, GpuTensor>();
    let kv: KvPool | undefined;
    let fwd: Forward | undefined;
    const int8Dot = info.int8Dot && (o.int8Dot ?? true); // the forward's, and tuning's rows per invocation
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let failure: unknown;
    try {
      let loaded = 0;
      let sinceDrain = 0;
      o.onProgress?.({ loadedBytes: 0, totalBytes, tensor: '' });
      const onBytes = async (n: number, tensor: string) => {
        loaded += n;
        sinceDrain += n;
        o.onProgress?.({ loadedBytes: loaded, totalBytes, tensor });
        if (sinceDrain >= 64 << 20) {
          sinceDrain = 0;
          await device.queue.onSubmittedWorkDone(); // bounds the staging memory of queued writes
        }
      };
      for (const t of infos) weights.set(t.name, await uploadTensor(device, file, t, { maxPartBytes, onBytes, signal: o.signal }));
      fuseProjections(device, weights, hp.nLayer, maxPartBytes);
      kv = new KvPool(device, { nLayer: hp.nLayer, nKvHead: hp.nHeadKv, headDim: hp.headDim, pageSize, nPages: plan.nPages, f32: o.kvF32 });
      const chunk = Math.max(1, Math.min(o.chunkTokens ?? 64, contextTokens));
      fwd = new Forward(device, hp, weights, kv, chunk, Math.ceil(contextTokens / pageSize), contextTokens, {
        cpuAdapter: info.isFallbackAdapter,
        sleepBeforeRead: info.isFallbackAdapter && info.pollsToWait,
        int8Dot,
        subgroupLanes: info.subgroupLanes,
        checkPlans: o.checkPlans,
        matmulLanes: o.matmulLanes,
        prefillRows: o.prefillRows,
        decodeRows: o.decodeRows,
      });
      await device.queue.onSubmittedWorkDone();
    } catch (e) {
      failure = e;
    }
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (failure || validation || oom) {
      for (const t of weights.values()) destroyTensor(t);
      kv?.destroy();
      fwd?.destroy();
      if (failure instanceof GgufError || failure instanceof EngineError) throw failure;
      if (oom) {
        const need = infos.reduce((s, t) => s + gpuBytes(t), 0) + plan.totalBytes;
        throw new EngineError('too-large', `${source.name}: the model does not fit in this adapter's memory (needs about ${(need / 2 ** 20).toFixed(0)} MiB: ${oom.message})`);
      }
      if (validation) throw new EngineError('gpu', `${source.name}: loading failed with a WebGPU error: ${validation.message}`);
      throw failure;
    }
    const engine = new Engine(gpu, hp, file.metadata, weights, kv!, fwd!, contextTokens, { maxBatch: o.maxBatch ?? 32, maxRequests: o.maxRequests ?? 64 });
    const given = o.matmulLanes !== undefined || o.prefillRows !== undefined || o.decodeRows !== undefined;
    if (o.tune ?? (!info.isFallbackAdapter && !given)) {
      const matrices = stepMatrixNames((n) => weights.has(n), hp.nLayer).map((n) => weights.get(n)!);
      engine.tuning = await tuneAtLoad(device, fwd!, matrices, Array.isArray(o.tune) ? o.tune : TUNE_LAYOUTS, o, int8Dot);
    }
    return engine;
  }

  private tuning?: LayoutTuning;
  /** What tuning at load measured and chose (LoadOptions.tune); undefined where it did not run or failed. */
  get layoutTuning(): LayoutTuning | undefined {
    return this.tuning;
  }

  /** GPU bytes held: weights, KV pool, scratch. */
  memory(): MemoryReport {
    let weightsBytes = 0;
    for (const t of this.weights.values()) weightsBytes += t.bytes;
    return { weightsBytes, kvBytes: this.kv.bytes, scratchBytes: this.fwd.scratchBytes };
  }

  kvStats(): KvStats {
    const p = this.kv.pages;
    // pages every holder of which is a prompt-cache entry
    const cacheRefs = new Map<number, number>();
    for (const seq of this.promptCache.seqs()) for (const page of p.table(seq)) cacheRefs.set(page, (cacheRefs.get(page) ?? 0) + 1);
    let cachedPages = 0;
    for (const [page, n] of cacheRefs) if (p.refCount(page) === n) cachedPages++;
    return { pageSize: p.pageSize, totalPages: p.nPages, freePages: p.freePages, cachedPages };
  }

  /** Page ids of a sequence, in order (for tests and the scheduler). */
  pageTable(seq: SeqId): readonly number[] {
    return this.pages(seq, () => this.kv.pages.table(seq));
  }

  /** Forward chunks run, tokens fed, the most sequences in one chunk, preemptions (tests, benchmarks). */
  schedulerStats(): SchedulerStats {
    return this.sched.stats();
  }

  /** Forward runs so far, their host milliseconds and those encoding ahead (Forward.timing): benchmarks, tests. */
  forwardTiming(): Forward['timing'] {
    return { ...this.fwd.timing };
  }

  /** The most tokens one forward chunk holds (LoadOptions.chunkTokens, within the context). */
  get chunkTokens(): number {
    return this.fwd.chunkTokens;
  }

  /** The last forward run's dispatches and Params (model/plans.ts), for the bench's step profile. */
  lastRunPlan(): Plan | undefined {
    return this.fwd.lastPlan;
  }

  /**
   * Admits one generation (generate.ts calls it first): returns its release, or throws EngineError 'busy'
   * when maxRequests are running, so a flood of requests is refused (429) instead of queueing without end.
   */
  admit(): () => void {
    this.check();
    if (this.running >= this.limits.maxRequests) throw new EngineError('busy', `${this.running} requests are running, the most this engine admits`);
    this.running++;
    let released = false;
    return () => {
      if (!released) this.running--;
      released = true;
    };
  }

  createSequence(): SeqId {
    this.check();
    return this.sched.create();
  }

  /** A new sequence that shares `seq`'s tokens (and KV pages, copied only when written). */
  fork(seq: SeqId): SeqId {
    this.check();
    return this.pages(seq, () => this.sched.fork(seq));
  }

  free(seq: SeqId): void {
    if (this.unloaded) return;
    this.pages(seq, () => this.sched.free(seq));
  }

  /** Shortens a sequence to `len` tokens (its later KV entries are dropped). */
  truncate(seq: SeqId, len: number): void {
    this.check();
    this.pages(seq, () => this.sched.truncate(seq, len));
  }

  length(seq: SeqId): number {
    return this.pages(seq, () => this.sched.length(seq));
  }

  /** Feeds `ids` to the sequence; returns the logits after its last token ([V]). */
  async prefill(seq: SeqId, ids: readonly number[]): Promise<Float32Array> {
    const out = await this.feed(seq, ids, false);
    return out[out.length - 1];
  }

  /** Feeds `ids`; returns the logits after every one of them ([ids.length][V]; tests). */
  prefillAll(seq: SeqId, ids: readonly number[]): Promise<Float32Array[]> {
    return this.feed(seq, ids, true);
  }

  /** One decode step: feeds one token, returns the next-token logits. */
  decode(seq: SeqId, id: number): Promise<Float32Array> {
    return this.prefill(seq, [id]);
  }

  /**
   * Feeds `ids` and returns only the top k of the next-token logits after the sparse adjustments `adj`
   * (penalties, biases, bans; row 0) and the grammar mask `allowed` ([ceil(V / 32)] bitset, 1 = allowed), with
   * log-sum-exp at temperature 1 and 1/invTemp: O(k) read back.
   * The adjusted logits stay on the GPU: `lastLogits()` reads them when the whole row is needed.
   * `ahead` (no mask): the caller will most likely feed the token it picks so from the row (sampling/pick.ts)
   * next, with the same k, temperature and adjustments; that step is then submitted before this one is read,
   * fed the GPU's pick (engine/steps_ahead.ts). `draw` (invTemp > 0): the row's token drawn from the whole row
   * on the GPU too (TopkRow.drawn, kernels/draw.ts), which a step ahead is then fed.
   */
  async step(seq: SeqId, ids: readonly number[], topk: { k: number; invTemp: number; adj: readonly TopkAdj[]; allowed?: Int32Array; ahead?: AheadPick; draw?: DrawWant }): Promise<TopkRow> {
    const out = await this.submit(seq, ids, { kind: 'topk', ...topk });
    return out.topk[0];
  }

  /**
   * The (adjusted) logits of the last position the last step or prefill computed (a step that went ahead, when
   * the last step asked for one).
   */
  lastLogits(): Promise<Float32Array> {
    return this.sched.serial(async () => {
      this.check();
      const rows = await this.fwd.lastLogits();
      if (!rows.length) throw new EngineError('bad-sequence', 'no logits computed yet');
      return rows[rows.length - 1];
    });
  }

  unload(): void {
    if (this.unloaded) return;
    this.unloaded = true;
    for (const t of this.weights.values()) destroyTensor(t);
    this.kv.destroy();
    this.fwd.destroy();
  }

  private check(): void {
    if (this.unloaded) throw new EngineError('unloaded', 'the engine was unloaded');
    if (this.lostReason) throw new EngineError('device-lost', `the GPU device was lost (${this.lostReason}); load the model again`);
  }

  private pages<T>(seq: SeqId, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw new EngineError('bad-sequence', (e as Error).message);
    }
  }

  private async feed(seq: SeqId, ids: readonly number[], all: boolean): Promise<Float32Array[]> {
    return (await this.submit(seq, ids, all ? { kind: 'all' } : { kind: 'last' })).logits;
  }

  /** Queues a feed; it runs in the next chunks the batch planner gives it. */
  private submit(seq: SeqId, ids: readonly number[], want: Want): Promise<ForwardResult> {
    this.check();
    if (ids.length === 0) throw new EngineError('bad-token', 'no tokens to feed');
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.hp.nVocab) throw new EngineError('bad-token', `token id ${id} is outside the vocabulary (0..${this.hp.nVocab - 1})`);
    }
    const start = this.length(seq) + this.sched.queued(seq);
    if (start + ids.length > this.contextTokens) {
      throw new EngineError('context-full', `the sequence would hold ${start + ids.length} tokens; the context is ${this.contextTokens}`);
    }
    return this.sched.submit(seq, ids, want);
  }
}
