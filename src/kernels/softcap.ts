/**
 * Logit soft-capping on the GPU (shaders/softcap.wgsl), in place: y = cap * tanh(y / cap). gemma2's
 * final logits (cap 30). CPU twin: softcap.cpu.ts.
 */
import SOFTCAP_WGSL from '../../shaders/softcap.wgsl?raw';
import { Kernel } from './pipelines.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';

export interface SoftcapArgs {
  y: Binding; // [count] f32, updated in place
  count: number; // elements
  cap: number; // > 0
}

export class SoftcapKernel extends Kernel {
  constructor(device: GPUDevice, code: string = SOFTCAP_WGSL) {
    super(device, 'softcap', code, 256);
  }

  encode(rec: Recorder, a: SoftcapArgs): void {
    if (!(a.cap > 0)) throw new Error(`softcap: cap ${a.cap} must be positive`);
    if (a.count === 0) return;
    const params = new Uint32Array([a.count, 0, 0, 0]);
    new Float32Array(params.buffer, 4, 1)[0] = a.cap;
    this.pipelines.dispatch(rec, { WG: this.wg }, params.buffer, [a.y], dispatchSize(this.device, Math.ceil(a.count / this.wg)));
  }
}
