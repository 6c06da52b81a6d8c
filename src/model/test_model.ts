/**
 * Generated test models: a GGUF v3 file with deterministic random weights in the tensor layout
 * llama.cpp expects for each architecture (ARCHS), and a real or built-in vocabulary. phi3 files fuse
 * q/k/v into attn_qkv and gate/up into ffn_up, as its converter does; gemma files have post-norms.
 * Every tensor's values depend only on (seed, tensor name), not on the order they are made in.
 */
import { GgmlType, TYPE_LAYOUT } from '../gguf/ggml.ts';
import { quantize } from '../gguf/quant.ts';
import { randomBlocks } from '../gguf/random_blocks.ts';
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
 * is the output matrix), Q5_K for a fused attn_qkv, Q6_K for attn_v and ffn_down in the layers
 * useMoreBits picks, Q4_K elsewhere.
 */
export function q4kmType(name: string, layers: number, tied: boolean): GgmlType {
  if (name === 'output.weight' || (tied && name === 'token_embd.weight')) return GgmlType.Q6_K;
  if (name.endsWith('.attn_qkv.weight')) return GgmlType.Q5_K;
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
  headDim?: number; // head size when not embd / heads (gemma: 256 with embd 2304)
  ropeDims?: number; // rotated dimensions per head (partial rotary, phi-4-mini); default the head size
  ropeFactors?: boolean; // phi3 only: short/long rope factors, attn_factor, original context = ctx (context 4 ctx)
  ropeScale?: number; // linear rope scaling factor (rope.scaling.factor)
  slidingWindow?: number; // llama (every layer, Mistral-style), gemma2 (default 4096), gemma3
  swaPattern?: number; // gemma2/3: layer l windowed iff n == 0 || l % n < n - 1
  ropeBaseSwa?: number; // gemma2/3: rope base of windowed layers
  attnSoftcap?: number; // gemma2: attention score cap (default 50)
  finalSoftcap?: number; // gemma2 (default 30), gemma3: logit cap
  vocab: Record<string, MetaEntry>; // tokenizer.* metadata
  randomBlocks?: boolean; // 2-D weights of the types randomBlocks writes as random blocks of the same spread, not quantized normal values: seconds instead of minutes for a 1B model (benchmarks, where values do not matter)
}

/** The options each architecture accepts beyond the common ones. */
const ARCH_OPTIONS: Record<string, readonly Arch[]> = {
  ropeFreqs: ['llama'],
  ropeFactors: ['phi3'],
  slidingWindow: ['llama', 'gemma2', 'gemma3'],
  swaPattern: ['gemma2', 'gemma3'],
  ropeBaseSwa: ['gemma2', 'gemma3'],
  attnSoftcap: ['gemma2'],
  finalSoftcap: ['gemma2', 'gemma3'],
};

