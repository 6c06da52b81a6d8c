/** CPU twin of shaders/matmul.wgsl: y[t, o] = sum_i W[o, i] x[t, i], W decoded from its GGUF type. */
import type { GgmlType } from '../gguf/ggml.ts';
import { dequantize } from '../gguf/quant.ts';
import { matvec } from '../reference/cpu_ops.ts';

export function matmulCpu(type: GgmlType, w: Uint8Array, x: Float32Array, m: number, k: number, n: number): Float32Array {
  const wf = dequantize(type, w, n * k);
  const y = new Float32Array(m * n);
  for (let t = 0; t < m; t++) y.set(matvec(wf, x.subarray(t * k, (t + 1) * k), n), t * n);
  return y;
}
