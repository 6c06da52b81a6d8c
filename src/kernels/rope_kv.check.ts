/**
 * The rope_kv kernel checked against its CPU twin (rope.cpu.ts, then kv_write.cpu.ts): both pairings,
 * partial rotary (an odd number of pairs too), frequency factors, linear and attention scaling, grouped kv
 * heads, one to three sequences with scattered (and forked) pages, f16 and f32 pools. The pools start random,
 * so a write to a wrong slot and a slot left unwritten both show, and the parts of x besides q (k, v and
 * the gaps around them) must come back exactly as they were.
 *
 * Tolerance: q as rope.check.ts (ROPE_RTOL of its pair's |x0| + |x1|). A key has that rotation error and is
 * then rounded to f16, where the kernel and the twin may round to neighbouring values: one f16 step on top
 * (2^-10 of the value, 2^-24 below the normal range). A value is a copy rounded to f16: one step. f32 pools:
 * keys the rotation error alone, values exact. With q/k norms (per-head RMSNorm first, in f32 where the twin sums
 * in f64) the magnitudes are of the normalized elements, and each normalized element may be off by NORM_RTOL
 * of itself and of its pair: the f32 sum of hd squares, an inverse square root and two products.
 */
import type { RopeStyle } from '../model/hparams.ts';
import { f16BitsToF32 } from '../gguf/half.ts';
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { caseResult, type CaseResult } from './check.ts';
import { compare } from './compare.ts';
import { buildPagedBatch, runInPlace, type PagedSeq } from './paged_batch.ts';
import { cacheRow, toF16 } from './kv_write.cpu.ts';
import { ROPE_RTOL, pairMagnitudes } from './rope.check.ts';
import { RopeKvKernel } from './rope_kv.ts';
import { ropeKvCpu, type QkNormCpu } from './rope_kv.cpu.ts';
import { rmsNorm } from '../reference/cpu_ops.ts';

export interface RopeKvCase {
  pageSize: number;
  seqs: PagedSeq[];
  heads: number;
  kvHeads: number;
  hd: number;
  nRot?: number; // partial rotary: the first nRot dimensions of each head
  base: number;
  style: RopeStyle;
  factors: boolean; // random frequency factors in [1/4, 16)
  scale?: number;
  mscale?: number;
  f32?: boolean; // an f32 pool (else f16)
  qkNorm?: boolean; // random per-head RMSNorm weights for q and k (qwen3, gemma3), after the factors in their binding
}

/** A normalized element's relative error (see the file's comment): hd f32 roundings of the sum, and a few more. */
const normRtol = (hd: number) => (hd + 8) * 2 ** -24;

