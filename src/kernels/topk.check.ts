/**
 * The topk kernel checked against its CPU twin: vocabularies of 1, 7, 40, 41, 1000, 32000, 128256,
 * 151936 and 262144 (one slice, many slices, a partial last slice, fewer logits than k); k = 1, 8, 40, 64;
 * 1..4 rows; logits like a model's (a bulk of std 2..4, a few tokens at 10..30, one of them the last id),
 * some or most of them -inf, a row all -inf; ties (logits rounded to a grid) that only the id order
 * decides; repetition penalties (r > 1 on positive and negative logits), frequency/presence penalties,
 * biases both ways and masks (sub = +inf), on ids in and out of the top k; invTemp 0.5, 1, 2, 10.
 * Compared: the adjusted logits written back, ids, top-k logits and max exactly (every step is exact or
 * one correctly rounded f32 operation); lse1 and lseT within TOPK_LSE_RTOL.
 */
import { fillNormal, mulberry32, type Rng } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compare } from './compare.ts';
import { TopkKernel, packTopkAdj, readTopk, topkOutWords, type TopkAdj } from './topk.ts';
import { topkCpu } from './topk.cpu.ts';

export interface TopkCase {
  rows: number;
  V: number;
  k: number;
  invTemp: number;
  std: number; // std of the bulk of the logits
  spikes: number; // logits per row lifted to 10..30 (the likely tokens); the last id is one of them
  nAdj: number; // adjustments per row, half of them on spiked ids
  masked?: number; // fraction of the logits set to -inf
  allMasked?: boolean; // the last row all -inf
  grid?: number; // logits rounded to multiples of this: many ties
}

export function topkCases(seed: number, random = 4): TopkCase[] {
  const cases: TopkCase[] = [
    { rows: 1, V: 1, k: 1, invTemp: 1, std: 3, spikes: 0, nAdj: 0 },
    { rows: 2, V: 7, k: 8, invTemp: 0.5, std: 3, spikes: 1, nAdj: 2 }, // fewer logits than k
    { rows: 3, V: 40, k: 40, invTemp: 2, std: 3, spikes: 3, nAdj: 5 },
    { rows: 2, V: 41, k: 40, invTemp: 1, std: 2, spikes: 2, nAdj: 3, grid: 0.5 },
    { rows: 4, V: 1000, k: 64, invTemp: 0.5, std: 3, spikes: 10, nAdj: 20 },
    { rows: 3, V: 1000, k: 8, invTemp: 1, std: 2, spikes: 0, nAdj: 0, grid: 0.25 }, // ties across the k-th
    { rows: 2, V: 32000, k: 40, invTemp: 2, std: 3, spikes: 20, nAdj: 64, masked: 0.05 },
    { rows: 3, V: 5000, k: 40, invTemp: 1, std: 4, spikes: 5, nAdj: 10, masked: 0.97, allMasked: true },
    { rows: 2, V: 3000, k: 64, invTemp: 10, std: 2, spikes: 4, nAdj: 8, grid: 1 },
    { rows: 1, V: 151936, k: 40, invTemp: 1, std: 3, spikes: 30, nAdj: 64 },
    { rows: 1, V: 128256, k: 1, invTemp: 10, std: 3, spikes: 10, nAdj: 16 }, // exp(300): overflows without the max
    { rows: 2, V: 262144, k: 64, invTemp: 10, std: 4, spikes: 40, nAdj: 32, masked: 0.01 },
    { rows: 3, V: 5001, k: 1, invTemp: 1, std: 2, spikes: 0, nAdj: 4, grid: 1 }, // k = 1 (greedy): ties for the best across slices
    { rows: 2, V: 3001, k: 1, invTemp: 2, std: 3, spikes: 3, nAdj: 6, masked: 0.9, allMasked: true },
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) {
    const V = 1 + Math.floor(10 ** (rng() * 4.6)); // 1 .. 40k
    cases.push({
      rows: 1 + Math.floor(rng() * 4),
      V,
      k: 1 + Math.floor(rng() * 64),
      invTemp: [0.5, 1, 2, 10][Math.floor(rng() * 4)],
      std: 1 + rng() * 4,
      spikes: Math.floor(rng() * Math.min(V, 20)),
      nAdj: Math.floor(rng() * Math.min(V, 40)),
      masked: rng() < 0.3 ? rng() : undefined,
      grid: rng() < 0.3 ? 0.5 : undefined,
    });
  }
  return cases;
}

/**
 * lse1 and lseT: |got - want| <= TOPK_LSE_RTOL * max(1, |want|). The f32 sums (a few terms per invocation,
 * then two trees) and exp's error (3 + 2|x| ulp, on terms that are small when |x| is large) move the sum
 * by a few 1e-7 relative, which is the absolute error of its log; the f32 max * invTemp adds ~1e-7
 * relative. Lavapipe stays near 1e-6 (see the report in the test); 1e-5 leaves room for SwiftShader's exp/log.
 */
