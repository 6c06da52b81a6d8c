/**
 * The check quantized.gpu.test.ts and kquants.gpu.test.ts run per weight type: a generated model fed 64
 * tokens (teacher forcing) on the GPU, against the CPU pass on the same dequantized weights and llama.cpp.
 */
import { expect } from 'vitest';
import { Engine } from '../engine/engine.ts';
import type { Gpu } from '../gpu/device.ts';
import { fileSource } from '../gguf/node_source.ts';
import { CpuModel } from '../reference/cpu_forward.ts';
import { llamaCppReference } from '../reference/llama_cpp.ts';
import { argmax, makeModel, randomPrompt, worstRelative, type ModelCase } from './models.ts';

/**
 * The matmul inputs a case runs with: f32 (1e-2 of the fp32 CPU pass), and 8-bit too (3e-2 of the CPU pass
 * that quantizes the same inputs) when its --type is one of `int8Types`: [name, int8Dot, tolerance].
 */
export function inputModes(c: ModelCase, int8Types: string[]): [string, boolean, number][] {
  const f32: [string, boolean, number] = ['f32 inputs', false, 1e-2];
  return int8Types.some((t) => c.args.includes(t)) ? [f32, ['8-bit inputs', true, 3e-2]] : [f32];
}

/** Logits within `tolerance` relative of the CPU pass; argmax agrees with llama.cpp's at >= 90% of positions. */
export async function checkWeights(gpu: Gpu, c: ModelCase, mode: string, int8: boolean, tolerance: number): Promise<void> {
  const path = makeModel(c);
  const engine = await Engine.load(gpu, await fileSource(path), { contextTokens: 128, int8Dot: int8 });
  try {
    const ids = randomPrompt(engine.hp.nVocab, 64, 11, c.bos);
    const ours = await engine.prefillAll(engine.createSequence(), ids);
    const worst = worstRelative(ours, (await CpuModel.load(path, { q8Activations: int8 })).forward(ids));
    const ref = await llamaCppReference(path, ids);
    const agree = ids.filter((_, p) => argmax(ours[p]) === argmax(ref.logits[p])).length;
    console.log(`${c.name}, ${mode}: max relative |gpu - cpu| = ${worst.toExponential(2)}; vs llama.cpp ${worstRelative(ours, ref.logits).toExponential(2)}; argmax agrees with llama.cpp at ${agree}/64`);
    expect(worst).toBeLessThanOrEqual(tolerance);
    expect(agree).toBeGreaterThanOrEqual(58); // 90% of 64 = 57.6
  } finally {
    engine.unload();
  }
}
