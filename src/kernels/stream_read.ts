/**
 * The streaming-read bandwidth probe (shaders/stream_read.wgsl): `tabserve bench` times it on the same
 * adapter as the decode steps, to say what fraction of the reachable bandwidth a step uses.
 * CPU twin: stream_read.cpu.ts.
 */
import STREAM_READ_WGSL from '../../shaders/stream_read.wgsl?raw';
import { Kernel } from './pipelines.ts';
import type { Binding, Recorder } from './runtime.ts';

export interface StreamReadArgs {
  src: Binding; // [words] vec4<u32>
  out: Binding; // [groups * WG] u32: one sum per invocation
  words: number; // 16-byte words to read
  groups: number; // workgroups (<= the device's per-dimension limit); more saturate the memory better
}

export class StreamReadKernel extends Kernel {
  constructor(device: GPUDevice, code: string = STREAM_READ_WGSL) {
    super(device, 'stream_read', code, 256);
  }

  /** Invocations per workgroup: `out` holds groups * this many u32. */
  get workgroupSize(): number {
    return this.wg;
  }

  encode(rec: Recorder, a: StreamReadArgs): void {
    if (!(Number.isInteger(a.groups) && a.groups >= 1 && a.groups <= this.device.limits.maxComputeWorkgroupsPerDimension)) {
      throw new Error(`stream_read: ${a.groups} workgroups`);
    }
    const params = new Uint32Array([a.words, a.groups * this.wg]);
    this.pipelines.dispatch(rec, { WG: this.wg }, params.buffer, [a.src, a.out], [a.groups, 1, 1]);
  }
}
