/**
 * Files the engine cannot run are refused before anything reaches the GPU, each with a GgufError whose
 * message names the file, the tensor (when one is involved) and the reason.
 */
import { describe, expect, test } from 'vitest';
import { GgufError } from '../gguf/errors.ts';
import { blobSource } from '../gguf/source.ts';
import { meta, writeGguf, type MetaEntry, type TensorToWrite } from '../gguf/writer.ts';
import { builtinVocab } from '../model/builtin_vocab.ts';
import { buildTestModel, TEST_MODEL_DEFAULTS } from '../model/test_model.ts';
import { Engine } from './engine.ts';

const base = () => buildTestModel({ ...TEST_MODEL_DEFAULTS, embd: 64, ff: 64, heads: 2, kvHeads: 1, tiedEmbeddings: false, vocab: builtinVocab() });
const file = (metadata: Record<string, MetaEntry>, tensors: TensorToWrite[]) => new Blob(writeGguf(metadata, tensors) as BlobPart[]);
const inspect = (blob: Blob) => Engine.inspect(blobSource(blob, 'model.gguf'));

async function refusal(blob: Blob): Promise<GgufError> {
  const e = await inspect(blob).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GgufError);
  return e as GgufError;
}

/** Sets the type id of `tensor` in the header's tensor infos: u64 name length, name, u32 n_dims, u64 dims, u32 type. */
function patchType(bytes: Uint8Array<ArrayBuffer>, tensor: string, type: number): Uint8Array<ArrayBuffer> {
  const name = new TextEncoder().encode(tensor);
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const at = bytes.findIndex((_, i) => i >= 8 && dv.getUint32(i - 8, true) === name.length && name.every((b, j) => bytes[i + j] === b));
  if (at < 0) throw new Error(`tensor info ${tensor} not found`);
  const nDims = dv.getUint32(at + name.length, true);
  dv.setUint32(at + name.length + 4 + 8 * nDims, type, true);
  return bytes;
}

