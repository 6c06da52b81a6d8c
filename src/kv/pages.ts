/**
 * Page bookkeeping of the paged KV cache, in plain TypeScript (no GPU): a pool of `nPages` pages of
 * `pageSize` token slots each, shared by several live sequences. A sequence is a page table (page ids in
 * order; token p lives in page table[floor(p / pageSize)], slot p % pageSize) and a length.
 *
 * fork() shares all pages of a sequence (reference counts); a page is written only while exactly one
 * sequence holds it: append() replaces a shared, partially filled last page by a fresh one and returns a
 * PageCopy for the caller to copy its contents on the GPU first (copy-on-write). Full shared pages are
 * never written again (appends go to new pages), so they stay shared for free.
 */

export type SeqId = number;

/** Copy page `src`'s contents (every layer's K and V) to page `dst` before writing to `dst`. */
export interface PageCopy {
  src: number;
  dst: number;
}

/** Not enough free pages for an append; nothing was changed. */
export class KvFullError extends Error {
  constructor(
    readonly needed: number, // pages the operation needed
    readonly free: number, // pages that were free
  ) {
    super(`KV cache full: ${needed} page${needed === 1 ? '' : 's'} needed, ${free} free`);
    this.name = 'KvFullError';
  }
}

interface Seq {
  table: number[]; // page ids in order; length = ceil(len / pageSize)
  len: number; // tokens stored
}

export class KvPages {
  private readonly refs: Uint32Array; // [page] -> number of page tables holding it
  private readonly freeList: number[] = []; // a stack; pages are popped from the end
  private readonly seqs = new Map<SeqId, Seq>();
  private nextId: SeqId = 1;

  constructor(
    readonly nPages: number,
    readonly pageSize: number,
  ) {
    if (!Number.isInteger(nPages) || nPages < 1) throw new Error(`KvPages: nPages must be a positive integer, got ${nPages}`);
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new Error(`KvPages: pageSize must be a positive integer, got ${pageSize}`);
    this.refs = new Uint32Array(nPages);
    for (let p = nPages - 1; p >= 0; p--) this.freeList.push(p); // page 0 is handed out first
  }

  /** A new, empty sequence. */
  create(): SeqId {
    const id = this.nextId++;
    this.seqs.set(id, { table: [], len: 0 });
    return id;
  }

  /** A new sequence holding the same tokens as `seq`, sharing all of its pages. */
  fork(seq: SeqId): SeqId {
    const s = this.get(seq);
    for (const p of s.table) this.refs[p]++;
    const id = this.nextId++;
    this.seqs.set(id, { table: [...s.table], len: s.len });
    return id;
  }

  /** Drops the sequence; pages no other sequence holds return to the free list. */
  free(seq: SeqId): void {
    const s = this.get(seq);
    this.release(s.table, 0);
    this.seqs.delete(seq);
  }

  length(seq: SeqId): number {
    return this.get(seq).len;
  }

  /**
   * Makes room for `n` more tokens at positions length .. length+n-1 and advances the length by n,
   * allocating pages as needed. If the partially filled last page (the first one written) is shared, it is
   * replaced by a fresh page and a copy is returned that the caller must perform before writing.
   * Atomic: throws KvFullError (changing nothing) when the free pages do not suffice.
   */
  append(seq: SeqId, n: number): PageCopy[] {
    const s = this.get(seq);
    if (!Number.isInteger(n) || n < 0) throw new Error(`KvPages.append: n must be a non-negative integer, got ${n}`);
    if (n === 0) return [];
    const { cow, grow } = this.plan(s, n);
    const needed = grow + (cow ? 1 : 0);
    if (needed > this.freeList.length) throw new KvFullError(needed, this.freeList.length);
    const copies: PageCopy[] = [];
    if (cow) {
      const last = s.table.length - 1;
      const src = s.table[last];
      const dst = this.alloc();
      this.refs[src]--; // still > 0: another sequence holds it
      s.table[last] = dst;
      copies.push({ src, dst });
    }
    for (let i = 0; i < grow; i++) s.table.push(this.alloc());
    s.len += n;
    return copies;
  }

  /** Shortens the sequence to `len` tokens (rewinding), releasing the pages past the new last one. */
  truncate(seq: SeqId, len: number): void {
    const s = this.get(seq);
    if (!Number.isInteger(len) || len < 0 || len > s.len) throw new Error(`KvPages.truncate: length ${len} is not within 0..${s.len}`);
    this.release(s.table, Math.ceil(len / this.pageSize));
    s.len = len;
  }

  /** The sequence's page ids in order (a copy). */
  table(seq: SeqId): readonly number[] {
    return [...this.get(seq).table];
  }

  get freePages(): number {
    return this.freeList.length;
  }

  get usedPages(): number {
    return this.nPages - this.freeList.length;
  }

  /** Pages that `n` more tokens of `seq` would take from the free list (copy-on-write included). */
  pagesNeeded(seq: SeqId, n: number): number {
    if (n <= 0) return 0;
    const { cow, grow } = this.plan(this.get(seq), n);
    return grow + (cow ? 1 : 0);
  }

  /** Number of page tables holding `page`. */
  refCount(page: number): number {
    if (!Number.isInteger(page) || page < 0 || page >= this.nPages) throw new Error(`KvPages: no page ${page} (pages are 0..${this.nPages - 1})`);
    return this.refs[page];
  }

  /** Live sequences, oldest first. */
  sequences(): SeqId[] {
    return [...this.seqs.keys()];
  }

  has(seq: SeqId): boolean {
    return this.seqs.has(seq);
  }

  private get(seq: SeqId): Seq {
    const s = this.seqs.get(seq);
    if (!s) throw new Error(`KvPages: unknown sequence ${seq}`);
    return s;
  }

  /** What appending n > 0 tokens takes: a copy of the last page (it is partial and shared), and new pages. */
  private plan(s: Seq, n: number): { cow: boolean; grow: number } {
    const cow = s.len % this.pageSize !== 0 && this.refs[s.table[s.table.length - 1]] > 1;
    return { cow, grow: Math.ceil((s.len + n) / this.pageSize) - s.table.length };
  }

  private alloc(): number {
    const p = this.freeList.pop();
    if (p === undefined) throw new Error('KvPages: free list empty (checked before allocating)');
    this.refs[p] = 1;
    return p;
  }

  /** Drops table[from..] from the table, returning pages nobody else holds to the free list. */
  private release(table: number[], from: number): void {
    for (let i = table.length - 1; i >= from; i--) {
      const p = table[i];
      if (--this.refs[p] === 0) this.freeList.push(p);
    }
    table.length = Math.min(table.length, from);
  }
}
