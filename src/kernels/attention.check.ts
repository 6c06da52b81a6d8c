/**
 * The attention kernel checked against its CPU twin: GQA, MQA and plain multi-head; head dimensions 3, 8,
 * 16, 32, 64, 80, 128, 256 and random ones in 1..256; batches mixing tokens of up to three sequences with
 * scattered pages (shared after forks); positions crossing page boundaries; page sizes 16, 8, 32 (random
 * ones 2..64); up to 2500 keys; scores up to ~40 (and one case past 100, where exp overflows without the
 * max subtraction). The whole pool is random, so reading a wrong page, slot or head shows.
 */
import { fillNormal, mulberry32, type Rng } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compare } from './compare.ts';
import { AttentionKernel } from './attention.ts';
import { attentionRef, type AttentionShape } from './attention.cpu.ts';
import { buildPagedBatch, type PagedBatch, type PagedSeq } from './paged_batch.ts';
import { toF16 } from './kv_write.cpu.ts';

export interface AttentionCase {
  nHead: number;
  nKvHead: number;
  hd: number;
  pageSize: number;
  seqs: PagedSeq[]; // the batch: the last `tokens` positions of each sequence query
  scoreStd: number; // std of the scores scale * q . k (q and k entries have std sqrt(scoreStd))
  softcap?: number; // gemma2's score capping
  window?: number; // sliding window, in keys
  kvF32?: boolean; // an f32 KV pool (else f16)
}

export function attentionCases(seed: number, random = 6): AttentionCase[] {
  const cases: AttentionCase[] = [
    { nHead: 4, nKvHead: 4, hd: 64, pageSize: 16, seqs: [{ len: 5, tokens: 5 }], scoreStd: 1 }, // a first prefill chunk
    { nHead: 8, nKvHead: 2, hd: 128, pageSize: 16, seqs: [{ len: 37, tokens: 20 }, { len: 70, tokens: 3 }], scoreStd: 3 },
    { nHead: 6, nKvHead: 1, hd: 8, pageSize: 16, seqs: [{ len: 1, tokens: 1 }, { len: 16, tokens: 1 }, { len: 17, tokens: 1 }], scoreStd: 10 }, // MQA decode
    { nHead: 4, nKvHead: 2, hd: 16, pageSize: 8, seqs: [{ len: 40, tokens: 9 }, { len: 33, tokens: 4, forkOf: 0, forkLen: 24 }], scoreStd: 5 },
    { nHead: 2, nKvHead: 1, hd: 32, pageSize: 16, seqs: [{ len: 2500, tokens: 2 }], scoreStd: 10 }, // long decode, peaked
    { nHead: 2, nKvHead: 1, hd: 256, pageSize: 16, seqs: [{ len: 130, tokens: 3 }], scoreStd: 3 },
    { nHead: 3, nKvHead: 3, hd: 80, pageSize: 32, seqs: [{ len: 100, tokens: 5 }], scoreStd: 2 },
    { nHead: 4, nKvHead: 2, hd: 3, pageSize: 16, seqs: [{ len: 50, tokens: 4 }, { len: 20, tokens: 2 }], scoreStd: 1 },
    { nHead: 2, nKvHead: 2, hd: 64, pageSize: 16, seqs: [{ len: 300, tokens: 2 }], scoreStd: 40 }, // scores past 100
    {
      nHead: 4, nKvHead: 2, hd: 64, pageSize: 16, scoreStd: 4, // a fork of a fork, all three in one batch
      seqs: [{ len: 64, tokens: 2 }, { len: 80, tokens: 5, forkOf: 0, forkLen: 64 }, { len: 41, tokens: 1, forkOf: 1, forkLen: 40 }],
    },
    { nHead: 14, nKvHead: 2, hd: 64, pageSize: 16, seqs: [{ len: 64, tokens: 64 }], scoreStd: 3 }, // a 64-token chunk, 7:1 GQA
    { nHead: 8, nKvHead: 2, hd: 128, pageSize: 16, seqs: [{ len: 1200, tokens: 16 }], scoreStd: 6 }, // a later chunk of a long prompt
    // gemma2: scores capped at 50 (some past it) and at 5; head size 256
    { nHead: 4, nKvHead: 2, hd: 256, pageSize: 16, seqs: [{ len: 90, tokens: 7 }], scoreStd: 40, softcap: 50 },
    { nHead: 2, nKvHead: 1, hd: 64, pageSize: 16, seqs: [{ len: 30, tokens: 30 }, { len: 200, tokens: 1 }], scoreStd: 10, softcap: 5 },
    // sliding windows: a prefill crossing the window, a window of 1 (only itself), one longer than the
    // sequence (no effect), a long decode seeing its last 100 keys across pages, a fork, and capping too
    { nHead: 4, nKvHead: 2, hd: 32, pageSize: 16, seqs: [{ len: 40, tokens: 20 }], scoreStd: 3, window: 8 },
    { nHead: 2, nKvHead: 2, hd: 16, pageSize: 8, seqs: [{ len: 17, tokens: 5 }], scoreStd: 2, window: 1 },
    { nHead: 2, nKvHead: 1, hd: 64, pageSize: 16, seqs: [{ len: 50, tokens: 3 }], scoreStd: 2, window: 4096 },
    { nHead: 4, nKvHead: 1, hd: 128, pageSize: 16, seqs: [{ len: 2500, tokens: 2 }], scoreStd: 5, window: 100 },
    { nHead: 4, nKvHead: 2, hd: 64, pageSize: 16, seqs: [{ len: 64, tokens: 2 }, { len: 80, tokens: 5, forkOf: 0, forkLen: 64 }], scoreStd: 4, window: 33, softcap: 20 },
    { nHead: 8, nKvHead: 2, hd: 64, pageSize: 16, seqs: [{ len: 300, tokens: 3 }, { len: 20, tokens: 20 }], scoreStd: 5, kvF32: true }, // an f32 pool
    { nHead: 4, nKvHead: 2, hd: 3, pageSize: 16, seqs: [{ len: 50, tokens: 4 }], scoreStd: 1, kvF32: true },
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) {
    const nKvHead = 1 + Math.floor(rng() * 4);
    const seqs: PagedSeq[] = [];
    for (let s = 0, n = 1 + Math.floor(rng() * 3); s < n; s++) {
      const len = 1 + Math.floor(rng() * 600);
      const fork = s > 0 && rng() < 0.4;
      const parent = seqs[s - 1];
      const forkLen = fork ? Math.floor(rng() * Math.min(parent.len, len)) : undefined;
      seqs.push({ len, tokens: 1 + Math.floor(rng() * Math.min(len, 8)), forkOf: fork ? s - 1 : undefined, forkLen });
    }
    cases.push({
      nHead: nKvHead * (1 + Math.floor(rng() * 4)),
      nKvHead,
      hd: 1 + Math.floor(rng() * 256),
      pageSize: rng() < 0.6 ? 16 : 2 ** (1 + Math.floor(rng() * 6)),
      seqs,
      scoreStd: 10 ** (rng() * 1.5 - 0.5), // 0.3 .. 10
      softcap: rng() < 0.3 ? 1 + rng() * 50 : undefined,
      window: rng() < 0.3 ? 1 + Math.floor(rng() * 200) : undefined,
    });
  }
  return cases;
}

