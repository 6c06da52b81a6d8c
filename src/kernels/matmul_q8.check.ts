/**
 * The integer-dot matmul checked against its CPU twin: Q8_0, Q4_0 and Q6_K weights quantized in the GGUF
 * layout and repacked by the upload's own code, Q4_K weights as in the file, x quantized by the CPU twin of quantize_q8 (so this checks the
 * kernel alone), on shapes around the block and workgroup sizes, prefill groups, one lane per row (the CPU
 * adapter's layout, which skips the reduction), x read from a later token (logit rows), y written into a
 * wider row, and more workgroups than one dispatch dimension holds.
 * Tolerance: 1e-6 + 2e-6 * sum of |block terms|: the integer sums are exact, the f32 sum over blocks is not.
 */
import { GgmlType } from '../gguf/ggml.ts';
import { Q4_0_R, Q6_K_R, Q8_0_R, sourceType, weightTypeName, type WeightType } from '../model/repack.ts';
import { addBias, caseBias, caseWeights, segmentLayout, subgroupCase } from './matmul.check.ts';
import { subgroupLanes } from '../gpu/subgroups.ts';
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compare } from './compare.ts';
import { MatmulQ8Kernel } from './matmul_q8.ts';
import { matmulQ8Cpu } from './matmul_q8.cpu.ts';
import { packQ8, quantizeQ8Cpu } from './quantize_q8.cpu.ts';

export interface MatmulQ8Case {
  type: WeightType; // Q8_0_R, Q4_0_R, Q4_K or Q6_K_R
  m: number; // tokens
  k: number;
  n: number;
  offset: number; // bytes of other data before W in its buffer (a multiple of 16)
  lanes?: number; // invocations per output row; default: the kernel's choice for k
  skip?: number; // tokens of x before the first one multiplied (xOffset = skip * k)
  pad?: number; // y rows are n + 2 * pad long, W's outputs at columns pad ..
  segments?: number[]; // a fused weight: rows per output segment (segmentLayout)
  rpi?: number; // output rows per invocation; default 1
  biasAt?: number; // y = x W^T + bias[biasAt + o] (caseBias)
}

