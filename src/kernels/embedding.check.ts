/**
 * The embedding kernel checked against its CPU twin for every table type: single tokens, ~70 tokens
 * with repeated ids, a table part at a non-zero byte offset, a table split by rows (tokens outside the
 * part must keep what y held before), and more elements than one dispatch dimension holds.
 * Dequantizing is exact in f32 (f16 scales times small integers fit in 24 bits; Q4_1/Q5_1/K-quant mins add
 * one rounding, the same in any order), so the GPU must match bit for bit.
 */
import { GgmlType, TYPE_LAYOUT } from '../gguf/ggml.ts';
import { gpuRows, sourceType, weightTypeName, type WeightType } from '../model/repack.ts';
import { quantize } from '../gguf/quant.ts';
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compare } from './compare.ts';
import { EmbeddingKernel } from './embedding.ts';
import { embeddingCpu } from './embedding.cpu.ts';
import { WEIGHT_TYPES } from './matmul.ts';

export interface EmbeddingCase {
  type: WeightType; // repacked types: the rows are quantized as their source type, then repacked
  m: number; // tokens
  n: number; // row length
  vocab: number; // rows of the whole table; ids are drawn from 0 .. vocab-1
  rowLo: number; // first row of the part the kernel is given
  rows: number; // rows in that part
  offset: number; // bytes of other data before the part in its buffer (a multiple of 32, as in GGUF files)
  scale?: number; // multiplier (gemma: sqrt(n) in f32)
}

export function embeddingCases(seed: number, random = 1): EmbeddingCase[] {
  const cases: EmbeddingCase[] = [];
  const rng = mulberry32(seed);
  for (const type of WEIGHT_TYPES) {
    const blk = TYPE_LAYOUT[sourceType(type)]!.blockElems; // 1 (floats), 32, or 256 (K-quants)
    cases.push({ type, m: 1, n: Math.max(32, blk), vocab: 3, rowLo: 0, rows: 3, offset: 0 });
    cases.push({ type, m: 70, n: blk === 1 ? 33 : 3 * blk, vocab: 50, rowLo: 0, rows: 50, offset: 64 });
    cases.push({ type, m: 40, n: blk === 1 ? 17 : 2 * blk, vocab: 60, rowLo: 25, rows: 20, offset: 32 }); // split table
    cases.push({ type, m: 9, n: 256, vocab: 20, rowLo: 0, rows: 20, offset: 0, scale: Math.fround(Math.sqrt(256 * 9)) }); // gemma's sqrt(nEmbd)
    for (let i = 0; i < random; i++) {
      const vocab = 1 + Math.floor(rng() * 300);
      const rowLo = Math.floor(rng() * vocab);
      cases.push({
        type,
        m: 1 + Math.floor(rng() * 70),
        n: blk === 1 ? 1 + Math.floor(rng() * 1200) : blk * (1 + Math.floor(rng() * (blk === 256 ? 5 : 40))),
        vocab,
        rowLo,
        rows: 1 + Math.floor(rng() * (vocab - rowLo)),
        offset: 32 * Math.floor(rng() * 3),
      });
    }
  }
  // more elements than 65535 workgroups of 256 hold: exercises the wg.y spill (a 4k-token prefill)
  cases.push({ type: GgmlType.Q4_0, m: 4097, n: 4096, vocab: 5, rowLo: 0, rows: 5, offset: 0 });
  return cases;
}

export async function checkEmbedding(device: GPUDevice, cases: EmbeddingCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new EmbeddingKernel(device, code);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed * 1000 + i);
    const part = quantize(sourceType(c.type), fillNormal(new Float32Array(c.rows * c.n), rng, 0.05));
    const gpuPart = gpuRows(c.type, part, c.n, c.rows);
    const wbuf = new Uint8Array(c.offset + gpuPart.byteLength);
    wbuf.fill(0xa5, 0, c.offset); // junk before the part: reading it would show
    wbuf.set(gpuPart, c.offset);
    const ids = new Uint32Array(c.m).map(() => Math.floor(rng() * c.vocab));
    if (c.m > 2) ids[c.m - 1] = ids[0]; // a repeated id
    const yInit = fillNormal(new Float32Array(c.m * c.n), rng, 1, 1000); // what y held before: kept where the part lacks the id
    const { out, gpuError } = await runCase(device, [wbuf, ids, yInit], c.m * c.n, (rec, [bw, bids, binit], by) => {
      rec.encoder.copyBufferToBuffer(binit, 0, by, 0, yInit.byteLength);
      kernel.encode(rec, { type: c.type, w: bw, wOffset: c.offset, ids: bids, y: by, m: c.m, n: c.n, rowLo: c.rowLo, rows: c.rows, scale: c.scale });
    });
    const want = embeddingCpu(sourceType(c.type), part, ids, c.m, c.n, c.rowLo, c.rows, yInit, c.scale);
    const name = `${weightTypeName(c.type)} m=${c.m} n=${c.n} rows=${c.rowLo}..${c.rowLo + c.rows - 1} of ${c.vocab} offset=${c.offset}${c.scale ? ` scale=${c.scale.toFixed(2)}` : ''}`;
    results.push(caseResult(name, compare(out, want, 0, 0), gpuError));
  }
  return results;
}