/**
 * Tolerance: |got - want| <= ATOL + RTOL * errScale (attention.cpu.ts), which grows with |V| and with how
 * far score rounding (~eps * scale * sum|q k|, and exp's error ~ eps * |s - max|) can move the output. On
 * lavapipe the worst err/errScale seen is ~1e-6 (8 f32 eps); RTOL leaves 10x for other drivers' exp.
 */
export const ATTENTION_ATOL = 1e-6;
export const ATTENTION_RTOL = 1e-5;

/**
 * A case's batch, random q and caches (score std as asked), and its shape. The caches are f16 (as rope_kv
 * stores them; f32 with kvF32): their bits, to upload, and their values, for the CPU twin.
 */
export function attentionInputs(c: AttentionCase, rng: Rng): { g: PagedBatch; q: Float32Array; kCache: Float32Array; vCache: Float32Array; kBits: ArrayBufferView; vBits: ArrayBufferView; shape: AttentionShape & { kvF32?: boolean } } {
  const g = buildPagedBatch(rng, c.pageSize, c.seqs);
  const poolElems = g.nPages * c.pageSize * c.nKvHead * c.hd;
  const std = Math.sqrt(c.scoreStd);
  const q = fillNormal(new Float32Array(g.m * c.nHead * c.hd), rng, std);
  const pool = (std: number) => {
    const a = fillNormal(new Float32Array(poolElems), rng, std);
    return c.kvF32 ? { bits: a, values: a } : toF16(a);
  };
  const [k, v] = [pool(std), pool(1)];
  const shape = { m: g.m, nHead: c.nHead, nKvHead: c.nKvHead, hd: c.hd, scale: 1 / Math.sqrt(c.hd), softcap: c.softcap, window: c.window, kvF32: c.kvF32 };
  return { g, q, kCache: k.values, vCache: v.values, kBits: k.bits, vBits: v.bits, shape };
}

export function attentionCaseName(c: AttentionCase, g: PagedBatch, extra = ''): string {
  return `${c.kvF32 ? 'f32 KV ' : ''}heads=${c.nHead}/${c.nKvHead} hd=${c.hd} pageSize=${c.pageSize}${extra} scoreStd=${c.scoreStd.toPrecision(2)}${c.softcap ? ` softcap=${c.softcap.toPrecision(3)}` : ''}${c.window ? ` window=${c.window}` : ''} m=${g.m} seqs=${c.seqs.map((s) => `${s.tokens}/${s.len}`).join(',')}`;
}

export async function checkAttention(device: GPUDevice, cases: AttentionCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new AttentionKernel(device, code);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const { g, q, kCache, vCache, kBits, vBits, shape } = attentionInputs(c, mulberry32(seed * 1000 + i));
    const { out, gpuError } = await runCase(device, [q, kBits, vBits, g.pageTable, g.seqRow, g.pos], q.length, (rec, b, bo) =>
      kernel.encode(rec, { q: b[0], kCache: b[1], vCache: b[2], pageTable: b[3], seqRow: b[4], pos: b[5], out: bo, ...shape, pageSize: c.pageSize, maxPages: g.maxPages }),
    );
    const { out: want, errScale } = attentionRef(q, kCache, vCache, g, shape);
    results.push(caseResult(attentionCaseName(c, g), compare(out, want, ATTENTION_ATOL, ATTENTION_RTOL, errScale), gpuError));
  }
  return results;
}
