/// <reference lib="webworker" />
/**
 * The inference Worker: owns the WebGPU device (and, with the engine issue, the model and KV cache).
 * Answers each request with exactly one reply, errors included, so no caller waits forever.
 */
import { GpuError, openGpu, type Gpu } from '../src/gpu/device.ts';
import type { FromWorker, ToWorker } from './messages.ts';

declare const self: DedicatedWorkerGlobalScope;

let gpu: Promise<Gpu> | undefined;

function reply(msg: FromWorker) {
  self.postMessage(msg);
}

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  switch (msg.kind) {
    case 'probe':
      try {
        gpu ??= openGpu(navigator.gpu);
        reply({ kind: 'gpu', info: (await gpu).info });
      } catch (err) {
        gpu = undefined; // let a later probe try again
        reply({ kind: 'error', code: err instanceof GpuError ? err.code : 'internal', message: (err as Error).message });
      }
      break;
  }
};
