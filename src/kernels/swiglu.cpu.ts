/** CPU twin of shaders/swiglu.wgsl: y[i] = silu(g[i]) * u[i], silu(v) = v / (1 + exp(-v)), in f64. */

export function swigluCpu(g: Float32Array, u: Float32Array, count: number): Float32Array {
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) y[i] = (g[i] / (1 + Math.exp(-g[i]))) * u[i];
  return y;
}
