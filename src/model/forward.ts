/**
 * The transformer forward pass on the GPU for one chunk of tokens, which may belong to several sequences:
 * every projection runs as a matmul over the chunk's tokens (prefill) or a single token (decode), and
 * attention reads all earlier keys and values of each token's sequence through the paged KV cache.
 *
 * x = token_embd[id] (* sqrt(E) for gemma), then per layer (shapes per token; m tokens in the chunk):
 *   h = rms_norm(x) * attn_norm                                       [E]
 *   q, k, v = h Wq (+bq), h Wk (+bk), h Wv (+bv)                      [H*hd], [Hkv*hd], [Hkv*hd]
 *   (qwen3, gemma3) q, k = rms_norm per head * q_norm, k_norm
 *   q, k = rope(q, pos), rope(k, pos) (the layer's base and scale; the first nRot dims); K/V pages[pos] = k, v
 *   a = attention(q, K/V pages of its sequence, keys 0..pos or the layer's window; scores soft-capped for gemma2) Wo
 *   x += a (gemma: rms_norm(a) * post_attention_norm)                  [E]
 *   f = (act(rms_norm(x) Wgate) * (rms_norm(x) Wup)) Wdown, act silu or gelu
 *   x += f (gemma: rms_norm(f) * post_ffw_norm)                  [E]
 * then logits = rms_norm(x) * output_norm  Wout (tied: token_embd)   [V] (gemma2: soft-capped), for the rows asked for.
 * Fused files (attn_qkv, phi3's gate+up) arrive split by rows (tensors.ts).
 * Dispatches are fused where the data allows: a residual add runs inside the next rms_norm (x += o; h = norm(x)),
 * and with int8Dot the producer of a Q8_0 / Q4_0 / Q4_K matmul's input (rms_norm, swiglu, the split attention's
 * merge) also writes it quantized to 8-bit blocks; q|k|v and gate|up are each one matmul where model/fuse.ts
 * could fuse the matrices; rope of q and k and the K/V page writes are one dispatch (rope_kv), with qwen3's and
 * gemma3's per-head norms of q and k too. A llama layer is 10 dispatches. A run whose chunk has an earlier
 * one's key (decode steps) replays that run's dispatches and Params (model/plans.ts), and after each submit
 * the next run's commands are replayed ahead, while the GPU works.
 */
import { layerRope, ropeFactorsTensor, type HParams } from './hparams.ts';
import type { GpuTensor } from './upload.ts';
import type { KvPool } from '../kv/pool.ts';
import { AttentionKernel } from '../kernels/attention.ts';
import { SplitAttentionKernel } from '../kernels/attention_split.ts';
import { EmbeddingKernel } from '../kernels/embedding.ts';
import { MatmulKernel } from '../kernels/matmul.ts';
import { MatmulQ8Kernel, Q8_DOT_TYPES } from '../kernels/matmul_q8.ts';
import { QuantizeQ8Kernel } from '../kernels/quantize_q8.ts';
import { RmsNormKernel } from '../kernels/rms_norm.ts';
import { RopeKvKernel, qkNormProblem } from '../kernels/rope_kv.ts';
import { SoftcapKernel } from '../kernels/softcap.ts';
import { SwigluKernel } from '../kernels/swiglu.ts';
import { TokenMaskKernel } from '../kernels/token_mask.ts';
import { DrawKernel } from '../kernels/draw.ts';
import { TopkKernel, topkAdjSlots } from '../kernels/topk.ts';
import { Uniforms, type Binding, type Recorder } from '../kernels/runtime.ts';
import { fusedBiasName, gateUpNames, outputName, qkNormName, qkvNames } from './fuse.ts';
import type { OutSegment } from '../kernels/matmul.ts';
import type { ChosenIds, Chunk, ForwardOptions, ForwardResult, MatmulLayout, Started } from './chunk.ts';
import { Plans, aheadFits, planKey, replay, runCommands, samePlan, type Ahead, type Plan } from './plans.ts';
import { OutBuffers } from './out_buffers.ts';
import { ChunkInputs } from './chunk_inputs.ts';
import { scratchBuffers, type Scratch } from './scratch.ts';
import { ChosenPicks } from './chosen.ts';
import { EngineError } from '../engine/errors.ts';

