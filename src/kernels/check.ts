/**
 * Running one kernel case on a device for the kernel checks (*.check.ts): upload inputs, encode, read
 * the output back, and report GPU validation/out-of-memory errors as a failed case instead of letting
 * them escape.
 */
import type { Comparison } from './compare.ts';
import { Uniforms, readBuffer, storageBuffer, withErrorScopes, type Recorder } from './runtime.ts';

export interface CaseResult extends Comparison {
  name: string;
  gpuError?: string; // a validation or out-of-memory error raised while running the case
}

/** Runs `encode(encoder, inputBuffers, outputBuffer)` once and returns the output as f32. */
export async function runCase(
  device: GPUDevice,
  inputs: ArrayBufferView[],
  outElems: number,
  encode: (rec: Recorder, ins: GPUBuffer[], out: GPUBuffer) => void,
): Promise<{ out: Float32Array; gpuError?: string }> {
  const ins = inputs.map((d) => storageBuffer(device, d));
  const out = storageBuffer(device, outElems * 4);
  const uniforms = new Uniforms(device);
  try {
    const gpuError = await withErrorScopes(device, () => {
      const rec = { encoder: device.createCommandEncoder(), uniforms };
      encode(rec, ins, out);
      uniforms.flush();
      device.queue.submit([rec.encoder.finish()]);
    });
    return { out: new Float32Array(await readBuffer(device, out, outElems * 4)), gpuError };
  } finally {
    for (const b of [...ins, out]) b.destroy();
    uniforms.destroy();
  }
}

export function caseResult(name: string, cmp: Comparison, gpuError?: string): CaseResult {
  return gpuError ? { name, ...cmp, ok: false, gpuError } : { name, ...cmp };
}
