/**
 * The fp32 CPU building blocks of the reference forward pass (cpu_forward.ts), free of Node APIs so the
 * kernels' CPU twins can use them in a browser Worker too.
 */
import type { HParams } from '../model/hparams.ts';

/** y[o] = sum_i W[o, i] x[i] (+ b[o]); W is [rows=out][cols=in] row-major. */
export function matvec(w: Float32Array, x: Float32Array, out: number, bias?: Float32Array): Float32Array {
  const n = x.length;
  const y = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let s = 0;
    const row = o * n;
    for (let i = 0; i < n; i++) s += w[row + i] * x[i];
    y[o] = bias ? s + bias[o] : s;
  }
  return y;
}

/** RMSNorm of consecutive groups of `n` values: x / sqrt(mean(x^2) + eps) * w. */
export function rmsNorm(x: Float32Array, w: Float32Array, eps: number, n = x.length): Float32Array {
  const y = new Float32Array(x.length);
  for (let g = 0; g < x.length; g += n) {
    let ss = 0;
    for (let i = 0; i < n; i++) ss += x[g + i] * x[g + i];
    const scale = 1 / Math.sqrt(ss / n + eps);
    for (let i = 0; i < n; i++) y[g + i] = x[g + i] * scale * w[i];
  }
  return y;
}

export interface RopeOptions {
  base: number; // rope.freq_base
  style: HParams['rope'];
  nRot?: number; // leading dimensions rotated (default: all of headDim)
  scale?: number; // linear scaling: angles multiplied by it (default 1)
  attnFactor?: number; // the rotated pairs are multiplied by it (default 1)
  freqFactors?: Float32Array; // [nRot/2]: frequency i divided by factor i (llama3 rope_freqs, phi3 rope factors)
}

/**
 * Rotates each head of `x` ([heads][headDim]) in place for position `pos`: pair i < nRot/2 by the angle
 * scale * pos * base^(-2i/nRot) / freqFactors[i], then times attnFactor; dimensions from nRot on are left.
 */
export function rope(x: Float32Array, headDim: number, pos: number, o: RopeOptions): void {
  const nRot = o.nRot ?? headDim;
  const half = nRot / 2;
  const mscale = o.attnFactor ?? 1;
  for (let h = 0; h < x.length; h += headDim) {
    for (let i = 0; i < half; i++) {
      const theta = ((o.scale ?? 1) * pos * Math.pow(o.base, (-2 * i) / nRot)) / (o.freqFactors ? o.freqFactors[i] : 1);
      const c = Math.cos(theta) * mscale;
      const s = Math.sin(theta) * mscale;
      const [a, b] = o.style === 'adjacent' ? [h + 2 * i, h + 2 * i + 1] : [h + i, h + i + half];
      const x0 = x[a];
      const x1 = x[b];
      x[a] = x0 * c - x1 * s;
      x[b] = x0 * s + x1 * c;
    }
  }
}