export type { Chunk, ChosenIds, ForwardOptions, ForwardResult, MatmulLayout, Started, TokenMasks } from './chunk.ts';

/** A matmul input: f32 rows, and whether the Q8 scratch (xq, xd) holds them quantized right now. */
interface Input {
  f: Binding;
  q: boolean;
}

export class Forward {
  private readonly matmul: MatmulKernel;
  private readonly matmulQ8?: MatmulQ8Kernel; // with int8Dot
  private readonly quantize: QuantizeQ8Kernel;
  private readonly rmsNorm: RmsNormKernel;
  private readonly embedding: EmbeddingKernel;
  private readonly ropeKv: RopeKvKernel;
  private readonly swiglu: SwigluKernel;
  private readonly attention: AttentionKernel;
  private readonly splitAttention: SplitAttentionKernel;
  private readonly splitTokens: number; // tokens per split-attention dispatch (what its scratch holds); 0: heads it does not take
  private readonly topk: TopkKernel;
  private readonly draw: DrawKernel;
  private readonly softcap: SoftcapKernel;
  private readonly tokenMask: TokenMaskKernel;
  private readonly picks: ChosenPicks; // start's `chosen` ids
  private readonly uniforms: Uniforms;
  private readonly plans = new Plans(); // runs as encoded, replayed for chunks with the same key (model/plans.ts)
  private readonly inputs: ChunkInputs; // ids, positions, page tables: one write per run
  private readonly buf: Scratch['buf'];
  private readonly qkv: Scratch['qkv']; // regions of buf.qkv
  private readonly gu: Scratch['gu']; // regions of buf.gu
  private readonly outs: OutBuffers; // logits, topk's inputs and results, the read-back copy: grown on demand
  private lastRows = 0; // logit rows the last run computed
  private readonly out: GpuTensor; // output.weight, or token_embd.weight when tied
  private readonly ropeFactors?: GPUBuffer; // frequency factors (llama3 rope_freqs, phi3 short or long factors)
  private layout: MatmulLayout; // opts' at first; setLayout

