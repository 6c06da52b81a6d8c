import { describe, expect, test } from 'vitest';
import { mulberry32 } from '../util/rng.ts';
import { KvFullError, KvPages, type PageCopy, type SeqId } from './pages.ts';

describe('KvPages', () => {
  test('allocates pages as tokens cross page boundaries', () => {
    const kv = new KvPages(8, 16);
    const s = kv.create();
    expect(kv.length(s)).toBe(0);
    expect(kv.table(s)).toEqual([]);
    expect(kv.append(s, 1)).toEqual([]);
    expect(kv.table(s)).toHaveLength(1);
    expect(kv.append(s, 15)).toEqual([]); // fills page 0 exactly
    expect(kv.table(s)).toHaveLength(1);
    kv.append(s, 1); // position 16 starts page 1
    expect(kv.table(s)).toHaveLength(2);
    kv.append(s, 40); // 57 tokens: 4 pages
    expect(kv.length(s)).toBe(57);
    expect(kv.table(s)).toHaveLength(4);
    expect(new Set(kv.table(s)).size).toBe(4);
    expect(kv.usedPages).toBe(4);
    expect(kv.freePages).toBe(4);
    expect(kv.append(s, 0)).toEqual([]);
    expect(kv.length(s)).toBe(57);
  });

  test('free returns pages to the free list for reuse', () => {
    const kv = new KvPages(4, 16);
    const a = kv.create();
    kv.append(a, 64);
    expect(kv.freePages).toBe(0);
    const pages = kv.table(a);
    kv.free(a);
    expect(kv.freePages).toBe(4);
    expect(kv.usedPages).toBe(0);
    for (const p of pages) expect(kv.refCount(p)).toBe(0);
    expect(kv.sequences()).toEqual([]);
    const b = kv.create();
    kv.append(b, 64);
    expect([...kv.table(b)].sort()).toEqual([...pages].sort());
  });

  test('fork shares all pages and the length', () => {
    const kv = new KvPages(10, 16);
    const a = kv.create();
    kv.append(a, 40); // 3 pages, the last one partial
    const b = kv.fork(a);
    expect(b).not.toBe(a);
    expect(kv.length(b)).toBe(40);
    expect(kv.table(b)).toEqual(kv.table(a));
    expect(kv.usedPages).toBe(3);
    for (const p of kv.table(a)) expect(kv.refCount(p)).toBe(2);
    expect(kv.sequences()).toEqual([a, b]);
  });

  test('copy-on-write when appending to a shared partial page', () => {
    const kv = new KvPages(10, 16);
    const a = kv.create();
    kv.append(a, 40);
    const b = kv.fork(a);
    const shared = kv.table(a);
    const copies = kv.append(b, 1);
    expect(copies).toHaveLength(1);
    expect(copies[0].src).toBe(shared[2]);
    expect(kv.table(b)[2]).toBe(copies[0].dst);
    expect(shared).not.toContain(copies[0].dst);
    expect(kv.table(b).slice(0, 2)).toEqual(shared.slice(0, 2)); // full pages stay shared
    expect(kv.refCount(shared[0])).toBe(2);
    expect(kv.refCount(shared[2])).toBe(1);
    expect(kv.refCount(copies[0].dst)).toBe(1);
    expect(kv.usedPages).toBe(4);
    // a's last page is no longer shared: it is written in place
    expect(kv.append(a, 1)).toEqual([]);
    expect(kv.table(a)).toEqual(shared);
    // b's own page: no copy either
    expect(kv.append(b, 5)).toEqual([]);
  });

  test('no copy when the shared pages are full and the next token starts a fresh page', () => {
    const kv = new KvPages(10, 16);
    const a = kv.create();
    kv.append(a, 32);
    const b = kv.fork(a);
    expect(kv.append(b, 1)).toEqual([]);
    expect(kv.append(a, 20)).toEqual([]);
    expect(kv.table(a).slice(0, 2)).toEqual(kv.table(b).slice(0, 2));
    expect(kv.table(a)[2]).not.toBe(kv.table(b)[2]);
    expect(kv.usedPages).toBe(2 + 1 + 2);
  });

  test('copy-on-write also when a large append starts in a shared page', () => {
    const kv = new KvPages(10, 16);
    const a = kv.create();
    kv.append(a, 20);
    const b = kv.fork(a);
    const copies = kv.append(b, 50); // 20 -> 70: page 1 copied, pages 2..4 new
    expect(copies).toEqual([{ src: kv.table(a)[1], dst: kv.table(b)[1] }]);
    expect(kv.table(b)).toHaveLength(5);
    expect(kv.usedPages).toBe(2 + 4);
  });

  test('a fork of a fork, and freeing the parent leaves the children intact', () => {
    const kv = new KvPages(12, 16);
    const a = kv.create();
    kv.append(a, 24);
    const b = kv.fork(a);
    const c = kv.fork(b);
    const t = kv.table(a);
    for (const p of t) expect(kv.refCount(p)).toBe(3);
    expect(kv.append(c, 1)).toHaveLength(1); // c copies the shared partial page
    expect(kv.refCount(t[1])).toBe(2);
    expect(kv.append(b, 1)).toHaveLength(1); // still shared with a
    expect(kv.refCount(t[1])).toBe(1);
    expect(kv.append(a, 1)).toEqual([]); // a alone holds it now
    kv.free(a);
    expect(kv.refCount(t[0])).toBe(2);
    expect(kv.refCount(t[1])).toBe(0);
    expect(kv.length(b)).toBe(25);
    expect(kv.length(c)).toBe(25);
    expect(kv.table(b)[0]).toBe(t[0]);
    expect(kv.table(c)[0]).toBe(t[0]);
    expect(() => kv.length(a)).toThrow(/unknown sequence/);
    kv.free(b);
    expect(kv.refCount(t[0])).toBe(1);
    kv.free(c);
    expect(kv.usedPages).toBe(0);
    expect(kv.freePages).toBe(12);
  });

  test('KvFullError leaves everything unchanged', () => {
    const kv = new KvPages(4, 16);
    const a = kv.create();
    kv.append(a, 40); // 3 pages
    const b = kv.fork(a);
    const before = { ta: kv.table(a), tb: kv.table(b), free: kv.freePages, refs: [0, 1, 2, 3].map((p) => kv.refCount(p)) };
    // b: 40 -> 60 needs page 3 (new) + a copy of the shared page 2 = 2 pages, 1 free
    expect(kv.pagesNeeded(b, 20)).toBe(2);
    let err: unknown;
    try {
      kv.append(b, 20);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KvFullError);
    expect((err as KvFullError).name).toBe('KvFullError');
    expect((err as KvFullError).needed).toBe(2);
    expect((err as KvFullError).free).toBe(1);
    expect((err as Error).message).toMatch(/2 pages needed, 1 free/);
    expect(kv.table(a)).toEqual(before.ta);
    expect(kv.table(b)).toEqual(before.tb);
    expect(kv.length(b)).toBe(40);
    expect(kv.freePages).toBe(before.free);
    expect([0, 1, 2, 3].map((p) => kv.refCount(p))).toEqual(before.refs);
    // what fits still works
    expect(kv.append(b, 8)).toHaveLength(1);
    expect(kv.freePages).toBe(0);
    expect(() => kv.append(a, 9)).toThrow(KvFullError); // 40 -> 49 needs a fourth page
    expect(kv.append(a, 8)).toEqual([]); // fills page 2 in place
  });

  test('truncate frees whole pages it no longer needs', () => {
    const kv = new KvPages(8, 16);
    const a = kv.create();
    kv.append(a, 50); // 4 pages
    const t = kv.table(a);
    kv.truncate(a, 33); // 3 pages
    expect(kv.length(a)).toBe(33);
    expect(kv.table(a)).toEqual(t.slice(0, 3));
    expect(kv.refCount(t[3])).toBe(0);
    expect(kv.freePages).toBe(5);
    kv.truncate(a, 32);
    expect(kv.table(a)).toEqual(t.slice(0, 2));
    kv.truncate(a, 32);
    expect(kv.table(a)).toEqual(t.slice(0, 2));
    kv.append(a, 1);
    expect(kv.table(a)).toHaveLength(3);
    kv.truncate(a, 0);
    expect(kv.table(a)).toEqual([]);
    expect(kv.usedPages).toBe(0);
    expect(() => kv.truncate(a, 1)).toThrow(/not within 0..0/);
    expect(() => kv.truncate(a, -1)).toThrow();
  });

  test('rewinding into a shared page copies it on the next append', () => {
    const kv = new KvPages(8, 16);
    const a = kv.create();
    kv.append(a, 32);
    const b = kv.fork(a);
    kv.truncate(b, 20); // page 1 is shared and now partial for b
    expect(kv.refCount(kv.table(a)[1])).toBe(2);
    const copies = kv.append(b, 1);
    expect(copies).toEqual([{ src: kv.table(a)[1], dst: kv.table(b)[1] }]);
    kv.truncate(b, 0);
    expect(kv.usedPages).toBe(2);
  });

  test('unknown sequences and bad arguments are clear errors', () => {
    const kv = new KvPages(2, 4);
    expect(() => kv.append(99, 1)).toThrow(/unknown sequence 99/);
    expect(() => kv.fork(99)).toThrow(/unknown sequence 99/);
    expect(() => kv.free(99)).toThrow(/unknown sequence 99/);
    expect(() => kv.table(99)).toThrow(/unknown sequence 99/);
    expect(() => kv.truncate(99, 0)).toThrow(/unknown sequence 99/);
    const a = kv.create();
    kv.free(a);
    expect(() => kv.free(a)).toThrow(/unknown sequence/);
    const b = kv.create();
    expect(() => kv.append(b, -1)).toThrow();
    expect(() => kv.append(b, 1.5)).toThrow();
    expect(() => kv.refCount(2)).toThrow(/no page 2/);
    expect(() => new KvPages(0, 16)).toThrow();
    expect(() => new KvPages(4, 0)).toThrow();
  });

  test('random operations keep the invariants and every sequence reads back its own tokens', () => {
    const rng = mulberry32(7);
    const nPages = 40;
    const pageSize = 4;
    const kv = new KvPages(nPages, pageSize);
    // a model of the GPU pool: the token stored in each slot, and of each sequence: its tokens
    const pool: number[][] = Array.from({ length: nPages }, () => new Array<number>(pageSize).fill(-1));
    const want = new Map<SeqId, number[]>();
    const root = new Map<SeqId, SeqId>(); // fork lineage
    const stats = { tokens: 0, copies: 0, fulls: 0, forks: 0 };
    // plain throws: thousands of expect() calls per step would make this test slow
    const check = (ok: boolean, what: () => string) => {
      if (!ok) throw new Error(what());
    };
    for (let step = 0; step < 3000; step++) {
      const all = kv.sequences();
      const s = all.length ? all[Math.floor(rng() * all.length)] : undefined;
      const r = rng();
      if (s === undefined || r < 0.08) {
        const id = kv.create();
        want.set(id, []);
        root.set(id, id);
      } else if (r < 0.2) {
        const id = kv.fork(s);
        want.set(id, [...want.get(s)!]);
        root.set(id, root.get(s)!);
        stats.forks++;
      } else if (r < 0.32) {
        kv.free(s);
        want.delete(s);
      } else if (r < 0.42) {
        const len = Math.floor(rng() * (kv.length(s) + 1));
        kv.truncate(s, len);
        want.get(s)!.length = len;
      } else {
        const n = 1 + Math.floor(rng() * 10);
        const len = kv.length(s);
        const before = kv.table(s).join();
        const free = kv.freePages;
        const need = kv.pagesNeeded(s, n);
        let copies: PageCopy[];
        try {
          copies = kv.append(s, n);
        } catch (e) {
          check(e instanceof KvFullError && need > free, () => `unexpected ${e} (need ${need}, free ${free})`);
          check(kv.table(s).join() === before && kv.length(s) === len && kv.freePages === free, () => 'failed append changed state');
          stats.fulls++;
          continue;
        }
        check(kv.freePages === free - need, () => `append took ${free - kv.freePages} pages, pagesNeeded said ${need}`);
        for (const { src, dst } of copies) pool[dst] = [...pool[src]];
        stats.copies += copies.length;
        const t = kv.table(s);
        for (let p = len; p < len + n; p++) {
          const page = t[Math.floor(p / pageSize)];
          check(kv.refCount(page) === 1, () => `page ${page} written while shared (step ${step})`);
          pool[page][p % pageSize] = stats.tokens;
          want.get(s)!.push(stats.tokens++);
        }
      }
      // invariants
      const count = new Array<number>(nPages).fill(0);
      const lineage = new Map<number, SeqId>(); // page -> root of the sequences holding it
      for (const id of kv.sequences()) {
        const t = kv.table(id);
        const w = want.get(id)!;
        check(kv.length(id) === w.length && t.length === Math.ceil(w.length / pageSize), () => `seq ${id}: length/table mismatch`);
        check(new Set(t).size === t.length, () => `seq ${id}: a page twice in its table`);
        for (const p of t) {
          count[p]++;
          check((lineage.get(p) ?? root.get(id)) === root.get(id), () => `page ${p} shared outside a fork lineage`);
          lineage.set(p, root.get(id)!);
        }
        for (let p = 0; p < w.length; p++) {
          check(pool[t[Math.floor(p / pageSize)]][p % pageSize] === w[p], () => `seq ${id} token ${p} reads back wrong (step ${step})`);
        }
      }
      for (let p = 0; p < nPages; p++) check(kv.refCount(p) === count[p], () => `page ${p}: refcount ${kv.refCount(p)}, held by ${count[p]}`);
      check(kv.usedPages === count.filter((c) => c > 0).length, () => 'usedPages differs from the pages held');
      check(kv.freePages + kv.usedPages === nPages, () => 'free + used != nPages');
      check(want.size === kv.sequences().length, () => 'sequence count differs');
    }
    // the run exercised what it should
    expect(stats.fulls).toBeGreaterThan(10);
    expect(stats.copies).toBeGreaterThan(10);
    expect(stats.forks).toBeGreaterThan(100);
    expect(stats.tokens).toBeGreaterThan(1000);
  });
});
