/**
 * The WebGPU engine against llama.cpp on generated models of every architecture, F32 weights and F32 KV:
 * logits within 1e-3 at every position of a 32-token prompt, and 64 greedy tokens identical.
 * Shapes cover GQA, MQA and plain attention, head sizes 32/64/128, tied and separate output weights,
 * llama3 rope factors, and real vocabularies of 32k, 128k and 152k tokens.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { fileSource } from '../gguf/node_source.ts';
import { llamaCppReference } from '../reference/llama_cpp.ts';
import { argmax, makeModel, maxAbsDiff, randomPrompt, type ModelCase } from '../testing/models.ts';
import { Engine } from './engine.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await openTestGpu();
});
afterAll(() => gpu?.device.destroy());

const cases: ModelCase[] = [
  { name: 'llama builtin vocab MHA hd64', bos: 1, args: ['--arch', 'llama', '--embd', '128', '--heads', '2', '--kv-heads', '2', '--ff', '256'] },
  { name: 'llama spm vocab GQA 8:2 hd32 rope-freqs', vocab: 'llama-spm', bos: 1, args: ['--arch', 'llama', '--embd', '256', '--heads', '8', '--kv-heads', '2', '--layers', '3', '--rope-freqs'] },
  { name: 'llama bpe vocab GQA hd128 tied', vocab: 'llama-bpe', bos: 128000, args: ['--arch', 'llama', '--embd', '256', '--heads', '2', '--kv-heads', '1', '--ff', '256', '--tied-embeddings', '--rope-freqs'] },
  { name: 'qwen2 qwen2 vocab GQA hd64', vocab: 'qwen2', args: ['--arch', 'qwen2', '--embd', '128', '--heads', '2', '--kv-heads', '1', '--ff', '256'] },
  { name: 'qwen2 builtin vocab MHA hd128 tied', args: ['--arch', 'qwen2', '--embd', '256', '--heads', '2', '--kv-heads', '2', '--tied-embeddings'] },
  { name: 'qwen3 llama-bpe vocab MQA hd64 tied', vocab: 'llama-bpe', args: ['--arch', 'qwen3', '--embd', '128', '--heads', '2', '--kv-heads', '1', '--ff', '384', '--tied-embeddings'] },
  { name: 'qwen3 builtin vocab GQA 4:2 hd128', args: ['--arch', 'qwen3', '--embd', '512', '--heads', '4', '--kv-heads', '2', '--ff', '512', '--layers', '3'] },
];

describe.each(cases)('$name', (c) => {
  test('logits within 1e-3 of llama.cpp at 32 positions; 64 greedy tokens identical', async () => {
    const path = makeModel(c);
    // chunks of 12 tokens: the prompt spans several chunks and KV pages of 16
    const engine = await Engine.load(gpu, await fileSource(path), { chunkTokens: 12, contextTokens: 256, kvF32: true }); // as llama.cpp's here
    try {
      const ids = randomPrompt(engine.hp.nVocab, 32, 7, c.bos);
      const ref = await llamaCppReference(path, ids, 64);
      expect(ref.nVocab).toBe(engine.hp.nVocab);
      const seq = engine.createSequence();
      const ours = await engine.prefillAll(seq, ids);
      const diff = maxAbsDiff(ours, ref.logits);
      const greedy: number[] = [];
      let logits = ours[ours.length - 1];
      while (greedy.length < 64) {
        greedy.push(argmax(logits));
        if (greedy.length < 64) logits = await engine.decode(seq, greedy[greedy.length - 1]);
      }
      console.log(`${c.name}: max |gpu - llama.cpp| = ${diff.toExponential(2)}; greedy ${greedy.filter((t, i) => t === ref.greedy[i]).length}/64 equal`);
      expect(diff).toBeLessThanOrEqual(1e-3);
      expect(greedy).toEqual(ref.greedy);
    } finally {
      engine.unload();
    }
  });
});
