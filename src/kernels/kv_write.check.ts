/**
 * The kv_write kernel checked against its CPU twin: chunks of tokens from one to three sequences with
 * scattered (and, after a fork, shared) pages, positions crossing page boundaries, two page sizes. The
 * whole pool starts random, so a write to a wrong slot and a slot left unwritten both show.
 * Also holds the paged-batch builder the attention check uses.
 */
import { KvPages } from '../kv/pages.ts';
import { fillNormal, mulberry32, type Rng } from '../util/rng.ts';
import { caseResult, type CaseResult } from './check.ts';
import { compare } from './compare.ts';
import { KvWriteKernel } from './kv_write.ts';
import { cacheRow, kvWriteCpu, toF16, type PagedTokens } from './kv_write.cpu.ts';
import { f16BitsToF32 } from '../gguf/half.ts';
import { Uniforms, readBuffer, storageBuffer, withErrorScopes, type Recorder } from './runtime.ts';

/** One sequence of a paged batch: `len` tokens stored, of which the last `tokens` are in this batch. */
export interface PagedSeq {
  len: number;
  tokens: number;
  forkOf?: number; // index of an earlier sequence this one was forked from ...
  forkLen?: number; // ... when that one held this many tokens (the pages below are shared)
}

/** A batch of tokens from several sequences, with page tables as KvPages hands them out, then relabelled at random. */
export interface PagedBatch extends PagedTokens {
  nPages: number; // pages in the pool (some unreferenced)
  m: number; // tokens in the batch
  tables: number[][]; // each sequence's page table (unpadded)
}

