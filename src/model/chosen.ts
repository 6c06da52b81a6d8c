/**
 * A run's chosen ids (Forward.start's `chosen`): its token ids picked on the GPU from the run before's top k
 * (kernels/pick.ts) by a dispatch first in its pass, which is not part of its plan (model/plans.ts): the pick
 * has Params and rows of its own. After the run's read-back the ids are copied too, so that the host learns
 * what the run was fed (engine/steps_ahead.ts checks it against the token the stream sampled).
 */
import { PICK_ROW_BYTES, PickKernel, packPickRows } from '../kernels/pick.ts';
import { Uniforms, storageBuffer } from '../kernels/runtime.ts';
import type { ChosenIds } from './chunk.ts';

export class ChosenPicks {
  private readonly kernel: PickKernel;
  private readonly uniforms: Uniforms;
  private readonly rows: GPUBuffer; // [chunkTokens] pick rows

  constructor(
    private readonly device: GPUDevice,
    chunkTokens: number,
  ) {
    this.kernel = new PickKernel(device);
    this.uniforms = new Uniforms(device);
    this.rows = storageBuffer(device, chunkTokens * PICK_ROW_BYTES, 'pick.rows');
  }

  /** The pick of c into `ids` (token t's id at its word t), first in the run's pass; writes its Params and rows. */
  encode(pass: GPUComputePassEncoder, encoder: GPUCommandEncoder, c: ChosenIds, ids: GPUBufferBinding): void {
    this.device.queue.writeBuffer(this.rows, 0, packPickRows(c.rows));
    this.uniforms.reset();
    this.kernel.encode({ encoder, pass, uniforms: this.uniforms }, { topk: c.from, k: c.k, rows: this.rows, m: c.rows.length, ids, idsAt: 0 });
    this.uniforms.flush();
  }

  /** Copies the m ids of `ids` into `staging` at byte `at` (after the run's pass). */
  copyBack(encoder: GPUCommandEncoder, ids: GPUBufferBinding, m: number, staging: GPUBuffer, at: number): void {
    encoder.copyBufferToBuffer(ids.buffer, ids.offset ?? 0, staging, at, 4 * m);
  }

  destroy(): void {
    this.uniforms.destroy();
    this.rows.destroy();
  }
}
