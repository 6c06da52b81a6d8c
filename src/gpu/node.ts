/**
 * WebGPU in Node through the npm `webgpu` package (Dawn). Installs the WebGPU globals
 * (GPUBufferUsage, ...) so kernel code runs unchanged. The Vulkan driver is chosen by the
 * environment (VK_ICD_FILENAMES): scripts/gpu-env.mjs sets it to the private Mesa lavapipe.
 */
import { GpuError } from './device.ts';

let gpu: GPU | undefined;

export async function nodeGpu(): Promise<GPU> {
  if (gpu) return gpu;
  let mod: typeof import('webgpu');
  try {
    mod = await import('webgpu');
  } catch (e) {
    throw new GpuError('no-webgpu', `the npm package 'webgpu' could not be loaded: ${(e as Error).message}`);
  }
  Object.assign(globalThis, mod.globals);
  gpu = mod.create([]) as GPU;
  return gpu;
}
