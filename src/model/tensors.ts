/**
 * The tensors each architecture needs, with the shapes its hyperparameters imply, checked against a file's
 * tensor infos before anything is uploaded. Names and layouts follow llama.cpp's GGUF conventions;
 * dims are in ggml order ([row length, rows]).
 *
 * Fused tensors are split by rows into the separate tensors the forward pass uses, without copying: a
 * part is a TensorInfo whose offset points into the fused tensor's bytes.
 *   blk.N.attn_qkv.weight [E, Hq + 2 Hkv]  -> attn_q [E, Hq], attn_k [E, Hkv], attn_v [E, Hkv]  (any arch)
 *   blk.N.attn_qkv.bias   [Hq + 2 Hkv]     -> attn_q.bias, attn_k.bias, attn_v.bias            (qwen2)
 *   blk.N.ffn_up.weight   [E, 2 F] (phi3)  -> ffn_gate [E, F] (first F rows), ffn_up [E, F]
 */
import { GgufError } from '../gguf/errors.ts';
import { TYPE_LAYOUT, ggmlTypeName, tensorBytes } from '../gguf/ggml.ts';
import type { GgufHeader, TensorInfo } from '../gguf/source.ts';
import { FILE_WEIGHT_TYPES } from '../kernels/matmul.ts';
import type { HParams } from './hparams.ts';

export interface TensorSpec {
  name: string;
  dims: number[];
  optional?: boolean;
  /** Split out of a fused tensor: these rows (elements, for a vector) of it. */
  from?: { name: string; dims: number[]; rowLo: number };
}

/** Specs for the parts of fused tensor `name` (dims [..., sum of sizes]), named by `parts`. */
function split(name: string, rowLen: number | undefined, parts: [string, number][]): TensorSpec[] {
  const total = parts.reduce((s, [, n]) => s + n, 0);
  const dims = rowLen === undefined ? [total] : [rowLen, total];
  let rowLo = 0;
  return parts.map(([part, n]) => {
    const spec = { name: part, dims: rowLen === undefined ? [n] : [rowLen, n], from: { name, dims, rowLo } };
    rowLo += n;
    return spec;
  });
}

/** The tensors to load for `hp`; `has(name)` says whether the file holds a tensor (fused or not). */
export function tensorSpecs(hp: HParams, has: (name: string) => boolean = () => false): TensorSpec[] {
  const { nEmbd: e, nHead, nHeadKv, headDim: hd, nFf: ff, nVocab: v } = hp;
  const [qd, kvd] = [nHead * hd, nHeadKv * hd];
  const specs: TensorSpec[] = [
    { name: 'token_embd.weight', dims: [e, v] },
    { name: 'output_norm.weight', dims: [e] },
  ];
  // gemma2 always multiplies by token_embd (llama.cpp ignores an output.weight there); absent elsewhere: tied
  if (hp.arch !== 'gemma2') specs.push({ name: 'output.weight', dims: [e, v], optional: true });
  if (hp.arch === 'llama') specs.push({ name: 'rope_freqs.weight', dims: [hp.nRot / 2], optional: true }); // llama3 rope scaling
  if (hp.arch === 'phi3') {
    specs.push({ name: 'rope_factors_short.weight', dims: [hp.nRot / 2], optional: true }, { name: 'rope_factors_long.weight', dims: [hp.nRot / 2], optional: true });
  }
  for (let l = 0; l < hp.nLayer; l++) {
    const p = `blk.${l}.`;
    specs.push({ name: p + 'attn_norm.weight', dims: [e] });
    if (has(p + 'attn_qkv.weight')) {
      specs.push(...split(p + 'attn_qkv.weight', e, [[p + 'attn_q.weight', qd], [p + 'attn_k.weight', kvd], [p + 'attn_v.weight', kvd]]));
    } else {
      specs.push({ name: p + 'attn_q.weight', dims: [e, qd] }, { name: p + 'attn_k.weight', dims: [e, kvd] }, { name: p + 'attn_v.weight', dims: [e, kvd] });
    }
    if (hp.qkvBias && has(p + 'attn_qkv.bias')) {
      specs.push(...split(p + 'attn_qkv.bias', undefined, [[p + 'attn_q.bias', qd], [p + 'attn_k.bias', kvd], [p + 'attn_v.bias', kvd]]));
    } else if (hp.qkvBias) {
      specs.push({ name: p + 'attn_q.bias', dims: [qd] }, { name: p + 'attn_k.bias', dims: [kvd] }, { name: p + 'attn_v.bias', dims: [kvd] });
    }
    if (hp.qkNorm) specs.push({ name: p + 'attn_q_norm.weight', dims: [hd] }, { name: p + 'attn_k_norm.weight', dims: [hd] });
    specs.push({ name: p + 'attn_output.weight', dims: [qd, e] });
    if (hp.postNorms) specs.push({ name: p + 'post_attention_norm.weight', dims: [e] });
    specs.push({ name: p + 'ffn_norm.weight', dims: [e] });
    if (hp.gateUpFused) specs.push(...split(p + 'ffn_up.weight', e, [[p + 'ffn_gate.weight', ff], [p + 'ffn_up.weight', ff]]));
    else specs.push({ name: p + 'ffn_gate.weight', dims: [e, ff] }, { name: p + 'ffn_up.weight', dims: [e, ff] });
    specs.push({ name: p + 'ffn_down.weight', dims: [ff, e] });
    if (hp.postNorms) specs.push({ name: p + 'post_ffw_norm.weight', dims: [e] });
  }
  return specs;
}

