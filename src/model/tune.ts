/**
 * The matmul layout chosen on the adapter at hand, at load. How many lanes share a row and how many rows an
 * invocation holds decide how fast a decode step reads its weights, and the fastest differs from GPU to GPU
 * (subgroup width, caches, how many loads each core keeps in flight), so the engine measures instead of
 * guessing. Each candidate runs every matmul of a decode step (the model's own weights, one token) `repeats`
 * times in one submit; rounds interleave the candidates and each keeps its fastest round. The first candidate
 * (the adapter's default) stays unless another is faster by `margin`: noise does not flip the choice.
 * Lanes change the order a row's sum is added in, for prefill and decode alike (a prompt's logits still equal
 * decode's); rows per invocation change no bit.
 */
import { replay } from './plans.ts';
import type { Forward, MatmulLayout } from './forward.ts';
import type { GpuTensor } from './upload.ts';
import { Uniforms, type EncodedDispatch } from '../kernels/runtime.ts';

/** What each candidate is: the adapter's default first, then fewer lanes a row, and two rows an invocation. */
export const TUNE_LAYOUTS: readonly MatmulLayout[] = [
  {},
  { decodeRows: 2 },
  { matmulLanes: 32 },
  { matmulLanes: 32, decodeRows: 2 },
  { matmulLanes: 16 },
  { matmulLanes: 16, decodeRows: 2 },
];

export interface LayoutTiming {
  layout: MatmulLayout;
  ms: number; // a decode step's matmuls, once: the fastest round's time / repeats
}

export interface LayoutTuning {
  chosen: MatmulLayout;
  timings: LayoutTiming[]; // the candidates', in their order; [0] is the reference
  repeats: number; // step's matmuls per timed submit
  rounds: number; // timed submits per candidate, interleaved
  seconds: number; // the whole tuning, pipelines compiled included (part of the load)
}

/** The fastest candidate when it beats timings[0] by more than `margin` (a fraction of its time), else timings[0]'s. */
export function chooseLayout(timings: readonly LayoutTiming[], margin = 0.03): MatmulLayout {
  if (!timings.length) throw new Error('chooseLayout: no timings');
  const best = timings.reduce((a, b) => (b.ms < a.ms ? b : a));
  return best.ms < timings[0].ms * (1 - margin) ? best.layout : timings[0].layout;
}

/** A layout as words: "default", or "32 lanes, 2 rows" (for reports). */
export function layoutName(l: MatmulLayout): string {
  const parts = [l.matmulLanes && `${l.matmulLanes} lanes`, l.decodeRows && `${l.decodeRows} decode rows`, l.prefillRows && `${l.prefillRows} prefill rows`].filter(Boolean);
  return parts.length ? parts.join(', ') : 'default';
}

export interface TuneOptions {
  rounds?: number; // default 3
  targetMs?: number; // how long one timed submit runs at least (default 20; at most 256 repeats)
  margin?: number; // chooseLayout's
}

/**
 * Times `candidates` on fwd's step matrices and leaves fwd with the chosen layout, its prefillRows `keep`'s (only
 * decode is timed). Where it throws, fwd is left with `keep`, the layout it had.
 */
export async function tuneLayout(device: GPUDevice, fwd: Forward, matrices: readonly GpuTensor[], candidates: readonly MatmulLayout[], keep: MatmulLayout = {}, o: TuneOptions = {}): Promise<LayoutTuning> {
  if (!candidates.length) throw new Error('tuneLayout: no candidates');
  const t0 = performance.now();
  const rows = Math.max(...matrices.map((w) => w.dims[1]));
  const y = device.createBuffer({ size: 4 * rows, usage: GPUBufferUsage.STORAGE, label: 'tune y' });
  const uniforms = new Uniforms(device); // every candidate's Params, each in slots of its own
  try {
    // each candidate's dispatches, encoded once (its pipelines compiled here) and replayed by every timing
    const plans = candidates.map((c) => {
      fwd.setLayout({ ...c, prefillRows: keep.prefillRows });
      const encoder = device.createCommandEncoder({ label: 'tune encode' });
      const pass = encoder.beginComputePass();
      const dispatches: EncodedDispatch[] = [];
      for (const w of matrices) fwd.oneTokenMatmul({ encoder, pass, uniforms, dispatches }, w, y);
      pass.end(); // the encoder is dropped: only the dispatches are kept
      return { dispatches, params: new Uint8Array() }; // a Plan for replay(), whose Params are already in place
    });
    uniforms.flush();
    const time = async (i: number, repeats: number): Promise<number> => {
      const encoder = device.createCommandEncoder({ label: 'tune' });
      const pass = encoder.beginComputePass();
      for (let r = 0; r < repeats; r++) replay(pass, plans[i]);
      pass.end();
      const cb = encoder.finish();
      const submitted = performance.now();
      device.queue.submit([cb]);
      await device.queue.onSubmittedWorkDone();
      return (performance.now() - submitted) / repeats;
    };
    for (let i = 0; i < plans.length; i++) await time(i, 1); // warm: first submits of new pipelines
    // repeats doubled until a submit of the reference runs targetMs: the wait for the queue (a browser's can take
    // milliseconds) is then a small part of each time
    let repeats = 1;
    while (repeats < 256 && repeats * (await time(0, repeats)) < (o.targetMs ?? 20)) repeats *= 2;
    const rounds = o.rounds ?? 3;
    const ms = candidates.map(() => Infinity);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < plans.length; i++) ms[i] = Math.min(ms[i], await time(i, repeats));
    }
    const timings = candidates.map((layout, i) => ({ layout, ms: ms[i] }));
    const chosen = { ...chooseLayout(timings, o.margin), ...(keep.prefillRows ? { prefillRows: keep.prefillRows } : {}) };
    fwd.setLayout(chosen);
    return { chosen, timings, repeats, rounds, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    fwd.setLayout(keep);
    throw e;
  } finally {
    y.destroy();
    uniforms.destroy();
  }
}

/**
 * LoadOptions.tune: tuneLayout within a validation error scope, rows per invocation tried only with integer
 * dots (`int8`: the other matmul has none). On any error the layout stays `keep`'s, and the result is undefined:
 * a load does not fail for its tuning.
 */
export async function tuneAtLoad(device: GPUDevice, fwd: Forward, matrices: readonly GpuTensor[], candidates: readonly MatmulLayout[], keep: MatmulLayout, int8: boolean): Promise<LayoutTuning | undefined> {
  const tried = candidates.filter((c, i) => i === 0 || int8 || !c.decodeRows);
  const kept = { matmulLanes: keep.matmulLanes, prefillRows: keep.prefillRows, decodeRows: keep.decodeRows };
  device.pushErrorScope('validation');
  const tuning = await tuneLayout(device, fwd, matrices, tried, kept).catch(() => undefined); // tuneLayout put `kept` back
  if (!(await device.popErrorScope())) return tuning;
  fwd.setLayout(kept);
  return undefined;
}
