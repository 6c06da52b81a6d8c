/**
 * The engine's scheduler: sequences, their token history, and the queue of feeds that continuous batching
 * runs (batch.ts plans each chunk). Feeds of different sequences issued concurrently join the next chunk;
 * a long prompt goes in slices between decode steps.
 *
 * Out of KV pages, nothing fails that could wait: a slice that cannot get pages stays queued while others
 * run. When no slice of a chunk can get pages, a sequence is preempted: the youngest (by its first feed)
 * other than the oldest waiting one loses its pages and keeps its tokens; its next feed first recomputes
 * them (the feed's caller only sees a slower step). The oldest request thus always gets to finish. Only when nothing is left to preempt does the oldest
 * waiting feed fail with kv-full: it cannot fit even alone.
 *
 * Sequences are KV page tables (kv/pages.ts); a sequence never reads another's pages (forks share pages
 * copy-on-write). Chunks are planned and submitted one at a time (`serial`); a greedy stream's next decode
 * step may be submitted before its last one is read (engine/steps_ahead.ts): feeds claim such steps.
 */
import { KvFullError, type PageCopy } from '../kv/pages.ts';
import type { KvPool } from '../kv/pool.ts';
import type { Forward, ForwardResult, Started } from '../model/forward.ts';
import type { DrawRow } from '../kernels/draw.ts';
import { firstK, type TopkAdj } from '../kernels/topk.ts';
import { StepsAhead, nextTask, type AheadCandidate } from './steps_ahead.ts';
import { logitRows, planBatch, tokenMasks, type BatchPlan, type SeqId, type Want, type WorkItem } from './batch.ts';
import { EngineError } from './errors.ts';

/** A queued feed: its item and how to answer it. */
interface Pending extends WorkItem {
  ids: number[];
  logits: Float32Array[]; // rows gathered so far ('all')
  resolve: (r: ForwardResult) => void;
  reject: (e: unknown) => void;
}

export interface SchedulerStats {
  chunks: number; // forward chunks run
  tokens: number; // tokens fed (recomputed ones included)
  maxSeqs: number; // most sequences in one chunk
  preemptions: number; // sequences that lost their pages to others
  aheadSteps: number; // decode steps submitted ahead (engine/steps_ahead.ts), in `chunks`
  aheadDropped: number; // rows of those that nobody claimed
}

export interface SchedulerHost {
  kv: KvPool;
  fwd: Forward;
  device: GPUDevice;
  maxBatch: number; // most sequences in one chunk
  /** Throws EngineError when the engine is unloaded or its device lost. */
  check(): void;
  /** Frees something idle (a prompt-cache entry) when pages run out; false when there is nothing. */
  relieve?: () => boolean;
}

export class Scheduler {
  private readonly pending: Pending[] = [];
  private readonly history = new Map<SeqId, number[]>(); // tokens each sequence holds (logically)
  private readonly evicted = new Set<SeqId>(); // sequences whose pages were taken: history to recompute
  private readonly born = new Map<SeqId, number>(); // arrival of each sequence's first feed: its age
  private arrivals = 0;
  private pumping = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly counts = { chunks: 0, tokens: 0, maxSeqs: 0, preemptions: 0 };
  private readonly ahead: StepsAhead;

  constructor(private readonly h: SchedulerHost) {
    this.ahead = new StepsAhead({ ...h, history: (seq) => this.tokens(seq), busy: () => this.pending.length > 0 });
  }

  stats(): SchedulerStats {
    const a = this.ahead.stats;
    return { ...this.counts, chunks: this.counts.chunks + a.steps, tokens: this.counts.tokens + a.rows, aheadSteps: a.steps, aheadDropped: a.dropped };
  }

  create(): SeqId {
    const seq = this.h.kv.pages.create();
    this.history.set(seq, []);
    return seq;
  }

  fork(seq: SeqId): SeqId {
    this.ahead.drop(seq);
    const child = this.h.kv.pages.fork(seq);
    this.history.set(child, [...this.tokens(seq)]);
    if (this.evicted.has(seq)) this.evicted.add(child);
    return child;
  }

  free(seq: SeqId): void {
    this.ahead.drop(seq);
    this.h.kv.pages.free(seq);
    this.history.delete(seq);
    this.evicted.delete(seq);
    this.born.delete(seq);
  }

  truncate(seq: SeqId, len: number): void {
    this.ahead.drop(seq);
    const tokens = this.tokens(seq);
    if (!this.evicted.has(seq)) this.h.kv.pages.truncate(seq, len);
    else if (len > tokens.length) throw new Error(`cannot truncate sequence ${seq} of ${tokens.length} tokens to ${len}`);
    tokens.length = Math.min(tokens.length, len);
  }

