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
  expect(q4kmType('blk.0.attn_qkv.weight', 2, false)).toBe(GgmlType.Q5_K); // phi3's fused q/k/v
});

test('K-quant types need widths that are multiples of 256, the 32-blocks multiples of 32', () => {
  const o = { ...TEST_MODEL_DEFAULTS, tiedEmbeddings: false };
  for (const type of ['q4_k', 'q5_k', 'q6_k', 'q4_k_m'] as const) {
    expect(() => validateTestModelOptions({ ...o, type, ff: 384 })).toThrow(new TestModelOptionError(`--type ${type} needs --embd, --ff and heads x head size to be multiples of 256`));
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

const names = (o: Partial<Parameters<typeof buildTestModel>[0]>) =>
  buildTestModel({ ...TEST_MODEL_DEFAULTS, tiedEmbeddings: false, vocab: builtinVocab(), ...o });

test('phi3: fused attn_qkv [E, q + 2 kv rows] and gate+up ffn_up [E, 2 F], no ffn_gate; rope dims and factors', () => {
  const { metadata, tensors } = names({ arch: 'phi3', ropeDims: 48, ropeFactors: true }); // E 256, 4 heads of 64, 2 kv heads
  const dims = (n: string) => tensors.find((t) => t.name === n)?.dims;
  expect(dims('blk.0.attn_qkv.weight')).toEqual([256, 256 + 2 * 128]);
  expect(dims('blk.0.ffn_up.weight')).toEqual([256, 2 * 512]);
  expect(dims('blk.0.ffn_gate.weight')).toBeUndefined();
  expect(dims('blk.0.attn_q.weight')).toBeUndefined();
  expect(dims('rope_factors_short.weight')).toEqual([24]);
  expect(metadata['phi3.rope.dimension_count'].value).toBe(48);
  expect(metadata['phi3.context_length'].value).toBe(4 * 512);
  expect(metadata['phi3.rope.scaling.original_context_length'].value).toBe(512);
});

test('gemma2: post-norms, always tied, head size, softcaps and window in the metadata; gemma3 writes only what it is given', () => {
  const g2 = names({ arch: 'gemma2', headDim: 96, embd: 192, heads: 3, kvHeads: 1 });
  const has = (t: { name: string }[], n: string) => t.some((x) => x.name === n);
  expect(has(g2.tensors, 'blk.1.post_attention_norm.weight') && has(g2.tensors, 'blk.1.post_ffw_norm.weight')).toBe(true);
  expect(has(g2.tensors, 'output.weight')).toBe(false);
  expect(g2.tensors.find((t) => t.name === 'blk.0.attn_q.weight')!.dims).toEqual([192, 3 * 96]);
  expect([g2.metadata['gemma2.attn_logit_softcapping'].value, g2.metadata['gemma2.final_logit_softcapping'].value, g2.metadata['gemma2.attention.sliding_window'].value]).toEqual([50, 30, 4096]);
  const g3 = names({ arch: 'gemma3', slidingWindow: 16, swaPattern: 0 });
  expect(g3.metadata['gemma3.final_logit_softcapping']).toBeUndefined();
  expect([g3.metadata['gemma3.attention.sliding_window'].value, g3.metadata['gemma3.attention.sliding_window_pattern'].value]).toEqual([16, 0]);
  expect(has(g3.tensors, 'blk.0.attn_q_norm.weight') && has(g3.tensors, 'output.weight')).toBe(true);
});

test('architecture options are refused for the wrong architecture, with the ones that take them', () => {
  const o = { ...TEST_MODEL_DEFAULTS, tiedEmbeddings: false };
  expect(() => validateTestModelOptions({ ...o, arch: 'qwen2', attnSoftcap: 5 })).toThrow(new TestModelOptionError('--attn-softcap is for --arch gemma2, not qwen2'));
  expect(() => validateTestModelOptions({ ...o, arch: 'llama', ropeFactors: true })).toThrow(new TestModelOptionError('--rope-factors is for --arch phi3, not llama'));
  expect(() => validateTestModelOptions({ ...o, arch: 'phi3', slidingWindow: 8 })).toThrow(/--sliding-window is for --arch llama\|gemma2\|gemma3/);
  expect(() => validateTestModelOptions({ ...o, ropeDims: 66 })).toThrow(new TestModelOptionError('--rope-dims 66 must be even and at most the head size 64'));
  expect(() => validateTestModelOptions({ ...o, arch: 'phi3', headDim: 32 })).toThrow(/phi3 needs heads x head size = embd/);
});
