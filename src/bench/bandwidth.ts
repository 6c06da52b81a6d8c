/**
 * The adapter's reachable read bandwidth, measured in the same run as the decode figures with a plain
 * streaming-read kernel (shaders/stream_read.wgsl): one buffer (256 MiB, or less where the adapter binds
 * less) swept by back-to-back dispatches in one submission, timed from submit to the queue's completion.
 */
import { StreamReadKernel } from '../kernels/stream_read.ts';
import { Uniforms } from '../kernels/runtime.ts';

export interface Bandwidth {
  bytes: number; // one sweep
  sweeps: number;
  seconds: number;
  gbPerSecond: number; // 1e9 bytes per second
}

const GROUPS = 4096; // 1M invocations with 256-wide workgroups: enough in flight to saturate a real GPU

async function timeSweeps(device: GPUDevice, kernel: StreamReadKernel, src: GPUBuffer, out: GPUBuffer, sweeps: number): Promise<number> {
  const uniforms = new Uniforms(device);
  try {
    const rec = { encoder: device.createCommandEncoder({ label: 'stream_read' }), uniforms };
    for (let i = 0; i < sweeps; i++) kernel.encode(rec, { src, out, words: src.size / 16, groups: GROUPS });
    uniforms.flush();
    const t0 = performance.now();
    device.queue.submit([rec.encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return (performance.now() - t0) / 1000;
  } finally {
    uniforms.destroy();
  }
}

/** Sweeps enough times for about `targetSeconds` of work (at least 3), after a warm-up sweep. */
export async function measureBandwidth(device: GPUDevice, targetSeconds = 1): Promise<Bandwidth> {
  const bytes = Math.min(256 << 20, device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize) & ~0xffff;
  const kernel = new StreamReadKernel(device);
  const src = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: 'bandwidth.src' });
  const out = device.createBuffer({ size: GROUPS * kernel.workgroupSize * 4, usage: GPUBufferUsage.STORAGE, label: 'bandwidth.out' });
  try {
    const once = await timeSweeps(device, kernel, src, out, 1); // compiles the pipeline, touches the pages
    const sweeps = Math.max(3, Math.min(200, Math.ceil(targetSeconds / Math.max(once, 1e-4))));
    const seconds = await timeSweeps(device, kernel, src, out, sweeps);
    return { bytes, sweeps, seconds, gbPerSecond: (bytes * sweeps) / seconds / 1e9 };
  } finally {
    src.destroy();
    out.destroy();
  }
}
