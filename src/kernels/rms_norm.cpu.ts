/**
 * CPU twin of shaders/rms_norm.wgsl: y[r, i] = x[r, i] / sqrt(mean(x[r, :]^2) + eps) * w[i], after x += b
 * when b is given (the residual add; the updated x is returned too). Its quantization of y is
 * quantize_q8.cpu.ts.
 */
import { rmsNorm } from '../reference/cpu_ops.ts';

export function rmsNormCpu(x: Float32Array, w: Float32Array, rows: number, n: number, eps: number): Float32Array {
  return rmsNorm(x.subarray(0, rows * n), w, eps, n);
}

export function residualNormCpu(x: Float32Array, b: Float32Array | undefined, w: Float32Array, rows: number, n: number, eps: number): { x: Float32Array; y: Float32Array } {
  const sum = b ? Float32Array.from(x.subarray(0, rows * n), (v, i) => v + b[i]) : x.subarray(0, rows * n);
  return { x: sum, y: rmsNormCpu(sum, w, rows, n, eps) };
}
