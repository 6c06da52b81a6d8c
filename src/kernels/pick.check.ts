/**
 * The pick kernel checked against its CPU twin, the host's sampler (sampling/pick.ts): the same token for
 * every row, exactly. Rows of random top-k outputs (logits sorted, distinct ids, some rows ending in empty
 * slots), picked greedily or at temperatures 0.3-2 with and without top_p and min_p, from rows in any
 * order, into ids at an offset; rows that take the id drawn from the whole row. (u is random: a draw within f32 rounding of a boundary would be the only
 * legitimate difference, about one in a million.)
 */
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compareBits } from './compare.ts';
import { PickKernel, packPickRows, type PickRow } from './pick.ts';
import { pickCpu } from './pick.cpu.ts';
import { topkOutWords } from './topk.ts';

export interface PickCase {
  k: number; // entries per top-k row
  srcRows: number; // rows of the top-k output
  m: number; // rows picked
  greedy: number; // share of greedy rows
  truncate: number; // share of rows with top_p < 1 or min_p > 0
  empty: number; // share of top-k rows with empty slots at the end
  drawn?: number; // share of rows that take the id draw.wgsl drew (n = 0)
}

export function pickCases(): PickCase[] {
  return [
    { k: 1, srcRows: 1, m: 1, greedy: 1, truncate: 0, empty: 0 }, // a greedy stream
    { k: 1, srcRows: 4, m: 4, greedy: 0, truncate: 0, empty: 0 }, // top_k 1 at a temperature: the first entry too
    { k: 40, srcRows: 3, m: 3, greedy: 0, truncate: 0, empty: 0 }, // temperature only
    { k: 40, srcRows: 8, m: 8, greedy: 0, truncate: 1, empty: 0 }, // top_p and min_p
    { k: 64, srcRows: 16, m: 12, greedy: 0.25, truncate: 0.5, empty: 0.3 }, // a batch, mixed, some rows short
    { k: 8, srcRows: 2, m: 100, greedy: 0.1, truncate: 0.5, empty: 0.5 }, // more rows than a workgroup
    { k: 64, srcRows: 6, m: 6, greedy: 0, truncate: 0.5, empty: 0, drawn: 0.5 }, // some rows drawn from the whole row
  ];
}

/** A top-k output: per row (max, lse1, lseT, 0, k logits descending, k ids), empty slots id 2^32 - 1 and -inf. */
function topkRows(c: PickCase, rng: () => number): Uint32Array {
  const words = new Uint32Array(topkOutWords(c.k, c.srcRows));
  const f = new Float32Array(words.buffer);
  for (let r = 0; r < c.srcRows; r++) {
    const o = topkOutWords(c.k, r);
    const filled = rng() < c.empty ? 1 + Math.floor(rng() * c.k) : c.k;
    const logits = fillNormal(new Float32Array(filled), rng, 1 + 3 * rng()).sort((a, b) => b - a);
    const ids = new Set<number>();
    while (ids.size < filled) ids.add(Math.floor(rng() * 150_000));
    const list = [...ids];
    for (let j = 0; j < c.k; j++) {
      f[o + 4 + j] = j < filled ? logits[j] : -Infinity;
      words[o + 4 + c.k + j] = j < filled ? list[j] : 0xffffffff;
    }
    f[o] = logits[0];
    if (c.drawn) words[o + 3] = Math.floor(rng() * 150_000); // the id draw.wgsl would have drawn
  }
  return words;
}

function pickRows(c: PickCase, rng: () => number): PickRow[] {
  return Array.from({ length: c.m }, () => {
    const greedy = rng() < c.greedy;
    const truncate = rng() < c.truncate;
    return {
      src: Math.floor(rng() * c.srcRows),
      n: c.drawn && rng() < c.drawn ? 0 : 1 + Math.floor(rng() * c.k),
      invTemp: greedy ? 0 : Math.fround(1 / (0.3 + 1.7 * rng())),
      u: Math.fround(rng()),
      topP: truncate && rng() < 0.7 ? Math.fround(0.5 + 0.49 * rng()) : 1,
      minP: truncate && rng() < 0.7 ? Math.fround(0.2 * rng()) : 0,
    };
  });
}

export async function checkPick(device: GPUDevice, cases: PickCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new PickKernel(device, code);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed * 1000 + i);
    const topk = topkRows(c, rng);
    const rows = pickRows(c, rng);
    const idsAt = 3; // token 0's id goes to word 3: the offset counts
    const { out, gpuError } = await runCase(device, [topk, new Uint32Array(packPickRows(rows))], idsAt + c.m, (rec, [bt, br], by) => {
      kernel.encode(rec, { topk: bt, k: c.k, rows: br, m: c.m, ids: by, idsAt });
    });
    const got = new Uint32Array(out.buffer, out.byteOffset + idsAt * 4, c.m);
    const cmp = compareBits(got, pickCpu(topk, c.k, rows));
    results.push(caseResult(`k=${c.k} rows=${c.srcRows} m=${c.m} greedy=${c.greedy} truncate=${c.truncate} empty=${c.empty}`, cmp, gpuError));
  }
  return results;
}