  constructor(
    private readonly device: GPUDevice,
    private readonly hp: HParams,
    private readonly w: ReadonlyMap<string, GpuTensor>,
    private readonly kv: KvPool,
    readonly chunkTokens: number, // the most tokens one chunk may hold
    readonly maxPages: number, // page-table row length = pages of the longest sequence
    contextTokens = maxPages * kv.shape.pageSize, // the longest sequence, in tokens (picks phi3's rope factors)
    private readonly opts: ForwardOptions = {},
  ) {
    const normProblem = hp.qkNorm && qkNormProblem(device, hp.nHead, hp.nHeadKv, hp.headDim);
    if (normProblem) throw new EngineError('too-large', normProblem); // at load (before any buffer), not at the first request
    const cpuAdapter = !!opts.cpuAdapter;
    this.layout = { matmulLanes: opts.matmulLanes, prefillRows: opts.prefillRows, decodeRows: opts.decodeRows };
    this.matmul = new MatmulKernel(device, undefined, { cpuAdapter, subgroupLanes: opts.subgroupLanes });
    if (opts.int8Dot) this.matmulQ8 = new MatmulQ8Kernel(device, undefined, { cpuAdapter, subgroupLanes: opts.subgroupLanes });
    this.quantize = new QuantizeQ8Kernel(device);
    this.rmsNorm = new RmsNormKernel(device, undefined, { cpuAdapter });
    this.embedding = new EmbeddingKernel(device);
    this.ropeKv = new RopeKvKernel(device);
    this.swiglu = new SwigluKernel(device);
    this.attention = new AttentionKernel(device);
    this.splitAttention = new SplitAttentionKernel(device, undefined, { cpuAdapter });
    this.topk = new TopkKernel(device);
    this.draw = new DrawKernel(device);
    this.softcap = new SoftcapKernel(device);
    this.tokenMask = new TokenMaskKernel(device);
    this.picks = new ChosenPicks(device, chunkTokens);
    this.uniforms = new Uniforms(device);
    this.outs = new OutBuffers(device, hp.nVocab, () => this.plans.clear(), !!opts.sleepBeforeRead); // a plan may bind a buffer it replaces
    // split attention's partial results: a chunk's tokens in groups of what 32 MiB holds (decode steps: all at once)
    const { nHead, nHeadKv, headDim: hd } = hp;
    const splits = SplitAttentionKernel.splitsFor(maxPages * kv.shape.pageSize);
    const perToken = nHead * splits * (hd + 2) * 4;
    this.splitTokens = this.splitAttention.supports(nHead, nHeadKv, hd) ? Math.max(1, Math.min(chunkTokens, Math.floor((32 << 20) / perToken))) : 0;
    this.inputs = new ChunkInputs(device, chunkTokens, maxPages);
    const scratch = scratchBuffers(device, hp, chunkTokens, { tokens: this.splitTokens, splits }, !!opts.int8Dot);
    this.buf = scratch.buf;
    this.qkv = scratch.qkv;
    this.gu = scratch.gu;
    this.out = this.t(outputName((n) => w.has(n)));
    const factors = ropeFactorsTensor(hp, contextTokens);
    if (w.has(factors)) this.ropeFactors = this.vec(factors);
  }

  /** Logits per row. */
  get nVocab(): number {
    return this.hp.nVocab;
  }

  /** GPU bytes of the scratch buffers (activations, inputs, logits). */
  get scratchBytes(): number {
    return Object.values(this.buf).reduce((s, b) => s + b.size, 0) + this.inputs.bytes + this.outs.bytes + 256 * 1024;
  }

  private t(name: string): GpuTensor {
    const t = this.w.get(name);
    if (!t) throw new Error(`tensor ${name} is not loaded`);
    return t;
  }

  private vec(name: string): GPUBuffer {
    return this.t(name).parts[0].buf;
  }

  /** With int8Dot, whether any of these weights takes integer dots (its input is then quantized). */
  private wantsQ8(weights: GpuTensor[]): boolean {
    return !!this.matmulQ8 && weights.some((w) => Q8_DOT_TYPES.includes(w.type));
  }

  /**
   * Rows of a matmul input just written to x, quantized into the Q8 scratch when wantsQ8(weights).
   * Valid until the next input is prepared.
   */
  private input(rec: Recorder, x: Binding, rows: number, k: number, weights: GpuTensor[]): Input {
    const q = this.wantsQ8(weights);
    if (q) this.quantize.encode(rec, { x, xq: this.buf.xq, xd: this.buf.xd, count: rows * k });
    return { f: x, q };
  }

  /**
   * The input of a block's matmuls, in one dispatch: x += add (the residual add of the block before, when
   * given), h = rms_norm(x) * norm, and h quantized when wantsQ8(weights).
   */
  private normed(rec: Recorder, add: GPUBuffer | undefined, norm: string, m: number, weights: GpuTensor[]): Input {
    const { nEmbd: e, eps } = this.hp;
    const q = this.wantsQ8(weights);
    const q8 = q ? { xq: this.buf.xq, xd: this.buf.xd } : undefined;
    this.rmsNorm.encode(rec, { x: this.buf.x, b: add, w: this.vec(norm), y: this.buf.h, q8, rows: m, n: e, eps });
    return { f: this.buf.h, q };
  }

