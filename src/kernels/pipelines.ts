/**
 * A kernel's shader module and its pipelines, one per set of `override` constants, keyed by a flat
 * "K=v,..." string. Every kernel wrapper holds one of these.
 */
import { constantsKey, workgroupSize, type Binding, type Recorder } from './runtime.ts';

export class PipelineCache {
  private readonly module: GPUShaderModule;
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
    code: string,
  ) {
    this.module = device.createShaderModule({ code, label });
  }

  get(constants: Record<string, number>): GPUComputePipeline {
    const key = constantsKey(constants);
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module: this.module, entryPoint: 'main', constants }, label: `${this.label}|${key}` });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /** Encodes one dispatch with bind group 0 = [Params (uniform), ...buffers] in binding order. */
  dispatch(rec: Recorder, constants: Record<string, number>, params: ArrayBuffer, buffers: Binding[], groups: [number, number?, number?]): void {
    const pipeline = this.get(constants);
    const resources = [rec.uniforms.push(params), ...buffers.map((b) => ('buffer' in b ? b : { buffer: b }))];
    const bind = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: resources.map((resource, binding) => ({ binding, resource })),
    });
    const pass = rec.encoder.beginComputePass({ label: this.label });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(...groups);
    pass.end();
  }
}

/** What every kernel wrapper has: its pipelines and the workgroup size it runs with on this device. */
export abstract class Kernel {
  protected readonly pipelines: PipelineCache;
  protected readonly wg: number; // a power of two within the device's limits

  /** `code` may replace the kernel's shader, for tests that prove a broken kernel is caught. */
  constructor(
    protected readonly device: GPUDevice,
    label: string,
    code: string,
    wantWorkgroupSize: number,
  ) {
    this.pipelines = new PipelineCache(device, label, code);
    this.wg = workgroupSize(device, wantWorkgroupSize);
  }
}
