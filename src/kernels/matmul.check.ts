/**
 * The matmul kernel checked against its CPU twin for every weight type, on shapes around the block and
 * workgroup sizes, several tokens, a weight at a non-zero offset, and more rows than one dispatch dimension.
 */
import { GgmlType, TYPE_LAYOUT } from '../gguf/ggml.ts';
import { Q4_0_R, Q8_0_R, gpuRows, sourceType, weightTypeName, type WeightType } from '../model/repack.ts';
import { dequantize, quantize } from '../gguf/quant.ts';
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compare } from './compare.ts';
import { MatmulKernel, WEIGHT_TYPES, type OutSegment } from './matmul.ts';
import { matmulCpu } from './matmul.cpu.ts';
import { subgroupLanes } from '../gpu/subgroups.ts';

export interface MatmulCase {
  type: WeightType; // repacked types: the GGUF rows are quantized as their source type, then repacked
  m: number; // tokens
  k: number;
  n: number;
  offset: number; // bytes of other data before W in its buffer (a multiple of 32, as in GGUF files)
  lanes?: number; // invocations per output row; default: the kernel's choice for k
  segments?: number[]; // a fused weight: rows per output segment, each its own region of y (2 or 3, adding up to n)
  biasAt?: number; // y = x W^T + bias[biasAt + o]: a random bias of biasAt + n elements
}

/** A case's bias (biasAt + n random values) and the CPU result with it added, or undefined without one. */
export function caseBias(c: { biasAt?: number; m: number; n: number }, rng: () => number): Float32Array | undefined {
  return c.biasAt === undefined ? undefined : fillNormal(new Float32Array(c.biasAt + c.n), rng, 1);
}

/** y[t][o] += bias[biasAt + o] on [m][n] results (in place). */
export function addBias(y: Float32Array, bias: Float32Array | undefined, c: { biasAt?: number; m: number; n: number }): Float32Array {
  if (bias) for (let t = 0; t < c.m; t++) for (let o = 0; o < c.n; o++) y[t * c.n + o] += bias[c.biasAt! + o];
  return y;
}

/**
 * Whether a case sums its rows' lanes by subgroup shuffles (where the device has them: GpuInfo.subgroupLanes),
 * from the case itself so it runs the same alone and in a mutation's list: every other case with lanes.
 */
export function subgroupCase(c: { m: number; k: number; n: number; lanes?: number }): boolean {
  return c.lanes !== 1 && (c.m + c.k / 32 + c.n) % 2 === 1;
}

/**
 * The y layout of a case with output segments: region s ([m][rows_s]) starts 5 elements after region s - 1
 * ends; `gather` reads the regions back as [m][n], `gaps` are the elements between them (they must stay 0).
 */
export function segmentLayout(m: number, segs: number[]): { segments: OutSegment[]; outElems: number; gather: (out: Float32Array) => Float32Array; gaps: (out: Float32Array) => number[] } {
  const segments: OutSegment[] = [];
  let at = 0;
  for (const rows of segs) {
    segments.push({ rows, base: at });
    at += m * rows + 5;
  }
  const n = segs.reduce((a, b) => a + b, 0);
  const gather = (out: Float32Array) => {
    const y = new Float32Array(m * n);
    let lo = 0;
    for (const g of segments) {
      for (let t = 0; t < m; t++) y.set(out.subarray(g.base + t * g.rows, g.base + (t + 1) * g.rows), t * n + lo);
      lo += g.rows;
    }
    return y;
  };
  const gaps = (out: Float32Array) => segments.flatMap((g) => Array.from(out.subarray(g.base + m * g.rows, g.base + m * g.rows + 5)));
  return { segments, outElems: at, gather, gaps };
}

