/**
 * RMSNorm on the GPU (shaders/rms_norm.wgsl): y = x / sqrt(mean(x^2) + eps) * w over rows of length n;
 * optionally after the residual add x += b (written back), and with y quantized to 8-bit blocks for the
 * integer-dot matmul (as quantize_q8.ts). CPU twin: rms_norm.cpu.ts.
 */
import RMS_NORM_WGSL from '../../shaders/rms_norm.wgsl?raw';
import { Q8_BLOCK_WGSL, q8StandIn, type Q8Out } from './quantize_q8.ts';
import { Kernel } from './pipelines.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';

/** The block quantizer (for QUANT), then the kernel. */
export const RMS_NORM_CODE = Q8_BLOCK_WGSL + RMS_NORM_WGSL;

/** Rows per workgroup with one invocation per row: one 8-lane SIMD batch of lavapipe (AVX2). */
const SERIAL_ROWS = 8;

export interface RmsNormArgs {
  x: Binding; // [rows][n] f32; updated in place when b is given
  w: Binding; // [n] f32
  y: Binding; // [rows][n] f32, may not alias x
  b?: Binding; // [rows][n] f32, added into x first (another buffer than x and y)
  q8?: Q8Out; // y quantized (n a multiple of 32)
  rows: number;
  n: number; // row length, in elements
  eps: number;
  serial?: boolean; // one invocation per row (SERIAL); default: the kernel's choice for the adapter
}

export class RmsNormKernel extends Kernel {
  private readonly standIn: Q8Out; // bound when y is not quantized

  /**
   * `cpuAdapter`: on a software adapter (lavapipe, SwiftShader) each invocation normalizes a whole row,
   * eight rows per workgroup and no barriers, since there barriers cost more than the row's arithmetic; on
   * a GPU a workgroup of 256 shares each row.
   */
  constructor(
    device: GPUDevice,
    code: string = RMS_NORM_CODE,
    private readonly o: { cpuAdapter?: boolean } = {},
  ) {
    super(device, 'rms_norm', code, 256);
    this.standIn = q8StandIn(device, 'rms_norm');
  }

  encode(rec: Recorder, a: RmsNormArgs): void {
    if (a.q8 && a.n % 32 !== 0) throw new Error(`rms_norm: rows of ${a.n} cannot be quantized in 32-element blocks`);
    const words = new ArrayBuffer(16);
    new Uint32Array(words, 0, 2).set([a.n, a.rows]);
    new Float32Array(words, 8, 1)[0] = a.eps;
    const serial = a.serial ?? !!this.o.cpuAdapter;
    const wg = serial ? SERIAL_ROWS : this.wg;
    const constants = { WG: wg, ADD: a.b ? 1 : 0, QUANT: a.q8 ? 1 : 0, SERIAL: serial ? 1 : 0 };
    const q8 = a.q8 ?? this.standIn;
    const groups = dispatchSize(this.device, serial ? Math.ceil(a.rows / SERIAL_ROWS) : a.rows);
    this.pipelines.dispatch(rec, constants, words, [a.x, a.w, a.y, a.b ?? a.w, q8.xq, q8.xd], groups);
  }
}
