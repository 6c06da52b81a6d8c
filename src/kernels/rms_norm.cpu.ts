/** CPU twin of shaders/rms_norm.wgsl: y[r, i] = x[r, i] / sqrt(mean(x[r, :]^2) + eps) * w[i]. */
import { rmsNorm } from '../reference/cpu_ops.ts';

export function rmsNormCpu(x: Float32Array, w: Float32Array, rows: number, n: number, eps: number): Float32Array {
  return rmsNorm(x.subarray(0, rows * n), w, eps, n);
}
