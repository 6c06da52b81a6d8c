/** CPU twin of shaders/add.wgsl: y[i] + b[i % period], in f32 (one rounding, as the kernel). */

export function addCpu(y: Float32Array, b: Float32Array, count: number, period: number): Float32Array {
  const out = y.slice(0, count);
  for (let i = 0; i < count; i++) out[i] += b[i % period]; // stored back to f32: the f32 sum
  return out;
}
