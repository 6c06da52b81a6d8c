/**
 * llama.cpp decodes the blocks our encoder writes to exactly the values our decoder gives, for every
 * type written by our own encoder (Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K).
 * node-llama-cpp does not read tensors out, so the tensor is made visible through the logits: a model
 * whose token_embd.weight is the tensor under test, whose layers are all zero (each block adds nothing,
 * so the last hidden state is the embedding row), with output_norm = 1 and output.weight the F32 identity
 * on the first n_embd vocabulary entries. Then logits[p][i] = rmsnorm(row ids[p])[i], and llama.cpp takes
 * the row through get_rows, which dequantizes with ggml's scalar decoders (no 8-bit activations). A
 * decoding difference of one quant step in any element would show up ~1e3 times above the tolerance.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { builtinVocab } from '../model/builtin_vocab.ts';
import { buildTestModel, TEST_MODEL_DEFAULTS, type WeightTypeName } from '../model/test_model.ts';
import { llamaCppReference } from '../reference/llama_cpp.ts';
import { tempDir } from '../testing/paths.ts';
import { randomPrompt } from '../testing/models.ts';
import { GgmlType } from './ggml.ts';
import { dequantize, quantize } from './quant.ts';
import { writeGguf } from './writer.ts';

const dir = tempDir('tabserve-decode-');
const E = 512; // two super-blocks per row

test.each(['q4_1', 'q5_0', 'q5_1', 'q4_k', 'q5_k', 'q6_k'] as const)('%s: llama.cpp reads our token_embd blocks as we do', async (type: WeightTypeName) => {
  const opts = { ...TEST_MODEL_DEFAULTS, type, embd: E, ff: 256, layers: 1, tiedEmbeddings: false, vocab: builtinVocab() };
  const { metadata, tensors } = buildTestModel(opts);
  let table: Float32Array | undefined;
  for (const t of tensors) {
    const elems = t.dims.reduce((a, b) => a * b, 1);
    if (t.name === 'token_embd.weight') table = dequantize(t.type, t.data, elems);
    else if (t.name === 'output.weight') {
      const eye = new Float32Array(elems); // [vocab][E]: row i < E is the unit vector e_i
      for (let i = 0; i < E; i++) eye[i * E + i] = 1;
      t.type = GgmlType.F32;
      t.data = quantize(GgmlType.F32, eye);
    } else if (t.name.startsWith('blk.') && t.dims.length === 2) t.data = quantize(t.type, new Float32Array(elems));
    else if (t.name === 'output_norm.weight') t.data = quantize(GgmlType.F32, new Float32Array(E).fill(1));
  }
  const path = join(dir, `${type}.gguf`);
  await writeFile(path, writeGguf(metadata, tensors));

  const nVocab = tensors.find((t) => t.name === 'token_embd.weight')!.dims[1];
  const ids = randomPrompt(nVocab, 48, 5, 1);
  const ref = await llamaCppReference(path, ids);
  let worst = 0;
  for (const [p, id] of ids.entries()) {
    const row = table!.subarray(id * E, (id + 1) * E);
    const rms = Math.sqrt(row.reduce((s, v) => s + v * v, 0) / E + 1e-6);
    for (let i = 0; i < E; i++) worst = Math.max(worst, Math.abs(ref.logits[p][i] - row[i] / rms));
  }
  console.log(`${type}: max |llama.cpp - ours| over ${ids.length} rmsnormed rows = ${worst.toExponential(2)}`);
  expect(worst).toBeLessThan(1e-5); // rows are ~unit scale after the norm; one quant step is >= ~0.02
});