export function ropeKvCases(seed: number, random = 4): RopeKvCase[] {
  const cases: RopeKvCase[] = [
    { pageSize: 16, seqs: [{ len: 40, tokens: 1 }], heads: 32, kvHeads: 8, hd: 64, base: 500000, style: 'adjacent', factors: true }, // llama3.2-1b decode
    { pageSize: 16, seqs: [{ len: 30, tokens: 30 }], heads: 14, kvHeads: 2, hd: 64, base: 1e6, style: 'halves', factors: false }, // a qwen2.5 prefill
    { pageSize: 16, seqs: [{ len: 50, tokens: 10 }, { len: 45, tokens: 12, forkOf: 0, forkLen: 33 }], heads: 4, kvHeads: 4, hd: 128, base: 10000, style: 'adjacent', factors: false }, // after a fork
    { pageSize: 8, seqs: [{ len: 9, tokens: 1 }, { len: 64, tokens: 1 }, { len: 1, tokens: 1 }], heads: 6, kvHeads: 2, hd: 32, base: 10000, style: 'halves', factors: true }, // decode of 3
    { pageSize: 16, seqs: [{ len: 20, tokens: 7 }], heads: 3, kvHeads: 1, hd: 128, nRot: 96, base: 10000, style: 'halves', factors: true, mscale: 1.19 }, // phi-4-mini: 3/4 rotated
    { pageSize: 16, seqs: [{ len: 12, tokens: 5 }], heads: 2, kvHeads: 2, hd: 8, nRot: 6, base: 10000, style: 'halves', factors: false }, // 3 pairs: an odd count
    { pageSize: 4, seqs: [{ len: 30, tokens: 9 }], heads: 2, kvHeads: 1, hd: 32, nRot: 8, base: 10000, style: 'adjacent', factors: false, scale: 0.25, mscale: 0.9 },
    { pageSize: 256, seqs: [{ len: 4000, tokens: 3 }], heads: 4, kvHeads: 2, hd: 256, base: 1e6, style: 'halves', factors: false, scale: 0.125 }, // gemma3 global, position ~4k
    { pageSize: 16, seqs: [{ len: 40, tokens: 30 }, { len: 17, tokens: 2 }], heads: 4, kvHeads: 2, hd: 64, base: 10000, style: 'adjacent', factors: false, f32: true }, // f32 pools
    { pageSize: 8, seqs: [{ len: 9, tokens: 1 }, { len: 64, tokens: 1 }], heads: 6, kvHeads: 3, hd: 64, nRot: 32, base: 1e6, style: 'halves', factors: true, f32: true },
    { pageSize: 16, seqs: [{ len: 70, tokens: 64 }], heads: 16, kvHeads: 8, hd: 128, base: 500000, style: 'adjacent', factors: true }, // a full 64-token chunk: 64 workgroups
    { pageSize: 16, seqs: [{ len: 40, tokens: 1 }], heads: 16, kvHeads: 8, hd: 128, base: 1e6, style: 'halves', factors: false, qkNorm: true }, // qwen3-0.6b decode
    { pageSize: 16, seqs: [{ len: 30, tokens: 12 }, { len: 20, tokens: 1 }], heads: 4, kvHeads: 1, hd: 256, base: 1e6, style: 'halves', factors: false, qkNorm: true, scale: 0.125 }, // gemma3-1b prefill and decode
    { pageSize: 8, seqs: [{ len: 20, tokens: 7 }], heads: 6, kvHeads: 2, hd: 32, nRot: 12, base: 10000, style: 'adjacent', factors: true, qkNorm: true, mscale: 1.1 }, // norms past the factors, a tail
    { pageSize: 4, seqs: [{ len: 9, tokens: 9 }], heads: 3, kvHeads: 3, hd: 40, nRot: 24, base: 10000, style: 'halves', factors: false, qkNorm: true, f32: true },
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) {
    const seqs: PagedSeq[] = [];
    for (let s = 0, n = 1 + Math.floor(rng() * 3); s < n; s++) {
      const len = 1 + Math.floor(rng() * 100);
      seqs.push({ len, tokens: 1 + Math.floor(rng() * Math.min(len, 20)) });
    }
    const kvHeads = 1 + Math.floor(rng() * 4);
    const hd = 2 * (1 + Math.floor(rng() * 80));
    cases.push({
      pageSize: rng() < 0.7 ? 16 : 2 ** (1 + Math.floor(rng() * 5)),
      seqs,
      heads: kvHeads * (1 + Math.floor(rng() * 4)),
      kvHeads,
      hd,
      nRot: rng() < 0.3 ? Math.min(hd, 2 * (1 + Math.floor(rng() * 40))) : undefined,
      base: [10000, 500000, 1e6][Math.floor(rng() * 3)],
      style: rng() < 0.5 ? 'adjacent' : 'halves',
      factors: rng() < 0.5,
      scale: rng() < 0.3 ? 2 ** -Math.floor(rng() * 4) : undefined,
      mscale: rng() < 0.3 ? 0.5 + rng() : undefined,
      f32: rng() < 0.2,
      qkNorm: rng() < 0.3,
    });
  }
  return cases;
}

