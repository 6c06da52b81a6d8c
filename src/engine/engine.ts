/**
 * The engine API everything above it uses, the same in Node (Dawn) and in a browser Worker:
 *   const engine = await Engine.load(gpu, source, { onProgress });
 *   const s = engine.createSequence();
 *   const logits = await engine.prefill(s, promptIds);   // last position's logits [V]
 *   const next = await engine.decode(s, tokenId);        // one more token
 *   engine.fork(s) / engine.free(s) / engine.unload()
 * GPU work is serialized (one forward at a time); prompts are split into chunks of `chunkTokens`.
 */
import type { Gpu } from '../gpu/device.ts';
import { GgufError } from '../gguf/errors.ts';
import { parseGguf, type ByteSource, type GgufHeader, type TensorInfo } from '../gguf/source.ts';
import type { MetaEntry } from '../gguf/writer.ts';
import { planKvPool } from '../kv/budget.ts';
import { KvFullError } from '../kv/pages.ts';
import { KvPool } from '../kv/pool.ts';
import { Forward, type Chunk, type ForwardResult } from '../model/forward.ts';
import type { TopkAdj, TopkRow } from '../kernels/topk.ts';
import { readHParams, type HParams } from '../model/hparams.ts';
import { checkTensors } from '../model/tensors.ts';
import { destroyTensor, gpuBytes, uploadTensor, type GpuTensor, type LoadProgress } from '../model/upload.ts';
import { EngineError } from './errors.ts';

export type { LoadProgress } from '../model/upload.ts';
export type SeqId = number;

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  contextTokens?: number; // longest sequence, in tokens (default: the model's context length, at most 4096)
  kvTokens?: number; // KV pool capacity, in tokens over all sequences (default: 2 x contextTokens)
  kvBudgetBytes?: number; // cap on KV pool bytes
  pageSize?: number; // tokens per KV page (default 16)
  chunkTokens?: number; // prompt tokens per forward chunk (default 64)
}

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
}

