/**
 * Can tabserve run this model? Answered three ways, each as early as it can be:
 * - from a quant label ("Q4_K_M", as in catalog entries and most file names), before downloading;
 * - from the first bytes of a download (is it a GGUF file at all, or an HTML page?);
 * - from the parsed GGUF header (architecture and every tensor's type), once the file is here.
 * The supported lists come from the engine (ARCHS, TYPE_LAYOUT), never copied. Pure (Node-testable).
 */
import { TYPE_LAYOUT, ggmlTypeName } from '../gguf/ggml.ts';
import type { GgufHeader } from '../gguf/source.ts';
import { ARCHS, isArch } from '../model/hparams.ts';

/** Weight types the engine reads (TYPE_LAYOUT): F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K. */
export const SUPPORTED_TYPES: readonly string[] = Object.values(TYPE_LAYOUT).map((l) => l.name);

function list(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * The ggml type behind a file's quant label: "Q4_K_M" → "Q4_K" (a K-quant mix: mostly Q4_K, some Q6_K),
 * "IQ4_XS" → "IQ4_XS", "fp16" → "F16", "Q8_0" → "Q8_0".
 */
export function baseType(quant: string): string {
  const q = quant.toUpperCase();
  if (q === 'FP16') return 'F16';
  if (q === 'FP32') return 'F32';
  const k = q.match(/^(Q\d_K)(_[SML]|_XL)?$/);
  return k ? k[1] : q;
}

/** Why a file of this quant cannot run, or undefined when it can. */
export function quantProblem(quant: string): string | undefined {
  const base = baseType(quant);
  if (SUPPORTED_TYPES.includes(base)) return undefined;
  return `${base} weights are not supported yet (tabserve runs ${list(SUPPORTED_TYPES)})`;
}

/** Why a model of this architecture cannot run, or undefined when it can. */
export function archProblem(arch: string): string | undefined {
  return isArch(arch) ? undefined : `the ${arch} architecture is not supported (tabserve runs ${list(ARCHS)})`;
}

/** The quant label in a GGUF file name ("qwen2.5-0.5b-instruct-q4_k_m.gguf" → "Q4_K_M"), if it names one. */
export function quantFromFileName(name: string): string | undefined {
  const m = name.match(/(?:^|[-_.])(IQ\d_[A-Z]+|Q\d_K(?:_[SML]|_XL)?|Q\d_[01]|BF16|FP16|F16|FP32|F32)(?=[-_.]|$)/i);
  return m ? m[1].toUpperCase() : undefined;
}

const MAGIC = [0x47, 0x47, 0x55, 0x46]; // "GGUF"

/**
 * Checks the first bytes of a file (at least 4, more gives a better message): undefined for a GGUF file,
 * otherwise what it looks like instead, e.g. an HTML page sent for a Hugging Face page link.
 */
export function magicProblem(head: Uint8Array): string | undefined {
  if (head.length >= 4 && MAGIC.every((b, i) => head[i] === b)) return undefined;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 48));
  const shown = text.replace(/[^\x20-\x7e]+/g, ' ').trim();
  const html = /^\s*<(!doctype|html|head|body)/i.test(text);
  const what = html ? 'an HTML page' : shown ? `something that begins with "${shown.slice(0, 32)}"` : 'no GGUF signature';
  return `it is not a GGUF model file (it is ${what})`;
}

export interface HeaderSummary {
  arch: string;
  quant: string; // the most common type among the 2-D weights, e.g. "Q8_0"
  problem?: string; // why tabserve cannot run it
}

/** Architecture, dominant weight type and the first reason the engine would refuse the file. */
export function summarizeHeader(header: GgufHeader): HeaderSummary {
  const archValue = header.metadata['general.architecture']?.value;
  const arch = typeof archValue === 'string' ? archValue : 'unknown';
  const counts = new Map<string, number>();
  let badTensor: { name: string; type: string } | undefined;
  for (const t of header.tensors.values()) {
    const name = ggmlTypeName(t.type);
    if (t.dims.length >= 2) counts.set(name, (counts.get(name) ?? 0) + 1);
    if (!TYPE_LAYOUT[t.type] && !badTensor) badTensor = { name: t.name, type: name };
  }
  const quant = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'F32';
  const problem =
    archProblem(arch) ??
    (badTensor ? `${badTensor.type} weights are not supported yet (tensor ${badTensor.name}; tabserve runs ${list(SUPPORTED_TYPES)})` : undefined);
  return problem ? { arch, quant, problem } : { arch, quant };
}