const flag = (k: string) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** Head size of a test model. */
export const headSize = (o: Pick<TestModelOptions, 'embd' | 'heads' | 'headDim'>) => o.headDim ?? o.embd / o.heads;

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
  for (const [k, archs] of Object.entries(ARCH_OPTIONS)) {
    const v = o[k as keyof typeof o];
    if (v !== undefined && v !== false && !archs.includes(o.arch)) fail(`${flag(k)} is for --arch ${archs.join('|')}, not ${o.arch}`);
  }
  for (const k of ['headDim', 'ropeDims', 'slidingWindow'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) fail(`${flag(k)} must be a positive integer, got ${v}`);
  }
  if (o.swaPattern !== undefined && !(Number.isInteger(o.swaPattern) && o.swaPattern >= 0)) fail(`--swa-pattern must be a non-negative integer, got ${o.swaPattern}`);
  for (const k of ['ropeScale', 'ropeBaseSwa', 'attnSoftcap', 'finalSoftcap'] as const) {
    const v = o[k];
    if (v !== undefined && !(v > 0)) fail(`${flag(k)} must be a positive number, got ${v}`);
  }
  if (o.headDim === undefined && o.embd % o.heads !== 0) fail(`--heads ${o.heads} does not divide --embd ${o.embd}`);
  if (o.heads % o.kvHeads !== 0) fail(`--kv-heads ${o.kvHeads} does not divide --heads ${o.heads}`);
  const hd = headSize(o);
  if (hd % 2 !== 0) fail(`head size ${hd} must be even for RoPE`);
  if (o.ropeDims !== undefined && (o.ropeDims % 2 !== 0 || o.ropeDims > hd)) fail(`--rope-dims ${o.ropeDims} must be even and at most the head size ${hd}`);
  if (o.arch === 'phi3' && o.heads * hd !== o.embd) fail(`phi3 needs heads x head size = embd (llama.cpp sizes its q by embd), got ${o.heads} x ${hd}`);
  const block = TYPE_LAYOUT[WEIGHT_TYPES[o.type]]!.blockElems; // every row (embd, ff or heads x hd long) is whole blocks
  if (o.embd % block !== 0 || o.ff % block !== 0 || (o.heads * hd) % block !== 0) fail(`--type ${o.type} needs --embd, --ff and heads x head size to be multiples of ${block}`);
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
  const hd = headSize(o);
  const a = o.arch;
  const tied = o.tiedEmbeddings || a === 'gemma2'; // llama.cpp's gemma2 always multiplies by token_embd
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
    ...archMetadata(o, hd),
    ...o.vocab,
  };

  const weightType = WEIGHT_TYPES[o.type];
  const tensors: TensorToWrite[] = [];
  // dims in ggml order [row length (inputs), rows (outputs)]; std 1/sqrt(inputs) keeps activations near unit scale
  const add = (name: string, dims: number[], std: number, mean = 0) => {
    const elems = dims.reduce((x, y) => x * y, 1);
    const rng = mulberry32(hashString(name, o.seed));
    // norms and biases stay f32, as llama.cpp's converters do
    const type = dims.length === 1 ? GgmlType.F32 : o.type === 'q4_k_m' ? q4kmType(name, o.layers, tied) : weightType;
    const data = (o.randomBlocks && mean === 0 && randomBlocks(type, elems, std, rng)) || quantize(type, fillNormal(new Float32Array(elems), rng, std, mean));
    tensors.push({ name, dims, type, data });
  };
  const matrix = (name: string, inputs: number, outputs: number) => add(name, [inputs, outputs], 1 / Math.sqrt(inputs));

  add('token_embd.weight', [o.embd, nVocab], 1);
  add('output_norm.weight', [o.embd], 0.1, 1);
  // logits std ~4 after the final norm: peaked enough that greedy choices are not near-ties
  if (!tied) add('output.weight', [o.embd, nVocab], 4 / Math.sqrt(o.embd));
  if (o.ropeFreqs) {
    // llama3-shaped factors: 1 for the fast-turning dimensions rising to 8 for the slowest
    const f = Float32Array.from({ length: hd / 2 }, (_, i) => 1 + 7 * (i / Math.max(1, hd / 2 - 1)) ** 2);
    tensors.push({ name: 'rope_freqs.weight', dims: [hd / 2], type: GgmlType.F32, data: quantize(GgmlType.F32, f) });
  }
  if (o.ropeFactors) {
    // phi3 longrope-shaped factors over the rotated pairs: short ones near 1, long ones rising to 16
    const n = (o.ropeDims ?? hd) / 2;
    const ramp = (i: number) => i / Math.max(1, n - 1);
    const short = Float32Array.from({ length: n }, (_, i) => 1 + ramp(i) * ramp(i));
    const long = Float32Array.from({ length: n }, (_, i) => 1 + 15 * ramp(i) ** 3);
    tensors.push({ name: 'rope_factors_short.weight', dims: [n], type: GgmlType.F32, data: quantize(GgmlType.F32, short) });
    tensors.push({ name: 'rope_factors_long.weight', dims: [n], type: GgmlType.F32, data: quantize(GgmlType.F32, long) });
  }
  for (let l = 0; l < o.layers; l++) {
    const p = `blk.${l}.`;
    add(p + 'attn_norm.weight', [o.embd], 0.1, 1);
    if (a === 'phi3') {
      matrix(p + 'attn_qkv.weight', o.embd, (o.heads + 2 * o.kvHeads) * hd); // rows: q, then k, then v
    } else {
      matrix(p + 'attn_q.weight', o.embd, o.heads * hd);
      matrix(p + 'attn_k.weight', o.embd, o.kvHeads * hd);
      matrix(p + 'attn_v.weight', o.embd, o.kvHeads * hd);
    }
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
    if (traits.postNorms) add(p + 'post_attention_norm.weight', [o.embd], 0.1, 1);
    add(p + 'ffn_norm.weight', [o.embd], 0.1, 1);
    if (traits.gateUpFused) {
      matrix(p + 'ffn_up.weight', o.embd, 2 * o.ff); // rows: gate, then up
    } else {
      matrix(p + 'ffn_gate.weight', o.embd, o.ff);
      matrix(p + 'ffn_up.weight', o.embd, o.ff);
    }
    matrix(p + 'ffn_down.weight', o.ff, o.embd);
    if (traits.postNorms) add(p + 'post_ffw_norm.weight', [o.embd], 0.1, 1);
  }
  return { metadata, tensors };
}

