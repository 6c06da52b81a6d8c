/**
 * The token_mask kernel checked against its CPU twin, bit for bit (a kept logit must come back unchanged,
 * -0, subnormals and -inf included; a masked one must be -inf): masks that allow almost nothing, almost
 * everything, or every other token; rows with different masks; fewer mask words than the row needs (ids
 * past them are masked); vocabularies that are not multiples of 32; more logits than one dispatch dimension
 * of 256-invocation workgroups holds.
 */
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compareBits } from './compare.ts';
import { TokenMaskKernel } from './token_mask.ts';
import { tokenMaskCpu } from './token_mask.cpu.ts';

export interface TokenMaskCase {
  rows: number;
  V: number; // logits per row
  words: number; // mask words per row
  density: number; // chance that a bit is set
}

/** Values planted at the start of each row: signed zeros, a subnormal, -inf, huge ones. */
const SPECIAL = [0, -0, 1e-42, -Infinity, 3e38, -3e38];

export function tokenMaskCases(seed: number, random = 3): TokenMaskCase[] {
  const cases: TokenMaskCase[] = [
    { rows: 1, V: 32000, words: 1000, density: 0.001 }, // a JSON grammar between values: a few tokens
    { rows: 1, V: 32000, words: 1000, density: 0.999 }, // inside a string: nearly all
    { rows: 3, V: 151_936, words: 4748, density: 0.5 }, // rows with different masks; 151936 = 32 * 4748
    { rows: 2, V: 1000, words: 20, density: 0.7 }, // ids 640 .. 999 lie past the mask: masked
    { rows: 1, V: 33, words: 2, density: 0.5 }, // one id in the last word
    { rows: 2, V: 65535 * 128 + 77, words: Math.ceil((65535 * 128 + 77) / 32), density: 0.5 }, // spills into wg.y
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) {
    const V = 1 + Math.floor(rng() * 50_000);
    cases.push({ rows: 1 + Math.floor(rng() * 4), V, words: Math.max(1, Math.ceil(V / 32) - Math.floor(rng() * 3)), density: rng() });
  }
  return cases;
}

function randomMask(c: TokenMaskCase, rng: () => number): Uint32Array {
  const mask = new Uint32Array(c.rows * c.words);
  for (let r = 0; r < c.rows; r++) {
    for (let id = 0; id < 32 * c.words; id++) if (rng() < c.density) mask[r * c.words + (id >>> 5)] |= 1 << (id & 31);
  }
  return mask;
}

export async function checkTokenMask(device: GPUDevice, cases: TokenMaskCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new TokenMaskKernel(device, code);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed * 1000 + i);
    const logits = fillNormal(new Float32Array(c.rows * c.V), rng, 5);
    for (let r = 0; r < c.rows; r++) logits.set(SPECIAL.slice(0, c.V), r * c.V);
    const mask = randomMask(c, rng);
    const { out, gpuError } = await runCase(device, [logits, mask], c.rows * c.V, (rec, [bl, bm], by) => {
      rec.encoder.copyBufferToBuffer(bl, 0, by, 0, logits.byteLength); // masked in place
      kernel.encode(rec, { logits: by, mask: bm, rows: c.rows, V: c.V, words: c.words });
    });
    const want = tokenMaskCpu(logits, mask, c.rows, c.V, c.words);
    // bit for bit: compare the words, so -0 against +0 or a flushed subnormal counts
    const got = new Uint32Array(out.buffer, out.byteOffset, out.length);
    const wantBits = new Uint32Array(want.buffer, want.byteOffset, want.length);
    const cmp = compareBits(got, wantBits);
    results.push(caseResult(`rows=${c.rows} V=${c.V} words=${c.words} density=${c.density.toPrecision(2)}`, cmp, gpuError));
  }
  return results;
}
