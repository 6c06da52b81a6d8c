/**
 * The tensors each architecture needs, with the shapes its hyperparameters imply, checked against a file's
 * tensor infos before anything is uploaded. Names and layouts follow llama.cpp's GGUF conventions;
 * dims are in ggml order ([row length, rows]).
 */
import { GgufError } from '../gguf/errors.ts';
import { TYPE_LAYOUT, ggmlTypeName } from '../gguf/ggml.ts';
import type { GgufHeader } from '../gguf/source.ts';
import { WEIGHT_TYPES } from '../kernels/matmul.ts';
import type { HParams } from './hparams.ts';

export interface TensorSpec {
  name: string;
  dims: number[];
  optional?: boolean;
}

export function tensorSpecs(hp: HParams): TensorSpec[] {
  const { nEmbd: e, nHead, nHeadKv, headDim: hd, nFf: ff, nVocab: v } = hp;
  const specs: TensorSpec[] = [
    { name: 'token_embd.weight', dims: [e, v] },
    { name: 'output_norm.weight', dims: [e] },
    { name: 'output.weight', dims: [e, v], optional: true }, // absent: tied to token_embd
  ];
  if (hp.arch === 'llama') specs.push({ name: 'rope_freqs.weight', dims: [hd / 2], optional: true }); // llama3 rope scaling
  for (let l = 0; l < hp.nLayer; l++) {
    const p = `blk.${l}.`;
    specs.push(
      { name: p + 'attn_norm.weight', dims: [e] },
      { name: p + 'attn_q.weight', dims: [e, nHead * hd] },
      { name: p + 'attn_k.weight', dims: [e, nHeadKv * hd] },
      { name: p + 'attn_v.weight', dims: [e, nHeadKv * hd] },
      { name: p + 'attn_output.weight', dims: [nHead * hd, e] },
      { name: p + 'ffn_norm.weight', dims: [e] },
      { name: p + 'ffn_gate.weight', dims: [e, ff] },
      { name: p + 'ffn_up.weight', dims: [e, ff] },
      { name: p + 'ffn_down.weight', dims: [ff, e] },
    );
    if (hp.qkvBias) {
      specs.push(
        { name: p + 'attn_q.bias', dims: [nHead * hd] },
        { name: p + 'attn_k.bias', dims: [nHeadKv * hd] },
        { name: p + 'attn_v.bias', dims: [nHeadKv * hd] },
      );
    }
    if (hp.qkNorm) specs.push({ name: p + 'attn_q_norm.weight', dims: [hd] }, { name: p + 'attn_k_norm.weight', dims: [hd] });
  }
  return specs;
}

/** The specs present in the file; throws a GgufError naming the first missing, misshapen or untyped tensor. */
export function checkTensors(file: GgufHeader, hp: HParams): TensorSpec[] {
  const name = file.source.name;
  const present: TensorSpec[] = [];
  for (const spec of tensorSpecs(hp)) {
    const info = file.tensors.get(spec.name);
    if (!info) {
      if (spec.optional) continue;
      throw new GgufError(name, `missing (a ${hp.arch} model with ${hp.nLayer} layers needs it)`, spec.name);
    }
    if (info.dims.length !== spec.dims.length || info.dims.some((d, i) => d !== spec.dims[i])) {
      throw new GgufError(name, `shape [${info.dims.join(', ')}] does not match the hyperparameters, which imply [${spec.dims.join(', ')}]`, spec.name);
    }
    if (!WEIGHT_TYPES.includes(info.type)) {
      throw new GgufError(name, `unsupported tensor type ${ggmlTypeName(info.type)} (supported: ${WEIGHT_TYPES.map(ggmlTypeName).join(', ')})`, spec.name);
    }
    // kernels decode whole blocks per row (and matrices are split into parts by whole rows)
    const block = TYPE_LAYOUT[info.type]?.blockElems ?? 1;
    if (info.dims[0] % block !== 0) {
      throw new GgufError(name, `rows of ${info.dims[0]} elements are not whole ${ggmlTypeName(info.type)} blocks of ${block}`, spec.name);
    }
    present.push(spec);
  }
  return present;
}