export class Engine {
  private lostReason?: string;
  private unloaded = false;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly gpu: Gpu,
    readonly hp: HParams,
    readonly metadata: Record<string, MetaEntry>,
    private readonly weights: Map<string, GpuTensor>,
    private readonly kv: KvPool,
    private readonly fwd: Forward,
    readonly contextTokens: number,
  ) {
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
      });
    } catch (e) {
      throw new EngineError('too-large', `${source.name}: the KV cache does not fit this adapter: ${(e as Error).message}`);
    }

    const weights = new Map<string, GpuTensor>();
    let kv: KvPool | undefined;
    let fwd: Forward | undefined;
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
      kv = new KvPool(device, { nLayer: hp.nLayer, nKvHead: hp.nHeadKv, headDim: hp.headDim, pageSize, nPages: plan.nPages });
      const chunk = Math.max(1, Math.min(o.chunkTokens ?? 64, contextTokens));
      fwd = new Forward(device, hp, weights, kv, chunk, Math.ceil(contextTokens / pageSize), contextTokens);
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
    return new Engine(gpu, hp, file.metadata, weights, kv!, fwd!, contextTokens);
  }

  /** GPU bytes held: weights, KV pool, scratch. */
  memory(): MemoryReport {
    let weightsBytes = 0;
    for (const t of this.weights.values()) weightsBytes += t.bytes;
    return { weightsBytes, kvBytes: this.kv.bytes, scratchBytes: this.fwd.scratchBytes };
  }

  kvStats(): KvStats {
    const p = this.kv.pages;
    return { pageSize: p.pageSize, totalPages: p.nPages, freePages: p.freePages };
  }

  /** Page ids of a sequence, in order (for tests and the scheduler). */
  pageTable(seq: SeqId): readonly number[] {
    return this.pages(seq, () => this.kv.pages.table(seq));
  }

  createSequence(): SeqId {
    this.check();
    return this.kv.pages.create();
  }

  /** A new sequence that shares `seq`'s tokens (and KV pages, copied only when written). */
  fork(seq: SeqId): SeqId {
    this.check();
    return this.pages(seq, () => this.kv.pages.fork(seq));
  }

  free(seq: SeqId): void {
    if (this.unloaded) return;
    this.pages(seq, () => this.kv.pages.free(seq));
  }

  /** Shortens a sequence to `len` tokens (its later KV entries are dropped). */
  truncate(seq: SeqId, len: number): void {
    this.check();
    this.pages(seq, () => this.kv.pages.truncate(seq, len));
  }

  length(seq: SeqId): number {
    return this.pages(seq, () => this.kv.pages.length(seq));
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
   * (penalties, biases, masks; row 0), with log-sum-exp at temperature 1 and 1/invTemp: O(k) read back.
   * The adjusted logits stay on the GPU: `lastLogits()` reads them when the whole row is needed.
   */
  async step(seq: SeqId, ids: readonly number[], topk: { k: number; invTemp: number; adj: readonly TopkAdj[] }): Promise<TopkRow> {
    const out = await this.serial(() => this.feedNow(seq, ids, false, topk));
    return out.topk[0];
  }

  /** The (adjusted) logits of the last position the last step or prefill computed. */
  lastLogits(): Promise<Float32Array> {
    return this.serial(async () => {
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
    return (await this.serial(() => this.feedNow(seq, ids, all))).logits;
  }

  /** Runs `fn` after every earlier GPU call has finished (they share scratch buffers). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async feedNow(seq: SeqId, ids: readonly number[], all: boolean, topk?: Chunk['topk']): Promise<ForwardResult> {
    this.check();
    if (ids.length === 0) throw new EngineError('bad-token', 'no tokens to feed');
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.hp.nVocab) throw new EngineError('bad-token', `token id ${id} is outside the vocabulary (0..${this.hp.nVocab - 1})`);
    }
    const start = this.length(seq);
    if (start + ids.length > this.contextTokens) {
      throw new EngineError('context-full', `the sequence would hold ${start + ids.length} tokens; the context is ${this.contextTokens}`);
    }
    const out: ForwardResult = { logits: [], topk: [] };
    const chunk = this.fwd.chunkTokens;
    for (let i = 0; i < ids.length; i += chunk) {
      const n = Math.min(chunk, ids.length - i);
      const last = i + n === ids.length;
      const r = await this.runChunk(seq, ids.slice(i, i + n), all || last, all, last ? topk : undefined);
      out.logits.push(...r.logits);
      out.topk.push(...r.topk);
    }
    return out;
  }

  /** One forward chunk of one sequence; on failure the sequence is rolled back to where it was. */
  private async runChunk(seq: SeqId, ids: readonly number[], wantLogits: boolean, all: boolean, topk?: Chunk['topk']): Promise<ForwardResult> {
    const n = ids.length;
    const pages = this.kv.pages;
    const pos0 = pages.length(seq);
    let copies;
    try {
      copies = pages.append(seq, n);
    } catch (e) {
      if (e instanceof KvFullError) throw new EngineError('kv-full', e.message);
      throw e;
    }
    const device = this.gpu.device;
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    let result: ForwardResult = { logits: [], topk: [] };
    let thrown: unknown;
    try {
      result = await this.fwd.run({
        ids: Uint32Array.from(ids),
        pos: Uint32Array.from({ length: n }, (_, r) => pos0 + r),
        seqRow: new Uint32Array(n),
        tables: [pages.table(seq)],
        copies,
        logitRows: !wantLogits ? [] : all ? Array.from({ length: n }, (_, r) => r) : [n - 1],
        topk,
      });
    } catch (e) {
      thrown = e;
    }
    const oom = await device.popErrorScope();
    const validation = await device.popErrorScope();
    if (thrown || oom || validation) {
      pages.truncate(seq, pos0);
      this.check();
      throw new EngineError('gpu', `forward pass failed: ${thrown ? (thrown as Error).message : (oom ?? validation)!.message}`);
    }
    return result;
  }
}
