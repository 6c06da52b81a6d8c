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
  /**
   * gemma: llama.cpp's CPU GELU reads an f16 table (ggml-cpu/vec.h, GGML_GELU_FP16), off by up to ~1e-3
   * relative, where ours is exact: the logits then agree to a tolerance relative to their size, and the
   * greedy tokens at >= 90% of positions instead of all.
   */
  approx?: boolean;
  /** Context size given to llama.cpp and to our pass (phi3 uses its long rope factors past the trained context). */
  context?: number;
}

const spm = { vocab: 'llama-spm', bos: 1 };
const phi = { vocab: 'phi-3', bos: 1 }; // llama.cpp's phi3 vocabulary needs phi-3's special tokens
const gemma2 = ['--arch', 'gemma2', '--sliding-window', '8', '--attn-softcap', '5', '--final-softcap', '15'];

const cases: Case[] = [
  // the acceptance command: real qwen2 vocabulary (151,936 tokens), default shape (GQA 4:2)
  { name: 'qwen2 f32, qwen2 vocab, GQA', vocab: 'qwen2', bos: 151643, args: ['--arch', 'qwen2', '--type', 'f32'] },
  { name: 'llama f32, built-in vocab, no GQA', bos: 1, args: ['--arch', 'llama', '--embd', '128', '--heads', '2', '--kv-heads', '2', '--ff', '256'] },
  { name: 'llama f32, llama-spm vocab, GQA 8:2, 3 layers', vocab: 'llama-spm', bos: 1, args: ['--arch', 'llama', '--embd', '256', '--heads', '8', '--kv-heads', '2', '--layers', '3'] },
  { name: 'qwen3 f32, llama-bpe vocab, tied embeddings, MQA', vocab: 'llama-bpe', args: ['--arch', 'qwen3', '--embd', '128', '--heads', '2', '--kv-heads', '1', '--ff', '384', '--tied-embeddings'] },
  // phi3: fused attn_qkv and gate+up; partial rotary with long-context rope factors and attn_factor
  { name: 'phi3 f32, phi-3 vocab, MHA', vocab: 'phi-3', bos: 1, args: ['--arch', 'phi3', '--embd', '128', '--heads', '4', '--kv-heads', '4', '--ff', '256'] },
  { name: 'phi3 f32, GQA, rope dims 24 of 32, short rope factors', ...phi, args: ['--arch', 'phi3', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--rope-dims', '24', '--rope-factors'] },
  { name: 'phi3 f32, long rope factors (context 1024 > trained 512)', ...phi, context: 1024, args: ['--arch', 'phi3', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--rope-factors'] },
  // gemma2: window 8 on even layers, attention cap 5, logit cap 15, head size 96 with embd 192
  { name: 'gemma2 f32, hd 96 of embd 192, window 8, softcaps', ...spm, approx: true, args: [...gemma2, '--embd', '192', '--heads', '3', '--kv-heads', '1', '--head-dim', '96', '--ff', '384', '--layers', '3'] },
  // gemma3: window 13 on layers 0, 1, (not 2), 3; rope base 10000 there, 1e6 scaled by 1/4 elsewhere
  { name: 'gemma3 f32, window 13, pattern 3, rope scale 4', ...spm, approx: true, args: ['--arch', 'gemma3', '--sliding-window', '13', '--swa-pattern', '3', '--rope-base-swa', '10000', '--rope-scale', '4', '--embd', '128', '--heads', '2', '--kv-heads', '1', '--ff', '256', '--layers', '4'] },
  // every layer windowed (pattern 0): the Mistral-style window, which llama.cpp implements for gemma3 only
  { name: 'gemma3 f32, tied, every layer windowed (9)', ...spm, approx: true, args: ['--arch', 'gemma3', '--sliding-window', '9', '--swa-pattern', '0', '--tied-embeddings', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--ff', '256'] },
];

describe.each(cases)('$name', (c) => {
  const path = join(dir, `${c.name.replace(/\W+/g, '_')}.gguf`);

  const title = c.approx
    ? 'matches llama.cpp: finite logits, CPU forward within 2e-3 of the largest logit at 32 positions, >= 90% of greedy tokens'
    : 'matches llama.cpp: finite logits, CPU forward within 1e-4 at 32 positions, same greedy tokens';
  test(title, async () => {
    const gen = runCli(['make-test-model', ...c.args, ...(c.vocab ? ['--vocab-from', vocabFile(c.vocab)] : []), '--out', path]);
    expect(gen.code, gen.stderr).toBe(0);

    const context = c.context ?? 64;
    const cpu = await CpuModel.load(path, { contextTokens: context, kvF32: true }); // as llama.cpp's cache here
    const ids = prompt(cpu.hp.nVocab, c.bos, 7);
    const ref = await llamaCppReference(path, ids, 8, { contextSize: context });
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
    // llama.cpp's greedy continuation is the argmax of our logits at each step (teacher forcing), and
    // its argmax at each prompt position is ours
    const ourGreedy = ref.greedy.map((_, i) => argmax(ours[ids.length - 1 + i]));
    const agree = ids.filter((_, p) => argmax(ours[p]) === argmax(ref.logits[p])).length;
    console.log(`${c.name}: max |cpu - llama.cpp| = ${maxDiff.toExponential(2)}, max |logit| = ${maxLogit.toFixed(1)}; argmax agrees at ${agree}/32`);
    expect(nonFinite).toBe(0);
    expect(maxLogit).toBeGreaterThan(5); // realistic magnitudes, not a near-zero model
    if (c.approx) {
      expect(maxDiff / maxLogit).toBeLessThanOrEqual(2e-3);
      expect(agree).toBeGreaterThanOrEqual(29); // 90% of 32 = 28.8
    } else {
      expect(maxDiff).toBeLessThanOrEqual(1e-4);
      expect(ourGreedy).toEqual(ref.greedy);
    }
  });

  test('llama.cpp tokenizes with the copied vocabulary exactly as with the original', async () => {
    const text = 'Hello world! The quick brown fox, 123 <|im_start|>user';
    const ids = await llamaCppTokenize(path, text);
    expect(ids.length).toBeGreaterThan(3);
    if (c.vocab) expect(ids).toEqual(await llamaCppTokenize(vocabFile(c.vocab), text));
  });
});