  /**
   * y[.., yOffset + o] = x W^T for every part of a (possibly row-split) weight; a fused matrix (one part) takes
   * `segments` instead: each of its matrices' rows to its own region of y.
   */
  private mm(rec: Recorder, w: GpuTensor, x: Input, y: Binding, m: number, xOffset = 0, yOffset = 0, yStride = w.dims[1], segments?: OutSegment[], bias?: GPUBuffer): void {
    const q8 = x.q && this.matmulQ8 && Q8_DOT_TYPES.includes(w.type) ? this.matmulQ8 : undefined;
    for (const p of w.parts) {
      const a = { type: w.type, w: p.buf, xOffset, y, yOffset: yOffset + p.rowLo, yStride, segments, m, k: w.dims[0], n: p.rows, lanes: this.layout.matmulLanes, rowsPerInvocation: m > 1 ? this.layout.prefillRows : this.layout.decodeRows, bias, biasAt: p.rowLo };
      if (q8) q8.encode(rec, { ...a, xq: this.buf.xq, xd: this.buf.xd });
      else this.matmul.encode(rec, { ...a, x: x.f });
    }
  }

  /** A layer's q, k, v matrices, fused where model/fuse.ts could (q|k|v, or q|k beside v), and their biases (qwen2). */
  private qkvGroup(p: string): { group: GpuTensor[]; biases?: GPUBuffer[] } {
    const { names, fused } = qkvNames((n) => this.w.has(n), p);
    const biases = this.hp.qkvBias ? names.map((n) => this.vec(n === fused ? fusedBiasName(n) : n.replace(/weight$/, 'bias'))) : undefined;
    return { group: names.map((n) => this.t(n)), biases };
  }

  /** Each matrix of a group into its regions of `buf` (a fused one into as many as it has segments): one dispatch each. */
  private mmRegions(rec: Recorder, group: GpuTensor[], x: Input, buf: GPUBuffer, regions: GPUBufferBinding[], m: number, biases?: GPUBuffer[]): void {
    let r = 0; // the first region of group[i]
    group.forEach((w, i) => {
      const segments = w.segments?.map((rows, s) => ({ rows, base: regions[r + s].offset! / 4 }));
      this.mm(rec, w, x, segments ? buf : regions[r], m, 0, 0, undefined, segments, biases?.[i]);
      r += segments?.length ?? 1;
    });
  }

  // For benchmarks: runs; host ms on their path (inputs, encoding unless done ahead, submit, read back); runs
  // on commands encoded ahead or submitted ahead (with chosen ids); host ms of those done while the GPU ran the
  // run before (encoding ahead; a run submitted ahead: its inputs, encoding and submit).
  readonly timing = { runs: 0, hostMs: 0, aheadRuns: 0, aheadMs: 0 };

  /** The next run's command buffer, encoded while the GPU ran the last one (a replay of its plan). */
  private ahead?: Ahead;
  private flushed?: Plan; // the plan whose Params the uniform buffers hold (lastPlan: the bench's profile replays it)
  get lastPlan(): Plan | undefined { return this.flushed; }
  private done: Promise<number> = Promise.resolve(0); // performance.now() when the last run started was read

  /** Runs one chunk and returns the logits of chunk.logitRows (or their top k). */
  run(c: Chunk): Promise<ForwardResult> {
    return this.start(c).result;
  }

