/**
 * Decode steps run ahead (issue 10): a stream's next step is submitted before the host has read the step
 * before, fed the token the stream will pick from that step's top k, picked on the GPU (Forward.start's
 * `chosen`, kernels/pick.ts: the same sampler with the same uniform draw, in f32), or the token the step drew
 * from its whole row (a want with `draw`, kernels/draw.ts: the host takes that token, so it always matches;
 * the step ahead draws with the want's `next` uniform, and a claim must bring that one). So the GPU never
 * waits for the host between steps: while it runs step n + 1, the host reads step n, samples it, hands the
 * token to the stream, and when the stream asks for step n + 1 (a feed of one token with the same k,
 * temperature and adjustments), it gets the run already under way, and step n + 2 goes ahead of that one
 * before it is read.
 *
 *   scheduler run n (a feed whose want has `ahead`) --submit--> step n+1 (its id picked on the GPU from run n)
 *   stream: feed [token n] --claim--> step n+1's result; step n+2 submitted (from step n+1) before it is read
 *
 * The step's result brings back the id it was fed: a claim whose token is another (the host's f64 sampler and
 * the GPU's f32 one differ only within rounding of a boundary) is dropped with what went ahead of it, and
 * the feed runs as usual. Only for rows without a grammar mask whose caller asked (generate: no grammar, no
 * penalties from the history), and only while no other feed waits (those join the next chunk as usual). A
 * step's KV entry is appended when it is submitted; a row nobody claims (the stream stopped, or fed something
 * else) is dropped: its sequence is cut back to where it was before any other use of it. A step must follow
 * its parent run directly (nothing else may overwrite the parent's top k in between): `note` tracks the last
 * run submitted.
 */
import { KvFullError, type PageCopy } from '../kv/pages.ts';
import type { KvPool } from '../kv/pool.ts';
import type { Chunk, Forward, ForwardResult, Started } from '../model/forward.ts';
import { firstK } from '../kernels/topk.ts';
import type { AheadPick, SeqId, Want } from './batch.ts';
import { EngineError } from './errors.ts';

type TopkWant = Extract<Want, { kind: 'topk' }>;

export interface AheadHost {
  kv: KvPool;
  fwd: Forward;
  device: GPUDevice;
  /** Throws EngineError when the engine is unloaded or its device lost. */
  check(): void;
  /** The tokens a sequence holds (a claimed step's token is pushed once its run is read). */
  history(seq: SeqId): number[];
  /** Whether other feeds wait: then nothing goes ahead of them. */
  busy(): boolean;
}

/** A row of its parent run's top k to feed ahead: the sequence and the want its item had. */
export interface AheadCandidate {
  seq: SeqId;
  row: number; // of the parent's top-k output
  want: TopkWant;
}

interface Row {
  seq: SeqId;
  pos0: number; // the sequence's length before this step's token
  want: TopkWant; // what its step computes: a claim must want the same
  claimed?: TopkWant;
}

interface Step {
  rows: Row[];
  started: Started;
  result: Promise<ForwardResult | Error>; // with `chosen`: the ids the rows were fed
}

export interface AheadStats {
  steps: number; // runs submitted ahead
  rows: number; // rows fed in them
  dropped: number; // rows dropped: not claimed, or fed another token than the claim's
}

export class StepsAhead {
  private readonly open = new Map<SeqId, { step: Step; row: number }>(); // rows not claimed yet
  private last?: Started; // the last run submitted
  private chaining = false;
  readonly stats: AheadStats = { steps: 0, rows: 0, dropped: 0 };

  constructor(private readonly h: AheadHost) {}

  /** Whether a want may have a step fed ahead: top k without a mask, and the caller asked for it. */
  static wants(w: Want): w is TopkWant & { ahead: AheadPick } {
    return w.kind === 'topk' && !!w.ahead && !w.allowed;
  }

  /** The scheduler submitted a run; `candidates` (rows of its top k) get a step ahead. */
  note(run: Started, candidates: readonly AheadCandidate[] = []): void {
    this.last = run;
    if (candidates.length) this.go(run, candidates);
  }

  has(seq: SeqId): boolean {
    return this.open.has(seq);
  }

  /**
   * A feed of `seq`, which has an open row: that row's result when the feed is the token the GPU picked for
   * it, with the same want; else undefined, and the row is dropped (the feed then queues as any other).
   */
  async claim(seq: SeqId, ids: readonly number[], want: Want): Promise<ForwardResult | undefined> {
    const at = this.open.get(seq)!;
    this.open.delete(seq);
    const { step, row: i } = at;
    const row = step.rows[i];
    if (ids.length !== 1 || !sameWant(row.want, want)) {
      this.cut(row);
      return undefined;
    }
    row.claimed = want as TopkWant;
    this.chainSoon(step); // the next step goes ahead before this one is read (and is dropped if it was fed wrong)
    const r = await step.result;
    const fed = r instanceof Error ? undefined : r.chosen?.[i];
    if (fed !== ids[0]) {
      row.claimed = undefined; // nothing may go ahead of it any more
      this.drop(seq); // a step that went ahead of this one
      this.cut(row, true);
      if (r instanceof Error) throw r;
      this.stats.dropped++;
      return undefined;
    }
    this.h.history(seq).push(fed);
    return { logits: [], topk: [firstK((r as ForwardResult).topk[i], row.claimed.k)] };
  }

  /** Drops seq's open row, if any (before any other use of the sequence). */
  drop(seq: SeqId): void {
    const at = this.open.get(seq);
    if (!at) return;
    this.open.delete(seq);
    this.cut(at.step.rows[at.row]);
  }

