/**
 * llama.cpp's own tokenizer test vectors (models/ggml-vocab-*.gguf.inp / .out, as its
 * tests/test-tokenizer-0.cpp reads them: inputs split on "\n__ggml_vocab_test__\n", one line of ids per
 * input, tokenized with add_special = false and parse_special = false). Every vocabulary with vectors
 * must match them all, except the ones named in LEFT_OUT, which are skipped with their reason.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openGgufFile } from '../gguf/node_file.ts';
import { LLAMA_MODELS } from '../testing/paths.ts';
import { tokenizerFromGguf } from './tokenizer.ts';

/** Vocabularies with vectors that tabserve does not tokenize, and why. */
const LEFT_OUT: Record<string, string> = {
  'bert-bge': "tokenizer.ggml.model 'bert' is WordPiece (BERT embedding models), not a chat-model tokenizer",
};

function readVectors(path: string): { text: string; ids: number[] }[] {
  // as test-tokenizer-0.cpp: the text after the last separator is an input only when non-empty,
  // and getline() gives no line after the final newline
  const inputs = readFileSync(`${path}.inp`, 'utf8').split('\n__ggml_vocab_test__\n');
  if (inputs.at(-1) === '') inputs.pop();
  const lines = readFileSync(`${path}.out`, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  expect(lines.length, `${path}: inputs and outputs differ in count`).toBe(inputs.length);
  return inputs.map((text, i) => ({ text, ids: lines[i].trim() ? lines[i].trim().split(' ').map(Number) : [] }));
}

const names = existsSync(LLAMA_MODELS)
  ? readdirSync(LLAMA_MODELS)
      .filter((f) => /^ggml-vocab-.*\.gguf$/.test(f) && existsSync(join(LLAMA_MODELS, `${f}.inp`)))
      .map((f) => f.slice('ggml-vocab-'.length, -'.gguf'.length))
      .sort()
  : [];
const table: string[] = [];

describe('llama.cpp tokenizer test vectors', () => {
  test('the vectors are there (npm run setup)', () => {
    expect(names.length).toBeGreaterThanOrEqual(14);
  });

  for (const name of names) {
    const path = join(LLAMA_MODELS, `ggml-vocab-${name}.gguf`);
    if (LEFT_OUT[name]) {
      test(name, async (ctx) => {
        // the reason still holds: loading it fails, naming the unsupported model type
        const { metadata } = await openGgufFile(path);
        expect(() => tokenizerFromGguf(metadata)).toThrow(/unsupported tokenizer\.ggml\.model/);
        table.push(`${name.padEnd(16)} skipped: ${LEFT_OUT[name]}`);
        ctx.skip(`left out: ${LEFT_OUT[name]}`);
      });
      continue;
    }
    test(name, async () => {
      const tok = tokenizerFromGguf((await openGgufFile(path)).metadata);
      const vectors = readVectors(path);
      const failed = vectors.filter((v) => JSON.stringify(tok.encode(v.text)) !== JSON.stringify(v.ids));
      table.push(`${name.padEnd(16)} ${vectors.length - failed.length}/${vectors.length}`);
      for (const f of failed) expect(tok.encode(f.text), JSON.stringify(f.text)).toEqual(f.ids);
    });
  }

  afterAll(() => {
    console.log(`llama.cpp test vectors, vocab -> passed/total\n${table.sort().join('\n')}`);
  });
});
