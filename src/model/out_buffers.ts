/**
 * The buffers of a forward run's outputs and sampling inputs, grown on demand to what a chunk needs: logits,
 * topk adjustments, token masks, topk results, and the MAP_READ copy of what a run reads back. A buffer
 * that grows is a new buffer (the old one is destroyed once the queue is done with it), so whatever bound
 * the old one (bind groups, step plans) is told through onReplace.
 */
import { packTopkAdj, topkAdjSlots, topkOutWords } from '../kernels/topk.ts';
import { readBuffer, storageBuffer } from '../kernels/runtime.ts';
import type { Chunk } from './chunk.ts';

/** What a run copies back: the first `bytes` of src. */
export interface ReadBack {
  src: GPUBuffer;
  bytes: number;
}

export class OutBuffers {
  logits?: GPUBuffer; // [rows][V] f32; holds the last run's (adjusted) logits
  adj?: GPUBuffer; // topk adjustments
  masks?: GPUBuffer; // grammar token masks
  topkOut?: GPUBuffer; // topk results
  readBack?: GPUBuffer; // MAP_READ; one for every run (runs are serialized and each unmaps it before returning)

  constructor(
    private readonly device: GPUDevice,
    private readonly nVocab: number,
    private readonly onReplace: () => void,
    private readonly sleepBeforeRead = false, // see mapRead
  ) {}

  /** GPU bytes of the storage buffers (the MAP_READ copy is host-visible staging, not counted). */
  get bytes(): number {
    return [this.logits, this.adj, this.masks, this.topkOut].reduce((s, b) => s + (b?.size ?? 0), 0);
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
      const outBytes = topkOutWords(c.topk.k, nOut) * 4;
      read = { src: (this.topkOut = this.grow(this.topkOut, outBytes, 'topk.out')), bytes: outBytes };
    } else if (nOut) {
      read = { src: logits, bytes: nOut * rowBytes };
    }
    if (read && (!this.readBack || this.readBack.size < read.bytes)) {
      this.readBack?.destroy();
      this.readBack = this.device.createBuffer({ size: read.bytes, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ, label: 'forward.read' });
    }
    return read;
  }

  private readonly waits = new Map<number, number>(); // ms from submit to results of the last run, by tokens

  /**
   * Maps the first `bytes` of readBack once the run of `m` tokens submitted at `submitted` (performance.now())
   * is done. With sleepBeforeRead (a software adapter under Dawn in Node, which waits by polling on this
   * thread) it first sleeps until 85% of the time the last run of as many tokens took: the polling would take
   * a core from the CPU that runs the shaders. The estimate corrects itself: a run that ends before the sleep
   * does measures as the sleep, so the next sleep is 15% shorter.
   */
  async mapRead(bytes: number, m: number, submitted: number): Promise<void> {
    const last = this.sleepBeforeRead ? this.waits.get(m) : undefined;
    if (last) await new Promise((r) => setTimeout(r, last * 0.85 - (performance.now() - submitted)));
    await this.readBack!.mapAsync(GPUMapMode.READ, 0, bytes);
    if (this.sleepBeforeRead) this.waits.set(m, performance.now() - submitted);
  }

  /** The first `rows` rows of the logits buffer: [rows][V]. */
  async readLogits(rows: number): Promise<Float32Array[]> {
    const V = this.nVocab;
    if (!this.logits || !rows) return [];
    const all = new Float32Array(await readBuffer(this.device, this.logits, rows * V * 4));
    return Array.from({ length: rows }, (_, i) => all.subarray(i * V, (i + 1) * V));
  }

  destroy(): void {
    for (const b of [this.logits, this.adj, this.masks, this.topkOut, this.readBack]) b?.destroy();
  }

  /** `old`, or a storage buffer of at least `bytes` in its place when it is smaller. */
  private grow(old: GPUBuffer | undefined, bytes: number, label: string): GPUBuffer {
    if (old && old.size >= bytes) return old;
    this.onReplace();
    if (old) void this.device.queue.onSubmittedWorkDone().then(() => old.destroy());
    return storageBuffer(this.device, bytes, label);
  }
}
