/**
 * Generated models against llama.cpp: the files load in llama.cpp (weights and tokenizer), its logits
 * are finite, and our plain fp32 CPU forward pass matches them. This makes the CPU pass a trusted
 * second reference for the WebGPU engine.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { mulberry32 } from '../util/rng.ts';
import { runCli } from '../testing/cli.ts';
import { tempDir, vocabFile } from '../testing/paths.ts';
import { CpuModel } from './cpu_forward.ts';
import { llamaCppReference, llamaCppTokenize } from './llama_cpp.ts';

const dir = tempDir();

const argmax = (a: Float32Array) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);

/** BOS (when the model has one) then random ids: 32 prompt tokens. */
function prompt(nVocab: number, bos: number | undefined, seed: number): number[] {
  const rng = mulberry32(seed);
  const ids = Array.from({ length: 32 }, () => Math.floor(rng() * nVocab));
  if (bos !== undefined) ids[0] = bos;
  return ids;
}

interface Case {
  name: string;
  args: string[];
  vocab?: string; // llama.cpp vocab name, when --vocab-from is used
  bos?: number;
}

const cases: Case[] = [
  // the acceptance command: real qwen2 vocabulary (151,936 tokens), default shape (GQA 4:2)
  { name: 'qwen2 f32, qwen2 vocab, GQA', vocab: 'qwen2', bos: 151643, args: ['--arch', 'qwen2', '--type', 'f32'] },
  { name: 'llama f32, built-in vocab, no GQA', bos: 1, args: ['--arch', 'llama', '--embd', '128', '--heads', '2', '--kv-heads', '2', '--ff', '256'] },
  { name: 'llama f32, llama-spm vocab, GQA 8:2, 3 layers', vocab: 'llama-spm', bos: 1, args: ['--arch', 'llama', '--embd', '256', '--heads', '8', '--kv-heads', '2', '--layers', '3'] },
  { name: 'qwen3 f32, llama-bpe vocab, tied embeddings, MQA', vocab: 'llama-bpe', args: ['--arch', 'qwen3', '--embd', '128', '--heads', '2', '--kv-heads', '1', '--ff', '384', '--tied-embeddings'] },
];

describe.each(cases)('$name', (c) => {
  const path = join(dir, `${c.name.replace(/\W+/g, '_')}.gguf`);

  test('matches llama.cpp: finite logits, CPU forward within 1e-4 at 32 positions, same greedy tokens', async () => {
    const gen = runCli(['make-test-model', ...c.args, ...(c.vocab ? ['--vocab-from', vocabFile(c.vocab)] : []), '--out', path]);
    expect(gen.code, gen.stderr).toBe(0);

    const cpu = await CpuModel.load(path);
    const ids = prompt(cpu.hp.nVocab, c.bos, 7);
    const ref = await llamaCppReference(path, ids, 8);
    expect(ref.nVocab).toBe(cpu.hp.nVocab);
    const ours = cpu.forward([...ids, ...ref.greedy]);

    let maxDiff = 0;
    let maxLogit = 0;
    let nonFinite = 0;
    for (let p = 0; p < ids.length; p++) {
      for (let t = 0; t < ref.nVocab; t++) {
        if (!Number.isFinite(ref.logits[p][t])) nonFinite++;
        maxDiff = Math.max(maxDiff, Math.abs(ours[p][t] - ref.logits[p][t]));
        maxLogit = Math.max(maxLogit, Math.abs(ref.logits[p][t]));
      }
    }
    console.log(`${c.name}: max |cpu - llama.cpp| = ${maxDiff.toExponential(2)}, max |logit| = ${maxLogit.toFixed(1)}`);
    expect(nonFinite).toBe(0);
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
    expect(maxLogit).toBeGreaterThan(5); // realistic magnitudes, not a near-zero model

    // llama.cpp's greedy continuation is the argmax of our logits at each step (teacher forcing)
    const ourGreedy = ref.greedy.map((_, i) => argmax(ours[ids.length - 1 + i]));
    expect(ourGreedy).toEqual(ref.greedy);
  });

  test('llama.cpp tokenizes with the copied vocabulary exactly as with the original', async () => {
    const text = 'Hello world! The quick brown fox, 123 <|im_start|>user';
    const ids = await llamaCppTokenize(path, text);
    expect(ids.length).toBeGreaterThan(3);
    if (c.vocab) expect(ids).toEqual(await llamaCppTokenize(vocabFile(c.vocab), text));
  });
});