  /** Tokens the sequence holds (an evicted one's too: they come back before its next feed). */
  length(seq: SeqId): number {
    this.h.kv.pages.length(seq); // throws for an unknown sequence
    return this.tokens(seq).length;
  }

  /** Runs `fn` after every earlier GPU call has finished. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Queues a feed of `ids` (validated by the caller); resolves once its last token has run. A feed that a
   * step run ahead already holds takes that step's result.
   */
  submit(seq: SeqId, ids: readonly number[], want: Want): Promise<ForwardResult> {
    if (this.ahead.has(seq)) return this.ahead.claim(seq, ids, want).then((r) => r ?? this.enqueue(seq, ids, want));
    return this.enqueue(seq, ids, want);
  }

  private enqueue(seq: SeqId, ids: readonly number[], want: Want): Promise<ForwardResult> {
    const arrival = this.arrivals++;
    if (!this.born.has(seq)) this.born.set(seq, arrival);
    return new Promise<ForwardResult>((resolve, reject) => {
      this.pending.push({ seq, ids: [...ids], fed: 0, want, arrival, logits: [], resolve, reject });
      void this.pump();
    });
  }

  /** Tokens already queued for `seq` and not yet fed. */
  queued(seq: SeqId): number {
    return this.pending.filter((p) => p.seq === seq).reduce((n, p) => n + p.ids.length - p.fed, 0);
  }

  private tokens(seq: SeqId): number[] {
    const t = this.history.get(seq);
    if (!t) throw new Error(`unknown sequence ${seq}`);
    return t;
  }

  /** Runs chunks while feeds are queued; one pump at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.pending.length) {
        for (const p of this.pending) this.restore(p);
        // let the streams the last chunk answered queue their next step first (they resume in microtasks)
        await nextTask();
        const plan = planBatch(this.pending, this.h.fwd.chunkTokens, this.h.maxBatch);
        if (!plan.slices.length) break;
        const ran = await this.serial(() => this.runPlan(plan));
        if (!ran && this.pending.length) this.makeRoom();
      }
    } finally {
      this.pumping = false;
    }
  }

  /** An evicted sequence's next feed first recomputes its tokens. */
  private restore(p: Pending): void {
    if (!this.evicted.has(p.seq) || p.fed > 0) return;
    const tokens = this.tokens(p.seq);
    p.ids = [...tokens, ...p.ids];
    tokens.length = 0;
    this.evicted.delete(p.seq);
  }

  /** Nothing could run for want of pages: preempt a sequence, or fail the oldest feed if none is left. */
  private makeRoom(): void {
    if (this.h.relieve?.()) return; // idle cached prompts go before any running sequence
    const age = (p: Pending) => this.born.get(p.seq) ?? p.arrival;
    const oldest = this.pending.reduce((a, b) => (age(b) < age(a) ? b : a));
    const busy = new Set(this.pending.filter((p) => p.want.kind === 'all').map((p) => p.seq)); // their rows cannot be recomputed
    let victim: SeqId | undefined;
    for (const [seq, born] of this.born) {
      if (seq === oldest.seq || busy.has(seq) || this.h.kv.pages.length(seq) === 0) continue;
      if (victim === undefined || born > this.born.get(victim)!) victim = seq;
    }
    if (victim === undefined) {
      const { freePages, nPages } = this.h.kv.pages;
      this.settle(oldest, { error: new EngineError('kv-full', `KV cache full: this sequence does not fit even alone (${freePages} of ${nPages} pages free)`) });
      return;
    }
    this.evict(victim);
  }

  private evict(seq: SeqId): void {
    this.ahead.drop(seq);
    const p = this.pending.find((x) => x.seq === seq);
    this.h.kv.pages.truncate(seq, 0);
    this.counts.preemptions++;
    if (p && p.fed > 0) {
      // part of its feed is in: recompute history + the rest of the feed as one
      const tokens = this.tokens(seq);
      p.ids = [...tokens, ...p.ids.slice(p.fed)];
      p.fed = 0;
      tokens.length = 0;
    } else {
      this.evicted.add(seq);
    }
  }

  private settle(item: Pending, outcome: { result: ForwardResult } | { error: unknown }): void {
    const i = this.pending.indexOf(item);
    if (i >= 0) this.pending.splice(i, 1);
    if ('error' in outcome) item.reject(outcome.error);
    else item.resolve(outcome.result);
  }

