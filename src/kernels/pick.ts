/**
 * The sampler's token from top-k rows on the GPU (shaders/pick.wgsl), written into a chunk's token ids: how a
 * decode step submitted before the step before is read gets its token (engine/steps_ahead.ts). CPU twin:
 * pick.cpu.ts (the host's sampler, sampling/pick.ts).
 */
import PICK_WGSL from '../../shaders/pick.wgsl?raw';
import { TOPK_MAX_K } from './topk.ts';
import { Kernel } from './pipelines.ts';
import type { Binding, Recorder } from './runtime.ts';

/** One token's pick: from row `src` of the top-k output, as the request samples (invTemp 0: greedy). */
export interface PickRow {
  src: number;
  n: number; // candidates: the row's first n entries (the request's k), 1..k; 0: the id draw.wgsl drew (TopkRow.drawn)
  invTemp: number; // 1 / temperature; 0: greedy
  u: number; // the request's uniform draw for this token, in [0, 1)
  topP: number;
  minP: number;
}

export const PICK_ROW_BYTES = 32;

/** The rows buffer's contents (pick.wgsl's Row). */
export function packPickRows(rows: readonly PickRow[]): ArrayBuffer {
  const words = new ArrayBuffer(Math.max(1, rows.length) * PICK_ROW_BYTES);
  const u = new Uint32Array(words);
  const f = new Float32Array(words);
  rows.forEach((r, i) => {
    const o = (i * PICK_ROW_BYTES) / 4;
    u[o] = r.src;
    u[o + 1] = r.n;
    f[o + 2] = r.invTemp;
    f[o + 3] = r.u;
    f[o + 4] = r.topP;
    f[o + 5] = r.minP;
  });
  return words;
}

export interface PickArgs {
  topk: Binding; // [rows][4 + 2k] u32: topk.wgsl's out
  k: number; // its k
  rows: Binding; // [m] packPickRows
  m: number;
  ids: Binding; // u32 words: token t's id goes to word idsAt + t
  idsAt: number;
}

export class PickKernel extends Kernel {
  constructor(device: GPUDevice, code: string = PICK_WGSL) {
    super(device, 'pick', code, 64);
  }

  encode(rec: Recorder, a: PickArgs): void {
    if (!(Number.isInteger(a.k) && a.k >= 1 && a.k <= TOPK_MAX_K)) throw new Error(`pick: k = ${a.k} (1..${TOPK_MAX_K})`);
    if (a.m === 0) return;
    const params = new Uint32Array([a.m, a.idsAt, 0, 0]);
    this.pipelines.dispatch(rec, { K: a.k }, params.buffer, [a.topk, a.rows, a.ids], [Math.ceil(a.m / 64)]);
  }
}
