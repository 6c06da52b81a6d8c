/**
 * Prompt caching: the KV pages of finished requests are kept (as idle sequences) and a new request whose
 * prompt starts with the same tokens (a system prompt, earlier turns of a conversation) starts from a
 * copy-on-write fork of the longest match and prefills only the rest. Entries are found by comparing token
 * prefixes (a handful of entries, so a linear scan; no hashing needed), shared by reference-counted pages,
 * and dropped least recently used: beyond `maxEntries`, or when the scheduler needs pages (Scheduler's
 * `relieve`), before any running sequence is preempted.
 */
import type { SeqId } from './batch.ts';

/** The sequence operations the cache uses (Engine's). */
export interface CacheEngine {
  fork(seq: SeqId): SeqId;
  truncate(seq: SeqId, len: number): void;
  free(seq: SeqId): void;
}

interface Entry {
  seq: SeqId;
  tokens: readonly number[]; // what the sequence holds
  used: number; // clock of the last hit or store
}

/** Length of the common prefix of a and b. */
export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class PromptCache {
  private entries: Entry[] = [];
  private clock = 0;

  constructor(
    private readonly engine: CacheEngine,
    readonly maxEntries = 8,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  /** The sequences the cache holds. */
  seqs(): SeqId[] {
    return this.entries.map((e) => e.seq);
  }

  /**
   * A new sequence holding the longest cached prefix of `prompt`, at most prompt.length - 1 tokens (the
   * last prompt token is fed to get its logits), and that length; undefined when nothing matches.
   */
  take(prompt: readonly number[]): { seq: SeqId; cached: number } | undefined {
    let best: Entry | undefined;
    let bestLen = 0;
    for (const e of this.entries) {
      const len = Math.min(commonPrefix(e.tokens, prompt), prompt.length - 1);
      if (len > bestLen) [best, bestLen] = [e, len];
    }
    if (!best) return undefined;
    best.used = ++this.clock;
    const seq = this.engine.fork(best.seq);
    if (bestLen < best.tokens.length) this.engine.truncate(seq, bestLen);
    return { seq, cached: bestLen };
  }

  /** Takes over `seq`, which holds `tokens`: kept for later prompts (or freed when an entry covers it). */
  keep(seq: SeqId, tokens: readonly number[]): void {
    if (tokens.length === 0 || this.maxEntries === 0) return this.engine.free(seq);
    // an entry that already holds these tokens (or more) makes this one useless, and vice versa
    for (const e of this.entries) {
      const common = commonPrefix(e.tokens, tokens);
      if (common === tokens.length) {
        e.used = ++this.clock;
        return this.engine.free(seq);
      }
      if (common === e.tokens.length) {
        this.engine.free(e.seq);
        Object.assign(e, { seq, tokens: [...tokens], used: ++this.clock });
        return;
      }
    }
    this.entries.push({ seq, tokens: [...tokens], used: ++this.clock });
    while (this.entries.length > this.maxEntries) this.dropOne();
  }

  /** Frees the least recently used entry; false when there is none. */
  dropOne(): boolean {
    if (!this.entries.length) return false;
    const lru = this.entries.reduce((a, b) => (b.used < a.used ? b : a));
    this.entries.splice(this.entries.indexOf(lru), 1);
    this.engine.free(lru.seq);
    return true;
  }

  clear(): void {
    while (this.dropOne());
  }
}
