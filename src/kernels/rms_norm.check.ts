/**
 * The rms_norm kernel checked against its CPU twin on random shapes and magnitudes, plain and with its
 * fusions: the residual add (x is compared after it too) and y quantized, whose blocks are compared with
 * the CPU twin's quantization of the kernel's own y (compareQ8). Shared by the Node GPU tests and the
 * in-browser Worker test, so both run the same cases.
 */
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compare, type Comparison } from './compare.ts';
import { compareQ8 } from './quantize_q8.check.ts';
import { q8Bytes } from './quantize_q8.ts';
import { RmsNormKernel } from './rms_norm.ts';
import { residualNormCpu } from './rms_norm.cpu.ts';

export interface RmsNormCase {
  rows: number;
  n: number;
  scale: number; // std of x: activations of real models range from ~1e-3 to 100+
  eps: number;
  add?: boolean; // x += b first
  quant?: boolean; // y quantized too (n a multiple of 32)
  serial?: boolean; // one invocation per row (as on software adapters), not a workgroup per row
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
    { rows: 3, n: 576, scale: 1, eps: 1e-5, add: true },
    { rows: 2, n: 64, scale: 3, eps: 1e-6, quant: true },
    { rows: 7, n: 896, scale: 0.5, eps: 1e-6, add: true, quant: true },
    { rows: 1, n: 16384, scale: 20, eps: 1e-5, add: true, quant: true }, // two blocks per invocation
    { rows: 1, n: 1, scale: 1, eps: 1e-6, serial: true },
    { rows: 9, n: 257, scale: 1e-3, eps: 1e-6, serial: true }, // a second workgroup of rows, one row in it
    { rows: 16, n: 576, scale: 1, eps: 1e-5, add: true, quant: true, serial: true },
    { rows: 3, n: 2048, scale: 30, eps: 1e-5, add: true, serial: true },
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) {
    cases.push({
      rows: 1 + Math.floor(rng() * 40),
      n: 1 + Math.floor(rng() * 3000),
      scale: 10 ** (rng() * 5 - 3), // 1e-3 .. 1e2
      eps: rng() < 0.5 ? 1e-5 : 1e-6,
      serial: i % 2 === 1,
    });
  }
  return cases;
}

export async function checkRmsNorm(device: GPUDevice, cases: RmsNormCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new RmsNormKernel(device, code);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed * 1000 + i);
    const count = c.rows * c.n;
    const x = fillNormal(new Float32Array(count), rng, c.scale);
    if (x.length > 8) x[Math.floor(rng() * x.length)] *= 20; // an outlier, as real activations have
    const w = fillNormal(new Float32Array(c.n), rng, 0.3, 1);
    const b = fillNormal(new Float32Array(count), rng, c.scale);
    const q8 = q8Bytes(count);
    // output: y, then x after the add, then xq, xd
    const outWords = 2 * count + (c.quant ? (q8.q + q8.d) / 4 : 0);
    const { out, gpuError } = await runCase(device, [x, w, b], outWords, (rec, [bx, bw, bb], out) => {
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
      const y = device.createBuffer({ size: Math.max(16, count * 4), usage });
      const xq = device.createBuffer({ size: Math.max(16, q8.q), usage });
      const xd = device.createBuffer({ size: Math.max(16, q8.d), usage });
      kernel.encode(rec, { x: bx, w: bw, y, b: c.add ? bb : undefined, q8: c.quant ? { xq, xd } : undefined, rows: c.rows, n: c.n, eps: c.eps, serial: !!c.serial });
      rec.encoder.copyBufferToBuffer(y, 0, out, 0, count * 4);
      rec.encoder.copyBufferToBuffer(bx, 0, out, count * 4, count * 4);
      if (c.quant) {
        rec.encoder.copyBufferToBuffer(xq, 0, out, 8 * count, q8.q);
        rec.encoder.copyBufferToBuffer(xd, 0, out, 8 * count + q8.q, q8.d);
      }
    });
    const want = residualNormCpu(x, c.add ? b : undefined, w, c.rows, c.n, c.eps);
    const got = out.subarray(0, count);
    const name = `rows=${c.rows} n=${c.n} scale=${c.scale.toPrecision(2)}${c.add ? ' +b' : ''}${c.quant ? ' q8' : ''}${c.serial ? ' serial' : ''}`;
    const parts = [compare(got, want.y, 1e-6, 1e-5), compare(out.subarray(count, 2 * count), want.x, 0, 0)];
    if (c.quant) parts.push(compareQ8(got, new Int8Array(out.buffer, 8 * count, count), new Float32Array(out.buffer, 8 * count + q8.q, q8.d / 4)));
    results.push(caseResult(name, worst(parts), gpuError));
  }
  return results;
}

/** Several comparisons as one: ok when all are, the first failing one's details. */
function worst(parts: Comparison[]): Comparison {
  return parts.find((p) => !p.ok) ?? parts[0];
}
