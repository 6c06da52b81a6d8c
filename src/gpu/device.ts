/**
 * Opening a WebGPU device the same way in a browser (navigator.gpu) and in Node (npm `webgpu`, Dawn).
 * Asks for the adapter's largest buffer and workgroup limits, and for shader-f16 where the adapter has it
 * (kernels keep an f32 path for adapters without it) and subgroups (probed before use: gpu/subgroups.ts).
 * Failures are typed GpuError values.
 */
import { subgroupLanes } from './subgroups.ts';

export type GpuErrorCode = 'no-webgpu' | 'no-adapter' | 'device-failed';

export class GpuError extends Error {
  override name = 'GpuError';
  constructor(
    readonly code: GpuErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface GpuInfo {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter: boolean;
  /**
   * Waiting for the GPU polls on this thread: not the browser's navigator.gpu, so Dawn in Node, whose
   * promises (mapAsync, onSubmittedWorkDone) settle by processing events in a loop on the JS thread.
   */
  pollsToWait: boolean;
  f16: boolean; // shader-f16 enabled on the device
  subgroups: boolean;
  /**
   * Lanes a reduction sums by subgroup shuffles (the adapter's smallest subgroup), where the device has
   * subgroups laid out as the kernels assume (probed once: gpu/subgroups.ts); 0: none.
   */
  subgroupLanes: number;
  int8Dot: boolean; // WGSL's packed_4x8_integer_dot_product (dot4I8Packed, pack4xI8)
  maxStorageBufferBindingSize: number; // bytes
  maxBufferSize: number; // bytes
  maxComputeInvocationsPerWorkgroup: number;
}

export interface Gpu {
  device: GPUDevice;
  info: GpuInfo;
}

const LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
] as const;

/** `timestamps`: also enable 'timestamp-query' where the adapter has it (the bench's step profile). */
export async function openGpu(gpu: GPU | undefined = globalThis.navigator?.gpu, o: { timestamps?: boolean } = {}): Promise<Gpu> {
  if (!gpu) throw new GpuError('no-webgpu', 'WebGPU is not available here (no navigator.gpu)');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new GpuError('no-adapter', 'no WebGPU adapter was found (requestAdapter returned null)');
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS) requiredLimits[k] = adapter.limits[k];
  const requiredFeatures = (['shader-f16', 'subgroups', ...(o.timestamps ? ['timestamp-query'] : [])] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'tabserve' });
  } catch (e) {
    throw new GpuError('device-failed', `the WebGPU adapter refused a device: ${(e as Error).message}`);
  }
  const ai = adapter.info;
  const lanes = await subgroupLanes(device, ai.subgroupMinSize ?? 4);
  return {
    device,
    info: {
      vendor: ai.vendor,
      architecture: ai.architecture,
      description: ai.description,
      isFallbackAdapter: (ai as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
      pollsToWait: gpu !== globalThis.navigator?.gpu,
      f16: device.features.has('shader-f16'),
      subgroups: device.features.has('subgroups'),
      subgroupLanes: lanes,
      int8Dot: gpu.wgslLanguageFeatures?.has('packed_4x8_integer_dot_product') ?? false,
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
    },
  };
}
