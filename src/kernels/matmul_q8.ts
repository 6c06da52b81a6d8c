/**
 * y = x W^T with integer dot products (shaders/matmul_q8.wgsl) for Q8_0, Q4_0 and Q6_K weights in repacked
 * rows and Q4_K weights in the GGUF layout, x quantized to 8-bit blocks first (quantize_q8.ts). Used where the
 * WGSL language feature packed_4x8_integer_dot_product exists (GpuInfo.int8Dot); CPU twin: matmul_q8.cpu.ts.
 */
import GGML_TYPES_WGSL from '../../shaders/ggml_types.wgsl?raw';
import MATMUL_Q8_WGSL from '../../shaders/matmul_q8.wgsl?raw';
import { GgmlType } from '../gguf/ggml.ts';
import { Q4_0_R, Q6_K_R, Q8_0_R, weightRowBytes, weightTypeName, type WeightType } from '../model/repack.ts';
import { Kernel } from './pipelines.ts';
import { MATMUL_OUT_WGSL, biasBinding, matmulGrid, outWords, type MatmulOut } from './matmul.ts';
import type { Binding, Recorder } from './runtime.ts';
import { sgLanes, withSubgroupSums } from './subgroups.ts';

/** The whole shader module: the type decoders (f16_at, repacked_qs), then the kernel. */
export const MATMUL_Q8_CODE = GGML_TYPES_WGSL + MATMUL_OUT_WGSL + MATMUL_Q8_WGSL;

/** Weight types this kernel takes. */
export const Q8_DOT_TYPES: readonly WeightType[] = [Q8_0_R, Q4_0_R, GgmlType.Q4_K, Q6_K_R];

export interface MatmulQ8Args extends MatmulOut {
  type: WeightType; // Q8_0_R, Q4_0_R, Q4_K or Q6_K_R
  w: Binding; // holds W at byte offset wOffset: [n rows][k], repacked (Q4_K: as in the file)
  wOffset?: number; // bytes, a multiple of 16
  xq: Binding; // [.. (xOffset + m*k) / 4] u32: x quantized (quantize_q8)
  xd: Binding; // [.. (xOffset + m*k) / 32] (d, sumq)
  xOffset?: number; // elements, a multiple of 32
  y: Binding; // [m][yStride] f32
  m: number; // tokens
  k: number; // inputs per row, a multiple of 32
  n: number; // rows of W
  lanes?: number; // invocations per output row (a power of two <= 64); default: as MatmulKernel
  tokensPerGroup?: number; // tokens per workgroup, 1..8 (default 8 when m > 1, else 1)
  rowsPerInvocation?: number; // 1..4 (default on a CPU adapter: 4 for prefill, 2 for decode (Q4_0: 4); else 1); no bit of y changes with it
}

/** Rows per invocation on a CPU adapter (MatmulQ8Kernel's constructor says why): prefill 4; decode 2, Q4_0 4. */
function cpuRowsPerInvocation(type: WeightType, m: number): number {
  return m > 1 || type === Q4_0_R ? 4 : 2;
}

export class MatmulQ8Kernel extends Kernel {
  /**
   * `cpuAdapter`: one invocation per row, as MatmulKernel on a software adapter (see there), and several rows
   * per invocation: for more than one token four, each x block read and decoded into registers serving four
   * rows' integer dots (prefill matmuls 1.2-1.6x faster on lavapipe, 2 cores); for one token (decode) two,
   * four for Q4_0, whose rows are the least bytes per dot: two rows' independent loads and dots in flight
   * (decode matvecs of the smollm2 / qwen2.5 / llama3.2 shapes 1.1-1.5x faster on lavapipe, weights out of cache;
   * Q6_K 1.05-1.15x, its rows decoded half a super-block at a time).
   * `subgroupLanes`: as MatmulKernel's.
   */
  constructor(
    device: GPUDevice,
    code: string = MATMUL_Q8_CODE,
    private readonly o: { cpuAdapter?: boolean; subgroupLanes?: number } = {},
  ) {
    super(device, 'matmul_q8', withSubgroupSums(code, o.subgroupLanes), 64);
  }

  encode(rec: Recorder, a: MatmulQ8Args): void {
    if (!Q8_DOT_TYPES.includes(a.type)) throw new Error(`matmul_q8: unsupported weight type ${weightTypeName(a.type)}`);
    const wOffset = a.wOffset ?? 0;
    if (wOffset % 16 !== 0) throw new Error(`matmul_q8: weight offset ${wOffset} is not a multiple of 16 bytes`);
    const xOffset = a.xOffset ?? 0;
    if (xOffset % 32 !== 0) throw new Error(`matmul_q8: x offset ${xOffset} is not a multiple of 32 elements`);
    const rowBytes = weightRowBytes(a.type, a.k); // throws when k is not a whole number of blocks
    const params = new Uint32Array([a.k, a.n, a.m, wOffset, rowBytes, xOffset, ...outWords('matmul_q8', a.n, a)]);
    const cpu = !!this.o.cpuAdapter;
    const rpi = a.rowsPerInvocation ?? (cpu && (a.lanes ?? 1) === 1 ? cpuRowsPerInvocation(a.type, a.m) : 1);
    const { lanes, tt, groups } = matmulGrid(this.device, 'matmul_q8', this.wg, cpu, a, rpi);
    const { bias, BIAS } = biasBinding(a, a.w);
    this.pipelines.dispatch(rec, { WG: this.wg, TPR: lanes, TT: tt, RPI: rpi, WTYPE: a.type, SG_LANES: sgLanes(lanes, this.o.subgroupLanes), BIAS }, params.buffer, [a.w, a.xq, a.y, a.w, a.xd, bias], groups);
  }
}
