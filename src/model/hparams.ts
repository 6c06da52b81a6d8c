/**
 * Model hyperparameters read from GGUF metadata, for the architectures tabserve runs. Defaults and rules
 * follow llama.cpp's loader, so a file means the same thing to both.
 */
import type { MetaEntry } from '../gguf/writer.ts';
import { GgufError } from '../gguf/errors.ts';

export const ARCHS = ['llama', 'qwen2', 'qwen3', 'phi3', 'gemma2', 'gemma3'] as const;
export type Arch = (typeof ARCHS)[number];

/** How RoPE pairs the elements of a head: llama rotates (x[2i], x[2i+1]); the others (NEOX) rotate (x[i], x[i + nRot/2]). */
export type RopeStyle = 'adjacent' | 'halves';

/** The gated feed-forward's activation: silu (SwiGLU) or the tanh-approximated GELU (GeGLU, gemma). */
export type Activation = 'silu' | 'gelu';

export interface ArchTraits {
  rope: RopeStyle;
  qkvBias: boolean; // q/k/v projections carry a bias (qwen2)
  qkNorm: boolean; // per-head RMSNorm on q and k before RoPE (qwen3, gemma3)
  ropeBase: number; // default rope.freq_base when the file has none
  postNorms: boolean; // post_attention_norm / post_ffw_norm on each block's output before the residual add (gemma2/3)
  act: Activation;
  embedScale: boolean; // embeddings multiplied by sqrt(nEmbd) (gemma)
  gateUpFused: boolean; // ffn_up holds [gate rows; up rows] (2 nFf rows) and there is no ffn_gate (phi3)
}

export const ARCH_TRAITS: Record<Arch, ArchTraits> = {
  llama: { rope: 'adjacent', qkvBias: false, qkNorm: false, ropeBase: 10000, postNorms: false, act: 'silu', embedScale: false, gateUpFused: false },
  qwen2: { rope: 'halves', qkvBias: true, qkNorm: false, ropeBase: 1000000, postNorms: false, act: 'silu', embedScale: false, gateUpFused: false },
  qwen3: { rope: 'halves', qkvBias: false, qkNorm: true, ropeBase: 1000000, postNorms: false, act: 'silu', embedScale: false, gateUpFused: false },
  phi3: { rope: 'halves', qkvBias: false, qkNorm: false, ropeBase: 10000, postNorms: false, act: 'silu', embedScale: false, gateUpFused: true },
  gemma2: { rope: 'halves', qkvBias: false, qkNorm: false, ropeBase: 10000, postNorms: true, act: 'gelu', embedScale: true, gateUpFused: false },
  gemma3: { rope: 'halves', qkvBias: false, qkNorm: true, ropeBase: 1000000, postNorms: true, act: 'gelu', embedScale: true, gateUpFused: false },
};

export function isArch(s: string): s is Arch {
  return (ARCHS as readonly string[]).includes(s);
}

export interface HParams extends ArchTraits {
  arch: Arch;
  nVocab: number;
  nEmbd: number; // width of the residual stream
  nLayer: number;
  nHead: number; // query heads
  nHeadKv: number; // key/value heads (GQA when < nHead)
  headDim: number;
  nFf: number; // hidden width of the gated feed-forward
  nCtx: number; // trained context length, in tokens
  eps: number; // RMSNorm epsilon
  nRot: number; // leading dimensions of each head that RoPE rotates (rope.dimension_count; headDim unless partial)
  ropeScale: number; // linear RoPE scaling: angles multiplied by this (1 / rope.scaling.factor), full-attention layers
  ropeBaseSwa: number; // rope base of sliding-window layers
  ropeScaleSwa: number; // rope scale of sliding-window layers
  ropeAttnFactor: number; // rope.scaling.attn_factor: rotated q and k are multiplied by it (phi3 long-context files)
  nCtxOrig: number; // rope.scaling.original_context_length: past it, phi3 uses its long rope factors
  attnScale: number; // multiplier of q . k
  attnSoftcap: number; // attention scores s -> c tanh(s / c); 0: none (gemma2: 50)
  finalSoftcap: number; // logits z -> c tanh(z / c); 0: none (gemma2: 30)
  slidingWindow: number; // a windowed layer's query at p sees keys j with p - j < slidingWindow; 0: none
  swaLayers: boolean[]; // [nLayer]: whether the layer is windowed
}

/** The file's per-layer sliding-window flags: a bool array, or a period n (layers with l % n < n - 1 windowed). */
function swaPattern(meta: Record<string, MetaEntry>, key: string, nLayer: number, period: number): boolean[] {
  const v = meta[key]?.value;
  if (Array.isArray(v)) return Array.from({ length: nLayer }, (_, l) => Boolean(v[l]));
  const n = typeof v === 'number' || typeof v === 'bigint' ? Number(v) : period;
  return Array.from({ length: nLayer }, (_, l) => n === 0 || l % n < n - 1);
}