export function matmulCases(seed: number, random = 3): MatmulCase[] {
  const cases: MatmulCase[] = [];
  const rng = mulberry32(seed);
  for (const type of WEIGHT_TYPES) {
    const blk = TYPE_LAYOUT[sourceType(type)]!.blockElems; // 1 (floats), 32, or 256 (K-quants)
    const kq = blk === 256;
    cases.push({ type, m: 1, k: Math.max(32, blk), n: 1, offset: 0 });
    // rows not a multiple of the workgroup; for K-quants 3 super-blocks per row, more than one per invocation
    cases.push({ type, m: 3, k: blk === 1 ? 33 : 3 * blk, n: 67, offset: 64 });
    cases.push({ type, m: 2, k: blk === 1 ? 4097 : 4096, n: 5, offset: 32 });
    for (let i = 0; i < random; i++) {
      const k = blk === 1 ? 1 + Math.floor(rng() * 1200) : kq ? 256 * (1 + Math.floor(rng() * 6)) : 32 * (1 + Math.floor(rng() * 40));
      cases.push({ type, m: 1 + Math.floor(rng() * 4), k, n: 1 + Math.floor(rng() * 300), offset: 32 * Math.floor(rng() * 3) });
    }
  }
  // more workgroups than one dispatch dimension holds (65535): exercises the wg.y spill, like a 150k vocab
  // with 64 lanes per row (a wide model's lm_head); most lanes find no block of this short row
  cases.push({ type: GgmlType.Q8_0, m: 1, k: 32, n: 70_001, offset: 0, lanes: 64 });
  // prefill: 8 tokens per workgroup, the last group ragged
  for (const type of [GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.F32, GgmlType.Q6_K, Q8_0_R, Q4_0_R]) cases.push({ type, m: 11, k: 512, n: 37, offset: 32 });
  // the default for k = 32 is one lane per row: 64 rows per workgroup
  cases.push({ type: GgmlType.Q8_0, m: 2, k: 32, n: 70_001, offset: 0 });
  // fused weights: q|k|v and gate|up written as separate regions, decode and prefill
  cases.push({ type: GgmlType.F16, m: 1, k: 64, n: 96 + 32 + 32, offset: 0, segments: [96, 32, 32] });
  cases.push({ type: GgmlType.Q8_0, m: 11, k: 128, n: 300, offset: 32, segments: [150, 150] });
  cases.push({ type: Q8_0_R, m: 3, k: 96, n: 70, offset: 0, segments: [40, 20, 10], lanes: 1 });
  // with a bias added as the rows are written: a fused q|k|v's (decode), a row-split part's (prefill), one lane a row
  cases.push({ type: GgmlType.Q8_0, m: 1, k: 64, n: 96 + 32 + 32, offset: 0, segments: [96, 32, 32], biasAt: 0 });
  cases.push({ type: GgmlType.F32, m: 11, k: 128, n: 37, offset: 32, biasAt: 7 });
  cases.push({ type: Q8_0_R, m: 3, k: 96, n: 70, offset: 0, lanes: 1, biasAt: 3 });
  return cases;
}

/**
 * A random matrix of `type` for a case: quantized in the GGUF layout (`file`, what CPU twins read), and the
 * buffer a kernel binds: `offset` junk bytes (reading them would show), then the rows as uploaded (repacked).
 */
export function caseWeights(type: WeightType, n: number, k: number, offset: number, rng: () => number): { file: Uint8Array; buffer: Uint8Array } {
  const file = quantize(sourceType(type), fillNormal(new Float32Array(n * k), rng, 1 / Math.sqrt(k)));
  const rows = gpuRows(type, file, k, n);
  const buffer = new Uint8Array(offset + rows.byteLength);
  buffer.fill(0xa5, 0, offset);
  buffer.set(rows, offset);
  return { file, buffer };
}

export async function checkMatmul(device: GPUDevice, cases: MatmulCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new MatmulKernel(device, code);
  const lanes = await subgroupLanes(device);
  const sgKernel = lanes ? new MatmulKernel(device, code, { subgroupLanes: lanes }) : kernel;
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed * 1000 + i);
    const src = sourceType(c.type);
    const { file: wq, buffer: wbuf } = caseWeights(c.type, c.n, c.k, c.offset, rng);
    const x = fillNormal(new Float32Array(c.m * c.k), rng, 2);
    const bias = caseBias(c, rng);
    const sg = lanes > 0 && subgroupCase(c);
    const seg = c.segments && segmentLayout(c.m, c.segments);
    const { out: raw, gpuError } = await runCase(device, [wbuf, x, bias ?? new Float32Array(4)], seg?.outElems ?? c.m * c.n, (enc, [bw, bx, bb], by) =>
      (sg ? sgKernel : kernel).encode(enc, { type: c.type, w: bw, wOffset: c.offset, x: bx, y: by, m: c.m, k: c.k, n: c.n, lanes: c.lanes, segments: seg?.segments, bias: bias && bb, biasAt: c.biasAt }),
    );
    const out = seg ? seg.gather(raw) : raw;
    const want = addBias(matmulCpu(src, wq, x, c.m, c.k, c.n), bias, c);
    // rounding error of a dot product grows with the sum of |terms|
    const wAbs = dequantize(src, wq, c.n * c.k).map(Math.abs);
    const scale = matmulCpu(GgmlType.F32, new Uint8Array(wAbs.buffer), x.map(Math.abs), c.m, c.k, c.n);
    const name = `${weightTypeName(c.type)} m=${c.m} k=${c.k} n=${c.n} offset=${c.offset}${c.lanes ? ` lanes=${c.lanes}` : ''}${seg ? ` segments=${c.segments}` : ''}${bias ? ` bias@${c.biasAt}` : ''}${sg ? ` subgroups=${lanes}` : ''}`;
    let cmp = compare(out, want, 1e-6, 2e-6, scale);
    if (cmp.ok && seg) cmp = compare(seg.gaps(raw), new Float32Array(5 * c.segments!.length), 0, 0); // nothing written between regions
    results.push(caseResult(name, cmp, gpuError));
  }
  return results;
}
