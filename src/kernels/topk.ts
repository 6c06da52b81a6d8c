/**
 * Sampling prep on the GPU (shaders/topk.wgsl): sparse logit adjustments (penalties, biases, masks) applied
 * in place, then per row the top k logits with their ids, the max, and log-sum-exp at temperature 1 and at
 * the sampling temperature, so a decode step reads back 4 + 2k words per row instead of the vocabulary.
 * Three dispatches of one module: adjust (skipped when there are no adjustments), slices (many workgroups
 * per row), merge (one workgroup per row). CPU twin: topk.cpu.ts.
 */
import TOPK_WGSL from '../../shaders/topk.wgsl?raw';
import { Kernel } from './pipelines.ts';
import { dispatchSize, storageBuffer, type Binding, type Recorder } from './runtime.ts';

/** The inverse temperatures topk takes (its f32 sums stay finite and meaningful within these). */
export const TOPK_INV_TEMP = { min: 1e-6, max: 1e6 } as const;

/** Largest k (KMAX in the shader). */
export const TOPK_MAX_K = 64;
/** Bytes per adjustment entry: {row u32, id u32, r f32, sub f32}. */
export const TOPK_ADJ_BYTES = 16;
/** Chunks of WG logits each slice workgroup takes: V / (4 WG) workgroups per row. */
const CHUNKS_PER_SLICE = 4;

/** One sparse adjustment: l' = (l > 0 ? l / r : l * r) - sub. At most one per (row, id). */
export interface TopkAdj {
  row: number;
  id: number;
  r: number; // repetition penalty (1 = none)
  sub: number; // frequency/presence penalty minus logit bias; +Infinity masks the token to -inf
}

/** -inf logits take part like any value (exp gives 0); +inf and NaN logits are not supported. */
export interface TopkArgs {
  logits: Binding; // [rows][V] f32; the adjustments are written back IN PLACE (run once per step)
  adj: Binding; // [nAdj] entries of TOPK_ADJ_BYTES (packTopkAdj); any 16-byte buffer when nAdj = 0
  out: Binding; // topkOutWords(k, rows) u32 words, layout at readTopk
  rows: number;
  V: number; // logits per row
  k: number; // 1..TOPK_MAX_K entries per row
  nAdj: number;
  invTemp: number; // 1 / temperature, in [1e-6, 1e6] (pass 1 for temperature 0)
}

/** One row's result. */
export interface TopkRow {
  max: number; // max adjusted logit (-inf when all are -inf)
  lse1: number; // log sum exp(l) over the row (-inf when all are -inf)
  lseT: number; // log sum exp(l * invTemp); on a row draw.wgsl drew from, the drawn id's logit instead (drawnLogit)
  drawn: number; // the id draw.wgsl drew from the whole row, when the run asked (-1: none); else 0
  drawnLogit: number; // the drawn id's logit (adjusted), when one was drawn: word 2, lseT's (not meaningful otherwise)
  ids: Int32Array; // [k] by logit descending, ties to the lower id (a row of only -inf: 0, 1, ..); -1 past V (V < k)
  logits: Float32Array; // [k] the adjusted logits of ids (exact); -inf past V
}

/**
 * u32 words of out: per row [max, lse1, lseT (f32 bits), drawn (i32, draw.ts)], then k logits (f32), then k ids
 * (u32); a row draw.ts drew from has the drawn id's logit in lseT's word.
 */
export function topkOutWords(k: number, rows = 1): number {
  return rows * (4 + 2 * k);
}

/** The first k entries of a row read back with a larger k (entries are sorted, so these are its top k). */
export function firstK(r: TopkRow, k: number): TopkRow {
  return r.ids.length === k ? r : { ...r, ids: r.ids.slice(0, k), logits: r.logits.slice(0, k) };
}

/** Decodes out (topkOutWords(k, rows) words from its start). */
export function readTopk(words: ArrayBuffer, rows: number, k: number): TopkRow[] {
  const f = new Float32Array(words, 0, topkOutWords(k, rows));
  const u = new Int32Array(words, 0, topkOutWords(k, rows));
  const result: TopkRow[] = [];
  for (let r = 0; r < rows; r++) {
    const o = topkOutWords(k, r);
    result.push({ max: f[o], lse1: f[o + 1], lseT: f[o + 2], drawn: u[o + 3], drawnLogit: f[o + 2], logits: f.slice(o + 4, o + 4 + k), ids: u.slice(o + 4 + k, o + 4 + 2 * k) });
  }
  return result;
}

