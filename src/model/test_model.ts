/**
 * Generated test models: a GGUF v3 file with deterministic random weights in the tensor layout
 * llama.cpp expects for llama / qwen2 / qwen3, and a real or built-in vocabulary.
 * Every tensor's values depend only on (seed, tensor name), not on the order they are made in.
 */
import { GgmlType, TYPE_LAYOUT } from '../gguf/ggml.ts';
import { quantize } from '../gguf/quant.ts';
import { meta, writeGguf, type MetaEntry, type TensorToWrite } from '../gguf/writer.ts';
import { fillNormal, hashString, mulberry32 } from '../util/rng.ts';
import { ARCH_TRAITS, ARCHS, isArch, type Arch } from './hparams.ts';

/** --type values: the type of every 2-D weight, except q4_k_m, a mix laid out as llama.cpp's Q4_K_M (mixType). */
export const WEIGHT_TYPES = {
  f32: GgmlType.F32, f16: GgmlType.F16, bf16: GgmlType.BF16, q8_0: GgmlType.Q8_0, q4_0: GgmlType.Q4_0, q4_1: GgmlType.Q4_1,
  q5_0: GgmlType.Q5_0, q5_1: GgmlType.Q5_1, q4_k: GgmlType.Q4_K, q5_k: GgmlType.Q5_K, q6_k: GgmlType.Q6_K, q4_k_m: GgmlType.Q4_K,
} as const;
export type WeightTypeName = keyof typeof WEIGHT_TYPES;

// general.file_type values (llama_ftype) for the types above; a single K type is written as its _S/plain ftype
const FILE_TYPE: Record<WeightTypeName, number> = {
  f32: 0, f16: 1, q4_0: 2, q4_1: 3, q8_0: 7, q5_0: 8, q5_1: 9, q4_k: 14, q4_k_m: 15, q5_k: 16, q6_k: 18, bf16: 32,
};

/** llama.cpp's rule for the layers that get more bits in a _M mix: the first and last eighth, and every third between. */
export function useMoreBits(layer: number, layers: number): boolean {
  const eighth = Math.floor(layers / 8);
  return layer < eighth || layer >= Math.floor((7 * layers) / 8) || (layer - eighth) % 3 === 2;
}

/**
 * The type of 2-D weight `name` in a Q4_K_M file, as llama.cpp's quantizer chooses it for llama-like
 * models: Q6_K for output.weight (and for token_embd.weight when the embeddings are tied, since it then
 * is the output matrix), Q6_K for attn_v and ffn_down in the layers useMoreBits picks, Q4_K elsewhere.
 */
export function q4kmType(name: string, layers: number, tied: boolean): GgmlType {
  if (name === 'output.weight' || (tied && name === 'token_embd.weight')) return GgmlType.Q6_K;
  const m = /^blk\.(\d+)\.(attn_v|ffn_down)\.weight$/.exec(name);
  return m && useMoreBits(Number(m[1]), layers) ? GgmlType.Q6_K : GgmlType.Q4_K;
}

export interface TestModelOptions {
  arch: Arch;
  type: WeightTypeName;
  embd: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ff: number;
  ctx: number;
  seed: number;
  tiedEmbeddings: boolean; // no output.weight: logits use token_embd
  ropeFreqs?: boolean; // llama only: a rope_freqs.weight tensor of llama3-style frequency factors
  vocab: Record<string, MetaEntry>; // tokenizer.* metadata
}

export const TEST_MODEL_DEFAULTS = { arch: 'llama', type: 'f32', embd: 256, layers: 2, heads: 4, kvHeads: 2, ff: 512, ctx: 512, seed: 1 } as const;

/** Thrown for options that cannot make a model; the CLI prints the message as one line. */
export class TestModelOptionError extends Error {
  override name = 'TestModelOptionError';
}

export function validateTestModelOptions(o: Omit<TestModelOptions, 'vocab'>): void {
  const fail = (m: string) => {
    throw new TestModelOptionError(m);
  };
  if (!isArch(o.arch)) fail(`unknown arch '${o.arch}' (expected one of: ${ARCHS.join(', ')})`);
  if (!(o.type in WEIGHT_TYPES)) fail(`unknown type '${o.type}' (expected one of: ${Object.keys(WEIGHT_TYPES).join(', ')})`);
  for (const k of ['embd', 'layers', 'heads', 'kvHeads', 'ff', 'ctx'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) fail(`--${k === 'kvHeads' ? 'kv-heads' : k} must be a positive integer, got ${o[k]}`);
  }
  if (!Number.isInteger(o.seed) || o.seed < 0) fail(`--seed must be a non-negative integer, got ${o.seed}`);
  if (o.embd % o.heads !== 0) fail(`--heads ${o.heads} does not divide --embd ${o.embd}`);
  if (o.heads % o.kvHeads !== 0) fail(`--kv-heads ${o.kvHeads} does not divide --heads ${o.heads}`);
  if ((o.embd / o.heads) % 2 !== 0) fail(`head size ${o.embd / o.heads} (embd / heads) must be even for RoPE`);
  if (o.ropeFreqs && o.arch !== 'llama') fail(`--rope-freqs is for --arch llama (llama3 rope scaling), not ${o.arch}`);
  const block = TYPE_LAYOUT[WEIGHT_TYPES[o.type]]!.blockElems; // every row (embd or ff long) is whole blocks
  if (o.embd % block !== 0 || o.ff % block !== 0) fail(`--type ${o.type} needs --embd and --ff to be multiples of ${block}`);
}

