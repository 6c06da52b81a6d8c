/**
 * y = x W^T with W in a GGUF weight type (shaders/matmul.wgsl), dequantized inside the kernel.
 * Used for every projection: prefill passes m tokens, decode m = 1. CPU twin: matmul.cpu.ts.
 */
import GGML_TYPES_WGSL from '../../shaders/ggml_types.wgsl?raw';
import MATMUL_WGSL from '../../shaders/matmul.wgsl?raw';
import MATMUL_OUT_WGSL from '../../shaders/matmul_out.wgsl?raw';
import { GgmlType } from '../gguf/ggml.ts';
import { Q4_0_R, Q6_K_R, Q8_0_R, isRepacked, weightRowBytes, weightTypeName, type WeightType } from '../model/repack.ts';
import { Kernel } from './pipelines.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';
import { sgLanes, withSubgroupSums } from './subgroups.ts';

/** The whole shader module: the type decoders, the output segments, then the kernel. */
export const MATMUL_CODE = GGML_TYPES_WGSL + MATMUL_OUT_WGSL + MATMUL_WGSL;
export { MATMUL_OUT_WGSL };

/** Rows of a fused weight written as their own [m][rows] region of y, from element `base` (matmul_out.wgsl). */
export interface OutSegment {
  rows: number;
  base: number; // elements
}

/**
 * Where the output goes: columns yOffset.. of rows yStride long, or (segments) regions, 2 or 3, per part of a
 * fused weight; and what is added to it: row o's result plus bias[biasAt + o] when `bias` is given.
 */
export interface MatmulOut {
  yOffset?: number; // column written by W's row 0, in elements (for weights split by rows)
  yStride?: number; // elements per token row of y; default n
  segments?: OutSegment[]; // instead of yOffset / yStride: their rows add up to n
  bias?: Binding; // [.. biasAt + n] f32
  biasAt?: number; // element of bias for row 0 (a part of a weight split by rows: its first row)
}

/** The Params words after x_offset: y_offset, y_stride, seg1, seg2, base1, base2, bias_at, then padding. */
export function outWords(kernel: string, n: number, a: MatmulOut): number[] {
  return [...outRegion(kernel, n, a), a.bias ? (a.biasAt ?? 0) : 0, 0, 0, 0];
}

/** The bias binding (any bound buffer stands in where none is added: `BIAS` off, it is not read) and `BIAS`. */
export function biasBinding(a: MatmulOut, standIn: Binding): { bias: Binding; BIAS: number } {
  return { bias: a.bias ?? standIn, BIAS: a.bias ? 1 : 0 };
}

function outRegion(kernel: string, n: number, a: MatmulOut): number[] {
  const s = a.segments;
  if (!s) return [a.yOffset ?? 0, a.yStride ?? n, n, n, 0, 0];
  if (s.length < 2 || s.length > 3 || s.reduce((t, g) => t + g.rows, 0) !== n) throw new Error(`${kernel}: output segments ${JSON.stringify(s)} do not split ${n} rows in 2 or 3`);
  const seg2 = s.length === 3 ? s[0].rows + s[1].rows : n;
  return [s[0].base, s[0].rows, s[0].rows, seg2, s[1].base, s[2]?.base ?? 0];
}

/** Weight types the kernels decode (matmul and embedding). */
export const WEIGHT_TYPES: readonly WeightType[] = [
  GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
  GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, // K-quants: rows a multiple of 256
  Q8_0_R, Q4_0_R, Q6_K_R, // Q8_0, Q4_0 and Q6_K as uploaded: rows repacked so blocks are 16-byte aligned (src/model/repack.ts)
];

/** The GGUF types of those: what a model file's matrices may be stored in. */
export const FILE_WEIGHT_TYPES: readonly GgmlType[] = WEIGHT_TYPES.filter((t): t is GgmlType => !isRepacked(t));

export interface MatmulArgs extends MatmulOut {
  type: WeightType; // type of W
  w: Binding; // holds W at byte offset wOffset: [n rows][k] in `type`
  wOffset?: number; // bytes, a multiple of 4 (GGUF aligns tensors to 32); of 16 for repacked rows
  x: Binding; // [.. xOffset + m*k] f32
  xOffset?: number; // elements
  y: Binding; // [m][yStride] f32
  m: number; // tokens
  k: number; // inputs per row
  n: number; // rows of W = outputs per token
  lanes?: number; // invocations per output row (a power of two <= 64); default: enough for k's blocks
  tokensPerGroup?: number; // tokens per workgroup, 1..8 (default 8 when m > 1, else 1)
}

