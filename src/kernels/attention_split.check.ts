/**
 * The split decode attention (split + merge) checked against the reference attention (attention.cpu.ts),
 * within the same tolerance as attention.wgsl: the attention cases whose head layout it takes, plus decode
 * batches over many splits (up to 2500 keys = 20 splits), 7:1 and 8:1 grouped heads, windows that start
 * inside a split, and a token whose keys end exactly on a split boundary.
 */
import { mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compare } from './compare.ts';
import { compareQ8 } from './quantize_q8.check.ts';
import { q8Bytes } from './quantize_q8.ts';
import { attentionRef } from './attention.cpu.ts';
import { ATTENTION_ATOL, ATTENTION_RTOL, attentionCaseName, attentionCases, attentionInputs, type AttentionCase } from './attention.check.ts';
import { SPLIT_KEYS, SPLIT_MAX_GROUP, SplitAttentionKernel, type SplitAttentionCode } from './attention_split.ts';

/** Both shaders in one string, so that the kernel suite's mutations can reach either. */
export const SPLIT_CODE_MARK = '\n// ---- attention_merge.wgsl ----\n';

export function attentionSplitCases(seed: number, random = 6): AttentionCase[] {
  const taken = attentionCases(seed, random).filter((c) => c.hd % 4 === 0 && c.hd <= 256 && c.nHead / c.nKvHead <= SPLIT_MAX_GROUP);
  return [
    { nHead: 9, nKvHead: 3, hd: 64, pageSize: 16, seqs: [{ len: 512, tokens: 1 }], scoreStd: 3 }, // smollm2-135m decode
    { nHead: 14, nKvHead: 2, hd: 64, pageSize: 16, seqs: [{ len: 700, tokens: 1 }, { len: 2 * SPLIT_KEYS, tokens: 1 }], scoreStd: 4 }, // qwen2.5-0.5b
    { nHead: 32, nKvHead: 4, hd: 128, pageSize: 16, seqs: [{ len: 300, tokens: 2 }, { len: 90, tokens: 1, forkOf: 0, forkLen: 64 }], scoreStd: 5 },
    { nHead: 4, nKvHead: 4, hd: 4, pageSize: 8, seqs: [{ len: 129, tokens: 1 }], scoreStd: 2 }, // 64 key groups of one vec4
    { nHead: 8, nKvHead: 2, hd: 64, pageSize: 16, seqs: [{ len: 1000, tokens: 1 }], scoreStd: 3, window: 200 }, // window starts mid-split
    { nHead: 4, nKvHead: 2, hd: 64, pageSize: 16, seqs: [{ len: 400, tokens: 1 }], scoreStd: 30, softcap: 30 },
    { nHead: 9, nKvHead: 3, hd: 64, pageSize: 16, seqs: [{ len: 300, tokens: 1 }, { len: 40, tokens: 3 }], scoreStd: 3, kvF32: true }, // an f32 pool
    ...taken,
  ];
}

/**
 * How a case is run, from the case itself (so a case runs the same alone and in a mutation's list): a spare
 * split or not, 1, 3 or 5 tokens per dispatch (the scratch then holds only those), the output quantized too
 * (heads of a multiple of 32, every other case), and 1, 3 or 8 (token, head) pairs per merge workgroup.
 */
export function splitCaseRun(c: AttentionCase): { spare: number; groupTokens: number; quant: boolean; mergePairs: number } {
  const v = c.nHead + c.hd + c.seqs.reduce((n, s) => n + s.len + s.tokens, 0);
  return { spare: v % 2, groupTokens: 1 + ((v >> 1) % 3) * 2, quant: c.hd % 32 === 0 && (v >> 2) % 2 === 0, mergePairs: [1, 3, 8][(v >> 3) % 3] };
}

export async function checkAttentionSplit(device: GPUDevice, cases: AttentionCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const parts = code?.split(SPLIT_CODE_MARK);
  const kernel = new SplitAttentionKernel(device, parts ? ({ split: parts[0], merge: parts[1] } satisfies SplitAttentionCode) : undefined);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const { g, q, kCache, vCache, kBits, vBits, shape } = attentionInputs(c, mulberry32(seed * 1000 + i));
    const { spare, groupTokens, quant, mergePairs } = splitCaseRun(c);
    const splits = SplitAttentionKernel.splitsFor(Math.max(...g.pos) + 1) + spare; // a spare split is never written
    const partO = new Float32Array(groupTokens * c.nHead * splits * c.hd).fill(Number.NaN); // unwritten splits must stay unread
    const partMl = new Float32Array(groupTokens * c.nHead * splits * 2).fill(Number.NaN);
    const q8 = q8Bytes(q.length);
    // output: the attention, then (quant) xq and xd
    const { out, gpuError } = await runCase(device, [q, kBits, vBits, g.pageTable, g.seqRow, g.pos, partO, partMl], q.length + (quant ? (q8.q + q8.d) / 4 : 0), (rec, b, bo) => {
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
      const xq = device.createBuffer({ size: Math.max(16, q8.q), usage });
      const xd = device.createBuffer({ size: Math.max(16, q8.d), usage });
      const o = { buffer: bo, offset: 0, size: Math.ceil(q.length / 4) * 16 };
      kernel.encode(rec, { q: b[0], kCache: b[1], vCache: b[2], pageTable: b[3], seqRow: b[4], pos: b[5], partO: b[6], partMl: b[7], out: o, groupTokens, ...shape, pageSize: c.pageSize, maxPages: g.maxPages, splits, mergePairs, q8: quant ? { xq, xd } : undefined });
      if (quant) {
        rec.encoder.copyBufferToBuffer(xq, 0, bo, q.length * 4, q8.q);
        rec.encoder.copyBufferToBuffer(xd, 0, bo, q.length * 4 + q8.q, q8.d);
      }
    });
    const { out: want, errScale } = attentionRef(q, kCache, vCache, g, shape);
    const att = out.subarray(0, q.length);
    let cmp = compare(att, want, ATTENTION_ATOL, ATTENTION_RTOL, errScale);
    if (cmp.ok && quant) cmp = compareQ8(att, new Int8Array(out.buffer, q.length * 4, q.length), new Float32Array(out.buffer, q.length * 4 + q8.q, q8.d / 4));
    results.push(caseResult(attentionCaseName(c, g, ` splits=${splits} group=${groupTokens} pairs=${mergePairs}${quant ? ' q8' : ''}`), cmp, gpuError));
  }
  return results;
}