function vocabSize(vocab: Record<string, MetaEntry>): number {
  const tokens = vocab['tokenizer.ggml.tokens']?.value;
  if (!Array.isArray(tokens) || tokens.length === 0) throw new TestModelOptionError('vocabulary has no tokenizer.ggml.tokens');
  return tokens.length;
}

/** Builds the metadata and tensors of a test model. */
export function buildTestModel(o: TestModelOptions): { metadata: Record<string, MetaEntry>; tensors: TensorToWrite[] } {
  validateTestModelOptions(o);
  const nVocab = vocabSize(o.vocab);
  const traits = ARCH_TRAITS[o.arch];
  const hd = o.embd / o.heads;
  const a = o.arch;
  const metadata: Record<string, MetaEntry> = {
    'general.architecture': meta.str(a),
    'general.name': meta.str(`tabserve-test-${a}-${o.type}`),
    'general.file_type': meta.u32(FILE_TYPE[o.type]),
    'general.alignment': meta.u32(32),
    [`${a}.context_length`]: meta.u32(o.ctx),
    [`${a}.embedding_length`]: meta.u32(o.embd),
    [`${a}.block_count`]: meta.u32(o.layers),
    [`${a}.feed_forward_length`]: meta.u32(o.ff),
    [`${a}.attention.head_count`]: meta.u32(o.heads),
    [`${a}.attention.head_count_kv`]: meta.u32(o.kvHeads),
    [`${a}.attention.layer_norm_rms_epsilon`]: meta.f32(1e-6),
    [`${a}.rope.freq_base`]: meta.f32(traits.ropeBase),
    ...o.vocab,
  };

  const weightType = WEIGHT_TYPES[o.type];
  const tensors: TensorToWrite[] = [];
  // dims in ggml order [row length (inputs), rows (outputs)]; std 1/sqrt(inputs) keeps activations near unit scale
  const add = (name: string, dims: number[], std: number, mean = 0) => {
    const values = fillNormal(new Float32Array(dims.reduce((x, y) => x * y, 1)), mulberry32(hashString(name, o.seed)), std, mean);
    // norms and biases stay f32, as llama.cpp's converters do
    const type = dims.length === 1 ? GgmlType.F32 : o.type === 'q4_k_m' ? q4kmType(name, o.layers, o.tiedEmbeddings) : weightType;
    tensors.push({ name, dims, type, data: quantize(type, values) });
  };
  const matrix = (name: string, inputs: number, outputs: number) => add(name, [inputs, outputs], 1 / Math.sqrt(inputs));

  add('token_embd.weight', [o.embd, nVocab], 1);
  add('output_norm.weight', [o.embd], 0.1, 1);
  // logits std ~4 after the final norm: peaked enough that greedy choices are not near-ties
  if (!o.tiedEmbeddings) add('output.weight', [o.embd, nVocab], 4 / Math.sqrt(o.embd));
  if (o.ropeFreqs) {
    // llama3-shaped factors: 1 for the fast-turning dimensions rising to 8 for the slowest
    const f = Float32Array.from({ length: hd / 2 }, (_, i) => 1 + 7 * (i / Math.max(1, hd / 2 - 1)) ** 2);
    tensors.push({ name: 'rope_freqs.weight', dims: [hd / 2], type: GgmlType.F32, data: quantize(GgmlType.F32, f) });
  }
  for (let l = 0; l < o.layers; l++) {
    const p = `blk.${l}.`;
    add(p + 'attn_norm.weight', [o.embd], 0.1, 1);
    matrix(p + 'attn_q.weight', o.embd, o.heads * hd);
    matrix(p + 'attn_k.weight', o.embd, o.kvHeads * hd);
    matrix(p + 'attn_v.weight', o.embd, o.kvHeads * hd);
    if (traits.qkvBias) {
      add(p + 'attn_q.bias', [o.heads * hd], 0.1);
      add(p + 'attn_k.bias', [o.kvHeads * hd], 0.1);
      add(p + 'attn_v.bias', [o.kvHeads * hd], 0.1);
    }
    if (traits.qkNorm) {
      add(p + 'attn_q_norm.weight', [hd], 0.1, 1);
      add(p + 'attn_k_norm.weight', [hd], 0.1, 1);
    }
    matrix(p + 'attn_output.weight', o.heads * hd, o.embd);
    add(p + 'ffn_norm.weight', [o.embd], 0.1, 1);
    matrix(p + 'ffn_gate.weight', o.embd, o.ff);
    matrix(p + 'ffn_up.weight', o.embd, o.ff);
    matrix(p + 'ffn_down.weight', o.ff, o.embd);
  }
  return { metadata, tensors };
}

export function testModelGguf(o: TestModelOptions): Uint8Array[] {
  const { metadata, tensors } = buildTestModel(o);
  return writeGguf(metadata, tensors);
}