export const TOPK_LSE_RTOL = 1e-5;

function makeInputs(rng: Rng, c: TopkCase): { logits: Float32Array; adj: TopkAdj[] } {
  const logits = fillNormal(new Float32Array(c.rows * c.V), rng, c.std);
  const adj: TopkAdj[] = [];
  for (let r = 0; r < c.rows; r++) {
    const row = logits.subarray(r * c.V, (r + 1) * c.V);
    const spiked = c.spikes > 0 ? [c.V - 1] : [];
    while (spiked.length < Math.min(c.spikes, c.V)) spiked.push(Math.floor(rng() * c.V));
    for (const id of spiked) row[id] = 10 + 20 * rng();
    if (c.grid) row.forEach((x, i) => (row[i] = Math.round(x / c.grid!) * c.grid!));
    if (c.masked) row.forEach((_, i) => rng() < c.masked! && (row[i] = -Infinity));
    if (c.allMasked && r === c.rows - 1) row.fill(-Infinity);
    const used = new Set<number>();
    for (let j = 0; j < Math.min(c.nAdj, c.V); j++) {
      const id = j % 2 === 0 && spiked.length > 0 ? spiked[Math.floor(rng() * spiked.length)] : Math.floor(rng() * c.V);
      if (used.has(id)) continue;
      used.add(id);
      const kind = Math.floor(rng() * 4);
      const r1 = 1.05 + 0.45 * rng();
      if (kind === 0) adj.push({ row: r, id, r: r1, sub: 0 }); // repetition penalty
      else if (kind === 1) adj.push({ row: r, id, r: r1, sub: 0.1 * Math.floor(1 + rng() * 5) + 0.5 }); // and frequency + presence
      else if (kind === 2) adj.push({ row: r, id, r: 1, sub: 10 * rng() - 5 }); // logit bias either way
      else adj.push({ row: r, id, r: 1, sub: Infinity }); // masked
    }
  }
  return { logits, adj };
}

/** -inf as a finite stand-in so that compare() sees equal -infs as equal (err = 0). */
const fin = (x: number) => (x === -Infinity ? -1e30 : x);

export async function checkTopk(device: GPUDevice, cases: TopkCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new TopkKernel(device, code);
  const results: CaseResult[] = [];
  try {
    for (const [i, c] of cases.entries()) {
      const rng = mulberry32(seed * 1000 + i);
      const { logits, adj } = makeInputs(rng, c);
      const topWords = topkOutWords(c.k, c.rows);
      // out: the kernel's words, then a copy of the logits it adjusted in place
      const { out, gpuError } = await runCase(device, [logits, new Uint8Array(packTopkAdj(adj))], topWords + logits.length, (rec, [bl, ba], bo) => {
        kernel.encode(rec, { logits: bl, adj: ba, out: bo, rows: c.rows, V: c.V, k: c.k, nAdj: adj.length, invTemp: c.invTemp });
        rec.encoder.copyBufferToBuffer(bl, 0, bo, topWords * 4, logits.byteLength);
      });
      const want = topkCpu(logits, adj, c.rows, c.V, c.k, c.invTemp);
      const gotRows = readTopk(out.buffer as ArrayBuffer, c.rows, c.k);
      const got: number[] = [];
      const wantV: number[] = [];
      const scale: number[] = [];
      for (let r = 0; r < c.rows; r++) {
        const g = gotRows[r];
        const w = want.rows[r];
        got.push(g.max, g.lse1, g.lseT, ...g.logits, ...g.ids);
        wantV.push(w.max, w.lse1, w.lseT, ...w.logits, ...w.ids);
        scale.push(0, Math.max(1, Math.abs(w.lse1)), Math.max(1, Math.abs(w.lseT)), ...new Array<number>(2 * c.k).fill(0));
      }
      const cmp = compare(
        [...got, ...out.subarray(topWords)].map(fin),
        [...wantV, ...want.adjusted].map(fin),
        0,
        TOPK_LSE_RTOL,
        [...scale, ...new Array<number>(logits.length).fill(0)],
      );
      const name = `rows=${c.rows} V=${c.V} k=${c.k} invTemp=${c.invTemp} adj=${adj.length}${c.masked ? ` masked=${c.masked.toFixed(2)}` : ''}${c.allMasked ? ' allMasked' : ''}${c.grid ? ` grid=${c.grid}` : ''}`;
      results.push(caseResult(name, cmp, gpuError));
    }
  } finally {
    kernel.destroy();
  }
  return results;
}
