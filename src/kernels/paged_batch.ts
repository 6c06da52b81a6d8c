/**
 * What the checks of the kernels that read or write the paged KV cache share (rope_kv, attention,
 * attention_split): a batch of tokens from sequences with scattered (and, after a fork, shared) pages, and a
 * run that updates buffers in place.
 */
import { KvPages } from '../kv/pages.ts';
import type { Rng } from '../util/rng.ts';
import type { PagedTokens } from './kv_write.cpu.ts';
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