export function buildPagedBatch(rng: Rng, pageSize: number, seqs: PagedSeq[], sparePages = 3): PagedBatch {
  const nPages = seqs.reduce((s, q) => s + Math.ceil(q.len / pageSize) + 1, sparePages);
  const kv = new KvPages(nPages, pageSize);
  const ids: number[] = [];
  for (const q of seqs) {
    if (q.forkOf === undefined) {
      ids.push(kv.create());
      kv.append(ids[ids.length - 1], q.len);
    } else {
      const forkLen = q.forkLen ?? 0;
      const id = kv.fork(ids[q.forkOf]);
      kv.truncate(id, forkLen); // throws unless forkLen <= the parent's length
      kv.append(id, q.len - forkLen);
      ids.push(id);
    }
  }
  const perm = Array.from({ length: nPages }, (_, i) => i);
  for (let i = nPages - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const tables = ids.map((id) => kv.table(id).map((p) => perm[p]));
  const maxPages = Math.max(1, ...tables.map((t) => t.length)) + 1 + Math.floor(rng() * 3);
  const pageTable = new Uint32Array(seqs.length * maxPages);
  for (let i = 0; i < pageTable.length; i++) pageTable[i] = Math.floor(rng() * nPages); // padding: valid but wrong pages
  tables.forEach((t, r) => pageTable.set(t, r * maxPages));
  const toks: [number, number][] = [];
  seqs.forEach((q, r) => {
    for (let p = q.len - q.tokens; p < q.len; p++) toks.push([r, p]);
  });
  for (let i = toks.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [toks[i], toks[j]] = [toks[j], toks[i]];
  }
  const seqRow = Uint32Array.from(toks, ([r]) => r);
  const pos = Uint32Array.from(toks, ([, p]) => p);
  return { nPages, pageSize, maxPages, pageTable, seqRow, pos, m: toks.length, tables };
}

/** Uploads `buffers`, encodes once, reads back the buffers at `readBack` (as f32). */
export async function runInPlace(
  device: GPUDevice,
  buffers: ArrayBufferView[],
  readBack: number[],
  encode: (rec: Recorder, bufs: GPUBuffer[]) => void,
): Promise<{ outs: Float32Array[]; gpuError?: string }> {
  const bufs = buffers.map((d) => storageBuffer(device, d));
  const uniforms = new Uniforms(device);
  try {
    const gpuError = await withErrorScopes(device, () => {
      const rec = { encoder: device.createCommandEncoder(), uniforms };
      encode(rec, bufs);
      uniforms.flush();
      device.queue.submit([rec.encoder.finish()]);
    });
    const outs: Float32Array[] = [];
    for (const i of readBack) outs.push(new Float32Array(await readBuffer(device, bufs[i], buffers[i].byteLength)));
    return { outs, gpuError };
  } finally {
    for (const b of bufs) b.destroy();
    uniforms.destroy();
  }
}

export interface KvWriteCase {
  pageSize: number;
  width: number; // nKvHead * hd
  seqs: PagedSeq[];
  f32?: boolean; // an f32 pool (else f16)
}

export function kvWriteCases(seed: number, random = 4): KvWriteCase[] {
  const cases: KvWriteCase[] = [
    { pageSize: 16, width: 64, seqs: [{ len: 5, tokens: 5 }] }, // a first prefill chunk
    { pageSize: 16, width: 128, seqs: [{ len: 40, tokens: 30 }, { len: 17, tokens: 2 }] }, // across page boundaries
    { pageSize: 16, width: 256, seqs: [{ len: 50, tokens: 10 }, { len: 45, tokens: 12, forkOf: 0, forkLen: 33 }] }, // after a fork
    { pageSize: 8, width: 24, seqs: [{ len: 9, tokens: 1 }, { len: 64, tokens: 1 }, { len: 1, tokens: 1 }] }, // decode of 3
    { pageSize: 16, width: 1024, seqs: [{ len: 70, tokens: 64 }] }, // a full 64-token chunk of wide rows: 256 workgroups
    { pageSize: 16, width: 128, seqs: [{ len: 40, tokens: 30 }, { len: 17, tokens: 2 }], f32: true }, // f32 pools
    { pageSize: 8, width: 24, seqs: [{ len: 9, tokens: 1 }, { len: 64, tokens: 1 }, { len: 1, tokens: 1 }], f32: true },
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) {
    const pageSize = rng() < 0.7 ? 16 : 2 ** (1 + Math.floor(rng() * 5));
    const seqs: PagedSeq[] = [];
    for (let s = 0, n = 1 + Math.floor(rng() * 3); s < n; s++) {
      const len = 1 + Math.floor(rng() * 100);
      seqs.push({ len, tokens: 1 + Math.floor(rng() * Math.min(len, 20)) });
    }
    cases.push({ pageSize, width: 8 * (1 + Math.floor(rng() * 40)), seqs });
  }
  return cases;
}

export async function checkKvWrite(device: GPUDevice, cases: KvWriteCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new KvWriteKernel(device, code);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed * 1000 + i);
    const g = buildPagedBatch(rng, c.pageSize, c.seqs);
    const rows = new Set(Array.from(g.pos, (p, t) => cacheRow(g, g.seqRow[t], p, c.width)));
    if (rows.size !== g.m) throw new Error('kv_write case writes one slot twice');
    const k = fillNormal(new Float32Array(g.m * c.width), rng, 1);
    const v = fillNormal(new Float32Array(g.m * c.width), rng, 1);
    const poolElems = g.nPages * c.pageSize * c.width;
    const pool = () => {
      const a = fillNormal(new Float32Array(poolElems), rng, 1);
      return c.f32 ? { bits: a, values: a } : toF16(a);
    };
    const [kCache, vCache] = [pool(), pool()];
    const { outs, gpuError } = await runInPlace(device, [k, v, kCache.bits, vCache.bits, g.pageTable, g.seqRow, g.pos], [2, 3], (rec, b) =>
      kernel.encode(rec, { k: b[0], v: b[1], kCache: b[2], vCache: b[3], pageTable: b[4], seqRow: b[5], pos: b[6], m: g.m, width: c.width, pageSize: c.pageSize, maxPages: g.maxPages, kvF32: c.f32 }),
    );
    const want = kvWriteCpu(k, v, kCache.values, vCache.values, g, g.m, c.width, c.f32);
    const read = (o: Float32Array) => (c.f32 ? o.subarray(0, poolElems) : Float32Array.from(new Uint16Array(o.buffer, 0, poolElems), f16BitsToF32));
    const got = new Float32Array(2 * poolElems);
    got.set(read(outs[0]));
    got.set(read(outs[1]), poolElems);
    const wantBoth = new Float32Array(2 * poolElems);
    wantBoth.set(want.kCache);
    wantBoth.set(want.vCache, poolElems);
    const name = `${c.f32 ? 'f32 ' : ''}pageSize=${c.pageSize} width=${c.width} m=${g.m} seqs=${c.seqs.map((q) => `${q.tokens}/${q.len}`).join(',')}`;
    // a copy (f32: exact), rounded to f16: exact where the GPU rounds to nearest even as the twin does; WGSL
    // leaves the direction of a conversion's rounding to the implementation, so one f16 step (2^-10 relative) is allowed
    results.push(caseResult(name, compare(got, wantBoth, 0, c.f32 ? 0 : 2 ** -10), gpuError));
  }
  return results;
}
