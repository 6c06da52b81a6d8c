/** Opens a WebGPU device in Node for the gpu test suite (one per test file), and closes it. */
import { openGpu, type Gpu } from './device.ts';
import { nodeGpu } from './node.ts';

export async function openTestGpu(): Promise<Gpu> {
  const gpu = await openGpu(await nodeGpu());
  gpu.device.addEventListener('uncapturederror', (e) => {
    throw new Error(`uncaptured WebGPU error: ${(e as GPUUncapturedErrorEvent).error.message}`);
  });
  return gpu;
}