  /**
   * Writes a chunk's inputs and submits its run; `result` then reads back what it asked for. A run may start
   * before the last one's result is read: the queue runs them in order, and each reads back into a buffer of
   * its own. With `chosen`, token t's id is not c.ids[t] but what the pick kernel takes for it from the run
   * before's top-k output (model/chosen.ts), read back with the result: a decode step fed the token the step
   * before gives, before the host has read it (engine/steps_ahead.ts). Unless `ahead` is false, the next
   * run's commands are replayed ahead after the submit (they apply when that run has the same plan).
   */
  start(c: Chunk, o: { chosen?: ChosenIds; ahead?: boolean } = {}): Started {
    const t0 = performance.now();
    const m = c.ids.length;
    if (m < 1 || m > this.chunkTokens) throw new Error(`chunk of ${m} tokens (1..${this.chunkTokens})`);
    this.inputs.write(c);
    const read = this.outs.prepare(c); // before the plan lookup: a buffer it grows drops the plans
    const chosen = o.chosen;
    if (chosen && (chosen.from !== this.outs.topkOut || chosen.rows.length !== m)) throw new Error('forward: the chosen ids\' top-k buffer was replaced, or their rows are not the chunk\'s tokens');
    const staging = read && this.outs.takeStaging(read.bytes + (chosen ? 4 * m : 0)); // the picked ids follow
    const splits = SplitAttentionKernel.splitsFor(Math.max(...c.pos) + 1); // of the token that sees the most keys
    const key = planKey(c, splits);
    let plan = this.plans.get(key);
    const ahead = this.ahead;
    this.ahead = undefined;
    // with chosen ids: the pick first in the pass, and the ids it wrote read back after the results
    const pick = (pass: GPUComputePassEncoder, encoder: GPUCommandEncoder) => chosen && this.picks.encode(pass, encoder, chosen, this.inputs.ids);
    const picked = chosen && read && staging && ((encoder: GPUCommandEncoder) => this.picks.copyBack(encoder, this.inputs.ids, m, staging, read.bytes));
    let cb: GPUCommandBuffer;
    if (plan && !this.opts.checkPlans) {
      const fits = !chosen && ahead && aheadFits(ahead, plan, staging, c);
      if (fits) this.timing.aheadRuns++;
      const fill = (pass: GPUComputePassEncoder, encoder: GPUCommandEncoder) => (pick(pass, encoder), replay(pass, plan!));
      cb = fits ? ahead.cb : runCommands(this.device, this.kv, c.copies, read, staging, fill, picked);
    } else {
      cb = runCommands(this.device, this.kv, c.copies, read, staging, (pass, encoder) => {
        pick(pass, encoder);
        this.uniforms.reset();
        const rec: Recorder = { encoder, pass, uniforms: this.uniforms, dispatches: [] };
        this.encode(rec, c, splits);
        const fresh = { dispatches: rec.dispatches!, params: this.uniforms.snapshot() };
        const differs = plan && samePlan(plan, fresh);
        if (differs) throw new Error(`forward: the plan for chunk key ${key} differs from the run encoded afresh: ${differs}`);
        this.plans.set(key, (plan = fresh));
      }, picked);
    }
    this.lastRows = c.logitRows.length;
    if (this.flushed !== plan) {
      this.uniforms.load(plan!.params);
      this.uniforms.flush();
      this.flushed = plan;
    }
    this.device.queue.submit([cb]);
    const submitted = performance.now();
    this.timing.runs++;
    if (chosen) this.timing.aheadRuns++; // submitted while the GPU ran the run before: off the step's path
    this.timing[chosen ? 'aheadMs' : 'hostMs'] += submitted - t0;
    if (!this.opts.checkPlans && o.ahead !== false) {
      // the next run is most likely the same key (decode steps): its command buffer now, while the GPU works
      this.ahead = { plan: plan!, staging, cb: runCommands(this.device, this.kv, [], read, staging, (pass) => replay(pass, plan!)) };
      this.timing.aheadMs += performance.now() - submitted;
    }
    const before = this.done; // the run before this one: the GPU starts this one when that one is done
    const result = (async (): Promise<ForwardResult> => {
      if (!staging || !read) {
        await this.device.queue.onSubmittedWorkDone();
        return { logits: [], topk: [] };
      }
      const r = await this.outs.readResult(c, staging, read.bytes, Math.max(submitted, await before), chosen ? m : 0);
      this.timing.hostMs += r.hostMs;
      return r.result;
    })();
    this.done = result.then(() => performance.now(), () => performance.now());
    return { result, topkOut: c.topk ? this.outs.topkOut : undefined, topkK: c.topk?.k };
  }