export function matmulQ8Cases(seed: number, random = 3): MatmulQ8Case[] {
  const cases: MatmulQ8Case[] = [];
  const rng = mulberry32(seed);
  for (const type of [Q8_0_R, Q4_0_R]) {
    cases.push({ type, m: 1, k: 32, n: 1, offset: 0 });
    cases.push({ type, m: 3, k: 96, n: 67, offset: 64 });
    cases.push({ type, m: 2, k: 4096, n: 5, offset: 32 });
    cases.push({ type, m: 11, k: 512, n: 37, offset: 32 }); // prefill: 8 tokens per workgroup, the last group ragged
    cases.push({ type, m: 1, k: 576, n: 131, offset: 0, lanes: 1 }); // a CPU adapter's decode
    cases.push({ type, m: 9, k: 160, n: 70, offset: 0, lanes: 1 });
    cases.push({ type, m: 2, k: 64, n: 40, offset: 0, skip: 3, pad: 5 }); // logit rows of a later token
    cases.push({ type, m: 1, k: 576, n: 576 + 2 * 192, offset: 0, lanes: 1, segments: [576, 192, 192] }); // fused q|k|v, decode
    cases.push({ type, m: 1, k: 576, n: 131, offset: 16, lanes: 1, rpi: type === Q4_0_R ? 4 : 2 }); // a CPU adapter's decode, as chosen now
    cases.push({ type, m: 1, k: 64, n: 352, offset: 0, lanes: 1, rpi: type === Q4_0_R ? 4 : 2, segments: [64, 32, 256] });
    cases.push({ type, m: 10, k: 64, n: 96, offset: 32, segments: [40, 56] }); // two segments, prefill
    cases.push({ type, m: 11, k: 512, n: 300, offset: 16, lanes: 1, rpi: 4 }); // a CPU adapter's prefill: the last group's rows ragged
    cases.push({ type, m: 9, k: 160, n: 70, offset: 0, lanes: 1, rpi: 2 });
    cases.push({ type, m: 10, k: 64, n: 320, offset: 32, lanes: 1, rpi: 4, segments: [40, 24, 256] }); // segments within one invocation's rows
    for (let i = 0; i < random; i++) {
      cases.push({ type, m: 1 + Math.floor(rng() * 4), k: 32 * (1 + Math.floor(rng() * 40)), n: 1 + Math.floor(rng() * 300), offset: 32 * Math.floor(rng() * 3) });
    }
  }
  // Q4_K (GGUF super-blocks of 256 elements): every sub-block's scale and min, both nibble halves
  const K = GgmlType.Q4_K;
  cases.push({ type: K, m: 1, k: 256, n: 1, offset: 0 });
  cases.push({ type: K, m: 3, k: 512, n: 67, offset: 64 });
  cases.push({ type: K, m: 11, k: 256, n: 37, offset: 32 }); // prefill groups
  cases.push({ type: K, m: 1, k: 1536, n: 131, offset: 0, lanes: 1 }); // a CPU adapter's decode
  cases.push({ type: K, m: 9, k: 768, n: 70, offset: 16, lanes: 1 });
  cases.push({ type: K, m: 9, k: 512, n: 300, offset: 16, lanes: 1, rpi: 4 });
  cases.push({ type: K, m: 1, k: 768, n: 131, offset: 16, lanes: 1, rpi: 2 }); // decode
  cases.push({ type: K, m: 2, k: 256, n: 40, offset: 0, skip: 3, pad: 5 });
  cases.push({ type: K, m: 1, k: 512, n: 64 + 2 * 32, offset: 0, lanes: 1, segments: [64, 32, 32] }); // fused q|k|v
  for (let i = 0; i < random; i++) {
    cases.push({ type: K, m: 1 + Math.floor(rng() * 4), k: 256 * (1 + Math.floor(rng() * 6)), n: 1 + Math.floor(rng() * 200), offset: 16 * Math.floor(rng() * 3) });
  }
  // Q6_K (repacked rows: the d's padded to 16 bytes, unless a row has 8n super-blocks): both halves of each
  // of the 8 blocks, a block at a time, and half super-blocks at a time (decode with one lane per row)
  const S = Q6_K_R;
  cases.push({ type: S, m: 1, k: 256, n: 3, offset: 0 });
  cases.push({ type: S, m: 3, k: 512, n: 67, offset: 64 });
  cases.push({ type: S, m: 11, k: 256, n: 37, offset: 32 }); // prefill groups
  cases.push({ type: S, m: 1, k: 1280, n: 131, offset: 0, lanes: 1 }); // a CPU adapter's decode
  cases.push({ type: S, m: 9, k: 256, n: 300, offset: 16, lanes: 1, rpi: 4 }); // and prefill
  cases.push({ type: S, m: 1, k: 512, n: 131, offset: 16, lanes: 1, rpi: 2 }); // decode
  cases.push({ type: S, m: 2, k: 256, n: 40, offset: 0, skip: 3, pad: 5 });
  cases.push({ type: S, m: 1, k: 2048, n: 70, offset: 16, lanes: 1 }); // 8 super-blocks: no padding after the d's
  cases.push({ type: S, m: 1, k: 1280, n: 33, offset: 0, lanes: 4 });
  for (let i = 0; i < random; i++) {
    cases.push({ type: S, m: 1 + Math.floor(rng() * 4), k: 256 * (1 + Math.floor(rng() * 6)), n: 1 + Math.floor(rng() * 200), offset: 16 * Math.floor(rng() * 3) });
  }
  cases.push({ type: Q8_0_R, m: 1, k: 32, n: 70_001, offset: 0, lanes: 64 }); // the wg.y spill
  // with a bias added as the rows are written: a fused q|k|v's, a row-split part's, both layouts
  cases.push({ type: Q8_0_R, m: 1, k: 576, n: 576 + 2 * 192, offset: 0, lanes: 1, rpi: 2, segments: [576, 192, 192], biasAt: 0 });
  cases.push({ type: Q4_0_R, m: 10, k: 64, n: 96, offset: 32, segments: [40, 56], biasAt: 5 });
  cases.push({ type: K, m: 1, k: 512, n: 131, offset: 0, biasAt: 2 });
  cases.push({ type: S, m: 9, k: 256, n: 300, offset: 16, lanes: 1, rpi: 4, biasAt: 1 });
  // rows per invocation with several lanes per row (bench --prefill-rows on a GPU): the rows of a workgroup's
  // passes interleaved, the last workgroup's ragged, segments and biases across an invocation's rows
  cases.push({ type: Q8_0_R, m: 11, k: 512, n: 37, offset: 32, lanes: 16, rpi: 4 });
  cases.push({ type: Q4_0_R, m: 10, k: 64, n: 97, offset: 0, lanes: 2, rpi: 2, segments: [40, 24, 33], biasAt: 3 });
  cases.push({ type: K, m: 9, k: 512, n: 70, offset: 16, lanes: 8, rpi: 3 });
  cases.push({ type: S, m: 12, k: 256, n: 45, offset: 0, lanes: 4, rpi: 4, biasAt: 0 });
  cases.push({ type: Q8_0_R, m: 1, k: 2048, n: 21, offset: 16, lanes: 64, rpi: 2 });
  cases.push({ type: Q4_0_R, m: 16, k: 256, n: 64, offset: 0, lanes: 8, rpi: 4 });
  return cases;
}

