/**
 * A kernel's shader module and its pipelines, one per set of `override` constants, keyed by a flat
 * "K=v,..." string. Every kernel wrapper holds one of these.
 */
import { constantsKey, workgroupSize, type Binding, type Recorder } from './runtime.ts';

export class PipelineCache {
  private readonly module: GPUShaderModule;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly binds = new Map<string, GPUBindGroup>();

  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
    code: string,
  ) {
    this.module = device.createShaderModule({ code, label });
  }

  get(constants: Record<string, number>, key = constantsKey(constants)): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module: this.module, entryPoint: 'main', constants }, label: `${this.label}|${key}` });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * Encodes one dispatch with bind group 0 = [Params (uniform), ...buffers] in binding order. Bind groups are
   * cached by pipeline and resources: a decode step encodes the same dispatches with the same buffers and
   * Params slots every time, so after the first step none is created (host time per step).
   */
  dispatch(rec: Recorder, constants: Record<string, number>, params: ArrayBuffer, buffers: Binding[], groups: [number, number?, number?]): void {
    const key = constantsKey(constants);
    const pipeline = this.get(constants, key);
    const resources: GPUBufferBinding[] = [rec.uniforms.push(params), ...buffers.map((b) => ('buffer' in b ? b : { buffer: b }))];
    const bindKey = key + '|' + resources.map((r) => `${bufferId(r.buffer)}:${r.offset ?? 0}:${r.size ?? ''}`).join(',');
    let bind = this.binds.get(bindKey);
    if (!bind) {
      if (this.binds.size >= 4096) this.binds.clear(); // stale entries of replaced buffers
      bind = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: resources.map((resource, binding) => ({ binding, resource })) });
      this.binds.set(bindKey, bind);
    }
    const pass = rec.pass ?? rec.encoder.beginComputePass({ label: this.label });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(...groups);
    rec.dispatches?.push({ pipeline, bind, groups });
    if (!rec.pass) pass.end();
  }
}

const ids = new WeakMap<GPUBuffer, number>();
let nextId = 0;
/** A number per buffer object, for cache keys (a new buffer in an old one's place gets a new number). */
function bufferId(b: GPUBuffer): number {
  let id = ids.get(b);
  if (id === undefined) ids.set(b, (id = nextId++));
  return id;
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
