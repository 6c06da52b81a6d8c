/**
 * RMSNorm on the GPU (shaders/rms_norm.wgsl): y = x / sqrt(mean(x^2) + eps) * w over rows of length n.
 * CPU twin: rms_norm.cpu.ts.
 */
import RMS_NORM_WGSL from '../../shaders/rms_norm.wgsl?raw';
import { constantsKey, dispatchSize, paramsBuffer, workgroupSize } from './runtime.ts';

export interface RmsNormArgs {
  x: GPUBuffer; // [rows][n] f32
  w: GPUBuffer; // [n] f32
  y: GPUBuffer; // [rows][n] f32, may not alias x
  rows: number;
  n: number; // row length, in elements
  eps: number;
}

export class RmsNormKernel {
  private readonly module: GPUShaderModule;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly wg: number;

  /** `code` replaces the shader, for tests that prove a broken kernel is caught. */
  constructor(
    private readonly device: GPUDevice,
    code: string = RMS_NORM_WGSL,
  ) {
    this.module = device.createShaderModule({ code, label: 'rms_norm' });
    this.wg = workgroupSize(device, 256);
  }

  private pipeline(constants: Record<string, number>): GPUComputePipeline {
    const key = constantsKey(constants);
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module: this.module, entryPoint: 'main', constants }, label: `rms_norm|${key}` });
      this.pipelines.set(key, p);
    }
    return p;
  }

  encode(encoder: GPUCommandEncoder, a: RmsNormArgs): void {
    const words = new ArrayBuffer(16);
    new Uint32Array(words, 0, 2).set([a.n, a.rows]);
    new Float32Array(words, 8, 1)[0] = a.eps;
    const params = paramsBuffer(this.device, words, 'rms_norm params');
    const pipeline = this.pipeline({ WG: this.wg });
    const bind = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [params, a.x, a.w, a.y].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const pass = encoder.beginComputePass({ label: 'rms_norm' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(...dispatchSize(this.device, a.rows));
    pass.end();
  }
}
