/** CPU twin of shaders/pick.wgsl: the host sampler's token (sampling/pick.ts) for each pick row; n = 0: the row's drawn id. */
import { samplingParams } from '../sampling/params.ts';
import { pickFromTopk } from '../sampling/pick.ts';
import type { PickRow } from './pick.ts';
import { readTopk } from './topk.ts';

export function pickCpu(topk: Uint32Array, k: number, rows: readonly PickRow[]): Uint32Array {
  const out = new Uint32Array(rows.length);
  const all = readTopk(topk.slice().buffer, topk.length / (4 + 2 * k), k);
  rows.forEach((r, t) => {
    const row = all[r.src];
    if (r.n === 0) {
      out[t] = row.drawn >>> 0;
      return;
    }
    const p = samplingParams({ temperature: r.invTemp === 0 ? 0 : 1 / r.invTemp, top_k: r.n, top_p: r.topP, min_p: r.minP });
    out[t] = pickFromTopk(row, p, r.u);
  });
  return out;
}
