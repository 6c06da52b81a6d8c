/**
 * Every kernel's check against its CPU twin, as one list with fixed seeds: what `tabserve check` runs on the
 * adapter at hand (src/cli/check.ts) and the browser kernel e2e runs in a Worker (e2e/fixtures/kernel_worker.ts).
 * The gpu test suite (*.gpu.test.ts) runs the same check functions, with its own seeds, one case per test,
 * plus mutated shaders.
 *
 * Adapter features: the integer-dot kernels (quantize_q8, matmul_q8) run only where GpuInfo.int8Dot, the
 * path the engine takes there. Subgroups need nothing here: the matmul checks read the device's subgroup
 * probe (gpu/subgroups.ts, GpuInfo.subgroupLanes) and run their subgroup cases with shuffle sums where it
 * found usable subgroups, as the engine does. No kernel needs shader-f16 (f16 values are unpacked from u32).
 */
import type { Gpu, GpuInfo } from '../gpu/device.ts';
import { attentionCases, checkAttention } from './attention.check.ts';
import { attentionSplitCases, checkAttentionSplit } from './attention_split.check.ts';
import type { CaseResult } from './check.ts';
import { checkDraw, drawCases } from './draw.check.ts';
import { checkEmbedding, embeddingCases } from './embedding.check.ts';
import { checkMatmul, matmulCases } from './matmul.check.ts';
import { checkMatmulQ8, matmulQ8Cases } from './matmul_q8.check.ts';
import { checkPick, pickCases } from './pick.check.ts';
import { checkQuantizeQ8, quantizeQ8Cases } from './quantize_q8.check.ts';
import { checkRmsNorm, rmsNormCases } from './rms_norm.check.ts';
import { checkRope, ropeCases } from './rope.check.ts';
import { checkRopeKv, ropeKvCases } from './rope_kv.check.ts';
import { checkSoftcap, softcapCases } from './softcap.check.ts';
import { checkStreamRead, streamReadCases } from './stream_read.check.ts';
import { checkSwiglu, swigluCases } from './swiglu.check.ts';
import { checkTokenMask, tokenMaskCases } from './token_mask.check.ts';
import { checkTopk, topkCases } from './topk.check.ts';

/** kernel name -> one result per case, in the list's order */
export type KernelResults = Record<string, CaseResult[]>;

interface KernelCheck {
  name: string;
  int8Dot?: true; // runs only where GpuInfo.int8Dot
  run: (device: GPUDevice) => Promise<CaseResult[]>;
}

const CHECKS: KernelCheck[] = [
  { name: 'rms_norm', run: (d) => checkRmsNorm(d, rmsNormCases(42), 42) },
  { name: 'matmul', run: (d) => checkMatmul(d, matmulCases(11), 11) },
  { name: 'embedding', run: (d) => checkEmbedding(d, embeddingCases(5), 5) },
  { name: 'rope', run: (d) => checkRope(d, ropeCases(6), 6) },
  { name: 'swiglu', run: (d) => checkSwiglu(d, swigluCases(7), 7) },
  { name: 'rope_kv', run: (d) => checkRopeKv(d, ropeKvCases(17), 17) },
  { name: 'attention', run: (d) => checkAttention(d, attentionCases(10), 10) },
  { name: 'attention_split', run: (d) => checkAttentionSplit(d, attentionSplitCases(19), 19) },
  { name: 'topk', run: (d) => checkTopk(d, topkCases(12), 12) },
  { name: 'softcap', run: (d) => checkSoftcap(d, softcapCases(13), 13) },
  { name: 'token_mask', run: (d) => checkTokenMask(d, tokenMaskCases(14), 14) },
  { name: 'pick', run: (d) => checkPick(d, pickCases(), 18) },
  { name: 'draw', run: (d) => checkDraw(d, drawCases(21), 21) },
  { name: 'stream_read', run: (d) => checkStreamRead(d, streamReadCases(20), 20) }, // bench's bandwidth probe
  { name: 'quantize_q8', int8Dot: true, run: (d) => checkQuantizeQ8(d, quantizeQ8Cases(15), 15) },
  { name: 'matmul_q8', int8Dot: true, run: (d) => checkMatmulQ8(d, matmulQ8Cases(16), 16) },
];

const applies = (c: KernelCheck, info: Pick<GpuInfo, 'int8Dot'>): boolean => !c.int8Dot || info.int8Dot;

/** The kernels runKernelChecks runs on an adapter with this info, in order. */
export function kernelCheckNames(info: Pick<GpuInfo, 'int8Dot'>): string[] {
  return CHECKS.filter((c) => applies(c, info)).map((c) => c.name);
}

/**
 * Runs every check that applies to `gpu`, one kernel after another; `onKernel` hears each kernel's results
 * as it finishes (a slow software adapter takes seconds per kernel). A case that fails, GPU errors
 * included, is a result with ok false; only a bug in a check itself throws.
 */
export async function runKernelChecks(gpu: Gpu, onKernel?: (name: string, results: CaseResult[]) => void): Promise<KernelResults> {
  const results: KernelResults = {};
  for (const c of CHECKS) {
    if (!applies(c, gpu.info)) continue;
    results[c.name] = await c.run(gpu.device);
    onKernel?.(c.name, results[c.name]);
  }
  return results;
}