  /** Encodes a run's dispatches into rec.pass (the buffers prepared). */
  private encode(rec: Recorder, c: Chunk, splits: number): void {
    const m = c.ids.length;
    const { nEmbd: e, nHead, nHeadKv, headDim: hd, nVocab, nLayer, eps } = this.hp;
    const B = this.buf;
    const emb = this.t('token_embd.weight');
    const embScale = this.hp.embedScale ? Math.fround(Math.sqrt(e)) : 1; // as llama.cpp: sqrtf(n_embd)
    for (const p of emb.parts) this.embedding.encode(rec, { type: emb.type, w: p.buf, ids: this.inputs.ids, y: B.x, m, n: e, rowLo: p.rowLo, rows: p.rows, scale: embScale });
    const { pos, table, seqRow } = this.inputs;
    const rope = { pos, m, hd, nRot: this.hp.nRot, mscale: this.hp.ropeAttnFactor, style: this.hp.rope, freqFactors: this.ropeFactors };
    const paged = { pageTable: table, seqRow, pos, m, pageSize: this.kv.shape.pageSize, maxPages: this.maxPages, kvF32: this.kv.shape.f32 };
    let add: GPUBuffer | undefined; // the last block's output, added into x by the next norm
    for (let l = 0; l < nLayer; l++) {
      const p = `blk.${l}.`;
      const { q: Q, k: K, v: V } = this.qkv;
      const { group: projections, biases } = this.qkvGroup(p);
      this.mmRegions(rec, projections, this.normed(rec, add, p + 'attn_norm.weight', m, projections), B.qkv, [Q, K, V], m, biases);
      const { base, scale } = layerRope(this.hp, l);
      const caches = { kCache: this.kv.k[l], vCache: this.kv.v[l] };
      // q, k and v are regions of one buffer: q (normed and) turned in place, k (normed and) turned and v written
      // to the cache, in one dispatch
      const qkNorm = this.hp.qkNorm ? { w: this.vec(qkNormName(p)), at: 0, eps } : undefined;
      this.ropeKv.encode(rec, { ...rope, ...paged, ...caches, base, scale, x: B.qkv, kAt: K.offset! / 4, vAt: V.offset! / 4, heads: nHead, kvHeads: nHeadKv, qkNorm });
      const attOut = B.att; // attention may not write over its own q
      const window = this.hp.swaLayers[l] ? this.hp.slidingWindow : 0;
      const att = { nHead, nKvHead: nHeadKv, hd, scale: this.hp.attnScale, softcap: this.hp.attnSoftcap, window };
      const attArgs = { ...paged, ...att, q: Q, kCache: this.kv.k[l], vCache: this.kv.v[l], out: attOut };
      const wo = this.t(p + 'attn_output.weight');
      let attIn: Input;
      if (this.splitTokens) {
        const q = this.wantsQ8([wo]) && hd % 32 === 0; // the merge quantizes its output for the projection
        const q8 = q ? { xq: B.xq, xd: B.xd } : undefined;
        this.splitAttention.encode(rec, { ...attArgs, splits, groupTokens: this.splitTokens, partO: B.partO, partMl: B.partMl, q8 });
        attIn = q ? { f: attOut, q } : this.input(rec, attOut, m, nHead * hd, [wo]);
      } else {
        this.attention.encode(rec, attArgs);
        attIn = this.input(rec, attOut, m, nHead * hd, [wo]);
      }
      this.mm(rec, wo, attIn, B.o, m);
      const { g: G, u: U } = this.gu;
      const wd = this.t(p + 'ffn_down.weight');
      const gateUp = gateUpNames((n) => this.w.has(n), p).map((n) => this.t(n));
      const fIn = this.normed(rec, this.blockOut(rec, p + 'post_attention_norm.weight', m), p + 'ffn_norm.weight', m, gateUp);
      this.mmRegions(rec, gateUp, fIn, B.gu, [G, U], m);
      const gq = this.wantsQ8([wd]); // the activation quantizes its output for the down projection
      const packed = { buf: B.gu, upAt: U.offset! / 4 }; // gate and up share a buffer: the kernel reads both through it
      this.swiglu.encode(rec, { gate: G, up: U, y: G, packed, count: m * this.hp.nFf, act: this.hp.act, q8: gq ? { xq: B.xq, xd: B.xd } : undefined });
      this.mm(rec, wd, { f: G, q: gq }, B.o, m);
      add = this.blockOut(rec, p + 'post_ffw_norm.weight', m);
    }
    const rows = c.logitRows;
    const nOut = rows.length;
    const consecutive = rows.every((r, i) => r === rows[0] + i);
    const { logits, masks, adj, draws, topkOut } = this.outs as Required<OutBuffers>; // prepared
    const oIn = nOut ? this.normed(rec, add, 'output_norm.weight', m, [this.out]) : { f: B.h, q: false };
    if (nOut && consecutive) this.mm(rec, this.out, oIn, logits, nOut, rows[0] * e, 0, nVocab);
    else rows.forEach((r, i) => this.mm(rec, this.out, oIn, logits, 1, r * e, i * nVocab, nVocab));
    if (nOut && this.hp.finalSoftcap > 0) this.softcap.encode(rec, { y: logits, count: nOut * nVocab, cap: this.hp.finalSoftcap });
    if (nOut && c.topk) {
      if (c.topk.masks) this.tokenMask.encode(rec, { logits, mask: masks, rows: nOut, V: nVocab, words: c.topk.masks.words });
      this.topk.encode(rec, { logits, adj, out: topkOut, rows: nOut, V: nVocab, k: c.topk.k, nAdj: topkAdjSlots(c.topk.adj.length), invTemp: c.topk.invTemp });
      if (c.topk.draws) this.draw.encode(rec, { logits, draws, out: topkOut, rows: nOut, V: nVocab, k: c.topk.k, invTemp: c.topk.invTemp });
    }
  }