/** The architecture-specific metadata: head size, rope variants, sliding windows, soft-capping. */
function archMetadata(o: TestModelOptions, hd: number): Record<string, MetaEntry> {
  const a = o.arch;
  const m: Record<string, MetaEntry> = {};
  const gemma = a === 'gemma2' || a === 'gemma3';
  if (o.headDim !== undefined || gemma) {
    m[`${a}.attention.key_length`] = meta.u32(hd);
    m[`${a}.attention.value_length`] = meta.u32(hd);
  }
  if (o.ropeDims !== undefined || a === 'phi3') m[`${a}.rope.dimension_count`] = meta.u32(o.ropeDims ?? hd);
  if (o.ropeFactors) {
    // a long-context phi3: trained on ctx, extended to 4 ctx; the long factors apply past ctx
    m[`${a}.context_length`] = meta.u32(4 * o.ctx);
    m[`${a}.rope.scaling.original_context_length`] = meta.u32(o.ctx);
    m[`${a}.rope.scaling.attn_factor`] = meta.f32(1.19);
  }
  if (o.ropeScale !== undefined) {
    m[`${a}.rope.scaling.type`] = meta.str('linear');
    m[`${a}.rope.scaling.factor`] = meta.f32(o.ropeScale);
  }
  if (a === 'gemma2') {
    m[`${a}.attn_logit_softcapping`] = meta.f32(o.attnSoftcap ?? 50);
    m[`${a}.final_logit_softcapping`] = meta.f32(o.finalSoftcap ?? 30);
    m[`${a}.attention.sliding_window`] = meta.u32(o.slidingWindow ?? 4096);
  } else {
    if (o.finalSoftcap !== undefined) m[`${a}.final_logit_softcapping`] = meta.f32(o.finalSoftcap);
    if (o.slidingWindow !== undefined) m[`${a}.attention.sliding_window`] = meta.u32(o.slidingWindow);
  }
  if (o.swaPattern !== undefined) m[`${a}.attention.sliding_window_pattern`] = meta.u32(o.swaPattern);
  if (o.ropeBaseSwa !== undefined) m[`${a}.rope.freq_base_swa`] = meta.f32(o.ropeBaseSwa);
  return m;
}

export function testModelGguf(o: TestModelOptions): Uint8Array[] {
  const { metadata, tensors } = buildTestModel(o);
  return writeGguf(metadata, tensors);
}
