/**
 * The add kernel checked against its CPU twin: residual adds (period = count), bias adds (period = row
 * length), a period that does not divide count, and more elements than one dispatch dimension holds.
 * One f32 addition is correctly rounded (WGSL requires it), as is the twin's f64 sum stored to f32:
 * the GPU must match bit for bit.
 */
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compare } from './compare.ts';
import { AddKernel } from './add.ts';
import { addCpu } from './add.cpu.ts';

export interface AddCase {
  count: number; // elements of y
  period: number; // elements of b
}

export function addCases(seed: number, random = 6): AddCase[] {
  const cases: AddCase[] = [
    { count: 1, period: 1 },
    { count: 255, period: 255 }, // residual add
    { count: 257, period: 257 },
    { count: 7 * 896, period: 896 }, // bias add over 7 tokens
    { count: 3 * 64 + 5, period: 64 }, // a period that does not divide count
    { count: 1000, period: 1 },
    // more elements than 65535 workgroups of 256 hold: exercises the wg.y spill
    { count: 65535 * 256 + 300, period: 4096 },
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) {
    const period = 1 + Math.floor(rng() * 3000);
    cases.push({ count: rng() < 0.3 ? period : period * (1 + Math.floor(rng() * 10)), period });
  }
  return cases;
}

export async function checkAdd(device: GPUDevice, cases: AddCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new AddKernel(device, code);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed * 1000 + i);
    const y = fillNormal(new Float32Array(c.count), rng, 3);
    const b = fillNormal(new Float32Array(c.period), rng, 1);
    const { out, gpuError } = await runCase(device, [y, b], c.count, (rec, [by0, bb], by) => {
      rec.encoder.copyBufferToBuffer(by0, 0, by, 0, y.byteLength); // updated in place
      kernel.encode(rec, { y: by, b: bb, count: c.count, period: c.period });
    });
    results.push(caseResult(`count=${c.count} period=${c.period}`, compare(out, addCpu(y, b, c.count, c.period), 0, 0), gpuError));
  }
  return results;
}
