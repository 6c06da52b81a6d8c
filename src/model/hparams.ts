/**
 * Model hyperparameters read from GGUF metadata, for the architectures tabserve runs.
 */
import type { MetaEntry } from '../gguf/writer.ts';
import { GgufError } from '../gguf/errors.ts';

export const ARCHS = ['llama', 'qwen2', 'qwen3'] as const;
export type Arch = (typeof ARCHS)[number];

/** How RoPE pairs the elements of a head: llama rotates (x[2i], x[2i+1]); qwen2/3 rotate (x[i], x[i + d/2]). */
export type RopeStyle = 'adjacent' | 'halves';

export interface ArchTraits {
  rope: RopeStyle;
  qkvBias: boolean; // q/k/v projections carry a bias (qwen2)
  qkNorm: boolean; // per-head RMSNorm on q and k before RoPE (qwen3)
  ropeBase: number; // default rope.freq_base when the file has none
}

export const ARCH_TRAITS: Record<Arch, ArchTraits> = {
  llama: { rope: 'adjacent', qkvBias: false, qkNorm: false, ropeBase: 10000 },
  qwen2: { rope: 'halves', qkvBias: true, qkNorm: false, ropeBase: 1000000 },
  qwen3: { rope: 'halves', qkvBias: false, qkNorm: true, ropeBase: 1000000 },
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
  nFf: number; // hidden width of the SwiGLU feed-forward
  nCtx: number; // trained context length, in tokens
  eps: number; // RMSNorm epsilon
}

export function readHParams(file: string, meta: Record<string, MetaEntry>): HParams {
  const archEntry = meta['general.architecture'];
  const arch = typeof archEntry?.value === 'string' ? archEntry.value : '';
  if (!isArch(arch)) throw new GgufError(file, `unknown architecture '${arch}' (supported: ${ARCHS.join(', ')})`);
  const num = (key: string, fallback?: number): number => {
    const v = meta[`${arch}.${key}`]?.value;
    if (typeof v === 'number' || typeof v === 'bigint') return Number(v);
    if (fallback !== undefined) return fallback;
    throw new GgufError(file, `missing metadata ${arch}.${key}`);
  };
  const traits = ARCH_TRAITS[arch];
  const nEmbd = num('embedding_length');
  const nHead = num('attention.head_count');
  const tokens = meta['tokenizer.ggml.tokens']?.value;
  const hp: HParams = {
    ...traits,
    arch,
    nVocab: Array.isArray(tokens) ? tokens.length : num('vocab_size'),
    nEmbd,
    nLayer: num('block_count'),
    nHead,
    nHeadKv: num('attention.head_count_kv', nHead),
    headDim: num('attention.key_length', nEmbd / nHead),
    nFf: num('feed_forward_length'),
    nCtx: num('context_length'),
    eps: num('attention.layer_norm_rms_epsilon', 1e-5),
    ropeBase: num('rope.freq_base', traits.ropeBase),
  };
  if (!Number.isInteger(hp.headDim) || hp.nHead % hp.nHeadKv !== 0) {
    throw new GgufError(file, `inconsistent heads: ${hp.nHead} query heads, ${hp.nHeadKv} kv heads, head size ${hp.headDim}`);
  }
  return hp;
}