export function readHParams(file: string, meta: Record<string, MetaEntry>): HParams {
  const archEntry = meta['general.architecture'];
  const arch = typeof archEntry?.value === 'string' ? archEntry.value : '';
  if (!isArch(arch)) throw new GgufError(file, `unknown architecture '${arch}' (supported: ${ARCHS.join(', ')})`);
  const opt = (key: string): number | undefined => {
    const v = meta[`${arch}.${key}`]?.value;
    return typeof v === 'number' || typeof v === 'bigint' ? Number(v) : undefined;
  };
  const num = (key: string, fallback?: number): number => {
    const v = opt(key) ?? fallback;
    if (v === undefined) throw new GgufError(file, `missing metadata ${arch}.${key}`);
    return v;
  };
  const traits = ARCH_TRAITS[arch];
  const nEmbd = num('embedding_length');
  const nHead = num('attention.head_count');
  const nLayer = num('block_count');
  const headDim = num('attention.key_length', nEmbd / nHead);
  const tokens = meta['tokenizer.ggml.tokens']?.value;

  const scalingType = meta[`${arch}.rope.scaling.type`]?.value ?? 'linear';
  if (scalingType !== 'linear' && scalingType !== 'none') {
    throw new GgufError(file, `rope scaling '${String(scalingType)}' is not supported (supported: none, linear)`);
  }
  const factor = scalingType === 'none' ? 0 : (opt('rope.scaling.factor') ?? opt('rope.scale_linear') ?? 0);
  const ropeScale = factor === 0 ? 1 : 1 / factor;
  const ropeBase = num('rope.freq_base', traits.ropeBase);
  const nCtx = num('context_length');

  // sliding windows, as llama.cpp reads them: gemma2 always (4096, every other layer), gemma3 when the
  // file gives a window (every 6th layer full), phi3 never (llama.cpp disables it). llama: a window in the
  // metadata applies to every layer, as Mistral defines it (llama.cpp ignores the key).
  let slidingWindow = 0;
  let swaLayers = new Array<boolean>(nLayer).fill(false);
  const window = opt('attention.sliding_window') ?? 0;
  if (arch === 'gemma2' || (arch === 'gemma3' && window > 0)) {
    slidingWindow = arch === 'gemma2' ? num('attention.sliding_window', 4096) : window;
    swaLayers = swaPattern(meta, `${arch}.attention.sliding_window_pattern`, nLayer, arch === 'gemma2' ? 2 : 6);
  } else if (arch === 'llama' && window > 0) {
    slidingWindow = window;
    swaLayers.fill(true);
  }
  // gemma's 27B models scale queries by 1/sqrt(nEmbd / nHead), not 1/sqrt(headDim) (llama.cpp keys it on the layer count)
  const big = (arch === 'gemma2' && nLayer === 46) || (arch === 'gemma3' && nLayer === 62);
  const hp: HParams = {
    ...traits,
    arch,
    nVocab: Array.isArray(tokens) ? tokens.length : num('vocab_size'),
    nEmbd,
    nLayer,
    nHead,
    nHeadKv: num('attention.head_count_kv', nHead),
    headDim,
    nFf: num('feed_forward_length'),
    nCtx,
    eps: num('attention.layer_norm_rms_epsilon', 1e-5),
    ropeBase,
    nRot: num('rope.dimension_count', headDim),
    ropeScale,
    ropeBaseSwa: num('rope.freq_base_swa', arch === 'gemma3' ? 10000 : ropeBase),
    ropeScaleSwa: arch === 'gemma2' ? ropeScale : 1,
    ropeAttnFactor: num('rope.scaling.attn_factor', 1),
    nCtxOrig: num('rope.scaling.original_context_length', nCtx),
    attnScale: 1 / Math.sqrt(big ? nEmbd / nHead : headDim),
    attnSoftcap: arch === 'gemma2' ? num('attn_logit_softcapping', 50) : 0,
    finalSoftcap: arch === 'gemma2' ? num('final_logit_softcapping', 30) : arch === 'gemma3' ? num('final_logit_softcapping', 0) : 0,
    slidingWindow,
    swaLayers,
  };
  if (!Number.isInteger(hp.headDim) || hp.nHead % hp.nHeadKv !== 0) {
    throw new GgufError(file, `inconsistent heads: ${hp.nHead} query heads, ${hp.nHeadKv} kv heads, head size ${hp.headDim}`);
  }
  if ((hp.nHeadKv * hp.headDim) % 2 !== 0) {
    throw new GgufError(file, `a token's keys are an odd number of elements (${hp.nHeadKv} kv heads of ${hp.headDim}): the KV cache stores them in pairs`);
  }
  if (!(hp.nRot > 0 && hp.nRot <= hp.headDim && hp.nRot % 2 === 0)) {
    throw new GgufError(file, `rope.dimension_count ${hp.nRot} is not an even number in 2..${hp.headDim} (the head size)`);
  }
  return hp;
}

/** The rope of layer l: base and linear scale (sliding-window layers may have their own). */
export function layerRope(hp: HParams, l: number): { base: number; scale: number } {
  return hp.swaLayers[l] ? { base: hp.ropeBaseSwa, scale: hp.ropeScaleSwa } : { base: hp.ropeBase, scale: hp.ropeScale };
}

/**
 * The tensor of RoPE frequency factors to use, as llama.cpp picks it: llama3's rope_freqs when present,
 * else phi3's long factors when a sequence may be longer than the original context, else its short ones.
 * The caller checks that the chosen tensor exists (none: no factors).
 */
export function ropeFactorsTensor(hp: HParams, contextTokens: number): string {
  if (hp.arch === 'llama') return 'rope_freqs.weight';
  return contextTokens > hp.nCtxOrig ? 'rope_factors_long.weight' : 'rope_factors_short.weight';
}
