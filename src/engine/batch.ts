/**
 * Continuous batching, the planning half (pure): which tokens of which waiting requests go into the next
 * forward chunk. The engine keeps a queue of work items (a sequence and the tokens to feed it); between
 * chunks it asks planBatch for the next one, so requests join a running batch at the next step and leave
 * when their tokens are fed.
 *
 * Order: single-token items (decode steps of running streams) first, in arrival order, then the rest
 * (prompts) in arrival order, until the chunk's token budget is spent. A long prompt is fed a slice at a
 * time, so running streams keep their one token per chunk while it prefills.
 *
 * Read-back: one chunk reads back either whole logit rows or the top k of each row at one temperature
 * (the topk kernel's shape). The first item in that order whose last token fits decides which; an item
 * whose last token would need the other kind is fed all but its last token (no logits needed for those),
 * and its last token waits for a later chunk.
 */
import type { DrawRow } from '../kernels/draw.ts';
import type { TopkAdj } from '../kernels/topk.ts';
import type { TokenMasks } from '../model/forward.ts';

export type SeqId = number;

/** What an item wants back after its last token. */
export type Want =
  | { kind: 'last' } // the logits after the last token [V]
  | { kind: 'all' } // the logits after every token (tests)
  // top k after adjustments (row 0) and, with `allowed`, a grammar's token mask: [ceil(tokens / 32)] bitset;
  // `ahead`: the caller will most likely feed the token it picks so next, with the same k, invTemp, adj
  // (engine/steps_ahead.ts); `draw`: the token drawn from the whole row on the GPU too (TopkRow.drawn)
  | { kind: 'topk'; k: number; invTemp: number; adj: readonly TopkAdj[]; allowed?: Int32Array; ahead?: AheadPick; draw?: DrawWant };

/**
 * A draw from the whole row on the GPU (kernels/draw.ts): its controls, and `next`, the uniform draw of the
 * stream's next step, which a step submitted ahead draws with (engine/steps_ahead.ts).
 */
export interface DrawWant extends DrawRow {
  next: number; // in [0, 1)
}

/**
 * How a caller picks its next token from a top-k row (sampling/pick.ts), for the step that feeds it to be
 * submitted ahead with the GPU's pick (shaders/pick.wgsl): its uniform draw and sampling controls.
 */
export interface AheadPick {
  u: number; // in [0, 1)
  invTemp: number; // 1 / temperature; 0: greedy (the first entry)
  topP: number;
  minP: number;
}

export interface WorkItem {
  seq: SeqId;
  ids: readonly number[];
  fed: number; // tokens of ids already in the KV cache
  want: Want;
  arrival: number; // order of submission
}

/** A slice of an item in a chunk: ids[from, to). `final` when it ends the item. */
export interface Slice {
  item: WorkItem;
  from: number;
  to: number;
  final: boolean;
}

export interface BatchPlan {
  slices: Slice[];
  readBack: { kind: 'logits' } | { kind: 'topk'; k: number; invTemp: number };
}

type ReadBack = BatchPlan['readBack'];

function readBackOf(w: Want): ReadBack {
  return w.kind === 'topk' ? { kind: 'topk', k: w.k, invTemp: w.invTemp } : { kind: 'logits' };
}

function compatible(a: ReadBack, b: ReadBack): boolean {
  return a.kind === 'logits' ? b.kind === 'logits' : b.kind === 'topk' && a.invTemp === b.invTemp;
}

/** The next chunk: at most `budget` tokens and `maxSeqs` sequences, one slice each. Empty when the queue is. */
export function planBatch(queue: readonly WorkItem[], budget: number, maxSeqs = Infinity): BatchPlan {
  // a sequence's tokens go in order: only its earliest item may run
  const first = new Map<SeqId, WorkItem>();
  for (const w of queue) if (!first.has(w.seq) || w.arrival < first.get(w.seq)!.arrival) first.set(w.seq, w);
  const order = [...first.values()].sort((a, b) => rank(a) - rank(b) || a.arrival - b.arrival);
  const slices: Slice[] = [];
  let readBack: ReadBack | undefined;
  let k = 0;
  for (const item of order) {
    if (budget === 0 || slices.length === maxSeqs) break;
    const remaining = item.ids.length - item.fed;
    let take = Math.min(remaining, budget);
    let final = take === remaining;
    if (item.want.kind === 'all') {
      // every row comes back: only in a logits chunk
      readBack ??= { kind: 'logits' };
      if (readBack.kind !== 'logits') continue;
    } else if (final) {
      const want = readBackOf(item.want);
      readBack ??= want;
      if (!compatible(readBack, want)) {
        if (take === 1) continue; // its last token waits for a chunk of its kind
        take -= 1;
        final = false;
      } else if (want.kind === 'topk') {
        k = Math.max(k, want.k);
      }
    }
    slices.push({ item, from: item.fed, to: item.fed + take, final });
    budget -= take;
  }
  const rb: ReadBack = readBack ?? { kind: 'logits' };
  return { slices, readBack: rb.kind === 'topk' ? { ...rb, k } : rb };
}

/** Decode steps (one token left) before prompts. */
function rank(w: WorkItem): number {
  return w.ids.length - w.fed === 1 ? 0 : 1;
}

/** Chunk rows whose logits a plan reads back, in chunk order: every row of an 'all' slice, the last of other final slices. */
export function logitRows(plan: BatchPlan): number[] {
  const rows: number[] = [];
  let row = 0;
  for (const s of plan.slices) {
    const n = s.to - s.from;
    if (s.item.want.kind === 'all') for (let r = 0; r < n; r++) rows.push(row + r);
    else if (s.final) rows.push(row + n - 1);
    row += n;
  }
  return rows;
}

/**
 * The logit rows' grammar masks for the forward pass: [rows][ceil(V / 32)] words, all ones (everything allowed)
 * for rows without one; a mask shorter than the row masks the ids past it. Undefined when no row has one.
 */
export function tokenMasks(masked: readonly { row: number; allowed: Int32Array }[], rows: number, V: number): TokenMasks | undefined {
  if (!masked.length) return undefined;
  const words = Math.ceil(V / 32);
  const bits = new Uint32Array(rows * words).fill(0xffffffff);
  for (const { row, allowed } of masked) {
    bits.fill(0, row * words, (row + 1) * words);
    bits.set(new Uint32Array(allowed.buffer, allowed.byteOffset, Math.min(allowed.length, words)), row * words);
  }
  return { words, bits };
}