export class MatmulKernel extends Kernel {
  /**
   * `cpuAdapter`: on a software adapter (isFallbackAdapter: lavapipe, SwiftShader) each row gets one
   * invocation. A CPU runs a workgroup as SIMD loops, so lanes on one row win no memory coalescing and their
   * reduction costs a pass per barrier: one lane per row decodes 2-2.5x faster there (lavapipe, 2 cores).
   * `subgroupLanes` (GpuInfo.subgroupLanes): a row's lanes sum by subgroup shuffles in groups of that many, with
   * one barrier instead of one per halving (shaders/subgroup_sum.wgsl).
   */
  constructor(
    device: GPUDevice,
    code: string = MATMUL_CODE,
    private readonly o: { cpuAdapter?: boolean; subgroupLanes?: number } = {},
  ) {
    super(device, 'matmul', withSubgroupSums(code, o.subgroupLanes), 64);
  }

  encode(rec: Recorder, a: MatmulArgs): void {
    if (!WEIGHT_TYPES.includes(a.type)) throw new Error(`matmul: unsupported weight type ${weightTypeName(a.type)}`);
    const wOffset = a.wOffset ?? 0;
    const align = isRepacked(a.type) ? 16 : 4;
    if (wOffset % align !== 0) throw new Error(`matmul: weight offset ${wOffset} is not a multiple of ${align} bytes`);
    const rowBytes = weightRowBytes(a.type, a.k); // throws when k is not a whole number of blocks
    const xBytes = 'buffer' in a.x ? (a.x.size ?? a.x.buffer.size - (a.x.offset ?? 0)) : a.x.size;
    if (xBytes % 16 !== 0) throw new Error(`matmul: x is bound with ${xBytes} bytes, not whole 16-byte words`);
    if (rowBytes % 4 === 0 && (a.xOffset ?? 0) % 4 !== 0) throw new Error(`matmul: x offset ${a.xOffset} of a quantized row is not a multiple of 4`);
    const params = new Uint32Array([a.k, a.n, a.m, wOffset, rowBytes, a.xOffset ?? 0, ...outWords('matmul', a.n, a)]);
    const { lanes, tt, groups } = matmulGrid(this.device, 'matmul', this.wg, !!this.o.cpuAdapter, a);
    const { bias, BIAS } = biasBinding(a, a.w);
    this.pipelines.dispatch(rec, { WG: this.wg, TPR: lanes, TT: tt, WTYPE: a.type, SG_LANES: sgLanes(lanes, this.o.subgroupLanes), BIAS }, params.buffer, [a.w, a.x, a.y, a.w, bias], groups);
  }
}

/**
 * Lanes per row, tokens per workgroup, rows per invocation and the workgroup grid of a matmul dispatch
 * (matmul.wgsl and matmul_q8.wgsl share the layout): lanes default to one per row on a CPU adapter, else
 * enough for k's blocks. `rpi` rows per invocation: matmul_q8 only.
 */
export function matmulGrid(
  device: GPUDevice,
  kernel: string,
  wg: number,
  cpuAdapter: boolean,
  a: { k: number; n: number; m: number; lanes?: number; tokensPerGroup?: number },
  rpi = 1,
): { lanes: number; tt: number; groups: [number, number, number] } {
  const lanes = a.lanes ?? (cpuAdapter ? 1 : Math.min(wg, 2 ** Math.ceil(Math.log2(Math.ceil(a.k / 32)))));
  if (lanes > wg || 2 ** Math.round(Math.log2(lanes)) !== lanes) throw new Error(`${kernel}: ${lanes} lanes per row`);
  const tt = a.tokensPerGroup ?? (a.m > 1 ? 8 : 1);
  if (!(Number.isInteger(tt) && tt >= 1 && tt <= 8)) throw new Error(`${kernel}: ${tt} tokens per workgroup`);
  if (!(Number.isInteger(rpi) && rpi >= 1 && rpi <= 4)) throw new Error(`${kernel}: ${rpi} rows per invocation`);
  const [gx, gy] = dispatchSize(device, Math.ceil(a.n / ((wg / lanes) * rpi)));
  return { lanes, tt, groups: [gx, gy, Math.ceil(a.m / tt)] };
}
