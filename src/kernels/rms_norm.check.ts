/**
 * The rms_norm kernel checked against its CPU twin on random shapes and magnitudes. Shared by the
 * Node GPU tests and the in-browser Worker test, so both run the same cases.
 */
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compare } from './compare.ts';
import { RmsNormKernel } from './rms_norm.ts';
import { rmsNormCpu } from './rms_norm.cpu.ts';

export interface RmsNormCase {
  rows: number;
  n: number;
  scale: number; // std of x: activations of real models range from ~1e-3 to 100+
  eps: number;
}

/** Fixed cases around the workgroup size plus random ones drawn from `seed`. */
export function rmsNormCases(seed: number, random = 12): RmsNormCase[] {
  const cases: RmsNormCase[] = [
    { rows: 1, n: 1, scale: 1, eps: 1e-6 },
    { rows: 3, n: 255, scale: 1, eps: 1e-6 },
    { rows: 3, n: 256, scale: 1, eps: 1e-5 },
    { rows: 2, n: 257, scale: 1, eps: 1e-6 },
    { rows: 1, n: 4096, scale: 60, eps: 1e-6 },
    { rows: 5, n: 896, scale: 1e-3, eps: 1e-6 },
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) {
    cases.push({
      rows: 1 + Math.floor(rng() * 40),
      n: 1 + Math.floor(rng() * 3000),
      scale: 10 ** (rng() * 5 - 3), // 1e-3 .. 1e2
      eps: rng() < 0.5 ? 1e-5 : 1e-6,
    });
  }
  return cases;
}

export async function checkRmsNorm(device: GPUDevice, cases: RmsNormCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new RmsNormKernel(device, code);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed * 1000 + i);
    const x = fillNormal(new Float32Array(c.rows * c.n), rng, c.scale);
    if (x.length > 8) x[Math.floor(rng() * x.length)] *= 20; // an outlier, as real activations have
    const w = fillNormal(new Float32Array(c.n), rng, 0.3, 1);
    const { out, gpuError } = await runCase(device, [x, w], x.length, (enc, [bx, bw], by) =>
      kernel.encode(enc, { x: bx, w: bw, y: by, rows: c.rows, n: c.n, eps: c.eps }),
    );
    const want = rmsNormCpu(x, w, c.rows, c.n, c.eps);
    results.push(caseResult(`rows=${c.rows} n=${c.n} scale=${c.scale.toPrecision(2)}`, compare(out, want, 1e-6, 1e-5), gpuError));
  }
  return results;
}