  /**
   * One forward chunk of a plan; returns whether any slice ran. A slice that cannot get pages waits; a GPU
   * failure rolls every sequence of the chunk back to where it was and fails their feeds.
   */
  private async runPlan(plan: BatchPlan): Promise<boolean> {
    const pages = this.h.kv.pages;
    const slices: { s: BatchPlan['slices'][number]; pos0: number }[] = [];
    const copies: PageCopy[] = [];
    for (const s of plan.slices) {
      const item = s.item as Pending;
      try {
        this.h.check();
        const pos0 = pages.length(item.seq);
        copies.push(...pages.append(item.seq, s.to - s.from));
        slices.push({ s, pos0 });
      } catch (e) {
        if (e instanceof KvFullError) continue; // waits for pages
        this.settle(item, { error: e instanceof EngineError ? e : new EngineError('bad-sequence', (e as Error).message) });
      }
    }
    if (!slices.length) return false;
    const kept: BatchPlan = { ...plan, slices: slices.map((x) => x.s) };
    const rows = logitRows(kept);
    const ids: number[] = [];
    const pos: number[] = [];
    const seqRow: number[] = [];
    const adj: TopkAdj[] = [];
    const masked: { row: number; allowed: Int32Array }[] = [];
    const draws: (DrawRow | null)[] = rows.map(() => null);
    const aheadRows: AheadCandidate[] = [];
    slices.forEach(({ s, pos0 }, r) => {
      for (let j = s.from; j < s.to; j++) {
        ids.push(s.item.ids[j]);
        pos.push(pos0 + j - s.from);
        seqRow.push(r);
      }
      // a final topk slice's adjustments (and mask) move from row 0 to its logit row
      if (s.final && s.item.want.kind === 'topk') {
        const row = rows.indexOf(ids.length - 1);
        if (StepsAhead.wants(s.item.want)) aheadRows.push({ seq: s.item.seq, row, want: s.item.want });
        for (const a of s.item.want.adj) adj.push({ ...a, row });
        if (s.item.want.allowed) masked.push({ row, allowed: s.item.want.allowed });
        draws[row] = s.item.want.draw ?? null;
      }
    });
    // final greedy rows whose streams will most likely feed their token next get that step ahead, unless
    // other feeds wait
    const waiting = this.pending.some((p) => !slices.some(({ s }) => s.item === p && s.final));
    const candidates = waiting ? [] : aheadRows;
    const device = this.h.device;
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    let result: ForwardResult = { logits: [], topk: [] };
    let thrown: unknown;
    let started: Started | undefined;
    try {
      started = this.h.fwd.start(
        {
          ids: Uint32Array.from(ids),
          pos: Uint32Array.from(pos),
          seqRow: Uint32Array.from(seqRow),
          tables: slices.map(({ s }) => pages.table(s.item.seq)),
          copies,
          logitRows: rows,
          topk: kept.readBack.kind === 'topk' && rows.length ? { k: kept.readBack.k, invTemp: kept.readBack.invTemp, adj, masks: tokenMasks(masked, rows.length, this.h.fwd.nVocab), draws: draws.some(Boolean) ? draws : undefined } : undefined,
        },
        { ahead: candidates.length === 0 },
      );
    } catch (e) {
      thrown = e;
    }
    const scopes = [device.popErrorScope(), device.popErrorScope()];
    if (started) this.ahead.note(started, candidates);
    try {
      if (started) result = await started.result;
    } catch (e) {
      thrown = e;
    }
    const [oom, validation] = await Promise.all(scopes);
    if (thrown || oom || validation) {
      let error: unknown = new EngineError('gpu', `forward pass failed: ${thrown ? (thrown as Error).message : (oom ?? validation)!.message}`);
      try {
        this.h.check(); // a lost device says so
      } catch (e) {
        error = e;
      }
      for (const { s, pos0 } of slices) {
        this.ahead.drop(s.item.seq);
        pages.truncate(s.item.seq, pos0);
        this.settle(s.item as Pending, { error });
      }
      return true;
    }
    this.counts.chunks++;
    this.counts.tokens += ids.length;
    this.counts.maxSeqs = Math.max(this.counts.maxSeqs, slices.length);
    let next = 0; // index into rows and the result's rows
    for (const { s } of slices) {
      const item = s.item as Pending;
      this.tokens(item.seq).push(...item.ids.slice(s.from, s.to));
      item.fed = s.to;
      if (item.want.kind === 'all') {
        for (let r = s.from; r < s.to; r++) item.logits.push(result.logits[next++].slice());
        if (s.final) this.settle(item, { result: { logits: item.logits, topk: [] } });
      } else if (s.final) {
        const i = next++;
        this.settle(item, { result: item.want.kind === 'topk' ? { logits: [], topk: [firstK(result.topk[i], item.want.k)] } : { logits: [result.logits[i].slice()], topk: [] } });
      }
    }
    return true;
  }
}