  /** What the residual adds of the block output in B.o: itself, or with post norms (gemma) rms_norm(o) * postNorm. */
  private blockOut(rec: Recorder, postNorm: string, m: number): GPUBuffer {
    const { nEmbd: e, eps } = this.hp;
    if (!this.hp.postNorms) return this.buf.o;
    this.rmsNorm.encode(rec, { x: this.buf.o, w: this.vec(postNorm), y: this.buf.post, rows: m, n: e, eps });
    return this.buf.post;
  }

  /** The matmul layout of later runs (model/tune.ts tries several at load); the plans encoded with the old one go. */
  setLayout(l: MatmulLayout): void {
    this.layout = { ...l };
    this.plans.clear();
    this.ahead = undefined;
    this.flushed = undefined;
  }

  /** One token through `w` into y (at least w's rows), with the layout set, on whatever the scratch holds: tuning's workload. */
  oneTokenMatmul(rec: Recorder, w: GpuTensor, y: GPUBuffer): void {
    this.mm(rec, w, { f: this.buf.gu, q: this.wantsQ8([w]) }, y, 1);
  }

  /** Reads back the logits the last run computed (after topk's masks and adjustments when it ran): [rows][V]. */
  lastLogits(): Promise<Float32Array[]> {
    return this.outs.readLogits(this.lastRows);
  }

  destroy(): void {
    for (const b of Object.values(this.buf)) b.destroy();
    this.inputs.destroy();
    this.outs.destroy();
    this.ahead = undefined;
    this.topk.destroy();
    this.ropeKv.destroy();
    this.uniforms.destroy();
    this.picks.destroy();
  }
}
