/**
 * CPU twin of shaders/draw.wgsl: the host's sampler itself (sampling/sample.ts with top_k 0) on each drawn
 * row, in f64. The kernel sums in f32 and in another order, so a draw whose u, nucleus or min_p cut lies
 * within rounding of a boundary may take a neighbour: `accepts` says whether an id lies within the ids the
 * sampler takes with the controls moved by a relative DRAW_SLACK (u, top_p, min_p; the draw goes in id order,
 * so these are a range of ids), which is how the check tells rounding from a wrong draw.
 */
import { samplingParams } from '../sampling/params.ts';
import { sample } from '../sampling/sample.ts';
import type { DrawRow } from './draw.ts';

/** Relative movement of u, top_p and min_p that covers f32 sums of up to ~262k terms. */
export const DRAW_SLACK = 1e-4;
const NONE = 0xffffffff;

/** The sampler's id for one row (NONE when no logit is finite), at temperature 1 / invTemp. */
export function drawCpu(row: Float32Array, d: DrawRow, invTemp: number): number {
  let max = -Infinity;
  for (const l of row) if (l > max) max = l;
  if (!Number.isFinite(max)) return NONE;
  const p = samplingParams({ temperature: 1 / Math.fround(invTemp), top_k: 0, top_p: d.topP, min_p: d.minP });
  return sample(row, [], p, d.u).token;
}

/** Whether `id` lies within the sampler's draws for the controls at the corners of DRAW_SLACK around d's. */
export function accepts(row: Float32Array, d: DrawRow, invTemp: number, id: number): boolean {
  const near = (x: number, hi: number) => [Math.max(0, x * (1 - DRAW_SLACK)), Math.min(hi, x * (1 + DRAW_SLACK))];
  let lo = Infinity;
  let hi = -Infinity;
  for (const u of near(d.u, 1 - 2 ** -24)) {
    for (const topP of d.topP < 1 ? near(d.topP, 1) : [1]) {
      for (const minP of near(d.minP, 1)) {
        const got = drawCpu(row, { u, topP, minP }, invTemp);
        [lo, hi] = [Math.min(lo, got), Math.max(hi, got)];
      }
    }
  }
  return id >= lo && id <= hi;
}