/** The part of fused tensor `info` that `spec` names: rows (elements) from spec.from.rowLo on. */
function part(file: string, info: TensorInfo, spec: TensorSpec & { from: object }): TensorInfo {
  const isVector = spec.dims.length === 1;
  const rowElems = isVector ? 1 : spec.dims[0];
  const block = TYPE_LAYOUT[info.type]?.blockElems ?? 1;
  if (isVector && block !== 1) throw new GgufError(file, `a fused vector in ${ggmlTypeName(info.type)} cannot be split`, info.name);
  const rowBytes = isVector ? tensorBytes(info.type, 1) : tensorBytes(info.type, rowElems);
  const rows = isVector ? spec.dims[0] : spec.dims[1];
  return { name: spec.name, dims: spec.dims, type: info.type, offset: info.offset + spec.from!.rowLo * rowBytes, bytes: rows * rowBytes };
}

/**
 * The tensors to upload, fused ones split into their parts; throws a GgufError naming the first missing,
 * misshapen or untyped tensor.
 */
export function checkTensors(file: GgufHeader, hp: HParams): TensorInfo[] {
  const name = file.source.name;
  const out: TensorInfo[] = [];
  for (const spec of tensorSpecs(hp, (n) => file.tensors.has(n))) {
    const srcName = spec.from?.name ?? spec.name;
    const srcDims = spec.from?.dims ?? spec.dims;
    const info = file.tensors.get(srcName);
    if (!info) {
      if (spec.optional) continue;
      throw new GgufError(name, `missing (a ${hp.arch} model with ${hp.nLayer} layers needs it)`, spec.name);
    }
    if (info.dims.length !== srcDims.length || info.dims.some((d, i) => d !== srcDims[i])) {
      throw new GgufError(name, `shape [${info.dims.join(', ')}] does not match the hyperparameters, which imply [${srcDims.join(', ')}]`, srcName);
    }
    if (!FILE_WEIGHT_TYPES.includes(info.type)) {
      throw new GgufError(name, `unsupported tensor type ${ggmlTypeName(info.type)} (supported: ${FILE_WEIGHT_TYPES.map(ggmlTypeName).join(', ')})`, srcName);
    }
    // kernels decode whole blocks per row (and matrices are split into parts by whole rows)
    const block = TYPE_LAYOUT[info.type]?.blockElems ?? 1;
    if (info.dims[0] % block !== 0) {
      throw new GgufError(name, `rows of ${info.dims[0]} elements are not whole ${ggmlTypeName(info.type)} blocks of ${block}`, srcName);
    }
    out.push(spec.from ? part(name, info, spec as TensorSpec & { from: object }) : info);
  }
  return out;
}
