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

/**
 * Rotates each head of `x` ([heads][headDim]) in place for position `pos`: pair i by the angle
 * pos * base^(-2i/headDim) / freqFactors[i] (llama3 `rope_freqs.weight`; 1 when absent).
 */
export function rope(x: Float32Array, headDim: number, pos: number, base: number, style: HParams['rope'], freqFactors?: Float32Array): void {
  const half = headDim / 2;
  for (let h = 0; h < x.length; h += headDim) {
    for (let i = 0; i < half; i++) {
      const theta = (pos * Math.pow(base, (-2 * i) / headDim)) / (freqFactors ? freqFactors[i] : 1);
      const c = Math.cos(theta);
      const s = Math.sin(theta);
      const [a, b] = style === 'adjacent' ? [h + 2 * i, h + 2 * i + 1] : [h + i, h + i + half];
      const x0 = x[a];
      const x1 = x[b];
      x[a] = x0 * c - x1 * s;
      x[b] = x0 * s + x1 * c;
    }
  }
}
