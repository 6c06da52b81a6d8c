/**
 * A plain fp32 CPU forward pass of the llama / qwen2 / qwen3 transformer, written for clarity, not speed.
 * It is tabserve's second reference: proven against llama.cpp on generated models, then used to check
 * the WebGPU engine (including on weight types where llama.cpp itself quantizes activations).
 *
 * Weights are dequantized to f32. A weight with ggml dims [in, out] is `out` rows of `in` values.
 */
import { openGgufFile, readTensorF32, type GgufFile } from '../gguf/node_file.ts';
import { GgufError } from '../gguf/errors.ts';
import { readHParams, type HParams } from '../model/hparams.ts';
import { matvec, rmsNorm, rope } from './cpu_ops.ts';

export type Weights = Map<string, Float32Array>;

const silu = (v: number) => v / (1 + Math.exp(-v));

export class CpuModel {
  constructor(
    readonly hp: HParams,
    private readonly w: Weights,
  ) {}

  static async load(path: string): Promise<CpuModel> {
    const file: GgufFile = await openGgufFile(path);
    const hp = readHParams(path, file.metadata);
    const w: Weights = new Map();
    for (const name of file.tensors.keys()) w.set(name, await readTensorF32(file, name));
    if (!w.has('output.weight')) {
      const embd = w.get('token_embd.weight');
      if (!embd) throw new GgufError(path, 'missing', 'token_embd.weight');
      w.set('output.weight', embd); // tied embeddings
    }
    return new CpuModel(hp, w);
  }

  private t(name: string): Float32Array {
    const t = this.w.get(name);
    if (!t) throw new Error(`missing tensor ${name}`);
    return t;
  }

  /** Logits [position][nVocab] for every position of `ids` (causal attention from position 0). */
  forward(ids: number[]): Float32Array[] {
    const { nEmbd, nHead, nHeadKv, headDim: hd, nLayer, eps, nVocab } = this.hp;
    const group = nHead / nHeadKv; // query heads per kv head
    const scale = 1 / Math.sqrt(hd);
    const kCache: Float32Array[][] = Array.from({ length: nLayer }, () => []); // [layer][pos] -> [nHeadKv*hd]
    const vCache: Float32Array[][] = Array.from({ length: nLayer }, () => []);
    const embd = this.t('token_embd.weight');
    const logits: Float32Array[] = [];
    for (let pos = 0; pos < ids.length; pos++) {
      const id = ids[pos];
      if (id < 0 || id >= nVocab) throw new Error(`token id ${id} out of range 0..${nVocab - 1}`);
      const x = embd.slice(id * nEmbd, (id + 1) * nEmbd);
      for (let l = 0; l < nLayer; l++) {
        const p = `blk.${l}.`;
        const bias = (n: string) => this.w.get(p + n);
        const h = rmsNorm(x, this.t(p + 'attn_norm.weight'), eps);
        let q = matvec(this.t(p + 'attn_q.weight'), h, nHead * hd, bias('attn_q.bias'));
        let k = matvec(this.t(p + 'attn_k.weight'), h, nHeadKv * hd, bias('attn_k.bias'));
        const v = matvec(this.t(p + 'attn_v.weight'), h, nHeadKv * hd, bias('attn_v.bias'));
        if (this.hp.qkNorm) {
          q = rmsNorm(q, this.t(p + 'attn_q_norm.weight'), eps, hd);
          k = rmsNorm(k, this.t(p + 'attn_k_norm.weight'), eps, hd);
        }
        rope(q, hd, pos, this.hp.ropeBase, this.hp.rope, this.w.get('rope_freqs.weight'));
        rope(k, hd, pos, this.hp.ropeBase, this.hp.rope, this.w.get('rope_freqs.weight'));
        kCache[l].push(k);
        vCache[l].push(v);
        const att = new Float32Array(nHead * hd);
        for (let head = 0; head < nHead; head++) {
          const kvh = Math.floor(head / group);
          const scores = new Float64Array(pos + 1);
          let max = -Infinity;
          for (let s = 0; s <= pos; s++) {
            let dot = 0;
            for (let i = 0; i < hd; i++) dot += q[head * hd + i] * kCache[l][s][kvh * hd + i];
            scores[s] = dot * scale;
            max = Math.max(max, scores[s]);
          }
          let sum = 0;
          for (let s = 0; s <= pos; s++) sum += scores[s] = Math.exp(scores[s] - max);
          for (let s = 0; s <= pos; s++) {
            const pw = scores[s] / sum;
            for (let i = 0; i < hd; i++) att[head * hd + i] += pw * vCache[l][s][kvh * hd + i];
          }
        }
        const o = matvec(this.t(p + 'attn_output.weight'), att, nEmbd);
        for (let i = 0; i < nEmbd; i++) x[i] += o[i];
        const h2 = rmsNorm(x, this.t(p + 'ffn_norm.weight'), eps);
        const g = matvec(this.t(p + 'ffn_gate.weight'), h2, this.hp.nFf);
        const u = matvec(this.t(p + 'ffn_up.weight'), h2, this.hp.nFf);
        for (let i = 0; i < g.length; i++) g[i] = silu(g[i]) * u[i];
        const d = matvec(this.t(p + 'ffn_down.weight'), g, nEmbd);
        for (let i = 0; i < nEmbd; i++) x[i] += d[i];
      }
      const xf = rmsNorm(x, this.t('output_norm.weight'), eps);
      logits.push(matvec(this.t('output.weight'), xf, nVocab));
    }
    return logits;
  }
}
