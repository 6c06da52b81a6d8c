/**
 * The softcap kernel checked against its CPU twin: caps of 30 (gemma2) and 1 .. 100, values well inside
 * the cap, around it and far past it (up to 1e30, where a tanh through exp(2x) overflows), and more
 * elements than one dispatch dimension holds.
 *
 * Tolerance: |err| <= SOFTCAP_ATOL * cap + SOFTCAP_RTOL * |want|. Near 0 the kernel's (1 - e) / (1 + e)
 * is off by about one ulp of 1 (6e-8) absolute, times the cap; elsewhere exp's error (WGSL: 3 + 2|2x|
 * ulp of e, which is small where |x| is large) and four roundings stay within a few ulp of the result.
 */
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compare } from './compare.ts';
import { SoftcapKernel } from './softcap.ts';
import { softcapCpu } from './softcap.cpu.ts';

export interface SoftcapCase {
  count: number; // elements
  cap: number;
  std: number; // std of the values
}

export const SOFTCAP_ATOL = 5e-7; // of the cap
export const SOFTCAP_RTOL = 5e-7; // of |want|

/** Values planted at the start of each case: zeros, tiny ones, and ones far past any cap. */
const SPECIAL = [0, -0, 1e-30, -1e-30, 1e-3, -1e-3, 1e30, -1e30, 3e38, -3e38];

export function softcapCases(seed: number, random = 4): SoftcapCase[] {
  const cases: SoftcapCase[] = [
    { count: 1, cap: 30, std: 1 },
    { count: 32000, cap: 30, std: 10 }, // a row of gemma2 logits
    { count: 5000, cap: 30, std: 100 }, // most past the cap
    { count: 777, cap: 1, std: 0.5 },
    // more elements than 65535 workgroups of 256 hold: exercises the wg.y spill
    { count: 65535 * 256 + 300, cap: 30, std: 20 },
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) cases.push({ count: 1 + Math.floor(rng() * 20000), cap: 1 + rng() * 99, std: 10 ** (rng() * 3 - 1) });
  return cases;
}

export async function checkSoftcap(device: GPUDevice, cases: SoftcapCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new SoftcapKernel(device, code);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed * 1000 + i);
    const y = fillNormal(new Float32Array(c.count), rng, c.std);
    y.set(SPECIAL.slice(0, c.count));
    const { out, gpuError } = await runCase(device, [y], c.count, (rec, [by0], by) => {
      rec.encoder.copyBufferToBuffer(by0, 0, by, 0, y.byteLength); // capped in place
      kernel.encode(rec, { y: by, count: c.count, cap: c.cap });
    });
    const want = softcapCpu(y, c.count, c.cap);
    const cmp = compare(out, want, SOFTCAP_ATOL * c.cap, SOFTCAP_RTOL, want.map(Math.abs));
    results.push(caseResult(`count=${c.count} cap=${c.cap.toPrecision(3)} std=${c.std.toPrecision(2)}`, cmp, gpuError));
  }
  return results;
}
