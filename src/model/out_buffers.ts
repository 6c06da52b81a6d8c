/**
 * The buffers of a forward run's outputs and sampling inputs, grown on demand to what a chunk needs: logits,
 * topk adjustments, token masks, draw rows, topk results, and the MAP_READ copies of what runs read back. A buffer
 * that grows is a new buffer (the old one is destroyed once the queue is done with it), so whatever bound
 * the old one (bind groups, step plans) is told through onReplace.
 * Runs may overlap (a decode step is submitted before the step before is read, engine/steps_ahead.ts):
 * each run in flight reads back into a MAP_READ buffer of its own, taken from a small pool and given back
 * once read.
 */
import { packDrawRows } from '../kernels/draw.ts';
import { packTopkAdj, readTopk, topkAdjSlots, topkOutWords } from '../kernels/topk.ts';
import { readBuffer, storageBuffer } from '../kernels/runtime.ts';
import type { Chunk, ForwardResult } from './chunk.ts';

/** What a run copies back: the first `bytes` of src. */
export interface ReadBack {
  src: GPUBuffer;
  bytes: number;
}

export class OutBuffers {
  logits?: GPUBuffer; // [rows][V] f32; holds the last run's (adjusted) logits
  adj?: GPUBuffer; // topk adjustments
  masks?: GPUBuffer; // grammar token masks
  draws?: GPUBuffer; // draw rows
  topkOut?: GPUBuffer; // topk results
  private readonly idle: GPUBuffer[] = []; // MAP_READ buffers of stagingBytes no run uses now
  private stagingBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly nVocab: number,
    private readonly onReplace: () => void,
    private readonly sleepBeforeRead = false, // see mapRead
  ) {}

  /** GPU bytes of the storage buffers (the MAP_READ copy is host-visible staging, not counted). */
  get bytes(): number {
    return [this.logits, this.adj, this.masks, this.draws, this.topkOut].reduce((s, b) => s + (b?.size ?? 0), 0);
  }

  /** Grows the buffers for chunk c and writes its adjustments and masks; returns what the run reads back. */
  prepare(c: Chunk): ReadBack | undefined {
    const q = this.device.queue;
    const nOut = c.logitRows.length;
    const rowBytes = this.nVocab * 4;
    const logits = (this.logits = this.grow(this.logits, nOut * rowBytes, 'logits'));
    let read: ReadBack | undefined;
    if (nOut && c.topk) {
      const adj = packTopkAdj(c.topk.adj, topkAdjSlots(c.topk.adj.length));
      q.writeBuffer((this.adj = this.grow(this.adj, adj.byteLength, 'topk.adj')), 0, adj);
      const m = c.topk.masks;
      if (m) {
        if (m.bits.length !== nOut * m.words) throw new Error(`forward: ${m.bits.length} mask words for ${nOut} rows of ${m.words}`);
        q.writeBuffer((this.masks = this.grow(this.masks, m.bits.byteLength, 'token_mask')), 0, m.bits);
      }
      if (c.topk.draws) {
        if (c.topk.draws.length !== nOut) throw new Error(`forward: ${c.topk.draws.length} draw rows for ${nOut} logit rows`);
        const d = packDrawRows(c.topk.draws);
        q.writeBuffer((this.draws = this.grow(this.draws, d.byteLength, 'draw.rows')), 0, d);
      }
      const outBytes = topkOutWords(c.topk.k, nOut) * 4;
      read = { src: (this.topkOut = this.grow(this.topkOut, outBytes, 'topk.out')), bytes: outBytes };
    } else if (nOut) {
      read = { src: logits, bytes: nOut * rowBytes };
    }
    return read;
  }

  /**
   * A MAP_READ buffer of at least `bytes` for one run's read-back: the one the last run gave back when it
   * fits (so that commands encoded ahead for it still apply), else a new one.
   */
  takeStaging(bytes: number): GPUBuffer {
    if (bytes > this.stagingBytes) {
      for (const b of this.idle.splice(0)) b.destroy();
      this.stagingBytes = bytes;
    }
    return this.idle.pop() ?? this.device.createBuffer({ size: this.stagingBytes, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ, label: 'forward.read' });
  }

  /** Gives back a buffer of takeStaging, unmapped; two are kept for reuse. */
  giveStaging(b: GPUBuffer): void {
    if (b.mapState === 'mapped') b.unmap();
    if (b.size >= this.stagingBytes && this.idle.length < 2) this.idle.push(b);
    else b.destroy();
  }

  /**
   * What a run of chunk c copied into `staging` (`bytes`): its top-k rows or logit rows, and `chosen` words
   * after them (the ids a run with chosen ids was fed); then gives `staging` back. `since` (performance.now()):
   * when the GPU could start the run (its submit, or the end of the run before it). hostMs: the time from the
   * map to the end (copying, decoding, unmapping), on the step's path.
   */
  async readResult(c: Chunk, staging: GPUBuffer, bytes: number, since: number, chosen = 0): Promise<{ result: ForwardResult; hostMs: number }> {
    let t0 = 0;
    try {
      await this.mapRead(staging, bytes + 4 * chosen, c.ids.length, since);
      t0 = performance.now();
      const words = staging.getMappedRange(0, bytes + 4 * chosen).slice(0);
      const nOut = c.logitRows.length;
      const ids = chosen ? { chosen: new Uint32Array(words, bytes, chosen) } : {};
      const V = this.nVocab;
      const all = new Float32Array(words, 0, c.topk ? 0 : nOut * V);
      const result = c.topk ? { logits: [], topk: readTopk(words, nOut, c.topk.k), ...ids } : { logits: c.logitRows.map((_, i) => all.subarray(i * V, (i + 1) * V)), topk: [] };
      this.giveStaging(staging);
      return { result, hostMs: performance.now() - t0 };
    } catch (e) {
      this.giveStaging(staging);
      throw e;
    }
  }

  private readonly waits = new Map<number, number>(); // ms from submit to results of the last run, by tokens

  /**
   * Maps the first `bytes` of `staging` once the run of `m` tokens that the GPU could start at `since`
   * (performance.now()) is done. With sleepBeforeRead (a software adapter under Dawn in Node, which waits by
   * polling on this thread) it first sleeps until 85% of the time the last run of as many tokens took: the
   * polling would take a core from the CPU that runs the shaders. The estimate corrects itself: a run that
   * ends before the sleep does measures as the sleep, so the next sleep is 15% shorter.
   */
  private async mapRead(staging: GPUBuffer, bytes: number, m: number, since: number): Promise<void> {
    const last = this.sleepBeforeRead ? this.waits.get(m) : undefined;
    if (last) await new Promise((r) => setTimeout(r, last * 0.85 - (performance.now() - since)));
    await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    if (this.sleepBeforeRead) this.waits.set(m, performance.now() - since);
  }

  /** The first `rows` rows of the logits buffer: [rows][V]. */
  async readLogits(rows: number): Promise<Float32Array[]> {
    const V = this.nVocab;
    if (!this.logits || !rows) return [];
    const all = new Float32Array(await readBuffer(this.device, this.logits, rows * V * 4));
    return Array.from({ length: rows }, (_, i) => all.subarray(i * V, (i + 1) * V));
  }

  destroy(): void {
    for (const b of [this.logits, this.adj, this.masks, this.draws, this.topkOut, ...this.idle.splice(0)]) b?.destroy();
  }

  /** `old`, or a storage buffer of at least `bytes` in its place when it is smaller. */
  private grow(old: GPUBuffer | undefined, bytes: number, label: string): GPUBuffer {
    if (old && old.size >= bytes) return old;
    this.onReplace();
    if (old) void this.device.queue.onSubmittedWorkDone().then(() => old.destroy());
    return storageBuffer(this.device, bytes, label);
  }
}
