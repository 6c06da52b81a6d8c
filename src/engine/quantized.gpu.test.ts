/**
 * F16 / BF16 / Q8_0 / Q4_0 weights: the engine's logits match the fp32 CPU forward pass on the same
 * dequantized weights within 1e-2 relative, and fed the same 64 tokens (teacher forcing) its argmax
 * agrees with llama.cpp's at >= 90% of positions (llama.cpp quantizes activations for Q8_0/Q4_0
 * matmuls and rounds to f16 in places, so exact agreement is not expected there).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { fileSource } from '../gguf/node_source.ts';
import { CpuModel } from '../reference/cpu_forward.ts';
import { llamaCppReference } from '../reference/llama_cpp.ts';
import { argmax, makeModel, randomPrompt, worstRelative, type ModelCase } from '../testing/models.ts';
import { Engine } from './engine.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await openTestGpu();
});
afterAll(() => gpu?.device.destroy());

const cases: ModelCase[] = [
  { name: 'llama f16 GQA', bos: 1, args: ['--arch', 'llama', '--type', 'f16'] },
  { name: 'qwen2 bf16 MHA', args: ['--arch', 'qwen2', '--type', 'bf16', '--embd', '128', '--heads', '2', '--kv-heads', '2', '--ff', '256'] },
  { name: 'qwen3 q8_0 GQA', args: ['--arch', 'qwen3', '--type', 'q8_0'] },
  { name: 'llama q4_0 GQA rope-freqs', bos: 1, args: ['--arch', 'llama', '--type', 'q4_0', '--rope-freqs'] },
  { name: 'qwen2 q4_0 tied', args: ['--arch', 'qwen2', '--type', 'q4_0', '--tied-embeddings'] },
];

describe.each(cases)('$name', (c) => {
  test('within 1e-2 relative of the CPU pass on dequantized weights; argmax agrees with llama.cpp at >= 90% of 64 positions', async () => {
    const path = makeModel(c);
    const engine = await Engine.load(gpu, await fileSource(path), { contextTokens: 128 });
    try {
      const ids = randomPrompt(engine.hp.nVocab, 64, 11, c.bos);
      const ours = await engine.prefillAll(engine.createSequence(), ids);
      const worst = worstRelative(ours, (await CpuModel.load(path)).forward(ids));
      const ref = await llamaCppReference(path, ids);
      const agree = ids.filter((_, p) => argmax(ours[p]) === argmax(ref.logits[p])).length;
      console.log(`${c.name}: max relative |gpu - cpu| = ${worst.toExponential(2)}; argmax agrees with llama.cpp at ${agree}/64`);
      expect(worst).toBeLessThanOrEqual(1e-2);
      expect(agree).toBeGreaterThanOrEqual(58); // 90% of 64 = 57.6
    } finally {
      engine.unload();
    }
  });
});
