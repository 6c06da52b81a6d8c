/**
 * K-quant (Q4_K, Q5_K, Q6_K, the Q4_K_M mix) and Q4_1 / Q5_0 / Q5_1 weights, end to end, as
 * quantized.gpu.test.ts does for Q8_0 / Q4_0: llama.cpp loads the file we write (our encoder writes
 * blocks llama.cpp reads), fed the same 64 tokens its argmax agrees with ours at >= 90% of positions
 * (llama.cpp quantizes activations to 8 bits for these matmuls, so exact agreement is not expected),
 * and our GPU logits are within 1e-2 relative of the fp32 CPU pass on the same dequantized weights with f32
 * matmul inputs. Where the GPU has integer dots (the default there), Q4_K matmuls quantize their input to 8
 * bits as Q8_0 / Q4_0 ones do, and the CPU pass does the same: within 3e-2, for quantized.gpu.test.ts's reason.
 * That llama.cpp decodes each block exactly as we do is proven in src/gguf/quant_llama_cpp.test.ts.
 * Widths are multiples of 256 (the K-quant super-block); ff 768 gives rows of three super-blocks.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { GgmlType, ggmlTypeName } from '../gguf/ggml.ts';
import { fileSource } from '../gguf/node_source.ts';
import { openGgufFile } from '../gguf/node_file.ts';
import { blobSource } from '../gguf/source.ts';
import { makeModel, maxAbsDiff, randomPrompt, type ModelCase } from '../testing/models.ts';
import { checkWeights, inputModes } from '../testing/weights.ts';
import { Engine } from './engine.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await openTestGpu();
});
afterAll(() => gpu?.device.destroy());

const K = ['--embd', '256', '--ff', '768'];
const cases: ModelCase[] = [
  { name: 'llama q4_k GQA', bos: 1, args: ['--arch', 'llama', '--type', 'q4_k', ...K] },
  { name: 'qwen3 q5_k GQA', args: ['--arch', 'qwen3', '--type', 'q5_k', ...K] },
  { name: 'llama q6_k GQA', bos: 1, args: ['--arch', 'llama', '--type', 'q6_k', ...K] },
  { name: 'llama q4_k_m GQA', bos: 1, args: ['--arch', 'llama', '--type', 'q4_k_m', ...K] },
  { name: 'qwen2 q4_k_m tied', args: ['--arch', 'qwen2', '--type', 'q4_k_m', '--tied-embeddings', ...K] }, // Q6_K embedding table
  { name: 'llama q4_1 GQA', bos: 1, args: ['--arch', 'llama', '--type', 'q4_1'] },
  { name: 'qwen2 q5_0 GQA', args: ['--arch', 'qwen2', '--type', 'q5_0'] },
  { name: 'qwen3 q5_1 GQA', args: ['--arch', 'qwen3', '--type', 'q5_1'] },
];

test('the q4_k_m file is the mix llama.cpp makes: Q6_K output and half the attn_v / ffn_down, Q4_K elsewhere', async () => {
  const types = (await openGgufFile(makeModel(cases[3]))).tensors;
  const typeOf = (n: string) => ggmlTypeName(types.get(n)!.type);
  expect(typeOf('output.weight')).toBe('Q6_K');
  expect(typeOf('token_embd.weight')).toBe('Q4_K');
  expect([typeOf('blk.0.attn_v.weight'), typeOf('blk.1.attn_v.weight')]).toEqual(['Q4_K', 'Q6_K']);
  expect([typeOf('blk.0.ffn_down.weight'), typeOf('blk.1.ffn_down.weight')]).toEqual(['Q4_K', 'Q6_K']);
  expect(typeOf('blk.1.attn_q.weight')).toBe('Q4_K');
  expect(typeOf('blk.1.attn_norm.weight')).toBe('F32');
  const tied = (await openGgufFile(makeModel(cases[4]))).tensors;
  expect(tied.get('token_embd.weight')!.type).toBe(GgmlType.Q6_K);
});

describe.each(cases)('$name', (c) => {
  for (const [mode, int8, tolerance] of inputModes(c, ['q4_k', 'q4_k_m', 'q6_k'])) {
    test(`${mode}: llama.cpp loads it; argmax agrees with llama.cpp at >= 90% of 64 positions; within ${tolerance} relative of the CPU pass`, async (t) => {
      if (int8 && !gpu.info.int8Dot) t.skip(); // no integer dots on this GPU: the default is the f32 case
      await checkWeights(gpu, c, mode, int8, tolerance);
    });
  }
});

test('K-quant matrices split by rows across small bindings give the same logits (Q6_K parts of 47 rows: 9870 bytes)', async () => {
  const path = makeModel(cases[4]); // tied q4_k_m: Q6_K embedding table and output, Q4_K / Q6_K layers
  const whole = await Engine.load(gpu, await fileSource(path), { contextTokens: 64 });
  const prompt = randomPrompt(whole.hp.nVocab, 16, 8); // one KV page: bindings this small hold one page per pool
  const want = await whole.prefillAll(whole.createSequence(), prompt);
  whole.unload();
  // bindings of 10000 bytes: Q6_K rows of 210 bytes give parts of 47 rows, not a multiple of 4 bytes long
  const small: Gpu = { device: gpu.device, info: { ...gpu.info, maxStorageBufferBindingSize: 10_000 } };
  const split = await Engine.load(small, blobSource(new Blob([await readFile(path)]), 'model.gguf'), { contextTokens: 16 });
  try {
    expect(maxAbsDiff(await split.prefillAll(split.createSequence(), prompt), want)).toBeLessThan(1e-4);
  } finally {
    split.unload();
  }
});
