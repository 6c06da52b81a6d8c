/**
 * A plain fp32 CPU forward pass of the transformers tabserve runs (llama, qwen2, qwen3, phi3, gemma2,
 * gemma3), written for clarity, not speed. It is tabserve's second reference: proven against llama.cpp on
 * generated models, then used to check the WebGPU engine (including on weight types where llama.cpp
 * itself quantizes activations).
 *
 * Weights are dequantized to f32; keys and values are kept rounded to f16, as the GPU's KV cache and
 * llama.cpp's (by default) hold them, unless kvF32. A weight with ggml dims [in, out] is `out` rows of `in` values; fused
 * weights (attn_qkv, phi3's gate+up ffn_up) are sliced by rows here.
 */
import { openGgufFile, readTensorF32, type GgufFile } from '../gguf/node_file.ts';
import { GgufError } from '../gguf/errors.ts';
import { layerRope, readHParams, ropeFactorsTensor, type HParams } from '../model/hparams.ts';
import { GgmlType } from '../gguf/ggml.ts';
import { quantizeQ8Cpu } from '../kernels/quantize_q8.cpu.ts';
import { toF16 } from '../kernels/kv_write.cpu.ts';
import { matvec, rmsNorm, rope } from './cpu_ops.ts';

export type Weights = Map<string, Float32Array>;

const silu = (v: number) => v / (1 + Math.exp(-v));
/** GELU, tanh approximation (gemma's gelu_pytorch_tanh). */
const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
const cap = (v: number, c: number) => (c > 0 ? c * Math.tanh(v / c) : v);

export interface CpuLoadOptions {
  /** The longest sequence the pass is used for (picks phi3's short or long rope factors); default min(nCtx, 4096). */
  contextTokens?: number;
  /**
   * Quantize the input of Q8_0, Q4_0 and Q4_K matrices to 8-bit blocks first (quantize_q8.cpu.ts), as the GPU's
   * integer-dot matmul (GpuInfo.int8Dot) and llama.cpp do; default false: every matmul in fp32.
   */
  q8Activations?: boolean;
  /** Keep keys and values in f32; default false: rounded to f16, as the GPU's KV cache (Engine kvF32 off) holds them. */
  kvF32?: boolean;
}

/** x with each 32-element block replaced by d * q, its 8-bit quantization. */
function q8Round(x: Float32Array): Float32Array {
  const b = quantizeQ8Cpu(x);
  return x.map((_, i) => b.q[i] * b.d[i >> 5]);
}

export class CpuModel {
  constructor(
    readonly hp: HParams,
    private readonly w: Weights,
    private readonly ropeFactors?: Float32Array,
    private readonly q8Inputs: ReadonlySet<string> = new Set(), // matrices whose input is quantized first
    private readonly kvF32 = false, // keys and values cached as f32, else rounded to f16
  ) {}

  static async load(path: string, o: CpuLoadOptions = {}): Promise<CpuModel> {
    const file: GgufFile = await openGgufFile(path);
    const hp = readHParams(path, file.metadata);
    const w: Weights = new Map();
    for (const name of file.tensors.keys()) w.set(name, await readTensorF32(file, name));
    const embd = w.get('token_embd.weight');
    if (!embd) throw new GgufError(path, 'missing', 'token_embd.weight');
    if (!w.has('output.weight') || hp.arch === 'gemma2') w.set('output.weight', embd); // tied embeddings
    const { nEmbd: e, nHead, nHeadKv, headDim: hd, nFf: ff } = hp;
    for (let l = 0; l < hp.nLayer; l++) {
      const p = `blk.${l}.`;
      const rows = (t: Float32Array, lo: number, n: number, len: number) => t.slice(lo * len, (lo + n) * len);
      const qkv = w.get(p + 'attn_qkv.weight');
      if (qkv) {
        w.set(p + 'attn_q.weight', rows(qkv, 0, nHead * hd, e));
        w.set(p + 'attn_k.weight', rows(qkv, nHead * hd, nHeadKv * hd, e));
        w.set(p + 'attn_v.weight', rows(qkv, (nHead + nHeadKv) * hd, nHeadKv * hd, e));
      }
      const qkvBias = w.get(p + 'attn_qkv.bias');
      if (qkvBias) {
        w.set(p + 'attn_q.bias', rows(qkvBias, 0, nHead * hd, 1));
        w.set(p + 'attn_k.bias', rows(qkvBias, nHead * hd, nHeadKv * hd, 1));
        w.set(p + 'attn_v.bias', rows(qkvBias, (nHead + nHeadKv) * hd, nHeadKv * hd, 1));
      }
      if (hp.gateUpFused) {
        const up = w.get(p + 'ffn_up.weight');
        if (!up) throw new GgufError(path, 'missing', p + 'ffn_up.weight');
        w.set(p + 'ffn_gate.weight', rows(up, 0, ff, e)); // silu(first half) * second half
        w.set(p + 'ffn_up.weight', rows(up, ff, ff, e));
      }
    }
    const contextTokens = o.contextTokens ?? Math.min(hp.nCtx, 4096);
    const q8 = new Set<string>();
    if (o.q8Activations) {
      const typeOf = (n: string) => file.tensors.get(n)?.type;
      const fusedFrom = (n: string) => n.replace(/attn_[qkv]\.weight$/, 'attn_qkv.weight').replace(/ffn_gate\.weight$/, 'ffn_up.weight');
      for (const n of w.keys()) {
        const t = typeOf(n) ?? typeOf(fusedFrom(n)) ?? (n === 'output.weight' ? typeOf('token_embd.weight') : undefined);
        if (t === GgmlType.Q8_0 || t === GgmlType.Q4_0 || t === GgmlType.Q4_K || t === GgmlType.Q6_K) q8.add(n);
      }
    }
    return new CpuModel(hp, w, w.get(ropeFactorsTensor(hp, contextTokens)), q8, o.kvF32);
  }

