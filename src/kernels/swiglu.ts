/**
 * The gated activation on the GPU (shaders/swiglu.wgsl): y = act(gate) * up, element-wise, act = silu
 * (SwiGLU) or tanh-approximated GELU (GeGLU); y may be gate itself; optionally y quantized to 8-bit blocks
 * for the integer-dot matmul too (as quantize_q8.ts). CPU twin: swiglu.cpu.ts.
 */
import type { Activation } from '../model/hparams.ts';
import SWIGLU_WGSL from '../../shaders/swiglu.wgsl?raw';
import { Kernel } from './pipelines.ts';
import { Q8_BLOCK_WGSL, q8StandIn, type Q8Out } from './quantize_q8.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';

export interface SwigluArgs {
  gate: Binding; // [count] f32
  up: Binding; // [count] f32
  y: Binding; // [count] f32; may be the same range as gate (in place), may not otherwise overlap gate or up
  count: number; // elements
  act?: Activation; // default silu
  q8?: Q8Out; // y quantized (count a multiple of 32)
  /** gate and up in one buffer: gate (and y) at elements 0 .., up at upAt ..; gate, up and y are then ignored. */
  packed?: { buf: Binding; upAt: number };
}

/** The block quantizer (for QUANT), then the kernel. */
export const SWIGLU_CODE = Q8_BLOCK_WGSL + SWIGLU_WGSL;

export class SwigluKernel extends Kernel {
  private readonly standIn: Q8Out; // bound when y is not quantized
  private readonly unused: GPUBuffer; // bound as gate and up when they are packed into y

  constructor(device: GPUDevice, code: string = SWIGLU_CODE) {
    super(device, 'swiglu', code, 256);
    this.standIn = q8StandIn(device, 'swiglu');
    this.unused = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE, label: 'swiglu.unused' });
  }

  encode(rec: Recorder, a: SwigluArgs): void {
    if (a.packed && a.packed.upAt < a.count) throw new Error(`swiglu: up at ${a.packed.upAt} overlaps ${a.count} gate elements`);
    const inPlace = !a.packed && sameRange(a.gate, a.y);
    const params = new Uint32Array([a.count, a.packed?.upAt ?? 0, 0, 0]);
    if (a.q8 && a.count % 32 !== 0) throw new Error(`swiglu: ${a.count} elements cannot be quantized in 32-element blocks`);
    const q8 = a.q8 ?? this.standIn;
    // in place, the shader reads gate through y and ignores its gate binding: `up` fills it; packed, both
    const bindings = a.packed ? [this.unused, this.unused, a.packed.buf, q8.xq, q8.xd] : [inPlace ? a.up : a.gate, a.up, a.y, q8.xq, q8.xd];
    const groups = Math.ceil((a.q8 ? a.count / 32 : a.count) / this.wg); // invocations: blocks, or elements
    const constants = { WG: this.wg, IN_PLACE: inPlace ? 1 : 0, PACKED: a.packed ? 1 : 0, ACT: a.act === 'gelu' ? 1 : 0, QUANT: a.q8 ? 1 : 0 };
    this.pipelines.dispatch(rec, constants, params.buffer, bindings, dispatchSize(this.device, groups));
  }
}

/** Whether two bindings are the same byte range of the same buffer. */
function sameRange(a: Binding, b: Binding): boolean {
  const [ba, bb] = ['buffer' in a ? a : { buffer: a }, 'buffer' in b ? b : { buffer: b }];
  if (ba.buffer !== bb.buffer) return false;
  const [oa, ob] = [ba.offset ?? 0, bb.offset ?? 0];
  const [sa, sb] = [ba.size ?? ba.buffer.size - oa, bb.size ?? bb.buffer.size - ob];
  if (oa === ob && sa === sb) return true;
  throw new Error('swiglu: y and gate share a buffer without being the same range');
}
