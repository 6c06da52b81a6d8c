/**
 * The quantize_q8 kernel checked against its CPU twin: q bit for bit, except where x / d lies within 1e-5 of
 * a halfway point without being exactly on it (the GPU's 1 / d may differ from the twin's in the last bit and
 * tip the rounding: |diff| <= 1 there); d to 3e-7 relative; each block's sum to the number of such
 * near-halfway elements in it. Cases: one block, blocks across workgroups, a zero block (d = 0), values far
 * from 1, and blocks whose d is exactly 1, so that x / d lands exactly on halfway points, which must round to
 * even.
 */
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compare, type Comparison } from './compare.ts';
import { QuantizeQ8Kernel, q8Bytes } from './quantize_q8.ts';
import { quantizeQ8Cpu } from './quantize_q8.cpu.ts';

export interface QuantizeQ8Case {
  blocks: number;
  scale: number; // std of x
  special?: boolean; // the first blocks: zeros, and halfway points with d = 1
}

export function quantizeQ8Cases(seed: number, random = 3): QuantizeQ8Case[] {
  const cases: QuantizeQ8Case[] = [
    { blocks: 1, scale: 1 },
    { blocks: 64 * 3 + 5, scale: 0.01, special: true },
    { blocks: 300, scale: 1e4 },
    { blocks: 20, scale: 1e-20 },
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) cases.push({ blocks: 1 + Math.floor(rng() * 2000), scale: 10 ** (rng() * 6 - 3), special: rng() < 0.5 });
  return cases;
}

function inputs(c: QuantizeQ8Case, seed: number): Float32Array {
  const x = fillNormal(new Float32Array(c.blocks * 32), mulberry32(seed), c.scale);
  if (c.special && c.blocks >= 3) {
    x.fill(0, 0, 32); // block 0: all zero
    for (let i = 32; i < 96; i++) x[i] = (((i * 7) % 255) - 127) / 2; // -63.5 .. 63.5 in halves: ties
    x[32] = 127; // d = 1 exactly in blocks 1 and 2
    x[64] = -127;
  }
  return x;
}

/**
 * A kernel's quantization of `x` (q bytes, (d, sum) pairs) against the CPU twin's, with the allowances above,
 * as one comparison over [q..., d..., sum...].
 */
export function compareQ8(x: Float32Array, gotQ: Int8Array, gotD: Float32Array): Comparison {
  const want = quantizeQ8Cpu(x);
  const count = x.length;
  const nb = count / 32;
  const got = new Float64Array(count + 2 * nb);
  const exp = new Float64Array(count + 2 * nb);
  const allow = new Float64Array(count + 2 * nb);
  for (let j = 0; j < count; j++) {
    const v = Math.abs(x[j] / want.d[j >> 5] || 0) % 1;
    const nearTie = Math.abs(v - 0.5) < 1e-5 && v !== 0.5;
    got[j] = gotQ[j];
    exp[j] = want.q[j];
    allow[j] = nearTie ? 1 : 0;
    allow[count + nb + (j >> 5)] += allow[j];
  }
  for (let b = 0; b < nb; b++) {
    got[count + b] = gotD[2 * b];
    exp[count + b] = want.d[b];
    allow[count + b] = 3e-7 * want.d[b];
    got[count + nb + b] = gotD[2 * b + 1];
    exp[count + nb + b] = want.sum[b];
  }
  return compare(got, exp, 0, 1, allow);
}

export async function checkQuantizeQ8(device: GPUDevice, cases: QuantizeQ8Case[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new QuantizeQ8Kernel(device, code);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const x = inputs(c, seed * 1000 + i);
    const count = x.length;
    const bytes = q8Bytes(count);
    // output: xq words, then (d, sum) pairs
    const { out, gpuError } = await runCase(device, [x], (bytes.q + bytes.d) / 4, (rec, [bx], out) => {
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
      const xq = device.createBuffer({ size: bytes.q, usage });
      const xd = device.createBuffer({ size: bytes.d, usage });
      kernel.encode(rec, { x: bx, xq, xd, count });
      rec.encoder.copyBufferToBuffer(xq, 0, out, 0, bytes.q);
      rec.encoder.copyBufferToBuffer(xd, 0, out, bytes.q, bytes.d);
    });
    const cmp = compareQ8(x, new Int8Array(out.buffer, 0, count), new Float32Array(out.buffer, bytes.q, bytes.d / 4));
    results.push(caseResult(`blocks=${c.blocks} scale=${c.scale.toPrecision(2)}${c.special ? ' zeros+ties' : ''}`, cmp, gpuError));
  }
  return results;
}
