/**
 * The sampler's draw over whole logit rows on the GPU (shaders/draw.wgsl): after topk (same logits, same
 * out), each row that asks gets the token sample() draws with top_k 0, in f32, at word 3 of its topk output
 * (TopkRow.drawn). One dispatch, one workgroup per row. Reference: sampling/sample.ts (draw.check.ts).
 */
import DRAW_WGSL from '../../shaders/draw.wgsl?raw';
import { Kernel } from './pipelines.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';

/** One row's draw: sampling controls after the temperature (top_k 0). */
export interface DrawRow {
  u: number; // the uniform draw, in [0, 1)
  topP: number; // in (0, 1]
  minP: number; // in [0, 1)
}

export const DRAW_ROW_BYTES = 16;

/** The draws buffer's contents: [rows] (on, u, top_p, min_p); a null row is left alone. */
export function packDrawRows(rows: readonly (DrawRow | null)[]): ArrayBuffer {
  const words = new ArrayBuffer(Math.max(1, rows.length) * DRAW_ROW_BYTES);
  const u = new Uint32Array(words);
  const f = new Float32Array(words);
  rows.forEach((r, i) => {
    if (!r) return;
    u[4 * i] = 1;
    f[4 * i + 1] = r.u;
    f[4 * i + 2] = r.topP;
    f[4 * i + 3] = r.minP;
  });
  return words;
}

export interface DrawArgs {
  logits: Binding; // [rows][V] f32, as topk left them (adjusted, masked)
  draws: Binding; // [rows] packDrawRows
  out: Binding; // topk's out at k: word 3 of each drawn row gets its id (0xffffffff: none), word 2 that id's logit
  rows: number;
  V: number;
  k: number; // topk's k
  invTemp: number; // 1 / temperature, > 0
}

export class DrawKernel extends Kernel {
  constructor(device: GPUDevice, code: string = DRAW_WGSL) {
    super(device, 'draw', code, 256);
  }

  encode(rec: Recorder, a: DrawArgs): void {
    if (!(a.invTemp > 0 && Number.isFinite(a.invTemp))) throw new Error(`draw: invTemp ${a.invTemp} (a temperature above 0)`);
    if (a.rows === 0) return;
    const words = new ArrayBuffer(16);
    new Uint32Array(words, 0, 3).set([a.rows, a.V, a.k]);
    new Float32Array(words, 12, 1)[0] = a.invTemp;
    this.pipelines.dispatch(rec, { WG: this.wg }, words, [a.logits, a.draws, a.out], dispatchSize(this.device, a.rows));
  }
}
