/**
 * Model shapes for `tabserve bench`: the dimensions of real models, random weights (decode speed depends on
 * the shapes and the weight type, not on the values: the quantized types are written as random blocks,
 * src/gguf/random_blocks.ts, in seconds), and the real vocabulary of each family so the
 * embedding and lm_head have their real sizes. Files are generated once into .cache/bench/ and reused,
 * by us and by the peers, which load the very same GGUF.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vocabFrom } from '../cli/make_test_model.ts';
import type { Arch } from '../model/hparams.ts';
import { testModelGguf, type WeightTypeName } from '../model/test_model.ts';

export interface BenchShape {
  arch: Arch;
  embd: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ff: number;
  headDim?: number; // when not embd / heads (qwen3: 128 with embd 1024 and 16 heads)
  ropeFreqs?: boolean; // llama3-style rope frequency factors
  vocab: string; // a vocab-only GGUF of the family in llama.cpp's models/ (from `npm run setup`)
}

/** Embeddings tied to the output in all four, as in the released models. */
export const SHAPES: Record<string, BenchShape> = {
  'smollm2-135m': { arch: 'llama', embd: 576, layers: 30, heads: 9, kvHeads: 3, ff: 1536, vocab: 'ggml-vocab-starcoder.gguf' },
  'qwen2.5-0.5b': { arch: 'qwen2', embd: 896, layers: 24, heads: 14, kvHeads: 2, ff: 4864, vocab: 'ggml-vocab-qwen2.gguf' },
  'qwen3-0.6b': { arch: 'qwen3', embd: 1024, layers: 28, heads: 16, kvHeads: 8, headDim: 128, ff: 3072, vocab: 'ggml-vocab-qwen2.gguf' },
  'llama3.2-1b': { arch: 'llama', embd: 2048, layers: 16, heads: 32, kvHeads: 8, ff: 8192, ropeFreqs: true, vocab: 'ggml-vocab-llama-bpe.gguf' },
};

/** q4_k_m: Q4_K with Q6_K where llama.cpp's Q4_K_M puts it, the type most GGUF downloads come in. */
export const BENCH_TYPES: readonly WeightTypeName[] = ['q8_0', 'q4_0', 'q4_k', 'q4_k_m'];

/** Why a shape cannot be written in a type (K-quants need rows that are multiples of 256), or undefined. */
export function unsupported(shape: BenchShape, type: WeightTypeName): string | undefined {
  const block = type.startsWith('q') && type.includes('_k') ? 256 : type.startsWith('q') ? 32 : 1;
  const bad = [shape.embd, shape.ff].filter((n) => n % block !== 0);
  return bad.length ? `${type} needs widths that are multiples of ${block}; ${bad.join(' and ')} ${bad.length > 1 ? 'are' : 'is'} not` : undefined;
}

/** The project folder: the nearest one above this module (src/bench/ or the bundle's dist/) with a package.json. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The GGUF of a shape in a type, written on first use: .cache/bench/<shape>-<type>.gguf. */
export async function shapeModel(id: string, type: WeightTypeName, log: (line: string) => void): Promise<string> {
  const s = SHAPES[id];
  if (!s) throw new Error(`unknown shape '${id}' (known: ${Object.keys(SHAPES).join(', ')})`);
  const why = unsupported(s, type);
  if (why) throw new Error(`${id}: ${why}`);
  const root = projectRoot();
  const dir = join(root, '.cache', 'bench');
  const path = join(dir, `${id}-${type}.gguf`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  log(`writing ${path} (random weights, once) ...`);
  const vocab = await vocabFrom(join(root, '.cache', 'llama.cpp', 'models', s.vocab)); // npm run setup
  const chunks = testModelGguf({ ...s, type, ctx: 4096, seed: 1, tiedEmbeddings: true, vocab, randomBlocks: true });
  await writeFile(path + '.part', chunks);
  await rename(path + '.part', path); // a killed run leaves no truncated model behind
  return path;
}
