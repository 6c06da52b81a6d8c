/**
 * RMSNorm on the GPU (shaders/rms_norm.wgsl): y = x / sqrt(mean(x^2) + eps) * w over rows of length n.
 * CPU twin: rms_norm.cpu.ts.
 */
import RMS_NORM_WGSL from '../../shaders/rms_norm.wgsl?raw';
import { Kernel } from './pipelines.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';

export interface RmsNormArgs {
  x: Binding; // [rows][n] f32
  w: Binding; // [n] f32
  y: Binding; // [rows][n] f32, may not alias x
  rows: number;
  n: number; // row length, in elements
  eps: number;
}

export class RmsNormKernel extends Kernel {
  constructor(device: GPUDevice, code: string = RMS_NORM_WGSL) {
    super(device, 'rms_norm', code, 256);
  }

  encode(rec: Recorder, a: RmsNormArgs): void {
    const words = new ArrayBuffer(16);
    new Uint32Array(words, 0, 2).set([a.n, a.rows]);
    new Float32Array(words, 8, 1)[0] = a.eps;
    this.pipelines.dispatch(rec, { WG: this.wg }, words, [a.x, a.w, a.y], dispatchSize(this.device, a.rows));
  }
}
