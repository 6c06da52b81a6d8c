/**
 * Quantizes activations to 8-bit blocks on the GPU (shaders/quantize_q8.wgsl) for the integer-dot matmul
 * (matmul_q8.ts): x [count] f32 -> xq [count / 4] u32 (four int8 each), xd [count / 32] (d, sum q).
 * CPU twin: quantize_q8.cpu.ts.
 */
import Q8_BLOCK_WGSL from '../../shaders/q8_block.wgsl?raw';
import QUANTIZE_Q8_WGSL from '../../shaders/quantize_q8.wgsl?raw';
import { Kernel } from './pipelines.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';

/** The shared block quantizer, then the kernel. */
export const QUANTIZE_Q8_CODE = Q8_BLOCK_WGSL + QUANTIZE_Q8_WGSL;

/** Prepended to the kernels that quantize their output (rms_norm, swiglu). */
export { Q8_BLOCK_WGSL };

/** Where a kernel's quantized output goes: xq [count / 4] u32, xd [count / 32] (d, sum q). */
export interface Q8Out {
  xq: Binding;
  xd: Binding;
}

/** Two small buffers to bind as a kernel's quantized output when it is not asked for (bindings stay). */
export function q8StandIn(device: GPUDevice, label: string): Q8Out {
  const unused = () => device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE, label: `${label}.unused` });
  return { xq: unused(), xd: unused() };
}

export interface QuantizeQ8Args {
  x: Binding; // [count] f32
  xq: Binding; // [count / 4] u32
  xd: Binding; // [count / 32] vec2<f32>
  count: number; // elements, a multiple of 32 (tokens * a row length that is one)
}

/** Bytes of xq and xd for `count` elements. */
export function q8Bytes(count: number): { q: number; d: number } {
  return { q: count, d: (count / 32) * 8 };
}

export class QuantizeQ8Kernel extends Kernel {
  constructor(device: GPUDevice, code: string = QUANTIZE_Q8_CODE) {
    super(device, 'quantize_q8', code, 64);
  }

  encode(rec: Recorder, a: QuantizeQ8Args): void {
    if (a.count % 32 !== 0) throw new Error(`quantize_q8: ${a.count} elements is not a whole number of 32-element blocks`);
    const blocks = a.count / 32;
    const params = new Uint32Array([blocks, 0, 0, 0]);
    this.pipelines.dispatch(rec, { WG: this.wg }, params.buffer, [a.x, a.xq, a.xd], dispatchSize(this.device, Math.ceil(blocks / this.wg)));
  }
}
