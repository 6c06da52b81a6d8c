/** The generated test models' weight types: the Q4_K_M mix rule and the width checks per type. */
import { expect, test } from 'vitest';
import { GgmlType } from '../gguf/ggml.ts';
import { builtinVocab } from './builtin_vocab.ts';
import { buildTestModel, q4kmType, TEST_MODEL_DEFAULTS, TestModelOptionError, useMoreBits, validateTestModelOptions } from './test_model.ts';

test('useMoreBits: the first and last eighth of the layers and every third between (half of a 32-layer model)', () => {
  const more = Array.from({ length: 32 }, (_, i) => i).filter((i) => useMoreBits(i, 32));
  expect(more).toEqual([0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]);
  expect([0, 1].map((i) => useMoreBits(i, 2))).toEqual([false, true]);
  expect(useMoreBits(0, 1)).toBe(true);
});

test('q4kmType: Q6_K for output (or tied embeddings) and the chosen attn_v / ffn_down, Q4_K for the rest', () => {
  expect(q4kmType('output.weight', 2, false)).toBe(GgmlType.Q6_K);
  expect(q4kmType('token_embd.weight', 2, false)).toBe(GgmlType.Q4_K);
  expect(q4kmType('token_embd.weight', 2, true)).toBe(GgmlType.Q6_K);
  expect(q4kmType('blk.1.attn_v.weight', 2, false)).toBe(GgmlType.Q6_K);
  expect(q4kmType('blk.0.attn_v.weight', 2, false)).toBe(GgmlType.Q4_K);
  expect(q4kmType('blk.1.ffn_down.weight', 2, false)).toBe(GgmlType.Q6_K);
  expect(q4kmType('blk.1.ffn_up.weight', 2, false)).toBe(GgmlType.Q4_K);
  expect(q4kmType('blk.12.attn_v.weight', 32, false)).toBe(GgmlType.Q6_K);
  expect(q4kmType('blk.13.attn_v.weight', 32, false)).toBe(GgmlType.Q4_K);
});

test('K-quant types need widths that are multiples of 256, the 32-blocks multiples of 32', () => {
  const o = { ...TEST_MODEL_DEFAULTS, tiedEmbeddings: false };
  for (const type of ['q4_k', 'q5_k', 'q6_k', 'q4_k_m'] as const) {
    expect(() => validateTestModelOptions({ ...o, type, ff: 384 })).toThrow(new TestModelOptionError(`--type ${type} needs --embd and --ff to be multiples of 256`));
    expect(() => validateTestModelOptions({ ...o, type, embd: 256, ff: 768 })).not.toThrow();
  }
  for (const type of ['q4_1', 'q5_0', 'q5_1'] as const) {
    expect(() => validateTestModelOptions({ ...o, type, embd: 48, heads: 2 })).toThrow(/multiples of 32/);
  }
});

test('a q4_k_m model: norms stay F32, the mix as llama.cpp lays it out, file type 15 (MOSTLY_Q4_K_M)', () => {
  const { metadata, tensors } = buildTestModel({ ...TEST_MODEL_DEFAULTS, type: 'q4_k_m', layers: 4, tiedEmbeddings: false, vocab: builtinVocab() });
  const type = (n: string) => tensors.find((t) => t.name === n)!.type;
  expect(metadata['general.file_type'].value).toBe(15);
  expect(type('blk.0.attn_norm.weight')).toBe(GgmlType.F32);
  expect([0, 1, 2, 3].map((l) => type(`blk.${l}.ffn_down.weight`))).toEqual([GgmlType.Q4_K, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q6_K]);
  expect(type('output.weight')).toBe(GgmlType.Q6_K);
});