export async function checkRopeKv(device: GPUDevice, cases: RopeKvCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new RopeKvKernel(device, code);
  const results: CaseResult[] = [];
  try {
    for (const [i, c] of cases.entries()) {
      const rng = mulberry32(seed * 1000 + i);
      const g = buildPagedBatch(rng, c.pageSize, c.seqs);
      const { m } = g;
      const width = c.kvHeads * c.hd;
      const [nq, nk] = [m * c.heads * c.hd, m * width];
      const kAt = nq + Math.floor(rng() * 8); // gaps between q, k and v, which must stay as they are
      const vAt = kAt + nk + Math.floor(rng() * 8);
      const x = fillNormal(new Float32Array(vAt + nk + 3), rng, 1);
      x[Math.floor(rng() * nq)] *= 20; // an outlier, as real activations have
      const nRot = c.nRot ?? c.hd;
      const factors = c.factors ? new Float32Array(nRot / 2).map(() => 2 ** (rng() * 6 - 2)) : undefined;
      const poolElems = g.nPages * c.pageSize * width;
      const pool = () => {
        const a = fillNormal(new Float32Array(poolElems), rng, 1);
        return c.f32 ? { bits: a, values: a } : toF16(a);
      };
      const [kCache, vCache] = [pool(), pool()];
      // the norms' binding: the factors (else 3 other elements), then q_norm and k_norm
      const norm: QkNormCpu | undefined = c.qkNorm ? { q: fillNormal(new Float32Array(c.hd), rng, 1), k: fillNormal(new Float32Array(c.hd), rng, 1), eps: 1e-6 } : undefined;
      const normAt = factors?.length ?? 3;
      const aux = new Float32Array(normAt + 2 * c.hd);
      if (factors) aux.set(factors);
      if (norm) aux.set([...norm.q, ...norm.k], normAt);
      const inputs = [x, g.pos, kCache.bits, vCache.bits, g.pageTable, g.seqRow, factors || norm ? aux : new Float32Array(1)];
      const { outs, gpuError } = await runInPlace(device, inputs, [0, 2, 3], (rec, b) =>
        kernel.encode(rec, {
          x: b[0], kAt, vAt, m, heads: c.heads, kvHeads: c.kvHeads, hd: c.hd, nRot, base: c.base, scale: c.scale, mscale: c.mscale, style: c.style,
          freqFactors: factors ? b[6] : undefined, qkNorm: norm ? { w: b[6], at: normAt, eps: norm.eps } : undefined,
          pos: b[1], kCache: b[2], vCache: b[3], pageTable: b[4], seqRow: b[5], kvF32: c.f32, pageSize: c.pageSize, maxPages: g.maxPages,
        }),
      );
      const o = { base: c.base, style: c.style, nRot, scale: c.scale, attnFactor: c.mscale, freqFactors: factors };
      const [k, v] = [x.subarray(kAt, kAt + nk), x.subarray(vAt, vAt + nk)];
      const want = ropeKvCpu(x.subarray(0, nq), k, v, kCache.values, vCache.values, g, { m, heads: c.heads, kvHeads: c.kvHeads, hd: c.hd, f32: c.f32 }, o, norm);
      const wantX = x.slice();
      wantX.set(want.q);
      // tolerances, element by element: q's rotation error; the written cache rows' rounding (and keys' rotation)
      const ms = c.mscale ?? 1;
      const [qIn, kIn] = norm ? [rmsNorm(x.subarray(0, nq), norm.q, norm.eps, c.hd), rmsNorm(k, norm.k, norm.eps, c.hd)] : [x.subarray(0, nq), k];
      const nr = norm ? normRtol(c.hd) : 0;
      const rotTol = (mags: Float32Array, xs: Float32Array) => mags.map((p, j) => (ROPE_RTOL + nr) * p * ms + nr * Math.abs(xs[j]));
      const tolX = new Float32Array(x.length);
      tolX.set(rotTol(pairMagnitudes(qIn, c.hd, nRot, c.style), qIn));
      const [tolK, tolV] = [new Float32Array(poolElems), new Float32Array(poolElems)];
      const kTol = rotTol(pairMagnitudes(kIn, c.hd, nRot, c.style), kIn);
      const step = (w: number) => (c.f32 ? 0 : 2 ** -10 * Math.abs(w) + 2 ** -24);
      for (let t = 0; t < m; t++) {
        const dst = cacheRow(g, g.seqRow[t], g.pos[t], width);
        for (let e = 0; e < width; e++) {
          tolK[dst + e] = step(want.kCache[dst + e]) + kTol[t * width + e];
          tolV[dst + e] = step(want.vCache[dst + e]);
        }
      }
      const read = (a: Float32Array) => (c.f32 ? a.subarray(0, poolElems) : Float32Array.from(new Uint16Array(a.buffer, 0, poolElems), f16BitsToF32));
      const cat = (...parts: Float32Array[]) => {
        const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
        parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
        return out;
      };
      const got = cat(outs[0].subarray(0, x.length), read(outs[1]), read(outs[2]));
      const cmp = compare(got, cat(wantX, want.kCache, want.vCache), 0, 1, cat(tolX, tolK, tolV));
      const extra = `${nRot < c.hd ? ` nRot=${nRot}` : ''}${c.scale ? ` scale=${c.scale}` : ''}${c.mscale ? ` mscale=${c.mscale.toFixed(2)}` : ''}${factors ? ' factors' : ''}${norm ? ' qk-norm' : ''}`;
      const name = `${c.f32 ? 'f32 ' : ''}heads=${c.heads}/${c.kvHeads} hd=${c.hd} ${c.style}${extra} pageSize=${c.pageSize} m=${m} seqs=${c.seqs.map((q) => `${q.tokens}/${q.len}`).join(',')}`;
      results.push(caseResult(name, cmp, gpuError));
    }
  } finally {
    kernel.destroy();
  }
  return results;
}
