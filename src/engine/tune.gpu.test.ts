/**
 * Tuning the matmul layout at load (model/tune.ts), on the software adapter with its info saying it is a GPU
 * (no machine of CI has one): which layouts are timed, that the engine then runs the one chosen, in prefill
 * and decode alike, and that a tuning which fails leaves the load as it was. Which layout wins is the
 * adapter's business, not the test's.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { fileSource } from '../gguf/node_source.ts';
import { TUNE_LAYOUTS } from '../model/tune.ts';
import { makeModel, randomPrompt } from '../testing/models.ts';
import { Engine, type LoadOptions } from './engine.ts';

let gpu: Gpu;
let asGpu: Gpu; // the same device, its info saying it is not a fallback adapter
let path: string;
beforeAll(async () => {
  gpu = await openTestGpu();
  asGpu = { ...gpu, info: { ...gpu.info, isFallbackAdapter: false } };
  path = makeModel({ name: 'tune llama q8_0', vocab: 'llama-spm', bos: 1, args: ['--arch', 'llama', '--type', 'q8_0', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--ff', '256'] });
});
afterAll(() => gpu?.device.destroy());

const load = async (g: Gpu, o: LoadOptions = {}) => Engine.load(g, await fileSource(path), { contextTokens: 128, chunkTokens: 12, ...o });

/** TPR and RPI of the integer-dot matmuls the engine's last run dispatched, with `tt` tokens per workgroup. */
function matmulLayouts(engine: Engine, tt: number): { tpr: Set<number>; rpi: Set<number> } {
  const labels = (engine.lastRunPlan()?.dispatches ?? []).map((d) => d.pipeline.label).filter((l) => l.startsWith('matmul_q8|') && l.includes(`TT=${tt},`));
  expect(labels.length).toBeGreaterThan(0);
  const num = (l: string, k: string) => Number(new RegExp(`${k}=(\\d+)`).exec(l)?.[1]);
  return { tpr: new Set(labels.map((l) => num(l, 'TPR'))), rpi: new Set(labels.map((l) => num(l, 'RPI'))) };
}

describe('tuning at load', () => {
  test('a default load on a GPU times every layout and decodes with the one it chose; a CPU adapter or a layout given skips it', async () => {
    const engine = await load(asGpu);
    try {
      const t = engine.layoutTuning!;
      expect(t.timings.map((x) => x.layout)).toEqual(TUNE_LAYOUTS); // lavapipe has integer dots: rows are tried too
      for (const x of t.timings) expect(x.ms > 0 && Number.isFinite(x.ms), JSON.stringify(x)).toBe(true);
      expect(t.repeats).toBeGreaterThanOrEqual(1);
      expect(TUNE_LAYOUTS).toContainEqual(t.chosen);
      const seq = engine.createSequence();
      await engine.prefill(seq, randomPrompt(engine.hp.nVocab, 5, 1, 1));
      await engine.decode(seq, 7);
      const { tpr, rpi } = matmulLayouts(engine, 1);
      expect([...rpi]).toEqual([t.chosen.decodeRows ?? 1]);
      expect([...tpr]).toEqual(t.chosen.matmulLanes ? [t.chosen.matmulLanes] : [4, 8]); // default: a lane per block (k 128, 256)
    } finally {
      engine.unload();
    }
    for (const [g, o] of [[gpu, {}], [asGpu, { decodeRows: 1 }], [asGpu, { tune: false }]] as [Gpu, LoadOptions][]) {
      const e = await load(g, o);
      expect(e.layoutTuning, `${g === gpu ? 'cpu adapter' : 'gpu'} ${JSON.stringify(o)}`).toBeUndefined();
      e.unload();
    }
  });

  test("the chosen layout's lanes serve prefill too (its rows decode only), and prefill still agrees with decode", async () => {
    const layout = { matmulLanes: 2, decodeRows: 2 };
    const engine = await load(asGpu, { tune: [layout] });
    try {
      expect(engine.layoutTuning?.chosen).toEqual(layout);
      const prompt = randomPrompt(engine.hp.nVocab, 13, 3, 1);
      const s1 = engine.createSequence();
      const all = await engine.prefillAll(s1, prompt); // 12 tokens, then 1
      const s2 = engine.createSequence();
      await engine.prefill(s2, prompt.slice(0, 12));
      expect(matmulLayouts(engine, 8)).toEqual({ tpr: new Set([2]), rpi: new Set([1]) });
      await engine.decode(s2, prompt[12]);
      expect(matmulLayouts(engine, 1)).toEqual({ tpr: new Set([2]), rpi: new Set([2]) });
      const steps: Float32Array[] = [];
      const s3 = engine.createSequence();
      for (const id of prompt) steps.push(await engine.decode(s3, id));
      let worst = 0;
      all.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - steps[i][j])))));
      expect(worst).toBeLessThan(1e-4);
    } finally {
      engine.unload();
    }
  });

  test('a tuning that fails (a layout the kernels refuse) leaves the load as it was, and the engine runs', async () => {
    const engine = await load(asGpu, { tune: [{ matmulLanes: 128 }] });
    try {
      expect(engine.layoutTuning).toBeUndefined();
      const seq = engine.createSequence();
      const logits = await engine.prefill(seq, randomPrompt(engine.hp.nVocab, 5, 2, 1));
      expect(logits.every(Number.isFinite)).toBe(true);
      await engine.decode(seq, 9);
      expect(matmulLayouts(engine, 1)).toEqual({ tpr: new Set([4, 8]), rpi: new Set([1]) });
    } finally {
      engine.unload();
    }
  });
});