export async function checkMatmulQ8(device: GPUDevice, cases: MatmulQ8Case[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new MatmulQ8Kernel(device, code);
  const lanes = await subgroupLanes(device);
  const sgKernel = lanes ? new MatmulQ8Kernel(device, code, { subgroupLanes: lanes }) : kernel;
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed * 1000 + i);
    const sg = lanes > 0 && subgroupCase(c);
    const src = sourceType(c.type);
    const { file: wq, buffer: wbuf } = caseWeights(c.type, c.n, c.k, c.offset, rng);
    const skip = c.skip ?? 0;
    const pad = c.pad ?? 0;
    const x = fillNormal(new Float32Array((skip + c.m) * c.k), rng, 2);
    const xq = quantizeQ8Cpu(x);
    const packed = packQ8(xq);
    const stride = c.n + 2 * pad;
    const seg = c.segments && segmentLayout(c.m, c.segments);
    const bias = caseBias(c, rng);
    const { out: raw, gpuError } = await runCase(device, [wbuf, packed.xq, packed.xd, bias ?? new Float32Array(4)], seg?.outElems ?? c.m * stride, (rec, [bw, bq, bd, bb], by) =>
      (sg ? sgKernel : kernel).encode(rec, { type: c.type, w: bw, wOffset: c.offset, xq: bq, xd: bd, xOffset: skip * c.k, y: by, yOffset: pad, yStride: stride, segments: seg?.segments, m: c.m, k: c.k, n: c.n, lanes: c.lanes, rowsPerInvocation: c.rpi, bias: bias && bb, biasAt: c.biasAt }),
    );
    const out = seg ? seg.gather(raw) : raw;
    const mine = { q: xq.q.subarray(skip * c.k), d: xq.d.subarray(skip * (c.k / 32)), sum: xq.sum.subarray(skip * (c.k / 32)) };
    const want = matmulQ8Cpu(src, wq, mine, c.m, c.k, c.n);
    addBias(want.y, bias, c);
    const got = new Float32Array(c.m * c.n);
    for (let t = 0; t < c.m; t++) got.set(seg ? out.subarray(t * c.n, (t + 1) * c.n) : out.subarray(t * stride + pad, t * stride + pad + c.n), t * c.n);
    const name = `${weightTypeName(c.type)} m=${c.m} k=${c.k} n=${c.n} offset=${c.offset}${c.lanes ? ` lanes=${c.lanes}` : ''}${c.rpi ? ` rpi=${c.rpi}` : ''}${skip ? ` skip=${skip} pad=${pad}` : ''}${seg ? ` segments=${c.segments}` : ''}${bias ? ` bias@${c.biasAt}` : ''}${sg ? ` subgroups=${lanes}` : ''}`;
    let cmp = compare(got, want.y, 1e-6, 2e-6, want.abs);
    if (cmp.ok && seg) cmp = compare(seg.gaps(raw), new Float32Array(5 * c.segments!.length), 0, 0); // nothing written between regions
    results.push(caseResult(name, cmp, gpuError));
  }
  return results;
}