describe('bad GGUF files are refused with the file, tensor and reason', () => {
  test('a good file passes', async () => {
    const { metadata, tensors } = base();
    const m = await inspect(file(metadata, tensors));
    expect(m.hp.arch).toBe('llama');
    expect(m.tensors.length).toBe(tensors.length);
  });

  test('wrong magic', async () => {
    const { metadata, tensors } = base();
    const bytes = new Uint8Array(await file(metadata, tensors).arrayBuffer());
    bytes.set([0x47, 0x47, 0x4d, 0x4c], 0); // "GGML"
    const e = await refusal(new Blob([bytes]));
    expect(e.message).toMatch(/^model\.gguf: not a readable GGUF file .*magic/);
  });

  test('unsupported version', async () => {
    const { metadata, tensors } = base();
    const bytes = new Uint8Array(await file(metadata, tensors).arrayBuffer());
    new DataView(bytes.buffer).setUint32(4, 1, true); // GGUF v1
    const e = await refusal(new Blob([bytes]));
    expect(e.message).toMatch(/^model\.gguf: not a readable GGUF file/);
  });

  test('truncated in the tensor data', async () => {
    const { metadata, tensors } = base();
    const blob = file(metadata, tensors);
    const e = await refusal(blob.slice(0, blob.size - 100));
    expect(e.tensor).toBe(tensors[tensors.length - 1].name);
    expect(e.message).toContain('truncated');
  });

  test('truncated in the header', async () => {
    const { metadata, tensors } = base();
    const e = await refusal(file(metadata, tensors).slice(0, 200));
    expect(e.message).toMatch(/^model\.gguf: /);
  });

  test('unknown architecture', async () => {
    const { metadata, tensors } = base();
    const e = await refusal(file({ ...metadata, 'general.architecture': meta.str('mamba') }, tensors));
    expect(e.message).toBe("model.gguf: unknown architecture 'mamba' (supported: llama, qwen2, qwen3, phi3, gemma2, gemma3)");
  });

  test('missing tensor', async () => {
    const { metadata, tensors } = base();
    const e = await refusal(file(metadata, tensors.filter((t) => t.name !== 'blk.1.ffn_up.weight')));
    expect(e.tensor).toBe('blk.1.ffn_up.weight');
    expect(e.message).toContain('missing');
  });

  test('inconsistent shape', async () => {
    const { metadata, tensors } = base();
    const e = await refusal(file({ ...metadata, 'llama.feed_forward_length': meta.u32(96) }, tensors));
    expect(e.tensor).toBe('blk.0.ffn_gate.weight');
    expect(e.message).toMatch(/shape \[64, 64\] does not match .* \[64, 96\]/);
  });

  test('unsupported tensor type', async () => {
    const { metadata, tensors } = base();
    const bytes = patchType(new Uint8Array(await file(metadata, tensors).arrayBuffer()), 'blk.0.attn_k.weight', 10); // Q2_K
    const e = await refusal(new Blob([bytes]));
    expect(e.tensor).toBe('blk.0.attn_k.weight');
    expect(e.message).toMatch(/unsupported tensor type Q2_K \(supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K\)/);
  });

  test('an IQ type is named as unsupported too', async () => {
    const { metadata, tensors } = base();
    const bytes = patchType(new Uint8Array(await file(metadata, tensors).arrayBuffer()), 'blk.1.ffn_down.weight', 23); // IQ4_XS
    const e = await refusal(new Blob([bytes]));
    expect(e.tensor).toBe('blk.1.ffn_down.weight');
    expect(e.message).toMatch(/unsupported tensor type IQ4_XS \(supported: .*Q6_K\)/);
  });

  test('K-quant rows that are not whole 256-element super-blocks', async () => {
    const { metadata, tensors } = base(); // attn_k is [64, 32]: 2048 elements, 8 super-blocks in all, but rows of 64
    const bytes = patchType(new Uint8Array(await file(metadata, tensors).arrayBuffer()), 'blk.0.attn_k.weight', 12); // Q4_K
    const e = await refusal(new Blob([bytes]));
    expect(e.tensor).toBe('blk.0.attn_k.weight');
    expect(e.message).toContain('rows of 64 elements are not whole Q4_K blocks of 256');
  });

  test('a rope scaling tabserve does not implement is named, with what is supported', async () => {
    const { metadata, tensors } = base();
    const e = await refusal(file({ ...metadata, 'llama.rope.scaling.type': meta.str('yarn'), 'llama.rope.scaling.factor': meta.f32(4) }, tensors));
    expect(e.message).toBe("model.gguf: rope scaling 'yarn' is not supported (supported: none, linear)");
  });

  test('an odd rope dimension count', async () => {
    const { metadata, tensors } = base();
    const e = await refusal(file({ ...metadata, 'llama.rope.dimension_count': meta.u32(31) }, tensors));
    expect(e.message).toBe('model.gguf: rope.dimension_count 31 is not an even number in 2..32 (the head size)');
  });

  test('keys of an odd number of elements per token (the KV cache stores f16 pairs)', async () => {
    const { metadata, tensors } = base();
    const e = await refusal(file({ ...metadata, 'llama.attention.key_length': meta.u32(31), 'llama.attention.head_count_kv': meta.u32(1) }, tensors));
    expect(e.message).toBe("model.gguf: a token's keys are an odd number of elements (1 kv heads of 31): the KV cache stores them in pairs");
  });

  test('a fused attn_qkv of the wrong size is named (not the parts it would be split into)', async () => {
    const { metadata, tensors } = base(); // q [64, 64], k and v [64, 32]: a fused tensor has 128 rows
    const qkv: TensorToWrite = { ...tensors.find((t) => t.name === 'blk.0.attn_q.weight')!, name: 'blk.0.attn_qkv.weight' }; // only 64 rows
    const rest = tensors.filter((t) => !/^blk\.0\.attn_[qkv]\.weight$/.test(t.name));
    const e = await refusal(file(metadata, [...rest, qkv]));
    expect(e.tensor).toBe('blk.0.attn_qkv.weight');
    expect(e.message).toMatch(/shape \[64, 64\] does not match .* \[64, 128\]/);
  });

  test('missing metadata', async () => {
    const { metadata, tensors } = base();
    const { ['llama.block_count']: _, ...rest } = metadata;
    const e = await refusal(file(rest, tensors));
    expect(e.message).toBe('model.gguf: missing metadata llama.block_count');
  });
});