  /** y = x W^T (+ b) for the matrix `name`, its input quantized first where the options ask for it. */
  private mv(name: string, x: Float32Array, out: number, bias?: Float32Array): Float32Array {
    return matvec(this.t(name), this.q8Inputs.has(name) ? q8Round(x) : x, out, bias);
  }

  private t(name: string): Float32Array {
    const t = this.w.get(name);
    if (!t) throw new Error(`missing tensor ${name}`);
    return t;
  }

  /** Logits [position][nVocab] for every position of `ids` (causal attention from position 0). */
  forward(ids: number[]): Float32Array[] {
    const hp = this.hp;
    const { nEmbd, nHead, nHeadKv, headDim: hd, nLayer, eps, nVocab } = hp;
    const group = nHead / nHeadKv; // query heads per kv head
    const kCache: Float32Array[][] = Array.from({ length: nLayer }, () => []); // [layer][pos] -> [nHeadKv*hd]
    const vCache: Float32Array[][] = Array.from({ length: nLayer }, () => []);
    const embd = this.t('token_embd.weight');
    const act = hp.act === 'gelu' ? gelu : silu;
    const embScale = hp.embedScale ? Math.fround(Math.sqrt(nEmbd)) : 1;
    const logits: Float32Array[] = [];
    for (let pos = 0; pos < ids.length; pos++) {
      const id = ids[pos];
      if (id < 0 || id >= nVocab) throw new Error(`token id ${id} out of range 0..${nVocab - 1}`);
      const x = embd.slice(id * nEmbd, (id + 1) * nEmbd).map((v) => v * embScale);
      for (let l = 0; l < nLayer; l++) {
        const p = `blk.${l}.`;
        const bias = (n: string) => this.w.get(p + n);
        /** x += block output, RMS-normed first when the architecture has post-norms (gemma). */
        const residual = (out: Float32Array, postNorm: string) => {
          const o = hp.postNorms ? rmsNorm(out, this.t(p + postNorm), eps) : out;
          for (let i = 0; i < nEmbd; i++) x[i] += o[i];
        };
        const h = rmsNorm(x, this.t(p + 'attn_norm.weight'), eps);
        let q = this.mv(p + 'attn_q.weight', h, nHead * hd, bias('attn_q.bias'));
        let k = this.mv(p + 'attn_k.weight', h, nHeadKv * hd, bias('attn_k.bias'));
        const v = this.mv(p + 'attn_v.weight', h, nHeadKv * hd, bias('attn_v.bias'));
        if (hp.qkNorm) {
          q = rmsNorm(q, this.t(p + 'attn_q_norm.weight'), eps, hd);
          k = rmsNorm(k, this.t(p + 'attn_k_norm.weight'), eps, hd);
        }
        const { base, scale } = layerRope(hp, l);
        const ropeOptions = { base, scale, style: hp.rope, nRot: hp.nRot, attnFactor: hp.ropeAttnFactor, freqFactors: this.ropeFactors };
        rope(q, hd, pos, ropeOptions);
        rope(k, hd, pos, ropeOptions);
        kCache[l].push(this.kvF32 ? k : toF16(k).values); // f16, as the GPU's cache (and llama.cpp's by default)
        vCache[l].push(this.kvF32 ? v : toF16(v).values);
        // keys first..pos: all of them, or the last slidingWindow in a windowed layer
        const first = hp.swaLayers[l] ? Math.max(0, pos + 1 - hp.slidingWindow) : 0;
        const att = new Float32Array(nHead * hd);
        for (let head = 0; head < nHead; head++) {
          const kvh = Math.floor(head / group);
          const scores = new Float64Array(pos + 1);
          let max = -Infinity;
          for (let s = first; s <= pos; s++) {
            let dot = 0;
            for (let i = 0; i < hd; i++) dot += q[head * hd + i] * kCache[l][s][kvh * hd + i];
            scores[s] = cap(dot * hp.attnScale, hp.attnSoftcap);
            max = Math.max(max, scores[s]);
          }
          let sum = 0;
          for (let s = first; s <= pos; s++) sum += scores[s] = Math.exp(scores[s] - max);
          for (let s = first; s <= pos; s++) {
            const pw = scores[s] / sum;
            for (let i = 0; i < hd; i++) att[head * hd + i] += pw * vCache[l][s][kvh * hd + i];
          }
        }
        residual(this.mv(p + 'attn_output.weight', att, nEmbd), 'post_attention_norm.weight');
        const h2 = rmsNorm(x, this.t(p + 'ffn_norm.weight'), eps);
        const g = this.mv(p + 'ffn_gate.weight', h2, hp.nFf);
        const u = this.mv(p + 'ffn_up.weight', h2, hp.nFf);
        for (let i = 0; i < g.length; i++) g[i] = act(g[i]) * u[i];
        residual(this.mv(p + 'ffn_down.weight', g, nEmbd), 'post_ffw_norm.weight');
      }
      const xf = rmsNorm(x, this.t('output_norm.weight'), eps);
      logits.push(this.mv('output.weight', xf, nVocab).map((z) => cap(z, hp.finalSoftcap)));
    }
    return logits;
  }
}