  /**
   * Cuts a row's sequence back to before its token, if it still ends with it (an open row: counted as
   * dropped), or (`claimed`) whatever it holds past that.
   */
  private cut(row: Row, claimed = false): void {
    const pages = this.h.kv.pages;
    try {
      if (claimed ? pages.length(row.seq) > row.pos0 : pages.length(row.seq) === row.pos0 + 1) pages.truncate(row.seq, row.pos0);
    } catch {
      // the sequence is gone
    }
    if (!claimed) this.stats.dropped++;
  }

  /** After the streams that claimed rows of `step` had their turn: their next steps, ahead of this one's read. */
  private chainSoon(step: Step): void {
    if (this.chaining) return;
    this.chaining = true;
    void nextTask().then(() => {
      this.chaining = false;
      if (this.last !== step.started || this.h.busy()) return;
      const next = step.rows.flatMap((r, row) => (r.claimed?.ahead && !this.open.has(r.seq) ? [{ seq: r.seq, row, want: r.claimed }] : []));
      if (next.length) this.go(step.started, next);
    });
  }

  /** Submits one step for `candidates`, fed the ids the GPU picks for them from `parent`'s top k. */
  private go(parent: Started, candidates: readonly AheadCandidate[]): void {
    const { topkOut: from, topkK } = parent;
    if (!from || !topkK) return;
    try {
      this.h.check();
    } catch {
      return;
    }
    const pages = this.h.kv.pages;
    const rows: (Row & { parentRow: number })[] = [];
    const copies: PageCopy[] = [];
    for (const c of candidates) {
      try {
        const pos0 = pages.length(c.seq);
        copies.push(...pages.append(c.seq, 1));
        rows.push({ seq: c.seq, pos0, want: drawsNext(c.want), parentRow: c.row });
      } catch (e) {
        if (e instanceof KvFullError) continue; // goes the usual way
        for (const r of rows) pages.truncate(r.seq, r.pos0);
        return; // nothing goes ahead; the feeds go the usual way and meet the problem there
      }
    }
    if (!rows.length) return;
    const n = rows.length;
    const chunk: Chunk = {
      ids: new Uint32Array(n), // replaced by the chosen ids on the GPU
      pos: Uint32Array.from(rows, (r) => r.pos0),
      seqRow: Uint32Array.from(rows, (_, t) => t),
      tables: rows.map((r) => pages.table(r.seq)),
      copies,
      logitRows: rows.map((_, t) => t),
      topk: {
        k: Math.max(...rows.map((r) => r.want.k)),
        invTemp: rows[0].want.invTemp,
        adj: rows.flatMap((r, t) => r.want.adj.map((a) => ({ ...a, row: t }))),
        draws: rows.some((r) => r.want.draw) ? rows.map((r) => r.want.draw ?? null) : undefined,
      },
    };
    const device = this.h.device;
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    let started: Started | undefined;
    try {
      const picks = rows.map((r) => ({ src: r.parentRow, n: r.want.draw ? 0 : r.want.k, ...r.want.ahead! })); // the parent's want's pick (0: its draw)
      started = this.h.fwd.start(chunk, { chosen: { from, k: topkK, rows: picks }, ahead: false });
    } catch {
      // not submitted: the rows go the usual way
    }
    const scopes = Promise.all([device.popErrorScope(), device.popErrorScope()]);
    if (!started) {
      for (const r of rows) pages.truncate(r.seq, r.pos0);
      return;
    }
    const step: Step = {
      rows,
      started,
      result: Promise.all([started.result, scopes]).then(
        ([r, [oom, validation]]) => (oom ?? validation ? this.failure(oom ?? validation!) : r),
        (e: unknown) => this.failure(e as Error),
      ),
    };
    this.last = started;
    rows.forEach((r, row) => this.open.set(r.seq, { step, row }));
    this.stats.steps++;
    this.stats.rows += n;
  }

  private failure(e: { message: string }): Error {
    try {
      this.h.check(); // a lost device says so
    } catch (lost) {
      return lost as Error;
    }
    return new EngineError('gpu', `forward pass failed: ${e.message}`);
  }
}

/** The want of a step submitted ahead: its parent's, drawing (if it does) with the parent's next draw. */
function drawsNext(w: TopkWant): TopkWant {
  return w.draw ? { ...w, draw: { ...w.draw, u: w.draw.next, next: NaN } } : w;
}

function sameWant(a: TopkWant, b: Want): boolean {
  if (b.kind !== 'topk' || b.allowed || a.k !== b.k || a.invTemp !== b.invTemp || a.adj.length !== b.adj.length) return false;
  if (!a.draw !== !b.draw || (a.draw && b.draw && (a.draw.u !== b.draw.u || a.draw.topP !== b.draw.topP || a.draw.minP !== b.draw.minP))) return false;
  return a.adj.every((x, i) => x.id === b.adj[i].id && x.r === b.adj[i].r && x.sub === b.adj[i].sub && x.row === b.adj[i].row);
}

/** Resolves after the current task: every microtask queued so far (a stream's next feed) runs first. */
export function nextTask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (g.setImmediate) return new Promise((r) => g.setImmediate!(r));
  return new Promise((r) => {
    const ch = new MessageChannel(); // not clamped like setTimeout
    ch.port1.onmessage = () => {
      ch.port1.close();
      r();
    };
    ch.port2.postMessage(null);
  });
}
