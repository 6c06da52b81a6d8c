/**
 * The draw kernel checked against the host's sampler (draw.cpu.ts): per drawn row, the id sample() takes
 * with top_k 0, or one it takes with u, top_p and min_p moved by DRAW_SLACK (f32 rounding); rows not drawn
 * keep their word 3. Vocabularies of 3 (fewer logits than invocations, runs of none), 1000, 5000, 32000 and
 * 151936; logits like a model's (a bulk of std 0.5..4, a few tokens lifted) or flat; ties (logits on a grid)
 * across the nucleus boundary; some or most logits -inf, a row all -inf; temperatures 0.5..1.5; top_p 1
 * (OpenAI's default), within topk's entries and far past them (the bisection), min_p alone and with top_p.
 * The topk output the kernel reads (max, entries) comes from topk's CPU twin.
 */
import { fillNormal, mulberry32, type Rng } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compareBits } from './compare.ts';
import { DrawKernel, packDrawRows, type DrawRow } from './draw.ts';
import { accepts, drawCpu } from './draw.cpu.ts';
import { topkOutWords } from './topk.ts';
import { topkCpu } from './topk.cpu.ts';

export interface DrawCase {
  rows: number;
  V: number;
  k: number; // topk's k: its entries are where a small nucleus is found
  invTemp: number;
  std: number; // std of the bulk of the logits
  spikes: number; // logits per row lifted by 4..12 (the likely tokens)
  topP: number; // 1: no nucleus
  minP: number;
  masked?: number; // fraction of the logits set to -inf
  allMasked?: boolean; // the last row all -inf
  grid?: number; // logits rounded to multiples of this: many ties
  skip?: number; // share of rows not drawn
}

export function drawCases(seed: number, random = 3): DrawCase[] {
  const cases: DrawCase[] = [
    { rows: 2, V: 1000, k: 1, invTemp: 1, std: 2, spikes: 3, topP: 1, minP: 0 }, // OpenAI's defaults
    { rows: 3, V: 5000, k: 64, invTemp: 1 / 0.7, std: 3, spikes: 4, topP: 0.95, minP: 0 }, // a nucleus within the entries
    { rows: 8, V: 2000, k: 64, invTemp: 1, std: 3, spikes: 0, topP: 0.3, minP: 0 }, // a few near-equal tokens in it
    { rows: 2, V: 5000, k: 64, invTemp: 1, std: 0.5, spikes: 0, topP: 0.9, minP: 0 }, // flat: the bisection
    { rows: 2, V: 1000, k: 8, invTemp: 1, std: 1, spikes: 0, topP: 0.5, minP: 0, grid: 0.5 }, // ties at the boundary
    { rows: 3, V: 1000, k: 64, invTemp: 1, std: 2, spikes: 2, topP: 1, minP: 0.05 }, // min_p alone
    { rows: 2, V: 5000, k: 16, invTemp: 2, std: 2, spikes: 0, topP: 0.8, minP: 0.2 }, // min_p cuts inside the nucleus
    { rows: 4, V: 3, k: 8, invTemp: 1, std: 1, spikes: 0, topP: 0.7, minP: 0, skip: 0.3 }, // fewer logits than k, rows skipped
    { rows: 3, V: 32000, k: 40, invTemp: 1, std: 3, spikes: 10, topP: 0.9, minP: 0, masked: 0.9, allMasked: true },
    { rows: 1, V: 151936, k: 64, invTemp: 1 / 1.2, std: 1, spikes: 5, topP: 0.95, minP: 0 }, // qwen's vocabulary, flat-ish
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) {
    cases.push({
      rows: 1 + Math.floor(rng() * 6),
      V: 100 + Math.floor(rng() * 20000),
      k: [1, 8, 40, 64][Math.floor(rng() * 4)],
      invTemp: 0.5 + rng() * 1.5,
      std: 0.5 + rng() * 3,
      spikes: Math.floor(rng() * 8),
      topP: rng() < 0.3 ? 1 : 0.5 + 0.5 * rng(),
      minP: rng() < 0.5 ? 0 : 0.2 * rng(),
      grid: rng() < 0.3 ? 0.25 : undefined,
      skip: 0.2,
    });
  }
  return cases;
}

function logitsOf(c: DrawCase, rng: Rng): Float32Array {
  const l = fillNormal(new Float32Array(c.rows * c.V), rng, c.std);
  for (let r = 0; r < c.rows; r++) {
    const row = l.subarray(r * c.V, (r + 1) * c.V);
    for (let s = 0; s < c.spikes; s++) row[Math.floor(rng() * c.V)] += 4 + 8 * rng();
    if (c.masked) for (let i = 0; i < c.V; i++) if (rng() < c.masked) row[i] = -Infinity;
    if (c.allMasked && r === c.rows - 1) row.fill(-Infinity);
    if (c.grid) for (let i = 0; i < c.V; i++) row[i] = Math.round(row[i] / c.grid) * c.grid;
  }
  return l;
}

const UNTOUCHED = 12345; // word 3 of a row not drawn, before and after

export async function checkDraw(device: GPUDevice, cases: DrawCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new DrawKernel(device, code);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed * 1000 + i);
    const logits = logitsOf(c, rng);
    const draws: (DrawRow | null)[] = Array.from({ length: c.rows }, (_, r) => (r > 0 && rng() < (c.skip ?? 0) ? null : { u: Math.fround(rng()), topP: Math.fround(c.topP), minP: Math.fround(c.minP) }));
    const out = new Uint32Array(topkOutWords(c.k, c.rows));
    const f = new Float32Array(out.buffer);
    topkCpu(logits, [], c.rows, c.V, c.k, c.invTemp).rows.forEach((row, r) => {
      const o = topkOutWords(c.k, r);
      f.set([row.max, row.lse1, row.lseT], o);
      out[o + 3] = UNTOUCHED;
      f.set(row.logits, o + 4);
      out.set(new Uint32Array(row.ids.buffer, row.ids.byteOffset, c.k), o + 4 + c.k);
    });
    const { out: got, gpuError } = await runCase(device, [logits, new Uint32Array(packDrawRows(draws)), out], out.length, (rec, [bl, bd, bo], by) => {
      rec.encoder.copyBufferToBuffer(bo, 0, by, 0, out.byteLength);
      kernel.encode(rec, { logits: bl, draws: bd, out: by, rows: c.rows, V: c.V, k: c.k, invTemp: c.invTemp });
    });
    const words = new Uint32Array(got.buffer, got.byteOffset, out.length);
    const want = out.slice();
    draws.forEach((d, r) => {
      if (!d) return;
      const o = topkOutWords(c.k, r) + 3;
      const row = logits.subarray(r * c.V, (r + 1) * c.V);
      want[o] = words[o] !== UNTOUCHED && accepts(row, d, c.invTemp, words[o]) ? words[o] : drawCpu(row, d, c.invTemp);
      if (want[o] < c.V) new Float32Array(want.buffer, 4 * (o - 1), 1)[0] = row[want[o]]; // its logit, in lseT's word
    });
    const cmp = compareBits(words, want);
    results.push(caseResult(`rows=${c.rows} V=${c.V} k=${c.k} invTemp=${c.invTemp.toFixed(2)} std=${c.std.toFixed(1)} top_p=${c.topP.toFixed(2)} min_p=${c.minP.toFixed(2)}${c.grid ? ` grid=${c.grid}` : ''}${c.masked ? ` masked=${c.masked}` : ''}`, cmp, gpuError));
  }
  return results;
}