/**
 * Adjustment slots a step dispatches for n adjustments: 0, or a power of two from 16, so that steps whose
 * counts differ a little (penalties over a growing history) encode alike and replay one plan (model/plans.ts).
 */
export function topkAdjSlots(n: number): number {
  return n === 0 ? 0 : Math.max(16, 2 ** Math.ceil(Math.log2(n)));
}

/** The adj buffer's contents: `slots` entries (at least one), those past adj.length with row 2^32 - 1, which no row has. */
export function packTopkAdj(adj: readonly TopkAdj[], slots = adj.length): ArrayBuffer {
  const words = new ArrayBuffer(Math.max(1, slots, adj.length) * TOPK_ADJ_BYTES);
  const u = new Uint32Array(words);
  const f = new Float32Array(words);
  for (let i = adj.length; i < u.length / 4; i++) u[4 * i] = 0xffffffff;
  adj.forEach((a, i) => {
    u[4 * i] = a.row;
    u[4 * i + 1] = a.id;
    f[4 * i + 2] = a.r;
    f[4 * i + 3] = a.sub;
  });
  return words;
}

export class TopkKernel extends Kernel {
  private scratch?: GPUBuffer; // the slice workgroups' partial results
  private readonly retired: GPUBuffer[] = []; // outgrown scratch buffers, maybe still in encoded work

  constructor(device: GPUDevice, code: string = TOPK_WGSL) {
    super(device, 'topk', code, 256);
    if (this.wg < TOPK_MAX_K) throw new Error(`topk: workgroups of ${this.wg} invocations are fewer than k up to ${TOPK_MAX_K}`);
  }

  encode(rec: Recorder, a: TopkArgs): void {
    if (!(Number.isInteger(a.k) && a.k >= 1 && a.k <= TOPK_MAX_K)) throw new Error(`topk: k ${a.k} is not within 1..${TOPK_MAX_K}`);
    if (!(a.V >= 1)) throw new Error(`topk: ${a.V} logits per row`);
    if (!(a.invTemp >= TOPK_INV_TEMP.min && a.invTemp <= TOPK_INV_TEMP.max)) throw new Error(`topk: invTemp ${a.invTemp} is not within [${TOPK_INV_TEMP.min}, ${TOPK_INV_TEMP.max}]`);
    if (a.rows === 0) return;
    const slice = this.wg * CHUNKS_PER_SLICE;
    const nSlices = Math.ceil(a.V / slice);
    const partial = this.scratchFor(a.rows * nSlices * topkOutWords(a.k) * 4);
    const words = new ArrayBuffer(32);
    new Uint32Array(words, 0, 6).set([a.rows, a.V, a.k, a.nAdj, slice, nSlices]);
    new Float32Array(words, 24, 1)[0] = a.invTemp;
    const bindings = [a.logits, a.adj, partial, a.out];
    if (a.nAdj > 0) this.pipelines.dispatch(rec, { WG: this.wg, PASS: 0 }, words, bindings, dispatchSize(this.device, Math.ceil(a.nAdj / this.wg)));
    this.pipelines.dispatch(rec, { WG: this.wg, PASS: 1 }, words, bindings, dispatchSize(this.device, a.rows * nSlices));
    this.pipelines.dispatch(rec, { WG: this.wg, PASS: 2 }, words, bindings, dispatchSize(this.device, a.rows));
  }

  /** Frees the scratch buffers (the kernel stays usable: they are made again on demand). */
  destroy(): void {
    for (const b of [...this.retired, ...(this.scratch ? [this.scratch] : [])]) b.destroy();
    this.retired.length = 0;
    this.scratch = undefined;
  }

  private scratchFor(bytes: number): GPUBuffer {
    if (!this.scratch || this.scratch.size < bytes) {
      if (this.scratch) this.retired.push(this.scratch);
      this.scratch = storageBuffer(this.device, bytes, 'topk partials');
    }
    return this.scratch;
  }
}
