/**
 * In-place broadcast add on the GPU (shaders/add.wgsl): y[i] += b[i % period]. The residual add
 * (period = count) and the q/k/v bias add (period = row length). CPU twin: add.cpu.ts.
 */
import ADD_WGSL from '../../shaders/add.wgsl?raw';
import { Kernel } from './pipelines.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';

export interface AddArgs {
  y: Binding; // [count] f32, updated in place
  b: Binding; // [period] f32, in another buffer than y
  count: number; // elements of y
  period: number; // elements of b: count for a residual add, the row length for a bias add
}

export class AddKernel extends Kernel {
  constructor(device: GPUDevice, code: string = ADD_WGSL) {
    super(device, 'add', code, 256);
  }

  encode(rec: Recorder, a: AddArgs): void {
    if (!(a.period >= 1)) throw new Error(`add: period ${a.period} must be at least 1`);
    const params = new Uint32Array([a.count, a.period, 0, 0]);
    const groups = Math.ceil(a.count / this.wg);
    this.pipelines.dispatch(rec, { WG: this.wg }, params.buffer, [a.y, a.b], dispatchSize(this.device, groups));
  }
}
