/**
 * The stream_read probe checked against its CPU twin, exactly (integer sums): fewer words than invocations,
 * a ragged last sweep, one workgroup reading many sweeps, sums that wrap past 2^32.
 */
import { mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compareBits } from './compare.ts';
import { StreamReadKernel } from './stream_read.ts';
import { streamReadCpu } from './stream_read.cpu.ts';

export interface StreamReadCase {
  words: number; // 16-byte words
  groups: number; // workgroups
}

export function streamReadCases(seed: number, random = 3): StreamReadCase[] {
  const cases: StreamReadCase[] = [
    { words: 100, groups: 1 }, // fewer words than invocations
    { words: 256 * 7 + 13, groups: 1 }, // one workgroup, 8 sweeps, the last ragged
    { words: 1 << 18, groups: 64 }, // 4 MiB, whole sweeps
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) cases.push({ words: 1 + Math.floor(rng() * 200_000), groups: 1 + Math.floor(rng() * 300) });
  return cases;
}

export async function checkStreamRead(device: GPUDevice, cases: StreamReadCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new StreamReadKernel(device, code);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed * 1000 + i);
    const src = Uint32Array.from({ length: 4 * c.words }, () => Math.floor(rng() * 2 ** 32)); // sums wrap
    const grid = c.groups * kernel.workgroupSize;
    const { out, gpuError } = await runCase(device, [src], grid, (rec, [bs], bo) =>
      kernel.encode(rec, { src: bs, out: bo, words: c.words, groups: c.groups }),
    );
    const got = new Uint32Array(out.buffer, out.byteOffset, out.length);
    const cmp = compareBits(got, streamReadCpu(src, grid));
    results.push(caseResult(`words=${c.words} groups=${c.groups}`, cmp, gpuError));
  }
  return results;
}
